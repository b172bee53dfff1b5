"""Honour robots.txt ``Crawl-delay``, which Scrapy parses but never applies.

Scrapy's RobotsTxtMiddleware only answers allowed/forbidden. This downloader middleware
listens for its ``robots_parsed`` signal, reads the delay the site asks of our
User-Agent (Protego's ``crawl_delay``) and keeps that host's download slot at least
that slow. AutoThrottle may still slow a slot down further; it is never allowed to go
below the site's own figure, because the slot is floored again after each of
AutoThrottle's adjustments.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.utils.httpobj import urlparse_cached

logger = logging.getLogger(__name__)


class CrawlDelayMiddleware:
    """Floors each download slot's delay at its host's robots.txt ``Crawl-delay``.

    Settings: ``NEWSARCHIVE_CRAWL_DELAY_ENABLED`` (default true),
    ``NEWSARCHIVE_CRAWL_DELAY_MAX`` (seconds; a site asking for more gets this, default 60).
    Stats: ``newsarchive/politeness/crawl_delay/<host>`` (what robots.txt asked) and
    ``newsarchive/politeness/slot_delay_min/<slot>`` (the lowest delay the slot had when
    a request passed through: evidence the delay was applied).
    """

    def __init__(self, crawler: Crawler):
        settings = crawler.settings
        if not settings.getbool("NEWSARCHIVE_CRAWL_DELAY_ENABLED", True) or not settings.getbool("ROBOTSTXT_OBEY"):
            raise NotConfigured
        self.crawler = crawler
        self.stats = crawler.stats
        self.user_agent = settings.get("ROBOTSTXT_USER_AGENT") or settings.get("USER_AGENT") or ""
        self.max_delay = settings.getfloat("NEWSARCHIVE_CRAWL_DELAY_MAX", 60.0)
        self.delays: dict[str, float] = {}  # host -> seconds asked by its robots.txt

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlDelayMiddleware:
        middleware = cls(crawler)
        crawler.signals.connect(middleware.robots_parsed, signal=signals.robots_parsed)
        # Connected after the AutoThrottle extension (extensions are built before the
        # downloader), so this runs after its adjustment of the same response.
        crawler.signals.connect(middleware.response_downloaded, signal=signals.response_downloaded)
        return middleware

    def robots_parsed(self, robotparser: Any, request: Request) -> None:
        crawl_delay = getattr(robotparser, "crawl_delay", None)
        if crawl_delay is None:
            return
        try:
            delay = crawl_delay(self.user_agent)
        except Exception as exc:  # a parser quirk must not stop the crawl
            logger.warning("cannot read Crawl-delay for %s: %s", request.url, exc)
            return
        if not delay or delay <= 0:
            return
        host = urlparse_cached(request).hostname or ""
        if delay > self.max_delay:
            logger.warning("%s asks for Crawl-delay %.1fs; using NEWSARCHIVE_CRAWL_DELAY_MAX %.1fs",
                           host, delay, self.max_delay)
            delay = self.max_delay
        self.delays[host] = float(delay)
        self.stats.set_value(f"newsarchive/politeness/crawl_delay/{host}", float(delay))
        logger.info("robots.txt of %s asks for Crawl-delay %.2fs; applied to its download slot", host, delay)

    def _floor(self, request: Request) -> None:
        delay = self.delays.get(urlparse_cached(request).hostname or "")
        if delay is None:
            return
        downloader = self.crawler.engine.downloader
        key = downloader.get_slot_key(request)
        # Slots created later (or re-created after Scrapy's idle-slot cleanup) start slow too.
        slot_settings = downloader.per_slot_settings.setdefault(key, {})
        slot_settings["delay"] = max(float(slot_settings.get("delay", 0.0)), delay)
        slot = downloader.slots.get(key)
        if slot is not None and slot.delay < delay:
            slot.delay = delay
        current = slot.delay if slot is not None else slot_settings["delay"]
        self.stats.min_value(f"newsarchive/politeness/slot_delay_min/{key}", current)
        outlet = request.meta.get("outlet")
        if outlet:
            self.stats.set_value(f"newsarchive/outlet/{outlet}/crawl_delay", delay)

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        self._floor(request)
        return None

    def response_downloaded(self, response: Response, request: Request, spider: Spider) -> None:
        self._floor(request)
