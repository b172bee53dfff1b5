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
