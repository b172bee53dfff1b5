"""Downloader middleware: the wall-time budget of one re-crawl run, overall and per outlet.

A run of ``newsarchive recrawl`` must end before the next one starts. Requests not sent
when the run's time (``NEWSARCHIVE_RECRAWL_SECONDS``) or an outlet's (its ``recrawl_seconds``)
is spent are dropped before they reach the server, with no capture row: whatever they
would have re-checked stays due, first in line for the next run. The request budget
(``NEWSARCHIVE_RECRAWL_BUDGET``, ``recrawl_budget``) is applied earlier, by the due query.

Placed at 140, before the download slots (a request waiting out a Crawl-delay is judged
when it comes out of the scheduler). Stats: ``newsarchive/outlet/<name>/budget_cut``.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured

logger = logging.getLogger(__name__)


class BudgetSpent(IgnoreRequest):
    """The run's (or the outlet's) wall-time budget is spent; the request stays due."""


class RecrawlBudgetMiddleware:
    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.overall = crawler.settings.getfloat("NEWSARCHIVE_RECRAWL_SECONDS", 0)
        self.started = time.monotonic()
        self.outlet_started: dict[str, float] = {}
        self.warned: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RecrawlBudgetMiddleware:
        middleware = cls(crawler)
        outlets = getattr(crawler.spidercls, "name", "") == "news"
        if not outlets:
            raise NotConfigured
        return middleware

    def process_request(self, request: Request, spider: Any = None) -> None:
        name = request.meta.get("outlet")
        if not name:
            return None
        now = time.monotonic()
        outlet = getattr(self.crawler.spider, "by_name", {}).get(name)
        limit = getattr(outlet, "recrawl_seconds", 0) or 0
        began = self.outlet_started.setdefault(name, now)
        if (self.overall and now - self.started > self.overall) or (limit and now - began > limit):
            self.crawler.stats.inc_value(f"newsarchive/outlet/{name}/budget_cut")
            if name not in self.warned:
                self.warned.add(name)
                logger.warning("outlet %s: the run's time budget is spent; what is left stays due", name)
            raise BudgetSpent(f"time budget spent ({name})")
        return None
