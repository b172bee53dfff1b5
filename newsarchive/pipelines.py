"""Item pipeline: store each article fetch, one transaction per item."""

from __future__ import annotations

import logging
from datetime import datetime

from typing import Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import object_session

from newsarchive import __version__, provenance
from newsarchive.db import store
from newsarchive.db.engine import db_url_from, session_factory
from newsarchive.db.models import ArticleVersion, Capture
from newsarchive.extensions import RUN_ID_STAT
from newsarchive.items import ArticleGoneItem, ArticleItem
from newsarchive.middlewares.warc import get_middleware
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
        self.sessions = session_factory(db_url_from(crawler.settings))
        self.outlet_configs = {}
        self.warc_dir = warc_dir_from(crawler.settings)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StoragePipeline:
        return cls(crawler)

    def open_spider(self) -> None:
        spider = self.crawler.spider
        self.outlet_configs = {o.name: o.snapshot() for o in getattr(spider, "outlets", [])}

    def process_item(self, item):
        for attempt in (1, 2):
            try:
                if isinstance(item, ArticleItem):
                    self._store_article(item)
                elif isinstance(item, ArticleGoneItem):
                    self._store_gone(item)
                return item
            except IntegrityError:
                if attempt == 2:
                    raise
                logger.info("retrying %s after a concurrent insert", ItemAdapter(item).get("canonical_url"))
        return item

    def _store_article(self, item: ArticleItem) -> None:
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
            seq, kinds = recorded.version.seq, (recorded.change.kinds if recorded.change else [])
            fingerprint = recorded.version.fingerprint
        self._write_metadata(item, recorded.outcome, seq, fingerprint)
        self.stats.inc_value(f"newsarchive/{recorded.outcome}")
        self.stats.inc_value(f"newsarchive/outlet/{item.outlet}/{recorded.outcome}")
        if recorded.outcome == "new_version":
            logger.info("new version %d of %s: %s", seq, item.canonical_url, ", ".join(kinds) or "-")

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
        self.stats.inc_value("newsarchive/reextracted" if data is not None else "newsarchive/reextract_failed")
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
        archive.write_metadata(item.warc, item.url, payload)

    def _store_gone(self, item: ArticleGoneItem) -> None:
        with self.sessions.begin() as session:
            capture = session.get(Capture, item.capture_id) if item.capture_id else None
            change = store.record_gone(session, canonical_url=item.canonical_url, capture=capture,
                                       fetched_at=datetime.fromisoformat(item.fetched_at),
                                       redirected_to=item.redirected_to,
                                       redirected_to_url=item.redirected_to_url)
        if change is not None:
            self.stats.inc_value(f"newsarchive/{change.kinds[0]}")
            logger.info("%s: %s", change.kinds[0], item.canonical_url)
