"""pywb in its own virtualenv (``<repo>/.venv-pywb``), never in the project's environment.

pywb pins old redis/werkzeug versions that clash with the project's stack, so the test
suite builds a separate venv once and caches it. If pip cannot install pywb (no registry
access), the replay test is skipped with pip's own error as the reason.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.warc_support.fixtures import REPO

VENV = REPO / ".venv-pywb"
READY_MARKER = VENV / ".newsarchive-ready"


def ensure_pywb_venv() -> Path:
    """Return the venv's bin directory, creating the venv on first use."""
    bin_dir = VENV / "bin"
    if READY_MARKER.exists() and (bin_dir / "wayback").exists():
        return bin_dir
    if not (bin_dir / "python").exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True, timeout=300)
    proc = subprocess.run(
        [str(bin_dir / "python"), "-m", "pip", "install", "--quiet", "pywb"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    if proc.returncode != 0 or not (bin_dir / "wayback").exists():
        pytest.skip("pip could not install pywb into .venv-pywb: " + proc.stderr[-800:])
    READY_MARKER.write_text("ok\n")
    return bin_dir


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def wayback(bin_dir: Path, root: Path, warcs: list[Path]) -> Iterator[int]:
    """``wb-manager init/add`` a collection ``coll`` and serve it; yields the port."""
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    run = dict(cwd=root, env=env, capture_output=True, text=True, timeout=120)
    init = subprocess.run([str(bin_dir / "wb-manager"), "init", "coll"], **run)
    assert init.returncode == 0, init.stderr
    add = subprocess.run([str(bin_dir / "wb-manager"), "add", "coll", *map(str, warcs)], **run)
    assert add.returncode == 0, add.stderr
    port = free_port()
    log = open(root / "wayback.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(
        [str(bin_dir / "wayback"), "-p", str(port), "-b", "127.0.0.1"],
        cwd=root,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, _, _ = get(port, "/coll/")
                if status < 500:
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("wayback did not start: " + (root / "wayback.log").read_text())
            time.sleep(0.2)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


def get(port: int, path: str) -> tuple[int, dict[str, str], bytes]:
    """Plain GET without following redirects or decoding (http.client)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()
