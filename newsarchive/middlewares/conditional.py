"""Downloader middleware: every re-check is a conditional GET.

A re-check (``request.meta["newsarchive_conditional"] is True``, set by the spider for
``-a recrawl=…`` requests) is sent with ``If-None-Match`` / ``If-Modified-Since`` from the
last successful capture of the same URL, read from the archive in a worker thread (never
on the reactor; the requests of one reactor turn in one query, ``ReferenceBatcher``). The
meta key is replaced by what that capture is (its WARC record, date, payload digest and
version), so that

- a ``304 Not Modified`` is archived as a ``revisit`` record with profile
  ``server-not-modified`` pointing at the record it confirms (WarcCaptureMiddleware),
  whose block repeats that record's status line and headers as updated by the 304's (read
  from the WARC file when the 304 comes, so replay serves the confirmed body), and stored
  as a check of that version, without a new version (the spider and pipeline);
- a ``200`` whose payload digest equals that capture's skips extraction (the spider) and
  is archived as an ``identical-payload-digest`` revisit;
- a server that ignores the headers answers ``200`` with the page, handled as any fetch.

Not Scrapy's HTTP cache: that would answer from disk and hide 304s and errors from the
archive. Priority 900: inside everything that may rewrite the request, outside the WARC
(950) and capture-log (940) middlewares, which record the headers as sent.

    DOWNLOADER_MIDDLEWARES = {"newsarchive.middlewares.conditional.ConditionalRequestMiddleware": 900}

Settings: ``NEWSARCHIVE_CONDITIONAL_ENABLED`` (True). Stats: ``newsarchive/conditional/sent``,
``…/no_validator``, ``…/not_modified``.
"""

from __future__ import annotations

import os
from datetime import datetime
from itertools import islice
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes
from scrapy.utils.defer import maybe_deferred_to_future
from sqlalchemy import or_, select
from twisted.internet.defer import Deferred
from twisted.internet.threads import deferToThread
from twisted.python.failure import Failure

from newsarchive.db.engine import db_url_from, session_factory
from newsarchive.db.models import Capture
from newsarchive.warc import warc_dir_from
from newsarchive.warc.reader import ArchivedRecord, read_record
from newsarchive.warc.revisits import freshened_head

META_KEY = "newsarchive_conditional"
#: Response flag: the body is the archived one a 304 confirmed (listings, feeds, sitemaps).
NOT_MODIFIED_FLAG = "not_modified"
SOURCE_ROLES = ("listing", "feed", "sitemap")


def original_head(warc_dir: str | None, reference: dict[str, Any]) -> dict[str, Any] | None:
    """Status line and HTTP headers of the archived response a 304 confirms (None: unreadable).

    Read only when a 304 came (the WARC middleware, in the storage thread), not for every
    conditional request."""
    record = _original_record(warc_dir, reference)
    if record is None or not record.http_status_line:
        return None
    return {"status_line": record.http_status_line, "headers": record.http_headers}


def _original_record(warc_dir: str | None, reference: dict[str, Any]) -> ArchivedRecord | None:
    filename, offset = reference.get("warc_filename"), reference.get("warc_offset")
    if not warc_dir or not filename or offset is None:
        return None
    try:
        return read_record(os.path.join(warc_dir, filename), offset)
    except (OSError, ValueError):
        return None


_REFERENCE_COLUMNS = (Capture.id, Capture.url, Capture.status, Capture.version_id, Capture.etag,
                      Capture.last_modified, Capture.payload_digest, Capture.warc_record_id,
                      Capture.warc_revisit, Capture.fetched_at, Capture.warc_filename, Capture.warc_offset)


def reference_captures(sessions: Any, urls: list[str]) -> dict[str, dict[str, Any]]:
    """What a re-check of each of ``urls`` is compared with, in one query: its last capture
    (200) and the full response record holding those bytes (the capture itself, or the
    earliest full record of the same payload when that capture was a revisit, as
    ``store.find_earlier_payload`` picks it), for a whole batch. Lost records never count."""
    if not urls:
        return {}
    with sessions() as session:
        rows = session.execute(
            select(*_REFERENCE_COLUMNS)
            .where(Capture.url.in_(urls), Capture.warc_record_id.is_not(None), Capture.warc_lost.is_(False),
                   or_(Capture.status == 200, Capture.warc_revisit.is_(False)))
            .order_by(Capture.url, Capture.fetched_at, Capture.id)
        ).all()
    by_url: dict[str, list[Any]] = {}
    for row in rows:
        by_url.setdefault(row.url, []).append(row)
    found = {}
    for url, captures in by_url.items():
        last = next((c for c in reversed(captures) if c.status == 200), None)
        if last is None:
            continue
        original = last
        if last.warc_revisit and last.payload_digest:
            original = next((c for c in captures if c.payload_digest == last.payload_digest
                             and not c.warc_revisit), None)
        if original is None:
            continue
        found[url] = {"capture_id": last.id, "version_id": last.version_id, "url": url,
                      "etag": last.etag, "last_modified": last.last_modified,
                      "payload_digest": last.payload_digest, "record_id": original.warc_record_id,
                      "target_uri": original.url, "date": original.fetched_at.isoformat(),
                      "warc_filename": original.warc_filename, "warc_offset": original.warc_offset}
    return found


class ReferenceBatcher:
    """Collects the URLs of the conditional requests of one reactor turn and looks them up
    together in a worker thread (one session and one query per batch, not per request);
    requests arriving meanwhile form the next batch. At most one batch runs at a time."""

    def __init__(self, sessions: Any, max_batch: int = 200):
        self.sessions = sessions
        self.max_batch = max_batch
        self.waiting: dict[str, list[Deferred]] = {}
        self.busy = False

    def get(self, url: str) -> Deferred:
        waiter: Deferred = Deferred()
        self.waiting.setdefault(url, []).append(waiter)
        if not self.busy:
            from twisted.internet import reactor  # the one Scrapy installed (never at import time)

            self.busy = True
            reactor.callLater(0, self._next)
        return waiter

    def _next(self) -> None:
        if not self.waiting:
            self.busy = False
            return
        urls = list(islice(self.waiting, self.max_batch))
        batch = {url: self.waiting.pop(url) for url in urls}
        done = deferToThread(reference_captures, self.sessions, urls)
        done.addBoth(self._answer, batch)

    def _answer(self, result: Any, batch: dict[str, list[Deferred]]) -> None:
        for url, waiters in batch.items():
            for waiter in waiters:
                if isinstance(result, Failure):
                    waiter.errback(result)
                else:
                    found = result.get(url)
                    waiter.callback(dict(found) if found is not None else None)
        self._next()


class ConditionalRequestMiddleware:
    def __init__(self, crawler: Crawler):
        if not crawler.settings.getbool("NEWSARCHIVE_CONDITIONAL_ENABLED", True):
            raise NotConfigured
        self.stats = crawler.stats
        self.sessions = session_factory(db_url_from(crawler.settings))
        self.warc_dir = warc_dir_from(crawler.settings)
        self.references = ReferenceBatcher(self.sessions)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ConditionalRequestMiddleware:
        return cls(crawler)

    async def process_request(self, request: Request, spider: Any = None) -> None:
        if request.meta.get(META_KEY) is not True:
            return None
        reference = await maybe_deferred_to_future(self.references.get(request.url))
        request.meta[META_KEY] = reference
        if reference is None:
            self.stats.inc_value("newsarchive/conditional/no_reference")
            return None
        if reference["etag"]:
            request.headers[b"If-None-Match"] = reference["etag"].encode("latin-1")
        if reference["last_modified"]:
            request.headers[b"If-Modified-Since"] = reference["last_modified"].encode("latin-1")
        self.stats.inc_value("newsarchive/conditional/sent" if reference["etag"] or reference["last_modified"]
                             else "newsarchive/conditional/no_validator")
        return None

    async def process_response(self, request: Request, response: Response, spider: Any = None) -> Response:
        reference = request.meta.get(META_KEY)
        if not isinstance(reference, dict):
            return response
        if response.status == 304:
            self.stats.inc_value("newsarchive/conditional/not_modified")
            if request.meta.get("role") in SOURCE_ROLES and reference.get("url") == response.url:
                return await self._confirmed_source(request, response, reference)
        elif 300 <= response.status < 400 and b"Location" in response.headers:
            # The validators belong to this URL: the redirect target is fetched unconditionally
            # (RedirectMiddleware, further out, copies the request after this runs).
            for name in (b"If-None-Match", b"If-Modified-Since"):
                request.headers.pop(name, None)
            request.meta[META_KEY] = None
        return response

    async def _confirmed_source(self, request: Request, response: Response, reference: dict[str, Any]) -> Response:
        """A listing, feed or sitemap the server says is unchanged: hand the spider the body it
        confirms (read from the archive in a thread), so the links it lists are still followed
        (a story a budget or a killed run left unfetched is not lost behind 304s), flagged
        ``not_modified`` so the poll counts as unchanged. The WARC and capture-log middlewares,
        further in, have already archived the 304 itself."""
        record = await maybe_deferred_to_future(deferToThread(_original_record, self.warc_dir, reference))
        if record is None or not record.http_status_line:
            self.stats.inc_value("newsarchive/conditional/source_unreadable")
            return response
        body = record.body
        sent = [(bytes(k), bytes(v)) for k in response.headers for v in response.headers.getlist(k)]
        headers = Headers(freshened_head(record.http_headers, sent))
        cls = responsetypes.from_args(headers=headers, url=response.url, body=body)
        self.stats.inc_value("newsarchive/conditional/sources_not_modified")
        return cls(url=response.url, status=200, headers=headers, body=body, request=request,
                   flags=[*response.flags, NOT_MODIFIED_FLAG], certificate=response.certificate,
                   ip_address=response.ip_address, protocol=response.protocol)


def confirmed(meta: dict[str, Any]) -> dict[str, Any] | None:
    """The reference capture a response to a conditional re-check is compared with."""
    reference = meta.get(META_KEY)
    return reference if isinstance(reference, dict) else None


def reference_date(reference: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(reference["date"])
