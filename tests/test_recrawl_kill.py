"""kill -9 ``newsarchive recrawl`` mid-run, as cron runs it, then run it again.

Nothing committed is lost or stored twice, the WARC files read back whole in warcio and
FastWARC (digests checked), every capture row points at its record, the killed run's lock
file does not block the next run, no orphan crawl outlives the killed command, and the
second run does the due work the first one did not.
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from newsarchive.db.models import ArticleVersion, Capture
from newsarchive.warc.reader import read_record
from tests.schedule_site import StaticOutlet, StaticServer
from tests.test_recrawl import T0, Run
from tests.warc_support.fixtures import read_all_fastwarc, read_all_warcio

pytestmark = pytest.mark.slow

STORIES = 6
FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False"]


def _wait_for(condition, what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.1)


def _alive(pid: int) -> bool:
    """Any thread of ``pid`` still running (a killed process's leader turns zombie before its
    other threads are gone, and its files, the lock among them, close with the last one)."""
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            if (task / "stat").read_text().split(")")[-1].split()[0] != "Z":
                return True
        except (FileNotFoundError, ProcessLookupError):
            continue
    return False


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def test_kill_9_mid_recrawl_then_the_next_run_finishes_the_due_work(tmp_path, db_url):
    outlet = StaticOutlet(count=STORIES)
    with StaticServer(outlet) as server:
        run = Run(server, tmp_path, db_url)
        env = dict(os.environ, NEWSARCHIVE_OUTLETS=str(run.outlets), NEWSARCHIVE_DATA_DIR=str(run.data),
                   NEWSARCHIVE_DB_URL=db_url, NEWSARCHIVE_ALLOW_ADDRESSES="127.0.0.1", NEWSARCHIVE_NOW=T0)
        command = [sys.executable, "-m", "newsarchive", "recrawl", *FAST]
        first = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
        assert first.returncode == 0, first.stderr
        assert f"new {STORIES}" in first.stdout
        for n in range(STORIES):
            outlet.edit(f"story-{n}", f"Update {n}: the council has now confirmed the closure date.")

        sessions = run.sessions()

        def stored_rechecks() -> int:
            with sessions() as session:
                return session.scalar(select(func.count(Capture.id)).where(Capture.source == "recrawl",
                                                                            Capture.outcome == "new_version"))

        outlet.hold_after, outlet.served = 3, 0  # three re-checks answered, the rest held
        env["NEWSARCHIVE_NOW"] = "2026-03-01T08:20:00Z"
        killed = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            _wait_for(lambda: stored_rechecks() == 3 and outlet.served > 3, "three stored re-checks")
            crawl_children = _children(killed.pid)
            assert crawl_children, "the scrapy crawl runs in a child process"
            os.kill(killed.pid, signal.SIGKILL)
            assert killed.wait(timeout=30) == -signal.SIGKILL
            # the crawl child dies with it: no orphan goes on fetching without the lock
            _wait_for(lambda: not any(_alive(pid) for pid in crawl_children), "the crawl child to die", 30)
        finally:
            if killed.poll() is None:
                killed.kill()
            outlet.hold_after = None
            outlet.gate.set()

        lock_file = run.data / "recrawl.lock"
        assert f"pid {killed.pid} " in lock_file.read_text()  # the dead run's file is still there
        with open(lock_file, "a+") as probe:  # ... but not its lock: flock died with the process
            fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
            fcntl.flock(probe, fcntl.LOCK_UN)
        assert list((run.data / "warc").glob("*.open")), "the killed run left its WARC file open"

        outlet.requests.clear()
        second = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
        assert second.returncode == 0, second.stderr
        assert "another run holds" not in second.stderr
        # only what the killed run had not stored is fetched again
        assert len(outlet.article_requests()) == STORIES - 3
        assert f"daily: checked {STORIES - 3}, changed {STORIES - 3}" in second.stdout

    with sessions() as session:
        versions = Counter(session.scalars(select(ArticleVersion.article_id)).all())
        assert len(versions) == STORIES and set(versions.values()) == {2}  # first + edit, once each
        rechecks = Counter(session.scalars(select(Capture.url).where(Capture.source == "recrawl",
                                                                     Capture.outcome == "new_version")).all())
        assert len(rechecks) == STORIES and set(rechecks.values()) == {1}
        captures = session.scalars(select(Capture).where(Capture.warc_record_id.is_not(None))).all()
        assert len({(c.url, c.fetched_at) for c in captures}) == len(captures)
        for capture in captures:  # every row points at its own record, in a closed file
            record = read_record(run.data / "warc" / capture.warc_filename, capture.warc_offset)
            assert record.header("WARC-Record-ID") == capture.warc_record_id
            assert record.header("WARC-Target-URI") == capture.url
    warcs = sorted((run.data / "warc").glob("*.warc.gz"))
    assert warcs and not list((run.data / "warc").glob("*.open"))
    for path in warcs:
        assert read_all_warcio(path) and read_all_fastwarc(path)
    verify = subprocess.run([sys.executable, "-m", "newsarchive", "verify"], env=env, capture_output=True,
                            text=True, timeout=300)
    assert verify.returncode == 0, verify.stdout[-3000:] + verify.stderr[-2000:]


def test_sigterm_to_recrawl_stops_the_crawl_gracefully_and_waits_for_it(tmp_path):
    """``systemctl stop`` or ``kill``: the crawl gets Scrapy's graceful stop (its report written,
    its WARC file closed), and recrawl waits for it instead of leaving it to be killed."""
    outlet = StaticOutlet(count=STORIES)
    with StaticServer(outlet) as server:
        run = Run(server, tmp_path, "")
        env = dict(os.environ, NEWSARCHIVE_OUTLETS=str(run.outlets), NEWSARCHIVE_DATA_DIR=str(run.data),
                   NEWSARCHIVE_DB_URL="", NEWSARCHIVE_ALLOW_ADDRESSES="127.0.0.1", NEWSARCHIVE_NOW=T0)
        command = [sys.executable, "-m", "newsarchive", "recrawl", *FAST]
        assert subprocess.run(command, env=env, capture_output=True, text=True, timeout=300).returncode == 0
        reports_before = set((run.data / "reports").glob("crawl-*.json"))
        outlet.hold_after, outlet.served = 2, 0  # two re-checks answered, the rest held
        env["NEWSARCHIVE_NOW"] = "2026-03-01T08:20:00Z"
        stopped = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            _wait_for(lambda: outlet.served > 2, "a held re-check")
            crawl_children = _children(stopped.pid)
            assert crawl_children
            os.kill(stopped.pid, signal.SIGTERM)
            time.sleep(2)
            assert stopped.poll() is None, "recrawl must wait for the crawl's graceful stop"
            assert any(_alive(pid) for pid in crawl_children)
        finally:
            outlet.hold_after = None
            outlet.gate.set()  # the held downloads finish: the graceful stop can complete
        out, err = stopped.communicate(timeout=120)
    assert "Traceback" not in err
    assert "recrawl finished in" in out, out + err
    new = set((run.data / "reports").glob("crawl-*.json")) - reports_before
    assert len(new) == 1 and json.loads(new.pop().read_text())["finish_reason"] == "shutdown"
    assert not list((run.data / "warc").glob("*.open")), "the crawl closed its WARC file"
