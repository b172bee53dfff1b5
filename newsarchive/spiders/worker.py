"""The ``news-worker`` spider: the ``news`` spider fed from Redis, one of many in a fleet.

It takes its seeds (start pages, feeds, sitemaps, due articles) from the work lists that
``newsarchive enqueue`` fills, one list per outlet, and schedules everything it finds through
scrapy-redis's shared scheduler, so any worker may fetch any request and none twice in a
cycle. See :mod:`newsarchive.distributed`.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import scrapy
from scrapy.exceptions import CloseSpider
from scrapy_redis.spiders import RedisMixin

from newsarchive.config import load_outlets
from newsarchive.distributed.mode import redis_keys
from newsarchive.spiders.news import NewsSpider

logger = logging.getLogger(__name__)


class NewsWorkerSpider(RedisMixin, NewsSpider):
    """Arguments: ``-a outlets=a,b`` takes seeds of those outlets only (requests found on
    the way, in the shared queue, may belong to any outlet, so every outlet is loaded)."""

    name = "news-worker"

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> NewsWorkerSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.seed_outlets = [o.name for o in spider.outlets]
        spider.outlets = load_outlets(crawler.settings.get("NEWSARCHIVE_OUTLETS"))
        spider.by_name = {o.name: o for o in spider.outlets}
        spider.setup_redis(crawler)
        keys = redis_keys(crawler.settings)
        spider.work_keys = [keys.work(name, spider.name) for name in spider.seed_outlets]
        spider.fetch_data = spider._pop_work
        spider.count_size = lambda _key: sum(spider.server.llen(k) for k in spider.work_keys)
        spider.queue_key = crawler.settings.get("SCHEDULER_QUEUE_KEY", keys.requests) % {
            "spider": spider.name}
        # scrapy-redis 0.9 starts the idle clock when the class is defined, not when the
        # worker starts: a worker slower to start than MAX_IDLE_TIME would close at once.
        spider.spider_idle_start_time = int(time.time())
        return spider

    def spider_idle(self) -> None:
        """Idle means no seeds for us *and* nothing in the fleet's shared queue."""
        if self.server.zcard(self.queue_key) > 0:
            self.spider_idle_start_time = int(time.time())
        return super().spider_idle()

    async def start(self) -> AsyncIterator[scrapy.Request]:
        """The bridge to scrapy-redis 0.9, which defines only ``start_requests()``.

        Scrapy >= 2.13 calls ``start()``; without this a worker would get its first seeds
        only on the idle heartbeat (seconds later, and unevenly across workers). If Redis
        fails here the worker closes with reason ``start_error`` and the reason in the stats
        (``newsarchive/distributed/start_error``); ``scrapy crawl`` turns that into one line
        and exit status 69, not a traceback and 0.
        """
        import redis

        try:
            requests = list(self.next_requests())
        except redis.RedisError as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            self.crawler.stats.set_value("newsarchive/distributed/start_error", reason)
            raise CloseSpider("start_error") from None
        for request in requests:
            yield request

    def _pop_work(self, _key: str, batch_size: int) -> list[bytes | str]:
        taken: list[bytes | str] = []
        for key in self.work_keys:
            if len(taken) >= batch_size:
                break
            taken += self.pop_list_queue(key, batch_size - len(taken))
        return taken

    def make_request_from_data(self, data: bytes | str) -> list[scrapy.Request]:
        """One request from one work item (JSON written by :mod:`newsarchive.distributed.producer`)."""
        try:
            work = json.loads(data)
            outlet = self.by_name[work["outlet"]]
            url, role, source = work["url"], work["role"], work["source"]
        except (ValueError, KeyError, TypeError) as exc:
            logger.warning("skipped a malformed work item (%s): %.200r", exc, data)
            self.crawler.stats.inc_value("newsarchive/distributed/bad_work_items")
            return []
        request = self._request(outlet, url, role, source=source, meta=work.get("meta") or {},
                                dont_filter=bool(work.get("dont_filter")))
        if request is None:
            return []
        self.crawler.stats.inc_value("newsarchive/distributed/work_items")
        return [request]
