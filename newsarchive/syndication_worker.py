"""Syndication fingerprints in a process of their own, beside the crawl.

Why: fingerprinting a version (normalising its paragraphs, shingles, MinHash, band keys,
paragraph counts) is Python holding the GIL. Done in the storing transaction it was 40 % of
the crawl process's CPU (``benchmarks/bench_throughput.py``), and a thread would not help.
Here the storage pipeline commits the version, then writes its id to this process's stdin;
the process fingerprints and compares it on another core with its own database connection,
one short transaction per version (SQLite takes one writer at a time: the crawl's commits
wait milliseconds, not a batch).

A plain ``python -m newsarchive.syndication_worker`` child, not a fork: it imports only the
database and syndication code (no Scrapy, no extractor), and the database URL reaches it in
its environment, never on a command line that ``ps`` shows.

Order is kept: ids are fingerprinted in the order they were stored, as they were inline, so
clusters and common paragraphs come out the same. The pipeline drains this process in its
``close_spider``, before the run's health check releases anything, so a version stored
pending its health check is fingerprinted while still pending, as before.

Nothing is lost when something dies. The end of stdin is the end of the work, so a crawl
killed with kill -9 still has every id it wrote fingerprinted. An id the worker never got
(it died, or the crawl died before writing it), or failed on, is picked up by the next crawl's
worker, which starts with the versions released by the last run's health check
(:func:`newsarchive.syndication.catch_up`) and the versions with no fingerprint, oldest first.

``NEWSARCHIVE_SYNDICATION_WORKER = False`` fingerprints inline, in the storing transaction.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from typing import Any

from newsarchive import syndication

logger = logging.getLogger(__name__)

_DB_URL_ENV = "NEWSARCHIVE_SYNDICATION_WORKER_DB_URL"
_THRESHOLD_ENV = "NEWSARCHIVE_SYNDICATION_WORKER_THRESHOLD"
_LOG_LEVEL_ENV = "NEWSARCHIVE_SYNDICATION_WORKER_LOG_LEVEL"
_LOG_FILE_ENV = "NEWSARCHIVE_SYNDICATION_WORKER_LOG_FILE"
_STORED_BEFORE_ENV = "NEWSARCHIVE_SYNDICATION_WORKER_STORED_BEFORE"
#: Versions without a fingerprint that a crawl's worker takes on at start, oldest first.
LEFTOVERS_PER_CRAWL = 2000


def enabled(settings: Any, config: syndication.Config) -> bool:
    """Whether a crawl with these settings fingerprints in a worker process."""
    return config.enabled and settings.getbool("NEWSARCHIVE_SYNDICATION_WORKER", True)


class SyndicationWorker:
    """The crawl's end: ``submit(version_id)`` after each commit (from the storage thread; it
    waits while the pipe is full, which holds the storage thread back), ``close()`` once at
    the end (blocking: call it from a thread), which returns the worker's stats counts."""

    def __init__(self, db_url: str, config: syndication.Config, log_level: str = "INFO",
                 log_file: str = "", stored_before: int | None = None):
        """``log_file``: the crawl's (Scrapy's ``LOG_FILE``), appended to; stderr when empty.
        ``stored_before``: the newest version id when the crawl started; the leftovers the
        worker looks for are at or below it (the crawl's own versions come through ``submit``)."""
        self._env = {**os.environ, _DB_URL_ENV: db_url, _THRESHOLD_ENV: repr(config.threshold),
                     _LOG_LEVEL_ENV: str(log_level), _LOG_FILE_ENV: log_file or "",
                     _STORED_BEFORE_ENV: "" if stored_before is None else str(stored_before)}
        self._process: subprocess.Popen[str] | None = None
        self._lock = threading.Lock()
        self._dead = False

    def start(self) -> None:
        self._process = subprocess.Popen([sys.executable, "-m", "newsarchive.syndication_worker"],
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                         env=self._env)

    def submit(self, version_id: int) -> bool:
        """Hand over a committed version. False once the worker is gone (the version is then
        fingerprinted when the next crawl starts)."""
        with self._lock:
            if self._dead or self._process is None or self._process.stdin is None:
                return False
            try:
                self._process.stdin.write(f"{version_id}\n")
                self._process.stdin.flush()
                return True
            except (BrokenPipeError, OSError, ValueError):
                self._dead = True
                logger.error("the syndication worker died (exit status %s); the versions stored from now on "
                             "are fingerprinted when the next crawl starts", self._process.poll())
                return False

    def close(self) -> Counter[str]:
        """End of input: the worker finishes what it was given and exits; its counts."""
        counts: Counter[str] = Counter()
        process = self._process
        if process is None:
            return counts
        with self._lock:
            try:
                if process.stdin is not None:
                    process.stdin.close()
            except OSError:
                pass
            self._dead = True
        output = ""
        if process.stdout is not None:
            with process.stdout:
                output = process.stdout.read()
        status = process.wait()
        try:
            counts.update(json.loads(output.strip().splitlines()[-1]))
        except (IndexError, ValueError):
            logger.error("the syndication worker exited with status %s before reporting; the versions it "
                         "did not fingerprint are fingerprinted when the next crawl starts", status)
            counts["newsarchive/syndication/worker_died"] += 1
        return counts


# -- in the worker process ------------------------------------------------------------------------


class Fingerprinter:
    """Fingerprints versions by id, each in its own transaction."""

    def __init__(self, sessions: Any, config: syndication.Config, stored_before: int | None = None):
        self.sessions, self.config, self.stored_before = sessions, config, stored_before
        self.counts: Counter[str] = Counter()
        self.unavailable = False  # the database went away: the rest is the next crawl's

    def _outage(self, exc: BaseException) -> bool:
        """One line for a database outage (not a traceback per version); True if it was one."""
        from newsarchive.db import outage

        if not outage.is_outage(exc):
            return False
        if not self.unavailable:
            logger.error("the database is unavailable (%s); the versions not fingerprinted yet are "
                         "fingerprinted when the next crawl starts", outage.reason_of(exc))
            self.counts["newsarchive/syndication/database_unavailable"] += 1
        self.unavailable = True
        return True

    def leftovers(self) -> None:
        """What earlier crawls left: versions released by a health check, still to be
        compared; then versions with no fingerprint at all (a worker died, was killed, or failed
        on them; another crawl's worker had not reached them), oldest first, at most
        :data:`LEFTOVERS_PER_CRAWL` (``newsarchive syndication --backfill`` does any number)."""
        from sqlalchemy import select

        from newsarchive.db.models import ArticleVersion, SyndicationFingerprint

        while True:
            try:
                with self.sessions.begin() as session:
                    caught = syndication.catch_up(session, self.config, limit=50)
            except Exception as exc:  # the next crawl tries again; the versions stay uncompared
                if self._outage(exc):
                    return
                logger.exception("comparing the versions released by a health check failed")
                self.counts["newsarchive/syndication/failed"] += 1
                break
            self.counts["newsarchive/syndication/caught_up"] += caught
            if not caught:
                break
        query = (select(ArticleVersion.id)
                 .outerjoin(SyndicationFingerprint, SyndicationFingerprint.version_id == ArticleVersion.id)
                 .where(SyndicationFingerprint.version_id.is_(None))
                 .order_by(ArticleVersion.id).limit(LEFTOVERS_PER_CRAWL))
        if self.stored_before is not None:  # not this crawl's own versions: they come on stdin
            query = query.where(ArticleVersion.id <= self.stored_before)
        try:
            with self.sessions() as session:
                missing = list(session.scalars(query))
        except Exception as exc:
            if self._outage(exc):
                return
            logger.exception("looking for versions without a fingerprint failed")
            self.counts["newsarchive/syndication/failed"] += 1
            return
        if missing:
            logger.info("fingerprinting %d versions stored without one (an interrupted crawl, a failure "
                        "or an earlier release)", len(missing))
        for version_id in missing:
            self.fingerprint(version_id)

    def fingerprint(self, version_id: int) -> None:
        """One version; a failure costs only its fingerprint (logged; the next crawl's worker,
        or ``newsarchive syndication --backfill``, tries again)."""
        from sqlalchemy.exc import IntegrityError

        from newsarchive.db.models import ArticleVersion

        if self.unavailable:
            return
        for attempt in (1, 2):
            try:
                with self.sessions.begin() as session:
                    version = session.get(ArticleVersion, version_id)
                    if version is None:  # folded into another article's chain as a duplicate
                        return
                    done = syndication.fingerprint_version(session, version, self.config)
                break
            except IntegrityError as exc:
                try:
                    there = self._fingerprinted(version_id)
                except Exception as again:
                    self._failed(version_id, again)
                    return
                if there:  # another crawl's worker took it first
                    self.counts["newsarchive/syndication/raced"] += 1
                    return
                if attempt == 2:
                    self._failed(version_id, exc)
                    return
                # a row shared with another worker's version (a paragraph, a cluster member)
                # was inserted at the same moment: once more, now that it is there
            except Exception as exc:
                self._failed(version_id, exc)
                return
        self.counts["newsarchive/syndication/fingerprinted"] += 1
        if done is not None and done.matched:
            self.counts["newsarchive/syndication/clustered"] += 1

    def _failed(self, version_id: int, exc: BaseException) -> None:
        """Inside an ``except``: one line for an outage, else the traceback, and the count."""
        if self._outage(exc):
            return
        logger.exception("syndication fingerprint failed for version %s", version_id)
        self.counts["newsarchive/syndication/failed"] += 1

    def _fingerprinted(self, version_id: int) -> bool:
        from newsarchive.db.models import SyndicationFingerprint

        with self.sessions() as session:
            return session.get(SyndicationFingerprint, version_id) is not None


def main() -> int:
    # Ctrl-C, or a service manager's SIGTERM to the whole group, stops the crawl, which then
    # ends our input: finish what it handed over rather than die with it
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_IGN)
    report, sys.stdout = sys.stdout, sys.stderr  # stdout carries the report line and nothing else
    log_file = os.environ.get(_LOG_FILE_ENV, "")
    # where the crawl logs (newsarchive recrawl gives it a file; cron reads an empty stderr)
    handler = (logging.FileHandler(log_file, encoding="utf-8") if log_file  # appended to
               else logging.StreamHandler(sys.stderr))
    logging.basicConfig(level=os.environ.get(_LOG_LEVEL_ENV, "INFO"), handlers=[handler],
                        format="%(asctime)s [%(name)s] %(levelname)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    from newsarchive.db.engine import open_database

    sessions = open_database(os.environ[_DB_URL_ENV], migrate=False)  # the crawl has migrated it
    stored_before = os.environ.get(_STORED_BEFORE_ENV, "")
    worker = Fingerprinter(sessions, syndication.Config(threshold=float(os.environ[_THRESHOLD_ENV])),
                           int(stored_before) if stored_before else None)
    worker.leftovers()
    for line in sys.stdin:  # until the crawl closes our input, or dies
        if line.strip():
            worker.fingerprint(int(line))
    try:
        print(json.dumps(dict(worker.counts)), file=report, flush=True)
    except BrokenPipeError:  # the crawl is gone: the work is done all the same
        os.dup2(os.open(os.devnull, os.O_WRONLY), report.fileno())  # no second error at exit
    return 0


if __name__ == "__main__":
    sys.exit(main())
