"""Distributed mode: many crawl workers on scrapy-redis, one PostgreSQL as the truth.

One producer (``newsarchive enqueue``) pushes the due work into Redis; any number of
workers (``newsarchive worker``, on any host) share scrapy-redis's scheduler and duplicate
filter and write to one PostgreSQL database and their own WARC files. Redis is transport
only: whatever it loses (a killed worker's popped requests, a flush) is still due in the
database, and the next ``enqueue`` hands it out again.
"""

from newsarchive.distributed.mode import (
    SCRAPY_REDIS_VERSION,
    DistributedError,
    distributed_settings,
    redis_client,
)

__all__ = ["SCRAPY_REDIS_VERSION", "DistributedError", "distributed_settings", "redis_client"]
