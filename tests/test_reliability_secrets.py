"""Credentials never reach WARC records, logs, reports or error messages."""

from __future__ import annotations

import base64
import gzip
import subprocess
import sys
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from newsarchive.demo.run import FAST_LOCAL, crawl_subprocess
from newsarchive.demo.site import NewsSite, SiteServer, outlets_toml
from newsarchive.urls import mask_url

SECRET = "S3cretPass"
USER = "crawler"
TOKEN = base64.b64encode(f"{USER}:{SECRET}".encode()).decode()


class _Proxy(BaseHTTPRequestHandler):
    """A forward proxy on 127.0.0.1 that insists on Basic credentials."""

    seen_auth: list[str] = []

    def do_GET(self) -> None:  # noqa: N802
        self.seen_auth.append(self.headers.get("Proxy-Authorization", ""))
        if self.headers.get("Proxy-Authorization") != f"Basic {TOKEN}":
            self.send_response(407)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            upstream = opener.open(urllib.request.Request(self.path), timeout=10)
            status, headers, body = upstream.status, upstream.headers, upstream.read()
        except urllib.error.HTTPError as error:
            status, headers, body = error.code, error.headers, error.read()
        self.send_response(status)
        for name, value in headers.items():
            if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def _grep_archive(data_dir: Path, needles: tuple[str, ...]) -> list[str]:
    hits = []
    for path in data_dir.rglob("*"):
        if not path.is_file() or path.suffix in (".sqlite3", ".sqlite3-wal", ".sqlite3-shm"):
            continue
        raw = path.read_bytes()
        texts = [raw]
        if path.name.endswith(".warc.gz"):
            texts.append(gzip.decompress(raw))
        for text in texts:
            hits += [f"{path.name}: {n}" for n in needles if n.encode() in text]
    return hits


@pytest.mark.slow
def test_proxy_credentials_are_not_archived_logged_or_reported(tmp_path: Path, monkeypatch) -> None:
    proxy = ThreadingHTTPServer(("127.0.0.1", 0), _Proxy)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    try:
        with SiteServer(NewsSite(edition=1)) as server:
            outlets = tmp_path / "outlets.toml"
            outlets.write_text(outlets_toml(server.base_url), encoding="utf-8")
            monkeypatch.setenv("http_proxy", f"http://{USER}:{SECRET}@127.0.0.1:{proxy.server_address[1]}")
            monkeypatch.delenv("no_proxy", raising=False)
            monkeypatch.delenv("NO_PROXY", raising=False)
            result = crawl_subprocess(outlets, tmp_path / "data",
                                      settings=(*FAST_LOCAL, "LOG_LEVEL=DEBUG"))
    finally:
        proxy.shutdown()
        proxy.server_close()
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"Basic {TOKEN}" in _Proxy.seen_auth  # the crawl really went through the proxy
    assert list((tmp_path / "data" / "warc").glob("*.warc.gz"))
    needles = (SECRET, TOKEN)
    assert _grep_archive(tmp_path / "data", needles) == []
    assert not [n for n in needles if n in result.stderr + result.stdout]
    # the database holds no secret either
    db = (tmp_path / "data" / "newsarchive.sqlite3").read_bytes()
    assert SECRET.encode() not in db and TOKEN.encode() not in db


def test_database_url_password_is_masked_in_errors(tmp_path: Path) -> None:
    for url, status in ((f"postgresql://user:{SECRET}@127.0.0.1:1/archive", 69),  # down: try later
                        (f"postgresq1://user:{SECRET}@db.invalid/archive", 2),  # wrong: fix it
                        (f"not a url at all user:{SECRET}@", 2)):
        result = subprocess.run([sys.executable, "-m", "newsarchive", "articles", "--db", url,
                                 "--data-dir", str(tmp_path)], capture_output=True, text=True, timeout=120)
        assert result.returncode == status, result.stderr
        assert SECRET not in result.stderr + result.stdout, result.stderr
        assert result.stderr.count("\n") == 1, result.stderr


def test_mask_url_hides_passwords_wherever_a_url_appears() -> None:
    assert mask_url(f"error: not a database URL: 'postgresql://u:{SECRET}@db/x'") == \
        "error: not a database URL: 'postgresql://u:***@db/x'"
    assert SECRET not in mask_url(f"http://u:p@{SECRET}@proxy:3128/x and https://a:{SECRET}@b/?q=1@2")
    assert mask_url("http://example.com/a@b") == "http://example.com/a@b"
