"""The syndication worker process: a worker that dies costs the crawl nothing but a log line."""

from __future__ import annotations

import logging
import signal
from pathlib import Path

import pytest

from newsarchive import syndication
from newsarchive.db.engine import default_db_url, open_database
from newsarchive.syndication_worker import SyndicationWorker


def test_a_dead_worker_is_reported_once_and_never_blocks_the_crawl(tmp_path: Path,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    url = default_db_url(tmp_path)
    open_database(url)  # the crawl migrates before it starts the worker
    worker = SyndicationWorker(url, syndication.Config())
    worker.start()
    assert worker.submit(10_000)  # an id no version has: skipped
    worker._process.send_signal(signal.SIGKILL)
    worker._process.wait(timeout=30)
    with caplog.at_level(logging.ERROR, logger="newsarchive.syndication_worker"):
        assert worker.submit(10_001) is False
        assert worker.submit(10_002) is False  # at once: no wait on a full pipe
        counts = worker.close()
    assert counts == {"newsarchive/syndication/worker_died": 1}
    died = [r for r in caplog.records if "died" in r.getMessage()]
    assert len(died) == 1 and "next crawl" in died[0].getMessage()
    assert any("before reporting" in r.getMessage() for r in caplog.records)


def test_a_worker_reports_what_it_did_when_its_input_ends(tmp_path: Path) -> None:
    url = default_db_url(tmp_path)
    open_database(url)
    worker = SyndicationWorker(url, syndication.Config())
    worker.start()
    assert worker.submit(1)  # no such version yet: nothing to do, and no error
    counts = worker.close()
    assert counts.get("newsarchive/syndication/failed", 0) == 0
    assert worker._process.returncode == 0


def test_a_worker_takes_on_every_version_left_without_a_fingerprint_not_only_the_newest(
        tmp_path: Path) -> None:
    """A gap below the newest fingerprint (a worker killed mid-crawl while another crawl's
    worker went on, or a version it failed on) is found too; SIGTERM does not stop a worker
    before its input ends."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import select

    from newsarchive.db import store
    from newsarchive.db.models import ArticleVersion, SyndicationFingerprint

    url = default_db_url(tmp_path)
    sessions = open_database(url)
    at = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    with sessions.begin() as session:
        outlet = store.get_or_create_outlet(session, "courier")
        ids = [store.record_article(session, outlet=outlet, canonical_url=f"http://courier.test/{n}",
                                    fetched_at=at + timedelta(minutes=n),
                                    content={"title": f"Story {n}",
                                             "paragraphs": [f"Paragraph {n} of a story about {n} things."]}
                                    ).version.id for n in range(4)]
    with sessions.begin() as session:  # only the newest has one: ids[0..2] are the gap
        syndication.fingerprint_version(session, session.get(ArticleVersion, ids[-1]))
    worker = SyndicationWorker(url, syndication.Config())
    worker.start()
    _wait_until_ignored(worker._process.pid, signal.SIGTERM)
    worker._process.send_signal(signal.SIGTERM)
    counts = worker.close()
    assert worker._process.returncode == 0
    assert counts["newsarchive/syndication/fingerprinted"] == 3
    with sessions() as session:
        assert sorted(session.scalars(select(SyndicationFingerprint.version_id))) == sorted(ids)


def _wait_until_ignored(pid: int, signum: int, timeout: float = 30) -> None:
    """Until process ``pid`` has set ``signum`` to be ignored (its SigIgn mask, Linux)."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("SigIgn:") and int(line.split()[1], 16) & (1 << (signum - 1)):
                return
        time.sleep(0.02)
    raise AssertionError(f"process {pid} never ignored signal {signum}")


def test_leftovers_leave_the_versions_the_running_crawl_stores_to_its_own_input(tmp_path: Path) -> None:
    """Versions newer than the crawl's start come through stdin, in storing order: the
    leftovers pass at start takes only those stored before it."""
    from datetime import UTC, datetime

    from sqlalchemy import select

    from newsarchive.db import store
    from newsarchive.db.models import SyndicationFingerprint
    from newsarchive.syndication_worker import Fingerprinter

    sessions = open_database(default_db_url(tmp_path))
    with sessions.begin() as session:
        outlet = store.get_or_create_outlet(session, "courier")
        ids = [store.record_article(session, outlet=outlet, canonical_url=f"http://courier.test/{n}",
                                    fetched_at=datetime(2026, 3, 2, 8, n, tzinfo=UTC),
                                    content={"title": f"Story {n}", "paragraphs": [f"Text of story {n}."]}
                                    ).version.id for n in range(3)]
    worker = Fingerprinter(sessions, syndication.Config(), stored_before=ids[0])
    worker.leftovers()
    with sessions() as session:
        assert list(session.scalars(select(SyndicationFingerprint.version_id))) == [ids[0]]
    assert worker.counts["newsarchive/syndication/fingerprinted"] == 1
