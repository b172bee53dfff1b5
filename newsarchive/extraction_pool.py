"""Article extraction off the reactor thread, in worker processes.

Why: trafilatura, htmldate and lxml are CPU-bound and hold the GIL, so extracting on the
reactor thread stalls every download, WARC write and database commit behind it (and
AutoThrottle then reads the stalls as slow servers). Here each page is extracted in a
process of a small pool; the spider awaits the result.

Back-pressure: at most ``2 × workers`` pages wait for the pool. Further article callbacks
wait their turn, their responses stay in Scrapy's scraper slot, and once the slot holds
``SCRAPER_SLOT_MAX_ACTIVE_SIZE`` bytes the engine stops taking responses from the
downloader: memory stays flat and the scheduler keeps the rest.

``NEWSARCHIVE_EXTRACTION_WORKERS``: ``auto`` (the default), a number, or ``0`` to extract
inline on the reactor thread. ``auto`` is ``0`` below four CPU cores: measured on two cores
(``benchmarks/bench_throughput.py``), extraction is a small share of the crawl process's work
next to storage, and a worker process then costs more in pickling, scheduling and memory
(about 200 MB each) than it frees; with four or more cores it is ``cores - 2`` (at most 4),
leaving a core to the reactor and one to the database.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime
from typing import Any

logger = logging.getLogger(__name__)

AUTO_MIN_CORES = 4


def workers_from(settings: Any) -> int:
    """The pool size ``NEWSARCHIVE_EXTRACTION_WORKERS`` asks for (ConfigError when it is bad)."""
    from newsarchive.config import ConfigError

    value = str(settings.get("NEWSARCHIVE_EXTRACTION_WORKERS", "auto")).strip().lower()
    if value == "auto":
        cores = os.cpu_count() or 1
        return 0 if cores < AUTO_MIN_CORES else min(4, cores - 2)
    try:
        workers = int(value)
    except ValueError:
        raise ConfigError(f"NEWSARCHIVE_EXTRACTION_WORKERS must be auto or a number, not {value!r}") from None
    if workers < 0:
        raise ConfigError(f"NEWSARCHIVE_EXTRACTION_WORKERS must not be negative, not {workers}")
    return workers


def _extract(html: str, url: str, captured_at: datetime | None) -> dict[str, Any]:
    from newsarchive.extract import extract_article

    return extract_article(html, url, captured_at=captured_at)


def _warm(crawl_pid: int) -> None:
    """Import the extractor once per worker, not on its first page; and exit when the crawl
    process is gone (killed with kill -9, it cannot shut the pool down: no orphans for cron
    to pile up)."""
    import newsarchive.extract  # noqa: F401

    def watch() -> None:
        while True:
            time.sleep(1.0)
            try:
                os.kill(crawl_pid, 0)
            except ProcessLookupError:
                os._exit(0)
            except PermissionError:  # the pid now belongs to another user's process
                os._exit(0)

    threading.Thread(target=watch, name="crawl-watch", daemon=True).start()


class ExtractionPool:
    """``await pool.extract(html, url, captured_at)``: ``extract_article`` in a worker process."""

    def __init__(self, workers: int):
        self.workers = workers
        self._executor: ProcessPoolExecutor | None = None
        self._slots: asyncio.Semaphore | None = None

    @classmethod
    def from_settings(cls, settings: Any) -> ExtractionPool:
        return cls(workers_from(settings))

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            # forkserver: never fork the crawl process itself (its reactor, threads, sockets)
            context = multiprocessing.get_context("forkserver")
            self._executor = ProcessPoolExecutor(max_workers=self.workers, mp_context=context,
                                                 initializer=_warm, initargs=(os.getpid(),))
        return self._executor

    async def extract(self, html: str, url: str, captured_at: datetime | None) -> dict[str, Any]:
        if self.workers == 0:
            return _extract(html, url, captured_at)
        if self._slots is None:
            self._slots = asyncio.Semaphore(2 * self.workers)
        async with self._slots:
            loop = asyncio.get_running_loop()
            for attempt in (1, 2):
                pool = self._pool()
                try:
                    return await loop.run_in_executor(pool, _extract, html, url, captured_at)
                except BrokenProcessPool:
                    # a worker died (the kernel's OOM killer, a parser crash) and took the pool's
                    # pages in flight with it: a fresh pool (once per broken pool, never the new
                    # one), and this page once more on it; a second death is reported by the caller
                    if self._executor is pool:
                        logger.error("an extraction worker died on %s; starting a new pool", url)
                        self.close()
                    if attempt == 2:
                        raise
            raise AssertionError("unreachable")

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None
