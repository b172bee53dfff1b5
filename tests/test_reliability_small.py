"""Smaller faults: a database that cannot be opened, a body cut at the size limit without
Content-Length, UTF-8 declared as UTF-16, feeds parsed off the reactor."""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from newsarchive.demo.run import FAST_LOCAL, crawl_subprocess
from newsarchive.demo.site import NewsSite, Reply, SiteServer, outlets_toml
from newsarchive.extract import decode_html
from newsarchive.spiders.news import NewsSpider

SECRET = "S3cretPass"


@pytest.mark.parametrize("verb", [["articles"], ["versions", "http://example.test/a"], ["changes"],
                                  ["syndication"], ["health"]])
def test_the_archivist_commands_exit_69_with_one_line_when_the_database_is_down(verb: list[str]) -> None:
    """Like ``scrapy crawl`` and ``recrawl``: cron reads 69 as "try later", 2 as "fix the command"."""
    env = dict(os.environ, NEWSARCHIVE_DB_URL=f"postgresql://archive:{SECRET}@127.0.0.1:1/news")
    result = subprocess.run([sys.executable, "-m", "newsarchive", *verb], env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 69, (verb, result.returncode, result.stderr[-2000:])
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"newsarchive {verb[0]}: error: database: "), result.stderr
    assert SECRET not in result.stderr and "Traceback" not in result.stderr


@pytest.mark.slow
@pytest.mark.parametrize("db_url", [f"postgresql://archive:{SECRET}@127.0.0.1:1/news",
                                    "sqlite:////proc/no-such-dir/archive.sqlite3"])
def test_database_unavailable_at_start_is_one_line_and_exit_69(tmp_path: Path, db_url: str) -> None:
    site = NewsSite(edition=1)
    with SiteServer(site) as server:
        outlets = tmp_path / "outlets.toml"
        outlets.write_text(outlets_toml(server.base_url), encoding="utf-8")
        result = crawl_subprocess(outlets, tmp_path / "data", db_url=db_url)
    assert result.returncode == 69, result.stderr[-2000:]
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("scrapy crawl: error: database:"), result.stderr[-2000:]
    assert SECRET not in result.stderr and "Traceback" not in result.stderr
    assert site.requests == []  # nothing fetched
    assert not (tmp_path / "data" / "warc").exists() or not list((tmp_path / "data" / "warc").iterdir())


class _Unsized(BaseHTTPRequestHandler):
    """HTTP/1.0, no Content-Length: the body ends when the connection closes."""

    protocol_version = "HTTP/1.0"

    def do_GET(self) -> None:  # noqa: N802
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        if self.path.startswith("/news/"):
            for _ in range(200):
                self.wfile.write(b"<p>" + b"ferry timetable " * 64 + b"</p>\n")
        else:
            self.wfile.write(b'<html><body><a href="/news/huge-story">story</a></body></html>')

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.mark.slow
def test_body_cut_at_the_size_limit_without_content_length_is_too_large(tmp_path: Path) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Unsized)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        outlets = tmp_path / "outlets.toml"
        outlets.write_text(f"""[[outlet]]
name = "unsized"
domains = ["127.0.0.1"]
start_urls = ["{base}/"]
article_patterns = ['^/news/']
""", encoding="utf-8")
        result = crawl_subprocess(outlets, tmp_path / "data", settings=(
            *FAST_LOCAL, "ROBOTSTXT_OBEY=False", "DOWNLOAD_MAXSIZE=50000", "LOG_LEVEL=INFO"))
    finally:
        server.shutdown()
        server.server_close()
    report = json.loads(sorted((tmp_path / "data" / "reports").glob("crawl-*.json"))[-1].read_text())
    assert report["outlets"]["unsized"].get("errors/too_large") == 1, report["outlets"]["unsized"]
    line = next(line for line in result.stderr.splitlines() if "too_large" in line)
    assert "DOWNLOAD_MAXSIZE (50000 bytes)" in line or "max size" in line, line


def test_utf8_declared_as_utf16_is_decoded_with_an_encoding_warning() -> None:
    body = "<html><body><h1>Café</h1><p>The ferry leaves at nine.</p></body></html>".encode()
    decoded = decode_html(body, "utf-16")
    assert decoded.text.startswith("<html><body><h1>Café")
    assert decoded.problem and "utf-16" in decoded.problem
    real = decode_html("<html><p>Café</p></html>".encode("utf-16-le"), "utf-16le")
    assert real.text == "<html><p>Café</p></html>" and real.problem is None


def test_feeds_and_sitemaps_are_parsed_off_the_reactor() -> None:
    """Their callbacks await a thread-pool parse, so a huge feed does not stall the crawl."""
    for callback in (NewsSpider.parse_feed, NewsSpider.parse_sitemap):
        assert inspect.isasyncgenfunction(callback)
        assert "_off_reactor(" in inspect.getsource(callback)


def _feed(base: str, paths: list[str]) -> bytes:
    items = "".join(f"<item><title>story {n}</title><link>{base}{p}</link></item>"
                    for n, p in enumerate(paths))
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>wire</title>'
            f"{items}</channel></rss>").encode()


MAX_PAGES = 6  # the feed and five articles


def test_dead_feed_entries_do_not_spend_the_budget_of_the_live_ones(tmp_path: Path) -> None:
    """A feed whose first entries answer 404: the live entries behind them are still fetched
    (a dead entry gives its slot to one the budget had turned away), and the requests stay
    bounded by twice max_pages."""
    site = NewsSite(edition=1)
    live = [p for p in site.paths if p.startswith("/ledger/")]
    dead = [f"/ledger/2024/01/{day:02d}/removed-story-{day}" for day in range(1, 9)]
    with SiteServer(site) as server:
        site.routes["/ledger/feed.xml"] = lambda _site, _q: Reply(
            body=_feed(server.base_url, dead + live), headers={"Content-Type": "application/rss+xml"})
        toml = outlets_toml(server.base_url).replace(
            'start_urls = ["%s/ledger/"]' % server.base_url,
            'start_urls = []\nfeeds = ["%s/ledger/feed.xml"]\nmax_pages = %d\nauto_feeds = false'
            % (server.base_url, MAX_PAGES), 1)
        outlets = tmp_path / "outlets.toml"
        outlets.write_text(toml, encoding="utf-8")
        result = crawl_subprocess(outlets, tmp_path / "data", settings=(*FAST_LOCAL, "LOG_LEVEL=INFO"),
                                  spider_args=("outlets=ledger",))
    assert result.returncode == 0, result.stderr[-3000:]
    fetched = set(site.requests)
    assert set(live) <= fetched, sorted(set(live) - fetched)  # every live story fetched
    pages = [p for p in site.requests if p.startswith("/ledger/")]
    assert len(pages) <= 2 * MAX_PAGES and len(pages) == len(set(pages))
    assert "budget_refunded=8" in result.stderr  # the outlet's summary line counts them


class _CuttableProxy:
    """A TCP proxy to PostgreSQL that the test can cut: the database 'goes away' mid-crawl."""

    def __init__(self, target: tuple[str, int]):
        import socket

        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.sockets: list = []
        self.cut = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        import socket

        while not self.cut:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.cut:
                client.close()
                return
            upstream = socket.create_connection(self.target)
            self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source, sink) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass

    def close(self) -> None:
        import socket

        self.cut = True
        self.listener.close()
        for sock in self.sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()


@pytest.mark.slow
@pytest.mark.postgres
def test_database_lost_mid_crawl_stops_with_one_line_and_exit_69(tmp_path: Path) -> None:
    import os
    import subprocess
    import time
    import uuid

    from sqlalchemy import select, text
    from sqlalchemy.engine import make_url

    from newsarchive.db.engine import make_engine, open_database
    from newsarchive.db.models import ArticleVersion, Capture
    from newsarchive.demo.run import crawl_command
    from newsarchive.warc import list_warcs, read_record, verify_warc

    pg = os.environ.get("NEWSARCHIVE_TEST_PG_URL", "")
    if not pg:
        pytest.skip("set NEWSARCHIVE_TEST_PG_URL")
    url = make_url(pg)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(pg)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    proxy = _CuttableProxy((url.host or "127.0.0.1", url.port or 5432))
    via_proxy = url.set(host="127.0.0.1", port=proxy.port, query={"options": f"-csearch_path={schema}"})
    direct = url.set(query={"options": f"-csearch_path={schema}"})
    site = NewsSite(edition=1)
    slow = [f"/ledger/2025/05/05/slow-story-{n}" for n in range(40)]
    site.routes.update({p: (lambda _s, _q: (time.sleep(0.2), Reply(body=b"<html></html>"))[1]) for p in slow})
    site.extra_links["ledger"] = slow
    try:
        with SiteServer(site) as server:
            outlets = tmp_path / "outlets.toml"
            outlets.write_text(outlets_toml(server.base_url), encoding="utf-8")
            command, env = crawl_command(outlets, tmp_path / "data",
                                         db_url=via_proxy.render_as_string(hide_password=False),
                                         settings=(*FAST_LOCAL, "CONCURRENT_REQUESTS=2", "LOG_LEVEL=ERROR"))
            proc = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
            deadline = time.monotonic() + 60
            while sum(p in slow for p in site.requests) < 5:
                assert proc.poll() is None and time.monotonic() < deadline, "crawl ended too soon"
                time.sleep(0.02)
            proxy.close()  # the database goes away
            _, stderr = proc.communicate(timeout=120)
            asked = len(site.requests)
        assert proc.returncode == 69, stderr[-3000:]
        assert "Traceback" not in stderr, stderr[-3000:]
        assert stderr.strip().splitlines()[-1].startswith("scrapy crawl: error: database unavailable mid-crawl"), stderr
        assert asked < 40  # it stopped instead of fetching everything into the void
        assert not list((tmp_path / "data" / "warc").glob("*.open"))
        warcs = list_warcs(tmp_path / "data" / "warc")
        assert warcs and all(verify_warc(info.path).ok for info in warcs)
        with open_database(direct.render_as_string(hide_password=False))() as session:
            captures = session.scalars(select(Capture).where(Capture.warc_record_id.is_not(None))).all()
            assert captures  # what was committed before the outage stays
            for capture in captures:  # and every committed pointer reads back its record
                record = read_record(tmp_path / "data" / "warc" / capture.warc_filename, capture.warc_offset)
                assert record.header("WARC-Record-ID") == capture.warc_record_id
            for version in session.scalars(select(ArticleVersion)):
                assert version.first_capture_id is not None
    finally:
        proxy.close()
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()
