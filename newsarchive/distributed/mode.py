"""The settings that turn a crawl process into a worker of the shared fleet."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import make_url

from newsarchive import exitcodes
from newsarchive.urls import mask_url

#: The scrapy-redis release the start() bridge and the tests were written against.
SCRAPY_REDIS_VERSION = "0.9.1"

#: Every Redis key of a fleet starts with this (``NEWSARCHIVE_REDIS_PREFIX``): two fleets,
#: or two test runs, can share one Redis database without touching each other's keys.
DEFAULT_PREFIX = "newsarchive"


class DistributedError(ValueError):
    """Distributed mode cannot run as configured; the message says why (exit status 2)."""

    exit_code = exitcodes.USAGE


class RedisUnavailable(DistributedError):
    """Redis does not answer (down, wrong host or port, refused): nothing can be shared."""

    exit_code = exitcodes.QUEUE_UNAVAILABLE


@dataclass(frozen=True)
class RedisKeys:
    """The names of a fleet's keys; all under one prefix."""

    prefix: str = DEFAULT_PREFIX

    @property
    def cycle(self) -> str:  # the producer's current cycle id
        return f"{self.prefix}:cycle"

    @property
    def leases(self) -> str:  # url -> when it was handed out (epoch seconds)
        return f"{self.prefix}:leases"

    @property
    def producer_lock(self) -> str:
        return f"{self.prefix}:producer-lock"

    @property
    def start(self) -> str:  # scrapy-redis's REDIS_START_URLS_KEY (``%(name)s``: the spider)
        return f"{self.prefix}:%(name)s:start_urls"

    @property
    def requests(self) -> str:  # scrapy-redis's SCHEDULER_QUEUE_KEY
        return f"{self.prefix}:%(spider)s:requests"

    def work(self, outlet: str, spider: str = "news-worker") -> str:
        """The work list ``enqueue`` fills for one outlet (JSON items)."""
        return (self.start % {"name": spider}) + f":{outlet}"

    def dupefilter(self, spider: str, cycle: str) -> str:
        return f"{self.prefix}:{spider}:dupefilter:{cycle}"

    def host(self, host: str) -> str:  # the fleet politeness limiter's next free instant
        return f"{self.prefix}:host:{host}"


def redis_keys(settings: Any) -> RedisKeys:
    prefix = (settings.get("NEWSARCHIVE_REDIS_PREFIX") or DEFAULT_PREFIX) if settings else DEFAULT_PREFIX
    if not re.fullmatch(r"[A-Za-z0-9_.:-]+", prefix):
        raise DistributedError(f"NEWSARCHIVE_REDIS_PREFIX={prefix!r}: use letters, digits and _ . : - only")
    return RedisKeys(prefix)


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
    """A client for ``redis_url``; a malformed URL is a :class:`DistributedError`."""
    import redis

    try:
        return redis.Redis.from_url(redis_url, decode_responses=True, socket_timeout=30,
                                    socket_connect_timeout=10)
    except ValueError as exc:
        raise DistributedError(f"REDIS_URL is not a Redis URL ({exc})") from None


def check_redis(redis_url: str) -> None:
    """Ping Redis once, so a worker that cannot share work says so before it starts."""
    import redis

    try:
        redis_client(redis_url).ping()
    except redis.RedisError as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise RedisUnavailable(f"Redis at {mask_url(redis_url)}: {reason}") from None


def distributed_settings(settings: Any) -> dict[str, Any]:
    """Scrapy settings for a worker: scrapy-redis scheduler and duplicate filter.

    ``SCHEDULER_PERSIST`` stays on: with scrapy-redis's default the first worker to finish
    would delete the queue the others still work on. The duplicate filter's key names the
    producer's cycle and expires (``NEWSARCHIVE_DUPEFILTER_TTL``), so its fingerprint set is
    per cycle and never grows without bound.
    """
    check_database(settings.get("NEWSARCHIVE_DB_URL") or "")
    keys = redis_keys(settings)
    return {
        "REDIS_URL": redis_url_from(settings),
        "NEWSARCHIVE_REDIS_PREFIX": keys.prefix,
        "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
        "SCHEDULER_PERSIST": True,
        "SCHEDULER_QUEUE_KEY": keys.requests,
        "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.PriorityQueue",
        "DUPEFILTER_CLASS": "newsarchive.distributed.dupefilter.CycleDupeFilter",
        "REDIS_START_URLS_KEY": keys.start,
    }
