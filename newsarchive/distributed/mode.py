"""The settings that turn a crawl process into a worker of the shared fleet."""

from __future__ import annotations

import os
from typing import Any

from sqlalchemy.engine import make_url

#: The scrapy-redis release the start() bridge and the tests were written against.
SCRAPY_REDIS_VERSION = "0.9.1"

KEY_PREFIX = "newsarchive"
CYCLE_KEY = f"{KEY_PREFIX}:cycle"  # the producer's current cycle id
START_KEY = f"{KEY_PREFIX}:%(name)s:start_urls"  # work the producer hands out (JSON lines)
LEASES_KEY = f"{KEY_PREFIX}:leases"  # url -> when it was handed out (epoch seconds)


class DistributedError(ValueError):
    """Distributed mode cannot run as configured; the message says why (exit status 2)."""


def redis_url_from(settings: Any) -> str:
    url = settings.get("REDIS_URL") or os.environ.get("REDIS_URL", "")
    if not url:
        raise DistributedError("distributed mode needs REDIS_URL (for example redis://127.0.0.1:6379/0)")
    return url


def check_database(db_url: str) -> None:
    """Workers on several hosts need one shared database server: SQLite cannot be that."""
    try:
        backend = make_url(db_url).get_backend_name() if db_url else "sqlite"
    except Exception:
        raise DistributedError("NEWSARCHIVE_DB_URL is not a database URL") from None
    if backend == "sqlite":
        raise DistributedError("distributed mode needs PostgreSQL: set NEWSARCHIVE_DB_URL to a "
                               "postgresql:// URL (SQLite is one file on one host)")


def redis_client(redis_url: str):
    import redis

    return redis.Redis.from_url(redis_url, decode_responses=True, socket_timeout=30,
                                socket_connect_timeout=10)


def distributed_settings(settings: Any) -> dict[str, Any]:
    """Scrapy settings for a worker: scrapy-redis scheduler and duplicate filter.

    ``SCHEDULER_PERSIST`` stays on: with scrapy-redis's default the first worker to finish
    would delete the queue the others still work on. The duplicate filter's key names the
    producer's cycle and expires (``NEWSARCHIVE_DUPEFILTER_TTL``), so its fingerprint set is
    per cycle and never grows without bound.
    """
    check_database(settings.get("NEWSARCHIVE_DB_URL") or "")
    return {
        "REDIS_URL": redis_url_from(settings),
        "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
        "SCHEDULER_PERSIST": True,
        "SCHEDULER_QUEUE_KEY": f"{KEY_PREFIX}:%(spider)s:requests",
        "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.PriorityQueue",
        "DUPEFILTER_CLASS": "newsarchive.distributed.dupefilter.CycleDupeFilter",
        "REDIS_START_URLS_KEY": START_KEY,
    }
