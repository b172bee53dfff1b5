"""``newsarchive replay``: the archive served through pywb on 127.0.0.1.

pywb pins old redis and werkzeug versions that clash with the crawl stack, so it lives in a
virtual environment of its own (``NEWSARCHIVE_PYWB_VENV``, default
``~/.cache/newsarchive/venv-pywb``), created by pip on first use and found after that; it is
never installed into newsarchive's environment. The same function builds the test suite's
tool environments (tests/warc_support), so there is one implementation.

The collection is built without copying or re-indexing anything: ``archive/`` holds symlinks
to the data directory's closed WARC files and ``indexes/index.cdxj`` is the merge of the
CDXJ index written beside each file (pywb's own format). Nothing in the data directory is
changed; a file without its index is indexed into the collection instead.
"""

from __future__ import annotations

import fcntl
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path

PYWB_REQUIREMENT = "pywb>=2.8,<3"  # 2.8 added wb-manager add --unpack-wacz
COLLECTION = "news"
READY = ".newsarchive-ready"


class SetupError(Exception):
    """The tool's environment could not be made (one line: pip's last words)."""


def default_pywb_venv() -> Path:
    """Where pywb's environment lives unless NEWSARCHIVE_PYWB_VENV says otherwise."""
    configured = os.environ.get("NEWSARCHIVE_PYWB_VENV")
    if configured:
        return Path(configured).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(cache, "newsarchive", "venv-pywb")


def ensure_tool_venv(venv: str | os.PathLike[str], requirement: str, executable: str, *,
                     report: Callable[[str], None] | None = None, timeout: float = 1800) -> Path:
    """The ``bin`` directory of ``venv`` with ``requirement`` installed, creating it once.

    A marker file records a finished install, so a half-made environment (interrupted pip)
    is completed rather than trusted. Concurrent callers wait on a lock beside the venv.
    """
    venv = Path(venv)
    bin_dir = venv / "bin"
    marker = venv / READY
    if marker.exists() and (bin_dir / executable).exists():
        return bin_dir
    venv.parent.mkdir(parents=True, exist_ok=True)
    with open(venv.parent / f".{venv.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if marker.exists() and (bin_dir / executable).exists():
            return bin_dir  # another process finished it while we waited
        started = time.monotonic()
        if report:
            report(f"first use: installing {requirement} into its own virtualenv {venv} "
                   "(once; about one to three minutes)")
        if not (bin_dir / "python").exists():
            made = subprocess.run([sys.executable, "-m", "venv", str(venv)], capture_output=True,
                                  text=True, timeout=300)
            if made.returncode != 0:
                raise SetupError(f"cannot create a virtualenv at {venv}: {_last_line(made.stderr)}")
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
        pip = subprocess.run([str(bin_dir / "python"), "-m", "pip", "install", "--quiet", requirement],
                             capture_output=True, text=True, timeout=timeout, env=env)
        if pip.returncode != 0 or not (bin_dir / executable).exists():
            raise SetupError(f"pip could not install {requirement} into {venv}: {_last_line(pip.stderr)}")
        marker.write_text(requirement + "\n")
        if report:
            report(f"{requirement} ready in {time.monotonic() - started:.0f} s (found from now on)")
    return bin_dir


def ensure_pywb(venv: str | os.PathLike[str] | None = None, *,
                report: Callable[[str], None] | None = None) -> Path:
    return ensure_tool_venv(venv or default_pywb_venv(), PYWB_REQUIREMENT, "wayback", report=report)


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no error output"


def build_collection(root: str | os.PathLike[str], warcs: Iterable[str], name: str = COLLECTION) -> int:
    """(Re)make ``root/collections/NAME`` from ``warcs``; returns the number of index lines."""
    from newsarchive.warc.index import index_path_for, merged_cdxj_lines, write_cdxj

    coll = Path(root, "collections", name)
    if coll.exists():
        shutil.rmtree(coll)
    (coll / "archive").mkdir(parents=True)
    (coll / "indexes").mkdir()
    indexes = []
    for path in warcs:
        path = os.path.abspath(path)
        os.symlink(path, coll / "archive" / os.path.basename(path))
        index = index_path_for(path)
        if not os.path.exists(index):  # never write into the data directory
            index = write_cdxj(path, output=str(coll / "indexes" / (os.path.basename(path) + ".cdxj.part")))
        indexes.append(index)
    count = 0
    with open(coll / "indexes" / "index.cdxj", "w", encoding="utf-8") as sink:
        for line in merged_cdxj_lines(indexes):
            sink.write(line)
            count += 1
    for leftover in (coll / "indexes").glob("*.part"):
        leftover.unlink()
    return count


def replay_link(base: str, capture: object) -> str | None:
    """A capture's address on the replay server at ``base`` (``.../news``), or None.

    None when no server is configured, the capture has no readable record, or its URL is not
    http(s); credentials in a fetched URL never reach the link (the record's URI has none).
    """
    if not base or capture is None or not getattr(capture, "warc_record_id", None) \
            or getattr(capture, "warc_lost", False):
        return None
    return replay_address(base, capture.url, capture.fetched_at)  # type: ignore[attr-defined]


def replay_address(base: str, url: str, fetched_at: datetime) -> str | None:
    """The replay server's address of ``url`` as fetched at ``fetched_at`` (the one builder of
    replay links: ``diff``, the web view); None for a non-http(s) URL. The URL is the one the
    record is filed under: no fragment, no ``user:password@``."""
    from newsarchive.archivist.export_wacz import page_url

    url = page_url(url)
    if not base or not url.lower().startswith(("http://", "https://")):
        return None
    return f"{base.rstrip('/')}/{fetched_at.strftime('%Y%m%d%H%M%S')}/{url}"


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def tool_env() -> dict[str, str]:
    """The environment for pywb's processes: none of newsarchive's import path."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}


def start_wayback(bin_dir: Path, root: str | os.PathLike[str], port: int, *, log: object = None,
                  host: str = "127.0.0.1") -> subprocess.Popen[bytes]:
    """Start ``wayback`` serving ``root/collections``; returns once it answers (or raises)."""
    proc = subprocess.Popen([str(bin_dir / "wayback"), "-p", str(port), "-b", host], cwd=str(root),
                            env=tool_env(), stdout=log or subprocess.DEVNULL, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while True:
        try:
            conn = http.client.HTTPConnection(host, port, timeout=5)
            conn.request("GET", "/")
            conn.getresponse().read()
            conn.close()
            return proc
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            stop(proc)
            raise SetupError(f"wayback did not start on {host}:{port} (exit status {proc.returncode})")
        time.sleep(0.2)


def stop(proc: subprocess.Popen[bytes], timeout: float = 15) -> int:
    """SIGTERM, then SIGKILL after ``timeout``; returns the exit status."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


def serve(bin_dir: Path, root: str | os.PathLike[str], port: int, *, name: str = COLLECTION,
          announce: Callable[[str], None] = print) -> int:
    """Serve until SIGINT/SIGTERM, then stop pywb and return 0."""
    stopping = []

    def on_signal(signum: int, _frame: object) -> None:
        stopping.append(signum)

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        with open(Path(root, "wayback.log"), "ab") as log:
            proc = start_wayback(bin_dir, root, port, log=log)
            announce(f"newsarchive replay: http://127.0.0.1:{port}/{name}/ "
                     f"(captures at http://127.0.0.1:{port}/{name}/TIMESTAMP/URL; Ctrl-C stops)")
            try:
                while not stopping and proc.poll() is None:
                    time.sleep(0.2)
            finally:
                status = stop(proc)
        if not stopping:
            raise SetupError(f"wayback exited with status {status} (see {Path(root, 'wayback.log')})")
        return 0
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
