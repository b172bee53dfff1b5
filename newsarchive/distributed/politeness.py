"""One politeness budget per host for the whole fleet, kept in Redis.

Each worker's download slot spaces its own requests; with several workers the host would
get several times the rate robots.txt asked for. Before a request goes to its slot, this
middleware reserves the host's next free instant in Redis (one atomic script, so two
workers never get the same one) and waits for it without blocking the reactor. The spacing
is the slot's delay: ``DOWNLOAD_DELAY``, or the robots.txt Crawl-delay that
:mod:`newsarchive.politeness` put there.

Shared limiter rather than hosts partitioned between workers: a partition needs to know how
many workers run and breaks when one dies; a shared key needs neither.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any
from urllib.parse import urlsplit

from scrapy.exceptions import NotConfigured

from newsarchive.distributed.mode import redis_keys

_RESERVE = """
local now = tonumber(ARGV[1])
local delay = tonumber(ARGV[2])
local free = tonumber(redis.call('GET', KEYS[1]) or '0')
local at = math.max(now, free)
redis.call('SET', KEYS[1], tostring(at + delay), 'PX', math.ceil(delay * 1000) + 60000)
return tostring(at)
"""


class FleetPolitenessMiddleware:
    """Downloader middleware (settings ``NEWSARCHIVE_FLEET_POLITENESS``, ``REDIS_URL``)."""

    def __init__(self, crawler: Any):
        settings = crawler.settings
        if not settings.getbool("NEWSARCHIVE_FLEET_POLITENESS") or not settings.get("REDIS_URL"):
            raise NotConfigured
        import redis.asyncio

        self.crawler = crawler
        self.default_delay = settings.getfloat("DOWNLOAD_DELAY")
        self.redis = redis.asyncio.Redis.from_url(settings["REDIS_URL"])
        self.reserve = self.redis.register_script(_RESERVE)
        self.keys = redis_keys(settings)

    @classmethod
    def from_crawler(cls, crawler: Any) -> FleetPolitenessMiddleware:
        return cls(crawler)

    def _delay(self, request: Any) -> float:
        downloader = self.crawler.engine.downloader
        key = downloader.get_slot_key(request) if hasattr(downloader, "get_slot_key") else None
        slot = downloader.slots.get(key) if key is not None else None
        return slot.delay if slot is not None else self.default_delay

    async def process_request(self, request: Any, spider: Any = None) -> None:
        delay = self._delay(request)
        if delay <= 0:
            return None
        host = urlsplit(request.url).netloc.lower()
        now = time.time()
        at = float(await self.reserve(keys=[self.keys.host(host)], args=[now, delay]))
        if at > now:
            self.crawler.stats.inc_value("newsarchive/distributed/fleet_waits")
            await asyncio.sleep(at - now)
        return None
