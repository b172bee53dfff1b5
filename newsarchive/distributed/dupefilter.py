"""scrapy-redis's duplicate filter, one fingerprint set per producer cycle, expiring."""

from __future__ import annotations

from scrapy_redis.connection import get_redis_from_settings
from scrapy_redis.dupefilter import RFPDupeFilter

from newsarchive.distributed.mode import redis_keys

DEFAULT_TTL = 24 * 3600


class CycleDupeFilter(RFPDupeFilter):
    """No URL fetched twice in one cycle by the whole fleet; the next cycle starts empty.

    The key is ``<prefix>:<spider>:dupefilter:<cycle>``; every insert renews its expiry
    (``NEWSARCHIVE_DUPEFILTER_TTL`` seconds, default a day), so old cycles' sets vanish.
    """

    def __init__(self, server, key, debug=False, ttl=DEFAULT_TTL):
        super().__init__(server, key, debug)
        self.ttl = ttl

    @classmethod
    def from_spider(cls, spider):
        settings = spider.settings
        server = get_redis_from_settings(settings)
        keys = redis_keys(settings)
        cycle = server.get(keys.cycle)
        cycle = cycle.decode() if isinstance(cycle, bytes) else (cycle or "none")
        return cls(server, keys.dupefilter(spider.name, cycle), settings.getbool("DUPEFILTER_DEBUG"),
                   settings.getint("NEWSARCHIVE_DUPEFILTER_TTL", DEFAULT_TTL))

    def request_seen(self, request) -> bool:
        fingerprint = self.request_fingerprint(request)
        with self.server.pipeline() as pipe:
            pipe.sadd(self.key, fingerprint)
            pipe.expire(self.key, self.ttl)
            added, _ = pipe.execute()
        return added == 0
