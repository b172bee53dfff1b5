"""Item pipeline: store each article fetch, one transaction per item."""

from __future__ import annotations

import logging
import time
from datetime import datetime
from typing import Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.utils.defer import maybe_deferred_to_future
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import object_session
from twisted.internet.threads import deferToThread

from newsarchive import __version__, provenance, syndication, syndication_worker
from newsarchive.db import outage, store
from newsarchive.db.engine import db_url_from, session_factory
from newsarchive.db.models import ArticleVersion, Capture
from newsarchive.extensions import RUN_ID_STAT
from newsarchive.items import ArticleGoneItem, ArticleItem, ArticleUnchangedItem, SourcePolledItem
from newsarchive.middlewares.warc import get_middleware
from newsarchive.schedule import due
from newsarchive.storage_thread import inc_value, storage_thread
from newsarchive.warc import warc_dir_from

logger = logging.getLogger(__name__)


class StoragePipeline:
    """Turns ArticleItems into Article / ArticleVersion / Change rows.

    A unique-key race with another crawl process (same new article at the same moment)
    is retried once: the second attempt sees the other process's row.
    """

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        self.db_url = db_url_from(crawler.settings)
        self.sessions = session_factory(self.db_url)
        self.outlet_configs = {}
        self.outlets: dict[str, Any] = {}  # name -> newsarchive.config.Outlet (its schedule policy)
        self.warc_dir = warc_dir_from(crawler.settings)
        self.syndication = syndication.Config.from_settings(crawler.settings)
        self.worker: syndication_worker.SyndicationWorker | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StoragePipeline:
        return cls(crawler)

    def open_spider(self) -> None:
        spider = self.crawler.spider
        self.outlet_configs = {o.name: o.snapshot() for o in getattr(spider, "outlets", [])}
        self.outlets = {o.name: o for o in getattr(spider, "outlets", [])}
        if syndication_worker.enabled(self.crawler.settings, self.syndication):
            settings = self.crawler.settings
            with self.sessions() as session:
                stored_before = session.scalar(select(func.max(ArticleVersion.id))) or 0
            self.worker = syndication_worker.SyndicationWorker(
                self.db_url, self.syndication, settings.get("LOG_LEVEL", "INFO"),
                log_file=settings.get("LOG_FILE") or "", stored_before=stored_before)
            self.worker.start()  # it begins with what the last run left (catch_up included)
        elif self.syndication.enabled:  # versions released by the last run's health check
            with self.sessions.begin() as session:
                syndication.catch_up(session, self.syndication)

    async def close_spider(self) -> None:
        """Wait for the syndication worker to fingerprint every version this crawl stored,
        before the run's health check (a spider_closed handler) releases any of them."""
        if self.worker is None:
            return
        started = time.monotonic()
        counts = await maybe_deferred_to_future(deferToThread(self.worker.close))
        logger.info("the syndication worker finished %d versions, %.1f s after the last was stored",
                    counts.get("newsarchive/syndication/fingerprinted", 0), time.monotonic() - started)
        for key, count in counts.items():
            self.stats.inc_value(key, count)

    async def process_item(self, item):
        if outage.happened(self.crawler):
            raise DropItem("database unavailable", log_level="DEBUG")
        try:
            failed_write = await storage_thread(self.crawler).run(self._store, item)
        except Exception as exc:
            if not outage.is_outage(exc):
                raise
            outage.stop_crawl(self.crawler, exc)
            raise DropItem("database unavailable", log_level="DEBUG") from None
        if failed_write is not None:  # on the reactor thread: it stops the crawl
            get_middleware(self.crawler)._write_failed(failed_write)
        return item

    def _store(self, item) -> OSError | None:
        """In the storage thread: the item's rows, in one transaction (retried once after a
        concurrent insert), then an article's WARC metadata record; returns the error of a
        failed metadata write."""
        for attempt in (1, 2):
            try:
                if isinstance(item, ArticleItem):
                    outcome, seq, fingerprint = self._store_article(item)
                    try:
                        self._write_metadata(item, outcome, seq, fingerprint)
                    except OSError as exc:
                        return exc
                    return None
                if isinstance(item, ArticleGoneItem):
                    self._store_gone(item)
                if isinstance(item, ArticleUnchangedItem):
                    self._store_unchanged(item)
                if isinstance(item, SourcePolledItem):
                    self._store_poll(item)
                return None
            except IntegrityError:
                if attempt == 2:
                    raise
                logger.info("retrying %s after a concurrent insert", ItemAdapter(item).get("canonical_url"))
        return None

    def _store_article(self, item: ArticleItem) -> tuple[str, int, str]:
        fetched_at = datetime.fromisoformat(item.fetched_at)
        content = ItemAdapter(item).asdict()
        with self.sessions.begin() as session:
            outlet = store.get_or_create_outlet(session, item.outlet, self.outlet_configs.get(item.outlet))
            capture = session.get(Capture, item.capture_id) if item.capture_id else None
            run_id = self.stats.get_value(RUN_ID_STAT)  # set by HealthMonitor: judged at the end of the run
            if capture is not None:
                capture.run_id = run_id
            recorded = store.record_article(session, outlet=outlet, canonical_url=item.canonical_url,
                                            content=content, fetched_at=fetched_at, capture=capture,
                                            source=item.source, redirected_from=item.redirected_from,
                                            run_id=run_id, pending=run_id is not None,
                                            url=item.url_of_record, extractor=item.extractor,
                                            reextract=self._reextract,
                                            outlet_article_id=item.outlet_article_id)
            self._schedule(session, recorded.article, item.outlet, fetched_at, recorded.version.published_at)
            stored = recorded.outcome in ("new_article", "new_version")
            if stored and self.worker is None:
                self._fingerprint(session, recorded.version)
            seq, kinds = recorded.version.seq, (recorded.change.kinds if recorded.change else [])
            fingerprint, version_id = recorded.version.fingerprint, recorded.version.id
        if stored and self.worker is not None:  # committed: the worker's connection can read it
            self.worker.submit(version_id)
        inc_value(self.stats, f"newsarchive/{recorded.outcome}")
        inc_value(self.stats, f"newsarchive/outlet/{item.outlet}/{recorded.outcome}")
        if recorded.outcome == "new_version":
            logger.info("new version %d of %s: %s", seq, item.canonical_url, ", ".join(kinds) or "-")
        return recorded.outcome, seq, fingerprint

    def _fingerprint(self, session, version: ArticleVersion) -> None:
        """Near-duplicate fingerprint and cluster (newsarchive.syndication); a failure there
        never costs the version: it is logged, and `newsarchive syndication --backfill` redoes it."""
        try:
            with session.begin_nested():
                done = syndication.fingerprint_version(session, version, self.syndication)
        except Exception:
            logger.exception("syndication fingerprint failed for version %s", version.id)
            inc_value(self.stats, "newsarchive/syndication/failed")
            return
        if done is not None and done.matched:
            inc_value(self.stats, "newsarchive/syndication/clustered")

    def _reextract(self, version: ArticleVersion) -> dict[str, Any] | None:
        """``version``'s first capture through today's extractor (it was made by another)."""
        capture = version.first_capture
        if capture is None or not capture.warc_filename or capture.warc_lost:
            return None
        session = object_session(version)

        def original(record_id: str) -> tuple[str, int] | None:
            row = session.scalar(select(Capture).where(Capture.warc_record_id == record_id)
                                 .limit(1)) if session is not None else None
            return (row.warc_filename, row.warc_offset) if row is not None and row.warc_filename else None

        data = provenance.reextract(self.warc_dir, capture.warc_filename, capture.warc_offset,
                                    capture.url, capture.fetched_at, original)
        inc_value(self.stats, "newsarchive/reextracted" if data is not None else "newsarchive/reextract_failed")
        return data

    def _write_metadata(self, item: ArticleItem, outcome: str, seq: int, fingerprint: str) -> None:
        """A WARC metadata record beside the article's response: the archive alone can
        rebuild the database from it (what was extracted, which version it is)."""
        archive = get_middleware(self.crawler)
        if archive is None or not item.warc:
            return
        payload = {
            "newsarchive": __version__, "outlet": item.outlet, "canonical_url": item.canonical_url,
            "url_of_record": item.url_of_record, "extractor": item.extractor,
            "capture_id": item.capture_id, "version": seq, "outcome": outcome,
            "fingerprint": fingerprint, "source": item.source, "discovery": item.discovery,
            **{k: getattr(item, k) for k in store.CONTENT_FIELDS},
        }
        archive.write_metadata_record(item.warc, item.url, payload)

    def _store_gone(self, item: ArticleGoneItem) -> None:
        with self.sessions.begin() as session:
            capture = session.get(Capture, item.capture_id) if item.capture_id else None
            change = store.record_gone(session, canonical_url=item.canonical_url, capture=capture,
                                       fetched_at=datetime.fromisoformat(item.fetched_at),
                                       redirected_to=item.redirected_to,
                                       redirected_to_url=item.redirected_to_url)
            article = store.known_article(session, item.canonical_url)
            if article is not None and not item.redirected_to:  # a move: the page it leads to is stored next
                self._schedule(session, article, item.outlet, datetime.fromisoformat(item.fetched_at))
        if change is not None:
            inc_value(self.stats, f"newsarchive/{change.kinds[0]}")
            logger.info("%s: %s", change.kinds[0], item.canonical_url)

    def _store_unchanged(self, item: ArticleUnchangedItem) -> None:
        fetched_at = datetime.fromisoformat(item.fetched_at)
        with self.sessions.begin() as session:
            capture = session.get(Capture, item.capture_id) if item.capture_id else None
            if capture is not None:
                capture.run_id = self.stats.get_value(RUN_ID_STAT)
            article = store.record_unchanged_fetch(session, canonical_url=item.canonical_url, capture=capture,
                                                   fetched_at=fetched_at, outcome=item.outcome,
                                                   version_id=item.version_id)
            if article is not None:
                self._schedule(session, article, item.outlet, fetched_at)
        inc_value(self.stats, f"newsarchive/{item.outcome}")
        inc_value(self.stats, f"newsarchive/outlet/{item.outlet}/{item.outcome}")

    def _store_poll(self, item: SourcePolledItem) -> None:
        outlet = self.outlets.get(item.outlet)
        if outlet is None:
            return
        with self.sessions.begin() as session:
            row = store.get_or_create_outlet(session, item.outlet, self.outlet_configs.get(item.outlet))
            session.flush()
            due.note_poll(session, outlet_id=row.id, url=item.url, kind=item.kind, digest=item.digest,
                          now=datetime.fromisoformat(item.fetched_at), policy=outlet.poll_policy())

    def _schedule(self, session: Any, article: Any, outlet_name: str, at: datetime,
                  published_at: datetime | None = None) -> None:
        """Plan the article's next re-check (newsarchive.schedule) in the storing transaction."""
        outlet = self.outlets.get(outlet_name)
        if outlet is None:
            return
        plan = due.schedule_article(session, article, outlet.policy(), now=at, published_at=published_at)
        if plan.next_check_at is None:
            inc_value(self.stats, f"newsarchive/outlet/{outlet_name}/checks_stopped")
