"""``newsarchive enqueue``: hand the due work to the fleet through Redis.

Each item is a JSON object on the outlet's work list (``<prefix>:news-worker:start_urls:
<outlet>``, prefix ``newsarchive`` unless ``NEWSARCHIVE_REDIS_PREFIX`` says otherwise). A
lease (``<prefix>:leases``, URL -> when handed out) keeps an item from being
handed out twice while a worker may still hold it; once it expires, whatever the database
still calls due is handed out again. That is the reconciliation sweep: a worker killed with
its popped requests, or a flushed Redis, loses nothing the database does not know about.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from newsarchive.config import Outlet
from newsarchive.distributed.mode import RedisKeys
DEFAULT_LEASE_SECONDS = 15 * 60


class ProducerBusy(RuntimeError):
    """Another ``enqueue`` holds the producer lock."""


@dataclass(frozen=True)
class Work:
    outlet: str
    url: str
    role: str  # listing | feed | sitemap | article
    source: str
    meta: dict[str, Any]
    dont_filter: bool = False

    def to_json(self) -> str:
        return json.dumps({"outlet": self.outlet, "url": self.url, "role": self.role,
                           "source": self.source, "meta": self.meta, "dont_filter": self.dont_filter})


def seed_work(outlets: Iterable[Outlet]) -> Iterator[Work]:
    """Start pages, feeds and sitemaps of every outlet: what a plain crawl starts from."""
    for outlet in outlets:
        for url in outlet.start_urls:
            yield Work(outlet.name, url, "listing", "start", {})
        for url in outlet.feeds:
            yield Work(outlet.name, url, "feed", "feed", {})
        for url in outlet.sitemaps:
            yield Work(outlet.name, url, "sitemap", "sitemap", {"sitemap_nesting": 0})


def recheck_work(due: Iterable[tuple[str, str]]) -> Iterator[Work]:
    """(outlet, URL) of known articles due a re-check; 404/410 must reach the spider."""
    for outlet, url, *_ in due:
        yield Work(outlet, url, "article", "recrawl", {"handle_httpstatus_list": [404, 410]},
                   dont_filter=True)


def enqueue(server: Any, work: Iterable[Work], *, now: datetime,
            lease_seconds: float = DEFAULT_LEASE_SECONDS, keys: RedisKeys | None = None) -> Counter[str]:
    """Push ``work`` not under a live lease; start a new cycle. Returns counts per outcome."""
    keys = keys or RedisKeys()
    if not server.set(keys.producer_lock, now.isoformat(), nx=True, ex=3600):
        raise ProducerBusy(f"another enqueue holds {keys.producer_lock} (since {server.get(keys.producer_lock)})")
    counts: Counter[str] = Counter()
    try:
        stamp = now.timestamp()
        items = list(work)
        leases = server.hmget(keys.leases, [w.url for w in items]) if items else []
        with server.pipeline() as pipe:
            pipe.set(keys.cycle, now.strftime("%Y%m%dT%H%M%S"))
            for item, lease in zip(items, leases, strict=True):
                if lease is not None and stamp - float(lease) < lease_seconds:
                    counts["leased"] += 1
                    continue
                pipe.rpush(keys.work(item.outlet), item.to_json())
                pipe.hset(keys.leases, item.url, stamp)
                counts[item.role] += 1
            pipe.execute()
    finally:
        server.delete(keys.producer_lock)
    return counts
