"""A tiny local website for WARC capture tests (stdlib only, 127.0.0.1, port 0)."""

from __future__ import annotations

import gzip
import random
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PAGE_HTML = (
    b"<!doctype html><html><head><title>Harbour ferry timetable changes</title></head>"
    b"<body><h1>Harbour ferry timetable changes</h1><p>The morning crossing now leaves ten "
    b"minutes earlier, the council said on Tuesday.</p></body></html>"
)
GZIP_HTML = (
    b"<!doctype html><html><body><h1>Library opening hours extended</h1>"
    + b"<p>The reading room stays open until nine on weekdays.</p>" * 40
    + b"</body></html>"
)
# mtime=0 makes the compressed bytes deterministic, so re-crawls give identical payloads.
GZIP_BODY = gzip.compress(GZIP_HTML, mtime=0)
FINAL_HTML = b"<html><body><p>Final destination of the redirect chain.</p></body></html>"
CHUNKS = [b"<html><body>", b"<p>sent in chunks</p>", b"</body></html>"]
ROBOTS = b"User-agent: *\nDisallow: /private\n"


def encoded_body(coding: str, n: int, size: int = 60_000) -> bytes:
    """A page of ``size`` varied bytes compressed with ``coding`` (gzip, deflate, br, zstd)."""
    from newsarchive.warc.encodings import encode_body

    rnd = random.Random(n)
    words = [b"harbour", b"ferry", b"council", b"timetable", b"crossing", b"morning"]
    text = b" ".join(rnd.choice(words) + str(rnd.randrange(999)).encode() for _ in range(size // 9))
    return encode_body(b"<html><body><p>" + text + b"</p></body></html>", coding)


ENCODINGS = ("gzip", "deflate", "br", "zstd")


def big_body(n: int, size: int = 200_000) -> bytes:
    """Incompressible, deterministic body: makes each record write take a while."""
    return random.Random(n).randbytes(size)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "TestSite/1.0"

    def log_message(self, format: str, *args: object) -> None:  # silence
        pass

    def _send(self, status: int, body: bytes, ctype: str = "text/html", **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        path = self.path
        if path == "/robots.txt":
            self._send(200, ROBOTS, "text/plain")
        elif path.startswith("/page?"):
            self._send(200, PAGE_HTML, "text/html; charset=utf-8")
        elif path == "/gz":
            self._send(200, GZIP_BODY, "text/html", Content_Encoding="gzip", Vary="Accept-Encoding")
        elif path == "/r1":
            self._send(301, b"<p>moved</p>", Location="/r2")
        elif path == "/r2":
            self._send(302, b"<p>found</p>", Location="/final")
        elif path == "/final":
            self._send(200, FINAL_HTML)
        elif path == "/missing":
            self._send(404, b"<p>no such page</p>")
        elif path == "/error":
            self._send(500, b"<p>server error</p>")
        elif path == "/chunked":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for chunk in CHUNKS:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.write(b"0\r\n\r\n")
        elif path.startswith("/enc/"):  # /enc/<coding>/<n>
            _, _, coding, n = path.split("/")
            self._send(200, encoded_body(coding, int(n)), Content_Encoding=coding)
        elif path.startswith("/big/"):
            self._send(200, big_body(int(path.rsplit("/", 1)[1])), "application/octet-stream")
        elif path == "/slow":
            time.sleep(30)
            self._send(200, b"slow")
        else:
            self._send(404, b"unknown")


class LocalSite:
    """Context manager running :class:`Handler` in a background thread."""

    def __enter__(self) -> LocalSite:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
