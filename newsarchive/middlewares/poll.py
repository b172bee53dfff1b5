"""Spider middleware: after each listing, feed or sitemap, say what it listed.

``newsarchive recrawl`` re-reads each source on its own adaptive interval
(:mod:`newsarchive.schedule`): an interval shrinks when the source lists something new and
grows while it lists the same. This middleware turns each source response into a
:class:`~newsarchive.items.SourcePolledItem` whose digest stands for *what it lists*, not
its bytes: a section page's nonces, counters and ads change on every request, its article
links do not; a feed's ``lastBuildDate`` moves, its entry URLs do not. A source the server
answered 304 to (``newsarchive recrawl`` polls sources with conditional GETs) is unchanged.

    SPIDER_MIDDLEWARES = {"newsarchive.middlewares.poll.SourcePollMiddleware": 600}

Settings: ``NEWSARCHIVE_SOURCE_POLL_ENABLED`` (True). Stat: ``newsarchive/sources_polled``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import AsyncIterator, Iterable
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response, TextResponse

from newsarchive import clock
from newsarchive.items import SourcePolledItem
from newsarchive.middlewares.conditional import NOT_MODIFIED_FLAG
from newsarchive.urls import canonical_url, pattern_path

SOURCE_ROLES = ("listing", "feed", "sitemap")
_URL = re.compile(rb"https?://[^\s\"'<>\]]+")


def listed_digest(urls: Iterable[str]) -> str:
    return "sha1:" + hashlib.sha1("\n".join(sorted(set(urls))).encode()).hexdigest()


class SourcePollMiddleware:
    def __init__(self, crawler: Crawler):
        if not crawler.settings.getbool("NEWSARCHIVE_SOURCE_POLL_ENABLED", True):
            raise NotConfigured
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SourcePollMiddleware:
        return cls(crawler)

    async def process_spider_output_async(self, response: Response, result: AsyncIterator[Any],
                                          spider: Any = None) -> AsyncIterator[Any]:
        async for item in result:
            yield item
        polled = self._polled(response)
        if polled is not None:
            yield polled

    def process_spider_output(self, response: Response, result: Iterable[Any], spider: Any = None) -> Iterable[Any]:
        yield from result
        polled = self._polled(response)
        if polled is not None:
            yield polled

    def _polled(self, response: Response) -> SourcePolledItem | None:
        meta = response.meta
        role, name = meta.get("role"), meta.get("outlet")
        spider = self.crawler.spider
        outlet = getattr(spider, "by_name", {}).get(name)
        if role not in SOURCE_ROLES or outlet is None or response.status != 200:
            return None
        self.crawler.stats.inc_value("newsarchive/sources_polled")
        capture = meta.get("capture") or {}
        fetched_at = capture.get("fetched_at") or clock.now().isoformat()
        url = (meta.get("redirect_urls") or [response.url])[0]  # the source as configured or linked
        # A 304 (the body is the archived one it confirmed): unchanged, whatever it lists.
        digest = None if NOT_MODIFIED_FLAG in response.flags else self._digest(outlet, role, response)
        return SourcePolledItem(outlet=outlet.name, url=url, kind=role, fetched_at=str(fetched_at),
                                digest=digest)

    def _digest(self, outlet: Any, role: str, response: Response) -> str:
        if role == "listing" and isinstance(response, TextResponse):
            links = getattr(self.crawler.spider, "_links", None)
            found = []
            for url, _ in links(response) if links else ():
                if outlet.owns(url) and outlet.is_article(pattern_path(url)):
                    found.append(canonical_url(url, prefer_host=outlet.prefer_host))
            return listed_digest(found)
        return listed_digest(m.decode("latin-1") for m in _URL.findall(response.body))

