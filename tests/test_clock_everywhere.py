"""``NEWSARCHIVE_NOW`` reaches every "now" that decides something; real time stays where it must.

Real time on purpose (the allow-list below, each with its reason): time budgets and rate
limits count real seconds (``time.monotonic``, not matched here), report files and export
packages say when the process ran.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from newsarchive.db import store
from newsarchive.warc.writer import RollingWarcWriter
from tests.test_warc_writer import _exchange

PACKAGE = Path(__file__).resolve().parents[1] / "newsarchive"
WALL_CLOCK = re.compile(r"datetime\.now\(|datetime\.utcnow\(|\butcnow\(\)|time\.time\(\)|date\.today\(")
REAL_TIME = {
    "clock.py": "the clock itself",
    "db/models.py": "utcnow() is the row default and returns clock.now()",
    "extensions.py": "crawl report file names: when the process ran, sorted across runs",
    "archivist/export_wacz.py": "the package's created date: when the export ran",
    "spiders/worker.py": "idle timeout of a distributed worker: real seconds",
    "distributed/politeness.py": "per-domain request rate across workers: real seconds",
}
OVERRIDE = "2026-03-01T08:00:00Z"
AT = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def test_no_wall_clock_outside_the_allow_list():
    found = {str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py") if WALL_CLOCK.search(p.read_text())}
    assert found - set(REAL_TIME) == set(), "read newsarchive.clock.now() instead"


def test_row_defaults_follow_the_clock(sessions, monkeypatch):
    monkeypatch.setenv("NEWSARCHIVE_NOW", OVERRIDE)
    with sessions.begin() as session:
        outlet = store.get_or_create_outlet(session, "daily")
        session.flush()
        assert AT <= outlet.created_at < AT + timedelta(minutes=5)


def test_warc_file_names_follow_the_clock_and_warcs_since_reads_them(tmp_path, monkeypatch):
    monkeypatch.setenv("NEWSARCHIVE_NOW", OVERRIDE)
    writer = RollingWarcWriter(tmp_path / "warc", "t")
    response, _ = _exchange(writer, 1)
    writer.close()
    assert response.filename.startswith("t-2026030108")
    env = dict(os.environ, NEWSARCHIVE_DATA_DIR=str(tmp_path), NEWSARCHIVE_NOW=OVERRIDE)

    def listed(since: str) -> str:
        result = subprocess.run([sys.executable, "-m", "newsarchive", "warcs", "--since", since], env=env,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        return result.stdout

    assert response.filename in listed("2026-03-01T07:00:00")
    assert response.filename not in listed("2026-03-01T09:00:00")
