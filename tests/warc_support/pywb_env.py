"""pywb (``<repo>/.venv-pywb``) and py-wacz (``<repo>/.venv-wacz``) in their own virtualenvs.

Both pin libraries that clash with the project's stack, so each gets a venv, built once by
the same code ``newsarchive replay`` uses (newsarchive.archivist.replay.ensure_tool_venv) and
cached. If pip cannot install one (no registry access), the test is skipped with pip's error.
"""

from __future__ import annotations

import contextlib
import http.client
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsarchive.archivist.replay import (PYWB_REQUIREMENT, SetupError, ensure_tool_venv, free_port,
                                          start_wayback, stop, tool_env)
from tests.warc_support.fixtures import REPO

VENV = REPO / ".venv-pywb"
WACZ_VENV = REPO / ".venv-wacz"
WACZ_REQUIREMENT = "wacz==0.6.0"  # the validator; its pins clash with ours


def ensure_pywb_venv() -> Path:
    """Return the pywb venv's bin directory, creating the venv on first use."""
    try:
        return ensure_tool_venv(VENV, PYWB_REQUIREMENT, "wayback")
    except SetupError as exc:
        pytest.skip(str(exc))


def ensure_wacz_venv() -> Path:
    """Return the py-wacz venv's bin directory (the ``wacz`` command), creating it once."""
    try:
        return ensure_tool_venv(WACZ_VENV, WACZ_REQUIREMENT, "wacz")
    except SetupError as exc:
        pytest.skip(str(exc))


@contextlib.contextmanager
def wayback(bin_dir: Path, root: Path, archives: list[Path], *add_flags: str) -> Iterator[int]:
    """``wb-manager init/add [FLAGS]`` a collection ``coll`` and serve it; yields the port.

    ``add_flags=("--unpack-wacz",)`` adds WACZ packages (their WARCs and index) instead.
    """
    run = dict(cwd=root, env=tool_env(), capture_output=True, text=True, timeout=120)
    init = subprocess.run([str(bin_dir / "wb-manager"), "init", "coll"], **run)
    assert init.returncode == 0, init.stderr
    add = subprocess.run([str(bin_dir / "wb-manager"), "add", *add_flags, "coll", *map(str, archives)], **run)
    assert add.returncode == 0, add.stderr
    port = free_port()
    with open(root / "wayback.log", "wb") as log:
        try:
            proc = start_wayback(bin_dir, root, port, log=log)
        except SetupError as exc:
            raise AssertionError(f"{exc}: " + (root / "wayback.log").read_text()) from None
        try:
            yield port
        finally:
            stop(proc)


def get(port: int, path: str) -> tuple[int, dict[str, str], bytes]:
    """Plain GET without following redirects or decoding (http.client)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()
