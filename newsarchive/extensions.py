"""Crawl report: per-outlet figures at the end of every crawl, logged and saved as JSON.

Cron mails the log; dashboards and tests read the JSON (``<data dir>/reports/``).
"""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


def outlet_figures(stats: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Regroup flat ``newsarchive/outlet/<name>/<key>`` stats into one dict per outlet."""
    outlets: dict[str, dict[str, Any]] = {}
    for key, value in stats.items():
        if key.startswith("newsarchive/outlet/"):
            name, _, figure = key[len("newsarchive/outlet/"):].partition("/")
            outlets.setdefault(name, {})[figure] = value
    return outlets


class CrawlReport:
    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        settings = crawler.settings
        self.directory = Path(settings.get("NEWSARCHIVE_REPORT_DIR")
                              or Path(settings.get("NEWSARCHIVE_DATA_DIR") or "data") / "reports")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlReport:
        extension = cls(crawler)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_closed(self, spider: Spider, reason: str) -> None:
        stats = {k: (v.isoformat() if isinstance(v, datetime) else v)
                 for k, v in self.crawler.stats.get_stats().items()}
        report = {"spider": spider.name, "finish_reason": reason, "outlets": outlet_figures(stats),
                  "stats": stats}
        for name, figures in sorted(report["outlets"].items()):
            summary = ", ".join(f"{k}={v}" for k, v in sorted(figures.items()))
            logger.info("outlet %s: %s", name, summary)
        self.directory.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        path = self.directory / f"crawl-{stamp}-{os.getpid()}.json"
        path.write_text(json.dumps(report, indent=2, sort_keys=True, default=str), encoding="utf-8")
        logger.info("crawl report written to %s", path)
