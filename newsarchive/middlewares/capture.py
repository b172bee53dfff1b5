"""Record every fetch in the database: one Capture row per response or failure.

Sits next to the downloader (just inside the WARC middleware), so it sees each redirect
hop, 4xx/5xx and robots.txt before other middlewares filter or rewrite them. The row
points at the WARC record the WARC middleware wrote for the same response.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Response

from newsarchive import clock
from newsarchive.db import outage, store
from newsarchive.db.engine import db_url_from, session_factory
from newsarchive.middlewares.warc import get_middleware
from newsarchive.storage_thread import storage_thread
from newsarchive.warc import payload_digest
from newsarchive.warc.repair import clear_repairs, pending_repairs

logger = logging.getLogger(__name__)


def _header(response: Response, name: str) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


class DatabaseRevisitLookup:
    """Revisit targets from the Capture table (shared by every crawl process), else ``fallback``."""

    def __init__(self, sessions: Any, fallback: Any = None):
        self.sessions = sessions
        self.fallback = fallback

    def lookup(self, url: str, payload_digest: str) -> tuple[str, datetime, str] | None:
        with self.sessions() as session:
            earlier = store.find_earlier_payload(session, url, payload_digest)
            if earlier is not None:
                return earlier.warc_record_id, earlier.fetched_at, earlier.url
        return self.fallback.lookup(url, payload_digest) if self.fallback is not None else None

    def remember(self, *args: Any) -> None:
        if self.fallback is not None and hasattr(self.fallback, "remember"):
            self.fallback.remember(*args)


class CaptureLogMiddleware:
    """Writes a Capture row per fetch and exposes it as ``request.meta["capture"]``."""

    def __init__(self, crawler: Crawler):
        if not crawler.settings.getbool("NEWSARCHIVE_CAPTURE_LOG_ENABLED", True):
            raise NotConfigured
        self.crawler = crawler
        self.stats = crawler.stats
        self.sessions = session_factory(db_url_from(crawler.settings))
        self.outlet_ids: dict[str, int] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CaptureLogMiddleware:
        middleware = cls(crawler)
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        return middleware

    def spider_opened(self, spider: Spider) -> None:
        with self.sessions.begin() as session:
            for outlet in getattr(spider, "outlets", []):
                row = store.get_or_create_outlet(session, outlet.name, outlet.snapshot())
                session.flush()
                self.outlet_ids[outlet.name] = row.id
        archive = get_middleware(self.crawler)
        if archive is not None:
            # The database knows every process's captures; the default lookup only its own files.
            archive.revisit_lookup = DatabaseRevisitLookup(self.sessions, archive.revisit_lookup)
            archive.open_writer()  # repairs what a crashed run left, before anything new is written
            pending = pending_repairs(archive.directory)  # journaled cuts, this run's and older
            with self.sessions.begin() as session:
                lost = store.mark_lost_records(session, pending)
            clear_repairs(pending)
            if lost:
                logger.warning("%d capture(s) lost their WARC record in a crash; marked warc_lost", lost)
                self.stats.inc_value("newsarchive/captures/warc_lost", lost)

    def _fetched_at(self, request: Request) -> datetime:
        stamp = request.meta.pop("newsarchive_fetched_at", None)
        if isinstance(stamp, str):
            stamp = datetime.fromisoformat(stamp)
        return stamp or clock.now()

    async def process_response(self, request: Request, response: Response) -> Response:
        warc = request.meta.pop("warc", None)  # RedirectMiddleware copies meta: never reuse a hop's
        fetched_at = self._fetched_at(request)
        status = response.status
        kind = "redirect" if 300 <= status < 400 and b"Location" in response.headers else (
            "error" if status >= 400 else "page")
        fields: dict[str, Any] = dict(
            url=response.url, fetched_at=fetched_at, status=status, kind=kind,
            content_type=_header(response, "Content-Type"),
            payload_digest=(warc or {}).get("payload_digest") or payload_digest(response.body),
            payload_length=len(response.body),
            etag=_header(response, "ETag"), last_modified=_header(response, "Last-Modified"),
            outlet_id=self.outlet_ids.get(request.meta.get("outlet", "")),
            source=request.meta.get("source"), discovery=request.meta.get("discovery"),
        )
        if warc:
            fields.update(warc_filename=warc.get("filename"), warc_offset=warc.get("offset"),
                          warc_length=warc.get("length"), warc_record_id=warc.get("record_id"),
                          warc_revisit=bool(warc.get("revisit")))
        try:
            capture_id = await storage_thread(self.crawler).run(self._add_capture, fields)
        except Exception as exc:
            if not outage.is_outage(exc):
                raise
            outage.stop_crawl(self.crawler, exc)
            raise IgnoreRequest(f"database unavailable: {response.url}") from None
        request.meta["capture"] = {"id": capture_id, "fetched_at": fetched_at.isoformat(),
                                   "payload_digest": fields["payload_digest"], "warc": warc}
        self.stats.inc_value("newsarchive/captures")
        self.stats.inc_value(f"newsarchive/captures/status/{status}")
        return response

    def _add_capture(self, fields: dict[str, Any]) -> int:
        with self.sessions.begin() as session:
            return store.add_capture(session, **fields).id

    async def process_exception(self, request: Request, exception: Exception) -> None:
        if isinstance(exception, IgnoreRequest):
            return None
        error = f"{type(exception).__name__}: {exception}"
        if outage.happened(self.crawler):
            return None
        fields = dict(url=request.url, fetched_at=self._fetched_at(request), status=0, kind="error",
                      outcome="error", error=error[:2000],
                      outlet_id=self.outlet_ids.get(request.meta.get("outlet", "")),
                      source=request.meta.get("source"))
        try:  # in the storage thread, like every other write: one SQLite writer
            await storage_thread(self.crawler).run(self._add_capture, fields)
        except Exception as exc:
            if not outage.is_outage(exc):
                raise
            outage.stop_crawl(self.crawler, exc)
            return None
        request.meta.pop("warc", None)
        self.stats.inc_value(f"newsarchive/errors/{type(exception).__name__}")
        logger.warning("fetch failed: %s: %s", request.url, error)
        return None
