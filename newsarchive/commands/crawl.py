"""``scrapy crawl`` that checks its input first and tells cron how the crawl went.

A mistake in ``outlets.toml``, an unknown or misspelt ``-a`` argument or a bad value ends
the command with one clear line and exit status 2, before the engine starts or any
request is sent, instead of a traceback or a silent default. After the crawl, the exit
status is 1 when an outlet failed entirely (see :mod:`newsarchive.exitcodes`). The
distributed ``news-worker`` gets the same checks, plus Redis (69 when it does not answer,
before or while the worker reads its first work).
"""

from __future__ import annotations

import argparse
import sys

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError
from sqlalchemy.exc import SQLAlchemyError

from newsarchive import clock, exitcodes
from newsarchive.config import ConfigError, load_outlets
from newsarchive.db import outage
from newsarchive.db.engine import db_url_from, session_factory
from newsarchive.extraction_pool import workers_from
from newsarchive.recheck import check_source
from newsarchive.spiders.news import ArgumentError, check_arguments
from newsarchive.urls import mask_url


class Command(ScrapyCrawlCommand):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1 or args[0] not in ("news", "news-worker"):
            super().run(args, opts)
            return
        name = args[0]
        try:
            spargs = check_arguments(opts.spargs)
            clock.check()
            load_outlets(self.settings["NEWSARCHIVE_OUTLETS"], only=spargs.get("outlets"))
            workers_from(self.settings)
            check_source(self.settings["NEWSARCHIVE_RECHECK_SOURCE"], spargs.get("recrawl"))
        except (ArgumentError, ConfigError, clock.ClockError) as exc:
            print(f"scrapy crawl: error: {exc}", file=sys.stderr)
            raise SystemExit(exitcodes.USAGE) from None
        except UsageError:
            raise
        if name == "news-worker":
            from newsarchive.distributed.mode import (
                DistributedError,
                check_redis,
                distributed_settings,
            )

            try:
                check_redis(distributed_settings(self.settings)["REDIS_URL"])
            except DistributedError as exc:
                print(f"scrapy crawl: error: {mask_url(str(exc))}", file=sys.stderr)
                raise SystemExit(exc.exit_code) from None
        try:  # before the engine starts: a traceback from a middleware's __init__ helps no one
            session_factory(db_url_from(self.settings))
        except (SQLAlchemyError, OSError) as exc:
            print(f"scrapy crawl: error: database: {outage.reason_of(exc)}", file=sys.stderr)
            raise SystemExit(exitcodes.DATABASE_UNAVAILABLE) from None
        assert self.crawler_process
        crawler = self._create_crawler(name)
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed:
            self.exitcode = exitcodes.OUTLET_FAILED
            return
        if outage.happened(crawler):
            print(f"scrapy crawl: error: database unavailable mid-crawl: "
                  f"{crawler.stats.get_value(outage.STAT)}", file=sys.stderr)
            self.exitcode = exitcodes.DATABASE_UNAVAILABLE
            return
        if crawler.stats.get_value("finish_reason") == "start_error" and name == "news-worker":
            reason = crawler.stats.get_value("newsarchive/distributed/start_error") or "see the log"
            print(f"scrapy crawl: error: the worker could not read its work from Redis: "
                  f"{mask_url(str(reason))}", file=sys.stderr)
            self.exitcode = exitcodes.QUEUE_UNAVAILABLE
            return
        if crawler.stats.get_value("finish_reason") == "start_error":  # nothing could be asked
            print("scrapy crawl: error: the crawl could not produce its first requests "
                  "(start_error; the log says why)", file=sys.stderr)
            self.exitcode = exitcodes.OUTLET_FAILED
            return
        spider = crawler.spider
        failed = spider.failed_outlets() if spider is not None else []
        if failed:
            print(f"scrapy crawl: {len(failed)} outlet(s) failed entirely (nothing came back): "
                  f"{', '.join(failed)}", file=sys.stderr)
            self.exitcode = exitcodes.OUTLET_FAILED
