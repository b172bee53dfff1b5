"""The one thread that writes: WARC records and database rows, off the reactor thread.

Why: an ``fsync``, a SQLite commit or a PostgreSQL round trip on the reactor thread stalls
every download and callback behind it (and AutoThrottle then reads the stalls as slow
servers). The capture middlewares and the storage pipeline hand their writes to this thread
and await them; the reactor goes on downloading and parsing meanwhile.

Why one thread: SQLite takes one writer at a time, and a single thread keeps the order that
makes the archive safe: a WARC record is on disk before the row that points at it is
committed, because the row's job is submitted after the record's job has finished. The queue
is bounded by Scrapy itself: at most ``CONCURRENT_REQUESTS`` responses and
``CONCURRENT_ITEMS`` items per response wait here.

Stats: Scrapy's stats collector is not thread-safe, so a job counts into its own
:class:`Tally`, which the reactor thread adds to the crawl's stats once the job is done.

``NEWSARCHIVE_STORAGE_THREAD = False`` runs the same jobs inline on the reactor thread (the
reference path the tests compare against).
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from scrapy import signals
from scrapy.crawler import Crawler

T = TypeVar("T")

_local = threading.local()


class Tally:
    """Stats increments of one job; :func:`inc_value` writes here while a job runs."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()


def inc_value(stats: Any, key: str, count: int = 1) -> None:
    """``stats.inc_value(key, count)``, made safe to call from a storage job."""
    tally = getattr(_local, "tally", None)
    if tally is None:
        stats.inc_value(key, count)
    else:
        tally.counts[key] += count


class StorageThread:
    def __init__(self, crawler: Crawler, threaded: bool = True):
        self.stats = crawler.stats
        self._executor = (ThreadPoolExecutor(max_workers=1, thread_name_prefix="newsarchive-storage")
                          if threaded else None)

    def _job(self, fn: Callable[..., T], args: tuple, kwargs: dict) -> tuple[T | None, Tally, BaseException | None]:
        """Counts made before an exception are kept, as on the inline path."""
        tally = Tally()
        _local.tally = tally
        try:
            return fn(*args, **kwargs), tally, None
        except Exception as exc:
            return None, tally, exc
        finally:
            _local.tally = None

    def _apply(self, tally: Tally) -> None:
        for key, count in tally.counts.items():
            self.stats.inc_value(key, count)

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``fn(*args, **kwargs)`` in the storage thread; its exception is raised here."""
        if self._executor is None:
            return fn(*args, **kwargs)
        result, tally, error = await asyncio.wrap_future(self._executor.submit(self._job, fn, args, kwargs))
        self._apply(tally)
        if error is not None:
            raise error
        return result  # type: ignore[return-value]

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True)


_threads: weakref.WeakKeyDictionary[Crawler, StorageThread] = weakref.WeakKeyDictionary()


def storage_thread(crawler: Crawler) -> StorageThread:
    """The crawler's storage thread (made on first use, stopped when the engine stops)."""
    thread = _threads.get(crawler)
    if thread is None:
        thread = StorageThread(crawler, crawler.settings.getbool("NEWSARCHIVE_STORAGE_THREAD", True))
        _threads[crawler] = thread
        crawler.signals.connect(thread.close, signal=signals.engine_stopped, weak=False)
    return thread
