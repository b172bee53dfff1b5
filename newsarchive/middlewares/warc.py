"""Downloader middleware that archives every HTTP exchange into WARC files.

Place it at priority 950: on the way back it is the first middleware to see a response, i.e.
before HttpCompressionMiddleware (590) decompresses the body and before RedirectMiddleware
(600) or RetryMiddleware (550) replace it. So every redirect hop, every 4xx/5xx, robots.txt
and the compressed body bytes are archived as received. On the way out it is the last to see
the request, so the request headers it records are the ones handed to the HTTP client.

    DOWNLOADER_MIDDLEWARES = {"newsarchive.middlewares.warc.WarcCaptureMiddleware": 950}

Settings: WARC_ENABLED (True), WARC_DIR ("data/warc"), WARC_PREFIX ("newsarchive"),
WARC_MAX_SIZE (1_000_000_000), WARC_OPERATOR, WARC_DESCRIPTION.

Credentials never reach a record: ``Authorization``, ``Proxy-Authorization`` and ``Cookie``
are left out of request records (stat ``warc/credentials_stripped``) unless the request's
outlet sets ``archive_credentials = true`` (or the request meta ``warc_keep_credentials``).

Request meta: ``dont_archive`` skips an exchange; ``newsarchive_fetched_at`` (aware datetime)
becomes the WARC-Date. In a crawl :class:`newsarchive.wire.WireTimeDownloadHandler` sets it
when the request goes on the wire (after the download slot's delay); without that handler
the time this middleware saw the request is used (a caller's own time is kept). After the
response the middleware sets ``newsarchive_fetched_at`` and ``warc`` (pointer dict) for the
pipelines.
"""

from __future__ import annotations

import logging
import weakref
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urldefrag, urlsplit

from scrapy import Request, Spider, signals
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Response
from scrapy.utils.defer import deferred_from_coro

from newsarchive import clock
from newsarchive.middlewares.conditional import original_head
from newsarchive.storage_thread import inc_value, storage_thread
from newsarchive.warc import warc_dir_from
from newsarchive.warc.index import index_directory
from newsarchive.warc.repair import RepairAction, repair_directory
from newsarchive.warc.revisits import (
    MemoryAndIndexLookup,
    Original,
    RevisitLookup,
    as_original,
    freshened_head,
)
from newsarchive.warc.writer import (
    HeaderList,
    RevisitTarget,
    RollingWarcWriter,
    WarcPointer,
    payload_digest,
    reason_phrase,
    warc_date,
)
from newsarchive.wire import FETCHED_AT_KEY, WIRE_KEY

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

WARC_META_KEY = "warc"
_STAMPED_KEY = "_newsarchive_warc_stamped"
CREDENTIAL_HEADERS = frozenset({b"authorization", b"proxy-authorization", b"cookie"})  # fetched_at in meta was set for an earlier hop

_middlewares: weakref.WeakKeyDictionary[Crawler, WarcCaptureMiddleware] = (
    weakref.WeakKeyDictionary()
)


def get_middleware(crawler: Crawler) -> WarcCaptureMiddleware | None:
    """The WARC middleware of this crawler (for pipelines writing metadata records)."""
    return _middlewares.get(crawler)


def get_writer(crawler: Crawler) -> RollingWarcWriter | None:
    """The writer shared by this crawler's middleware, or None if archiving is off."""
    mw = _middlewares.get(crawler)
    return mw.writer if mw else None


class WarcCaptureMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        if not settings.getbool("WARC_ENABLED", True):
            raise NotConfigured("WARC_ENABLED is off")
        self.crawler = crawler
        self.stats = crawler.stats
        self.directory: str = warc_dir_from(settings)
        self.prefix: str = settings.get("WARC_PREFIX", "newsarchive")
        self.max_size: int = settings.getint("WARC_MAX_SIZE", 1_000_000_000)
        self.operator: str = settings.get("WARC_OPERATOR", "") or ""
        self.description: str = settings.get("WARC_DESCRIPTION", "") or ""
        self.robots = "obey" if settings.getbool("ROBOTSTXT_OBEY") else "ignore"
        self.user_agent: str = settings.get("USER_AGENT", "") or ""
        self.writer: RollingWarcWriter | None = None
        #: What repairing a crashed run's ``.open`` files did (set when the writer opens).
        self.repairs: list[RepairAction] = []
        #: Replaceable: any object with ``lookup(url, payload_digest)``.
        self.revisit_lookup: RevisitLookup = MemoryAndIndexLookup(self.directory)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcCaptureMiddleware:
        mw = cls(crawler)
        crawler.signals.connect(mw.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(mw.spider_closed, signal=signals.spider_closed)
        _middlewares[crawler] = mw
        return mw

    # ------------------------------------------------------------- lifecycle
    def open_writer(self) -> RollingWarcWriter:
        """Repair files a crashed run left behind, then start a writer (idempotent)."""
        if self.writer is None:
            self.repairs = repair_directory(self.directory)
            for action in self.repairs:
                logger.warning("WARC repair: %s", action)
                self.stats.inc_value(f"warc/repair/{action.action}")
            self.writer = RollingWarcWriter(
                self.directory,
                self.prefix,
                self.max_size,
                operator=self.operator,
                description=self.description,
                robots=self.robots,
                extra_info={"http-header-user-agent": self.user_agent},
            )
        return self.writer

    def spider_opened(self, spider: Spider) -> None:
        self.open_writer()

    def spider_closed(self, spider: Spider) -> None:
        if self.writer is None:
            return
        self.writer.close()
        try:
            for path in index_directory(self.directory):
                logger.info("WARC indexed: %s", path)
        except OSError as exc:  # e.g. disk full: the next run indexes what is missing
            logger.error("WARC indexing stopped in %s: %s", self.directory, exc.strerror or exc)

    # ------------------------------------------------------------ middleware
    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        meta = request.meta
        # A meta copied from an earlier hop (redirect, retry) carries that hop's time. This
        # one is provisional: the download handler restamps when the request leaves.
        wired = meta.pop(WIRE_KEY, False)
        if wired or meta.get(_STAMPED_KEY) or not isinstance(meta.get(FETCHED_AT_KEY), datetime):
            meta[FETCHED_AT_KEY] = clock.now()
        meta[_STAMPED_KEY] = True
        return None

    async def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Response:
        if not self._should_archive(request, response):
            return response
        fetched_at = request.meta.get(FETCHED_AT_KEY)
        if not isinstance(fetched_at, datetime):
            fetched_at = clock.now()
        if fetched_at.tzinfo is None:
            fetched_at = fetched_at.replace(tzinfo=UTC)
        writer = self.open_writer()
        url = _without_userinfo(urldefrag(response.url)[0])
        body = response.body
        digest = payload_digest(body)
        reference = self._reference(request, url)
        confirmed = None
        if response.status == 304 and reference is not None:  # the capture it confirms
            confirmed = RevisitTarget(*self._original(reference), profile="server-not-modified",
                                      payload_digest=reference.get("payload_digest"))
        protocol = response.protocol or "HTTP/1.1"
        status_line = f"{protocol} {response.status} {reason_phrase(response.status)}".rstrip()
        response_headers = _header_list(response.headers)
        exchange = dict(
            url=url,
            fetched_at=fetched_at,
            request_line=self._request_line(request, protocol),
            request_headers=self._archived_request_headers(request),
            request_body=request.body or b"",
            status_line=status_line,
            response_headers=response_headers,
            body=body,
            ip_address=str(response.ip_address) if response.ip_address else None,
            truncated="disconnect" if "dataloss" in response.flags else None,
        )

        def write() -> tuple[Any, Any]:
            """In the storage thread: the revisit lookup (a query), the records, the fsync."""
            if confirmed is not None:  # a 304: the confirmed response's status and headers, freshened
                head = original_head(self.directory, reference)
                if head:
                    exchange["status_line"] = head["status_line"]
                    exchange["response_headers"] = freshened_head(head["headers"], response_headers)
            original = confirmed
            if original is None and body and reference is not None and reference.get("payload_digest") == digest:
                original = self._original(reference)  # the payload it was compared with: that record has the bytes
            if original is None and body:  # a revisit of an empty payload saves nothing
                original = as_original(self.revisit_lookup.lookup(url, digest))
            revisit_of = confirmed if confirmed is not None else RevisitTarget(*original) if original else None
            pointer, _ = writer.write_exchange(**exchange, revisit_of=revisit_of)
            if original is None and body:
                remember = getattr(self.revisit_lookup, "remember", None)
                if remember is not None:
                    remember(url, digest, pointer.record_id, warc_date(fetched_at))
            return pointer, original

        try:
            response_ptr, original = await storage_thread(self.crawler).run(write)
        except OSError as exc:
            self._write_failed(exc)
            raise IgnoreRequest(f"not archived (WARC write failed: {exc.strerror or exc})") from None
        self.stats.inc_value("warc/records", 2)
        if confirmed is not None:
            self.stats.inc_value("warc/revisits/server_not_modified")
        elif original is not None:
            self.stats.inc_value("warc/revisits")
        self.stats.inc_value("warc/bytes", len(body))
        request.meta[FETCHED_AT_KEY] = fetched_at
        request.meta[WARC_META_KEY] = {
            "filename": response_ptr.filename,
            "offset": response_ptr.offset,
            "length": response_ptr.length,
            "record_id": response_ptr.record_id,
            "date": fetched_at,
            "revisit": original is not None,
            "payload_digest": digest,
        }
        return response

    def write_metadata(
        self, response_meta_warc: dict[str, Any], url: str, payload: dict[str, Any]
    ) -> WarcPointer | None:
        """Write a metadata record concurrent to the response described by ``meta["warc"]``
        (on the reactor thread: a failed write stops the crawl here)."""
        try:
            return self.write_metadata_record(response_meta_warc, url, payload)
        except OSError as exc:
            self._write_failed(exc)
            return None

    def write_metadata_record(
        self, response_meta_warc: dict[str, Any], url: str, payload: dict[str, Any]
    ) -> WarcPointer:
        """:meth:`write_metadata` for the storage thread: an OSError is raised to the caller,
        who reports it with :meth:`_write_failed` on the reactor thread."""
        writer = self.open_writer()
        date = response_meta_warc.get("date") or clock.now()
        pointer = writer.write_metadata(url, payload, date, response_meta_warc.get("record_id"))
        inc_value(self.stats, "warc/records")
        return pointer

    def _write_failed(self, exc: OSError) -> None:
        """Nothing may be stored without its WARC evidence: stop the crawl, once, in one line."""
        self.stats.inc_value("warc/write_failed")
        if self.stats.get_value("warc/write_failed") == 1:
            logger.error("WARC write failed in %s: %s; stopping the crawl (nothing unarchived is "
                         "stored)", self.directory, exc.strerror or exc)
            engine, spider = getattr(self.crawler, "engine", None), getattr(self.crawler, "spider", None)
            if engine is not None and hasattr(engine, "close_spider_async"):  # Scrapy >= 2.14
                deferred_from_coro(engine.close_spider_async(reason="warc_write_failed"))
            elif engine is not None and spider is not None:
                engine.close_spider(spider, "warc_write_failed")

    # --------------------------------------------------------------- helpers
    @staticmethod
    def _reference(request: Request, url: str) -> dict[str, Any] | None:
        """The capture a conditional re-check of ``url`` was compared with (meta set by
        newsarchive.middlewares.conditional); None for other fetches and redirected ones."""
        reference = request.meta.get("newsarchive_conditional")
        return reference if isinstance(reference, dict) and reference.get("url") == url else None

    @staticmethod
    def _original(reference: dict[str, Any]) -> Original:
        """The full record holding the reference's payload, as a revisit's target."""
        return Original(reference["record_id"], warc_date(datetime.fromisoformat(reference["date"])),
                        reference["target_uri"])

    @staticmethod
    def _should_archive(request: Request, response: Response) -> bool:
        if request.meta.get("dont_archive"):
            return False
        if "cached" in response.flags:  # served by HttpCacheMiddleware: not a fetch
            return False
        return urlsplit(response.url).scheme in ("http", "https")

    @staticmethod
    def _request_line(request: Request, protocol: str) -> str:
        parts = urlsplit(urldefrag(request.url)[0])
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        if not protocol.startswith("HTTP/1"):
            protocol = "HTTP/1.1"
        return f"{request.method} {target} {protocol}"

    def _keeps_credentials(self, request: Request) -> bool:
        if request.meta.get("warc_keep_credentials"):
            return True
        outlets = getattr(getattr(self.crawler, "spider", None), "by_name", None) or {}
        outlet = outlets.get(request.meta.get("outlet", ""))
        return bool(getattr(outlet, "archive_credentials", False))

    def _archived_request_headers(self, request: Request) -> HeaderList:
        headers = self._request_headers(request)
        if self._keeps_credentials(request):
            return headers
        kept = [(k, v) for k, v in headers if k.lower() not in CREDENTIAL_HEADERS]
        if len(kept) != len(headers):
            self.stats.inc_value("warc/credentials_stripped", len(headers) - len(kept))
        return kept

    @staticmethod
    def _request_headers(request: Request) -> HeaderList:
        """Headers as handed to the client, plus those the client adds (Host, length)."""
        headers = _header_list(request.headers)
        names = {k.lower() for k, _ in headers}
        extra: HeaderList = []
        if b"host" not in names:
            host = urlsplit(request.url).netloc.rpartition("@")[2]  # already IDNA-encoded
            extra.append((b"Host", host.encode("ascii", "replace")))
        if request.body and b"content-length" not in names:
            extra.append((b"Content-Length", str(len(request.body)).encode()))
        return extra + headers


def _without_userinfo(url: str) -> str:
    """The URL without ``user:password@``: credentials are never part of a record's URI."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()


def _header_list(headers: Any) -> HeaderList:
    out: HeaderList = []
    for key in headers:
        for value in headers.getlist(key):
            out.append((bytes(key), bytes(value)))
    return out
