"""ReplayWeb.page's static app (``<repo>/.replaywebpage-VERSION``) and a static server for it.

The npm package ships the built app (``index.html``, ``ui.js``, ``sw.js``), so ``npm pack``
(the registry's ordinary client) fetches it once and nothing is built or installed; later runs
find the directory. Without npm, or if the pack fails, the test is skipped with npm's error.
The server speaks HTTP Range, as the WACZ spec requires of a server publishing packages:
ReplayWeb.page then reads the index blocks and records it needs, not the whole file.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.warc_support.fixtures import REPO

VERSION = "2.5.3"
APP = REPO / f".replaywebpage-{VERSION}"
APP_FILES = ("index.html", "ui.js", "sw.js")


def ensure_replaywebpage() -> Path:
    """Return the directory holding the app's files, unpacking the npm package on first use."""
    if all((APP / name).is_file() for name in APP_FILES):
        return APP
    npm = shutil.which("npm")
    if not npm:
        pytest.skip("no npm on PATH: ReplayWeb.page comes from the npm package replaywebpage")
    with tempfile.TemporaryDirectory() as work:
        packed = subprocess.run([npm, "pack", f"replaywebpage@{VERSION}", "--pack-destination", work],
                                capture_output=True, text=True, timeout=300, cwd=work)
        tarballs = list(Path(work).glob("replaywebpage-*.tgz"))
        if packed.returncode != 0 or not tarballs:
            pytest.skip(f"npm pack replaywebpage@{VERSION} failed: {packed.stderr.strip()[-500:]}")
        staging = Path(tempfile.mkdtemp(prefix=APP.name + ".", dir=REPO))
        with tarfile.open(tarballs[0]) as tar:
            for name in APP_FILES:
                member = tar.getmember(f"package/{name}")
                (staging / name).write_bytes(tar.extractfile(member).read())
        if APP.exists():
            shutil.rmtree(APP)
        staging.rename(APP)  # whole or not at all
    return APP


class RangeHandler(SimpleHTTPRequestHandler):
    """Static files with single-range ``Range: bytes=`` support (206 / 416)."""

    def log_message(self, format: str, *args: object) -> None:  # silence
        pass

    def end_headers(self) -> None:
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def send_head(self):
        path = self.translate_path(self.path)
        match = re.fullmatch(r"bytes=(\d*)-(\d*)", self.headers.get("Range", "").strip())
        if not match or not os.path.isfile(path) or match.groups() == ("", ""):
            return super().send_head()
        size = os.path.getsize(path)
        first, last = match.groups()
        start, end = (size - int(last), size - 1) if first == "" else (int(first), int(last or size - 1))
        start, end = max(start, 0), min(end, size - 1)
        if start > end:
            self.send_response(416)
            self.send_header("Content-Range", f"bytes */{size}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        with open(path, "rb") as fh:
            fh.seek(start)
            data = fh.read(end - start + 1)
        self.send_response(206)
        self.send_header("Content-Type", self.guess_type(path))
        self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        return io.BytesIO(data)


@contextlib.contextmanager
def static_server(directory: Path) -> Iterator[str]:
    """Serve ``directory`` on 127.0.0.1 (a secure context: service workers run); yields the base URL."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(RangeHandler, directory=str(directory)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)
