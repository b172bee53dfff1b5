"""Crawl runs: one row per crawl process, so each fetch and version knows the run behind it.

The end-of-run analysis (newsarchive.health) reads what a run stored through these ids; a
run killed before its end is found again by :func:`stale_runs` and analysed by the next one.
"""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from newsarchive import clock
from newsarchive.db.models import CrawlRun


def start_run(session: Session, outlets: list[str]) -> CrawlRun:
    run = CrawlRun(started_at=clock.now(), status="running", host=socket.gethostname(), pid=os.getpid(),
                   outlets=list(outlets))
    session.add(run)
    session.flush()
    return run


def finish_run(session: Session, run: CrawlRun, *, status: str = "finished", reason: str | None = None) -> None:
    run.status, run.finish_reason, run.finished_at = status, reason, clock.now()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, someone else's
        return True
    return True


def stale_runs(session: Session, *, older_than: timedelta, now: datetime | None = None) -> list[CrawlRun]:
    """Runs still marked running whose process is gone: dead on this host, or older than ``older_than``."""
    now = now or clock.now()
    host = socket.gethostname()
    stale = []
    for run in session.scalars(select(CrawlRun).where(CrawlRun.status == "running").order_by(CrawlRun.id)):
        if run.pid == os.getpid() and run.host == host:
            continue
        if (run.host == host and run.pid and not _alive(run.pid)) or now - run.started_at > older_than:
            stale.append(run)
    return stale
