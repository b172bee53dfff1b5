"""Downloader middleware: every re-check is a conditional GET.

A re-check (``request.meta["newsarchive_conditional"] is True``, set by the spider for
``-a recrawl=…`` requests) is sent with ``If-None-Match`` / ``If-Modified-Since`` from the
last successful capture of the same URL, read from the archive in a worker thread (never
on the reactor). The meta key is replaced by what that capture is (its WARC record, date,
payload digest and version), so that

- a ``304 Not Modified`` is archived as a ``revisit`` record with profile
  ``server-not-modified`` pointing at the record it confirms (WarcCaptureMiddleware),
  whose block repeats that record's status line and headers as updated by the 304's (read
  here, in the same thread, so replay serves the confirmed body), and stored as a check of
  that version, without a new version (the spider and pipeline);
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
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.threads import deferToThread

from newsarchive.db import store
from newsarchive.db.engine import db_url_from, session_factory
from newsarchive.warc import warc_dir_from
from newsarchive.warc.reader import read_record
from newsarchive.warc.revisits import freshened_head

META_KEY = "newsarchive_conditional"
#: Response flag: the body is the archived one a 304 confirmed (listings, feeds, sitemaps).
NOT_MODIFIED_FLAG = "not_modified"
SOURCE_ROLES = ("listing", "feed", "sitemap")


def _original_head(warc_dir: str | None, filename: str | None, offset: int | None) -> dict[str, Any] | None:
    """Status line and HTTP headers of the archived response a 304 confirms (None: unreadable)."""
    if not warc_dir or not filename or offset is None:
        return None
    try:
        record = read_record(os.path.join(warc_dir, filename), offset)
    except (OSError, ValueError):
        return None
    if not record.http_status_line:
        return None
    return {"status_line": record.http_status_line, "headers": record.http_headers}


def reference_capture(sessions: Any, url: str, warc_dir: str | None = None) -> dict[str, Any] | None:
    """What a re-check of ``url`` is compared with: its last capture (200) and the full
    response record holding those bytes (the capture itself, or the original it revisited),
    with that record's status line and headers (a 304's revisit record repeats them)."""
    with sessions() as session:
        last = store.last_capture(session, url)
        if last is None:
            return None
        original = last
        if last.warc_revisit and last.payload_digest:
            original = store.find_earlier_payload(session, url, last.payload_digest)
        if original is None or not original.warc_record_id:
            return None
        return {"capture_id": last.id, "version_id": last.version_id, "url": url,
                "etag": last.etag, "last_modified": last.last_modified,
                "payload_digest": last.payload_digest, "record_id": original.warc_record_id,
                "target_uri": original.url, "date": original.fetched_at.isoformat(),
                "warc_filename": original.warc_filename, "warc_offset": original.warc_offset,
                "head": _original_head(warc_dir, original.warc_filename, original.warc_offset)}


def _original_body(warc_dir: str, reference: dict[str, Any]) -> bytes | None:
    """The payload of the record a 304 confirms, as stored (still content-encoded)."""
    try:
        return read_record(os.path.join(warc_dir, reference["warc_filename"]), reference["warc_offset"]).body
    except (OSError, ValueError, KeyError, TypeError):
        return None


class ConditionalRequestMiddleware:
    def __init__(self, crawler: Crawler):
        if not crawler.settings.getbool("NEWSARCHIVE_CONDITIONAL_ENABLED", True):
            raise NotConfigured
        self.stats = crawler.stats
        self.sessions = session_factory(db_url_from(crawler.settings))
        self.warc_dir = warc_dir_from(crawler.settings)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ConditionalRequestMiddleware:
        return cls(crawler)

    async def process_request(self, request: Request, spider: Any = None) -> None:
        if request.meta.get(META_KEY) is not True:
            return None
        reference = await maybe_deferred_to_future(deferToThread(reference_capture, self.sessions, request.url,
                                                                  self.warc_dir))
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
        head = reference.get("head")
        body = await maybe_deferred_to_future(deferToThread(_original_body, self.warc_dir, reference)) \
            if head else None
        if body is None:
            self.stats.inc_value("newsarchive/conditional/source_unreadable")
            return response
        sent = [(bytes(k), bytes(v)) for k in response.headers for v in response.headers.getlist(k)]
        headers = Headers(freshened_head(head["headers"], sent))
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
