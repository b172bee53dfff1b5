"""Stamp each fetch with the moment its request goes on the wire.

The archive's time of record is when the server was asked, not when Scrapy queued the
request. Downloader middlewares (and the ``request_reached_downloader`` signal) run
before the per-host download slot holds the request back for ``DOWNLOAD_DELAY``,
robots.txt ``Crawl-delay`` and AutoThrottle, so a time taken there is early by as long as
politeness says, for every redirect hop and retry. The download handler is the first
code that runs when the slot lets a request go, so this wrapper takes the time there and
leaves the transfer itself to the real handler:

    DOWNLOAD_HANDLERS = {"http": "newsarchive.wire.WireTimeDownloadHandler",
                         "https": "newsarchive.wire.WireTimeDownloadHandler"}

Settings: ``NEWSARCHIVE_WIRE_HANDLER`` names the handler doing the transfer (default
Scrapy's HTTP/1.1 handler). The time lands in ``request.meta["newsarchive_fetched_at"]``
(an aware UTC datetime), which the WARC middleware writes as ``WARC-Date`` and the
capture log as ``captures.fetched_at``.
"""

from __future__ import annotations

import inspect
from datetime import datetime
from typing import TYPE_CHECKING, Any

from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.misc import build_from_crawler, load_object

from newsarchive import clock

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

FETCHED_AT_KEY = "newsarchive_fetched_at"
#: Set next to the time: this request's own transfer took it (not a copy from an earlier hop).
WIRE_KEY = "newsarchive_wire_stamped"
DEFAULT_INNER = "scrapy.core.downloader.handlers.http11.HTTP11DownloadHandler"


class WireTimeDownloadHandler:
    """A download handler that records the start time, then delegates the transfer."""

    lazy = False

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        inner = crawler.settings.get("NEWSARCHIVE_WIRE_HANDLER") or DEFAULT_INNER
        self.inner: Any = build_from_crawler(load_object(inner), crawler)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WireTimeDownloadHandler:
        return cls(crawler)

    async def download_request(self, request: Request) -> Response:
        stamp(request)
        if inspect.iscoroutinefunction(self.inner.download_request):
            return await self.inner.download_request(request)
        # an old-style handler: download_request(request, spider) -> Deferred
        return await maybe_deferred_to_future(self.inner.download_request(request, self.crawler.spider))

    async def close(self) -> None:
        close = getattr(self.inner, "close", None)
        if close is None:
            return
        result = close()
        if inspect.isawaitable(result):
            await result
        elif result is not None:
            await maybe_deferred_to_future(result)


def stamp(request: Request, when: datetime | None = None) -> datetime:
    """Record ``when`` (default: now, by :func:`newsarchive.clock.now`) as the time ``request``
    went on the wire."""
    when = when or clock.now()
    request.meta[FETCHED_AT_KEY] = when
    request.meta[WIRE_KEY] = True
    return when
