"""Capture time = time on the wire: WARC-Date and captures.fetched_at are when the server
was asked, not when the request entered the middleware chain and waited in the slot queue."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from warcio.archiveiterator import ArchiveIterator

from newsarchive.db.models import Capture
from newsarchive.demo.site import NewsSite, Reply, SiteServer, outlets_toml
from newsarchive.demo.stories import DEMO_STORIES

TOLERANCE = 0.5  # seconds
OLD = "/ledger/2026/01/01/old-address"  # 301 to a story


class ClockSite(NewsSite):
    """The demo site, telling in every reply when it received the request; one 500 and one 301."""

    def __init__(self) -> None:
        super().__init__(DEMO_STORIES[:3])
        self.failed_once: set[str] = set()
        first, second = list(self.paths)[:2]  # two article paths
        self.routes[first] = self._fail_once(first)
        self.routes[OLD] = lambda s, q: Reply(
            301, b"", headers={"Location": second, "Content-Type": "text/html"})
        self.extra_links["ledger"] = [OLD]

    def _fail_once(self, path: str):
        story = self.paths[path]

        def route(site: NewsSite, query: dict) -> Reply:
            if path not in self.failed_once:
                self.failed_once.add(path)
                return Reply(500, b"<html><body>try again</body></html>")
            return self.article(story, story.at(self.edition))
        return route

    def handle(self, path: str, query: dict) -> Reply:
        received = datetime.now(UTC)
        reply = super().handle(path, query)
        headers = dict(reply.headers)
        headers["X-Received-At"] = received.isoformat()
        return Reply(reply.status, reply.body, headers)


@pytest.mark.slow
def test_warc_date_and_fetched_at_are_the_servers_receive_time(crawl_any_db, tmp_path: Path):
    crawl = crawl_any_db
    with SiteServer(ClockSite()) as server:
        outlets = tmp_path / "clock-outlets.toml"
        outlets.write_text(outlets_toml(server.base_url), encoding="utf-8")
        crawl.outlets = outlets
        started = time.monotonic()
        crawl(settings=("DOWNLOAD_DELAY=2", "CONCURRENT_REQUESTS=1", "CONCURRENT_REQUESTS_PER_DOMAIN=1",
                        "AUTOTHROTTLE_ENABLED=False", "RANDOMIZE_DOWNLOAD_DELAY=False",
                        "DOWNLOAD_DELAY_JITTER=0"))
        elapsed = time.monotonic() - started

    records = {}
    for path in sorted((crawl.data_dir / "warc").glob("*.warc.gz")):
        with path.open("rb") as stream:
            for record in ArchiveIterator(stream):
                if record.rec_type != "response":
                    continue
                received = record.http_headers.get_header("X-Received-At")
                assert received, record.rec_headers.get_header("WARC-Target-URI")
                warc_date = datetime.fromisoformat(record.rec_headers.get_header("WARC-Date"))
                records[record.rec_headers.get_header("WARC-Record-ID")] = (
                    record.rec_headers.get_header("WARC-Target-URI"), record.http_headers.get_statuscode(),
                    warc_date, datetime.fromisoformat(received))
    statuses = sorted(status for _, status, _, _ in records.values())
    assert "500" in statuses and "301" in statuses  # a retry and a redirect hop are among them
    assert len(records) >= 8 and elapsed > 2 * (len(records) - 1)  # the delay really held requests back
    late = {url: (warc - server_time).total_seconds() for url, _, warc, server_time in records.values()
            if abs((warc - server_time).total_seconds()) > TOLERANCE}
    assert late == {}

    with crawl.sessions()() as session:
        captures = session.scalars(select(Capture).where(Capture.warc_record_id.is_not(None))).all()
    assert len(captures) == len(records)
    for capture in captures:
        assert capture.fetched_at == records[capture.warc_record_id][2]
