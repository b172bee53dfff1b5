"""End-of-crawl extensions: the extraction-health check of the run, and the crawl report.

HealthMonitor opens a crawl-run row when the spider opens and, when it closes, judges each
outlet on what the pipeline stored (newsarchive.health), in a worker thread. CrawlReport
logs per-outlet figures with that verdict and saves them as JSON: cron mails the log;
dashboards and tests read the JSON (``<data dir>/reports/``).
"""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import Deferred
from twisted.internet.threads import deferToThread

from newsarchive import alerts, health
from newsarchive.db import outage, runs
from newsarchive.db.engine import db_url_from, session_factory
from newsarchive.db.models import CrawlRun

logger = logging.getLogger(__name__)


def outlet_figures(stats: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Regroup flat ``newsarchive/outlet/<name>/<key>`` stats into one dict per outlet."""
    outlets: dict[str, dict[str, Any]] = {}
    for key, value in stats.items():
        if key.startswith("newsarchive/outlet/"):
            name, _, figure = key[len("newsarchive/outlet/"):].partition("/")
            outlets.setdefault(name, {})[figure] = value
    return outlets


RUN_ID_STAT = "newsarchive/run_id"  # the pipeline tags captures and versions with it


class HealthMonitor:
    """Opens this crawl's run row; at the end judges every outlet's extraction health.

    The analysis needs the whole run (a storm is a share of all re-checked articles), so
    it runs once, at ``spider_closed``, on rows the pipeline stored, in a thread (nothing
    slow on the reactor). Runs a killed crawl left open are analysed when the next opens,
    so their pending versions are released or held. Disable with ``NEWSARCHIVE_HEALTH_ENABLED``.
    """

    def __init__(self, crawler: Crawler):
        settings = crawler.settings
        if not settings.getbool("NEWSARCHIVE_HEALTH_ENABLED", True):
            raise NotConfigured
        self.crawler = crawler
        self.thresholds = health.Thresholds.from_settings(settings)
        self.webhook = settings.get("NEWSARCHIVE_HEALTH_WEBHOOK") or None
        self.stale_after = timedelta(hours=settings.getfloat("NEWSARCHIVE_HEALTH_STALE_HOURS", 12))
        self.sessions = session_factory(db_url_from(settings))
        self.run_id: int | None = None
        self.results: list[health.OutletHealth] | None = None
        self._closing: Deferred[Any] | None = None
        self._waiters: list[Deferred[Any]] = []

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> HealthMonitor:
        monitor = cls(crawler)
        crawler.signals.connect(monitor.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(monitor.spider_closed, signal=signals.spider_closed)
        return monitor

    async def spider_opened(self, spider: Spider) -> None:
        names = [o.name for o in getattr(spider, "outlets", [])]
        await maybe_deferred_to_future(deferToThread(self._open, names))

    def _open(self, names: list[str]) -> None:
        with self.sessions.begin() as session:
            for stale in runs.stale_runs(session, older_than=self.stale_after):
                logger.warning("run %d (pid %s) ended without closing; judging what it stored", stale.id, stale.pid)
                results = health.close_run(session, stale, thresholds=self.thresholds, status="interrupted",
                                           reason="process gone")
                alerts.notify(self.webhook, results, source=f"run {stale.id} (interrupted)")
        with self.sessions.begin() as session:
            self.run_id = runs.start_run(session, names).id
        self.crawler.stats.set_value(RUN_ID_STAT, self.run_id)

    async def spider_closed(self, spider: Spider, reason: str) -> None:
        await maybe_deferred_to_future(self.finished(reason))

    def finished(self, reason: str = "finished") -> Deferred[Any]:
        """A Deferred that fires with the verdicts once the run is judged (starts it if needed)."""
        if self._closing is None:
            self._closing = deferToThread(self._close, reason)
            self._closing.addErrback(lambda failure: logger.error("health check failed: %s",
                                                                  failure.getTraceback()))
            self._closing.addBoth(self._release)
        waiter: Deferred[Any] = Deferred()
        if self.results is not None or self._closing.called:
            waiter.callback(self.results)
        else:
            self._waiters.append(waiter)
        return waiter

    def _release(self, _: Any) -> None:
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            waiter.callback(self.results)

    def _close(self, reason: str) -> None:
        if self.run_id is None or outage.happened(self.crawler):
            return  # the run stays open: the next crawl judges it as interrupted
        stats = self.crawler.stats.get_stats()
        try:
            with self.sessions.begin() as session:
                run = session.get(CrawlRun, self.run_id)
                results = health.close_run(session, run, stats=stats, thresholds=self.thresholds,
                                           reason=reason)
        except Exception as exc:
            if not outage.is_outage(exc):
                raise
            outage.stop_crawl(self.crawler, exc, close=False)  # in a thread, at close: just say it
            return
        for result in results:
            self.crawler.stats.set_value(f"newsarchive/outlet/{result.outlet}/health", result.verdict)
            log = logger.info if result.verdict == "healthy" else logger.warning
            log("health of outlet %s: %s%s", result.outlet, result.verdict,
                "".join(f"\n  - {line}" for line in result.reasons))
        self.results = results
        alerts.notify(self.webhook, results, source=f"run {self.run_id}")


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

    async def spider_closed(self, spider: Spider, reason: str) -> None:
        try:
            monitor = self.crawler.get_extension(HealthMonitor)
        except RuntimeError:  # no extension manager (a report built by hand)
            monitor = None
        # the verdicts are only known once the health check (a thread) has judged the run
        results = await maybe_deferred_to_future(monitor.finished(reason)) if monitor else None
        self._write(spider, reason, results)

    def _write(self, spider: Spider, reason: str, results: list[health.OutletHealth] | None) -> None:
        stats = {k: (v.isoformat() if isinstance(v, datetime) else v)
                 for k, v in self.crawler.stats.get_stats().items()}
        report: dict[str, Any] = {"spider": spider.name, "finish_reason": reason,
                                  "outlets": outlet_figures(stats), "stats": stats}
        for result in results or []:
            report["outlets"].setdefault(result.outlet, {})["health"] = result.verdict
            report["outlets"][result.outlet]["health_reasons"] = result.reasons
        if results is not None:
            report["run_id"] = stats.get(RUN_ID_STAT)
        for name, figures in sorted(report["outlets"].items()):
            summary = ", ".join(f"{k}={v}" for k, v in sorted(figures.items()) if k != "health_reasons")
            logger.info("outlet %s: %s", name, summary)
        self.directory.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        path = self.directory / f"crawl-{stamp}-{os.getpid()}.json"
        path.write_text(json.dumps(report, indent=2, sort_keys=True, default=str), encoding="utf-8")
        logger.info("crawl report written to %s", path)
