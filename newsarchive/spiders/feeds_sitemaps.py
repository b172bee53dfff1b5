"""Feed and sitemap discovery for the ``news`` spider.

Kept apart from the listing crawl so each source can be read on its own. Every URL a
feed or sitemap yields goes through the spider's ``_request``, so the one canonical
dedupe, the traps and the page budget apply to all sources alike. What the feed or
sitemap said about an entry (title, dates, keywords) travels in ``meta["discovery"]``
and is stored on the capture row.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

import scrapy
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.threads import deferToThread

from newsarchive import clock
from newsarchive.config import Outlet
from newsarchive.discovery.feeds import FeedEntry, FeedError, find_feed_links, parse_feed
from newsarchive.discovery.sitemaps import SitemapEntry, SitemapError, parse_sitemap, within_window
from newsarchive.urls import pattern_path

if TYPE_CHECKING:
    from newsarchive.spiders.news import NewsSpider

logger = logging.getLogger(__name__)

MAX_SITEMAP_NESTING = 3  # index -> index -> index -> urlset; deeper is a loop or a trap
FEED_PRIORITY = 10  # feeds and sitemaps first, so their metadata wins over a bare listing link


def feed_discovery(feed_url: str, entry: FeedEntry) -> dict[str, Any]:
    return {"via": "feed", "feed_url": feed_url, "feed_title": entry.feed_title,
            "title": entry.title, "published": entry.published, "updated": entry.updated}


def sitemap_discovery(sitemap_url: str, entry: SitemapEntry) -> dict[str, Any]:
    found: dict[str, Any] = {"via": "sitemap", "sitemap_url": sitemap_url, "lastmod": entry.lastmod}
    if entry.news_title or entry.news_publication_date or entry.news_keywords:
        found.update(news_title=entry.news_title, news_publication_date=entry.news_publication_date,
                     news_keywords=list(entry.news_keywords),
                     news_publication_name=entry.news_publication_name)
    return found


class FeedSitemapMixin:
    """Callbacks and request builders for feeds, sitemaps and robots.txt ``Sitemap:`` lines."""

    def feed_and_sitemap_requests(self: NewsSpider, outlet: Outlet) -> Iterator[scrapy.Request]:
        """Requests for the feeds and sitemaps configured for ``outlet``."""
        for url in outlet.feeds:
            request = self._request(outlet, url, "feed", source="feed", priority=FEED_PRIORITY)
            if request is not None:
                yield request
        for url in outlet.sitemaps:
            request = self._request(outlet, url, "sitemap", source="sitemap", priority=FEED_PRIORITY,
                                    meta={"sitemap_nesting": 0})
            if request is not None:
                yield request

    def discovered_feed_requests(self: NewsSpider, outlet: Outlet, response: Response) -> Iterator[scrapy.Request]:
        """Feeds a start page advertises with ``<link rel="alternate">`` (``auto_feeds``)."""
        for url in find_feed_links(response.body, response.url):
            if not outlet.owns(url):
                continue
            request = self._request(outlet, url, "feed", source="feed", priority=FEED_PRIORITY,
                                    meta={"discovery": {"via": "autodiscovery", "page": response.url}})
            if request is not None:
                self.crawler.stats.inc_value(f"newsarchive/outlet/{outlet.name}/feeds_discovered")
                yield request

    def robots_parsed(self: NewsSpider, robotparser: Any, request: scrapy.Request) -> None:
        """Schedule the ``Sitemap:`` lines of a robots.txt for the outlets owning them.

        Reuses the robots.txt Scrapy's RobotsTxtMiddleware already fetched: one
        request per host, never a second one of our own.
        """
        sitemaps = list(getattr(getattr(robotparser, "rp", None), "sitemaps", None) or [])
        for outlet in self.outlets:
            if not outlet.owns(request.url):
                continue
            for url in sitemaps:
                url = urljoin(request.url, url.strip())
                if not outlet.owns(url):
                    continue
                sitemap = self._request(outlet, url, "sitemap", source="sitemap", priority=FEED_PRIORITY,
                                        meta={"sitemap_nesting": 0, "discovery": {"via": "robots.txt"}})
                if sitemap is not None:
                    self.crawler.stats.inc_value(f"newsarchive/outlet/{outlet.name}/sitemaps_from_robots")
                    self.crawler.engine.crawl(sitemap)

    async def parse_feed(self: NewsSpider, response: Response) -> AsyncIterator[scrapy.Request]:
        outlet = self.by_name[response.meta["outlet"]]
        self.crawler.stats.inc_value(f"newsarchive/outlet/{outlet.name}/feeds_read")
        try:
            # A 100,000-entry feed takes many seconds to parse: never on the reactor thread.
            entries = await _off_reactor(parse_feed, response.body, response.url)
        except FeedError as exc:
            self._problem(outlet, "bad_feed", response.url, str(exc))
            return
        for entry in entries:
            if not outlet.owns(entry.url) or outlet.is_denied(pattern_path(entry.url)):
                # A feed entry is an article by definition; only the outlet's own pages count.
                continue
            request = self._request(outlet, entry.url, "article", source="feed",
                                    meta={"discovery": feed_discovery(response.url, entry)})
            if request is not None:
                yield request

    async def parse_sitemap(self: NewsSpider, response: Response) -> AsyncIterator[scrapy.Request]:
        outlet = self.by_name[response.meta["outlet"]]
        stats = self.crawler.stats
        stats.inc_value(f"newsarchive/outlet/{outlet.name}/sitemaps_read")
        try:
            sitemap = await _off_reactor(parse_sitemap, response.body, response.url)
        except SitemapError as exc:
            self._problem(outlet, "bad_sitemap", response.url, str(exc))
            return
        now = clock.now()
        window = outlet.sitemap_max_age_days
        if sitemap.kind == "index":
            nesting = response.meta.get("sitemap_nesting", 0) + 1
            for child in sitemap.sitemaps:
                if not outlet.owns(child.url):
                    continue
                if not within_window(child, window, now):
                    # An archive sitemap last changed long ago holds only old stories:
                    # skip it without fetching it.
                    stats.inc_value(f"newsarchive/outlet/{outlet.name}/sitemaps_too_old")
                    continue
                if nesting > MAX_SITEMAP_NESTING:
                    self._problem(outlet, "sitemap_nesting", child.url, "sitemap indexes nested too deep")
                    continue
                request = self._request(outlet, child.url, "sitemap", source="sitemap",
                                        priority=FEED_PRIORITY, meta={"sitemap_nesting": nesting})
                if request is not None:
                    yield request
            return
        for entry in sitemap.entries:
            if not outlet.owns(entry.url):
                continue
            path = pattern_path(entry.url)
            is_news = bool(entry.news_title or entry.news_publication_date)
            # A news: entry is an article by definition; a plain sitemap also lists
            # sections and tag pages, so there the outlet's article patterns decide.
            if outlet.is_denied(path) or not (is_news or outlet.is_article(path)):
                continue
            if not within_window(entry, window, now):
                stats.inc_value(f"newsarchive/outlet/{outlet.name}/sitemap_entries_too_old")
                continue
            request = self._request(outlet, entry.url, "article", source="sitemap",
                                    meta={"discovery": sitemap_discovery(response.url, entry)})
            if request is not None:
                yield request


async def _off_reactor(parse: Callable[..., Any], *args: Any) -> Any:
    """Run a parser in the reactor's thread pool so that the crawl keeps moving meanwhile."""
    return await maybe_deferred_to_future(deferToThread(parse, *args))
