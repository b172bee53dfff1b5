"""scrapy-redis's duplicate filter, one fingerprint set per producer cycle, expiring."""

from __future__ import annotations

from scrapy_redis.connection import get_redis_from_settings
from scrapy_redis.dupefilter import RFPDupeFilter

from newsarchive.distributed.mode import CYCLE_KEY, KEY_PREFIX

DEFAULT_TTL = 24 * 3600


class CycleDupeFilter(RFPDupeFilter):
    """No URL fetched twice in one cycle by the whole fleet; the next cycle starts empty.

    The key is ``newsarchive:<spider>:dupefilter:<cycle>``; every insert renews its expiry
    (``NEWSARCHIVE_DUPEFILTER_TTL`` seconds, default a day), so old cycles' sets vanish.
    """

    def __init__(self, server, key, debug=False, ttl=DEFAULT_TTL):
        super().__init__(server, key, debug)
        self.ttl = ttl

    @classmethod
    def from_spider(cls, spider):
        settings = spider.settings
        server = get_redis_from_settings(settings)
        cycle = server.get(CYCLE_KEY)
        cycle = cycle.decode() if isinstance(cycle, bytes) else (cycle or "none")
        key = f"{KEY_PREFIX}:{spider.name}:dupefilter:{cycle}"
        return cls(server, key, settings.getbool("DUPEFILTER_DEBUG"),
                   settings.getint("NEWSARCHIVE_DUPEFILTER_TTL", DEFAULT_TTL))

    def request_seen(self, request) -> bool:
        fingerprint = self.request_fingerprint(request)
        with self.server.pipeline() as pipe:
            pipe.sadd(self.key, fingerprint)
            pipe.expire(self.key, self.ttl)
            added, _ = pipe.execute()
        return added == 0
