"""Disk full while writing a WARC: the crawl stops with one clear error, and nothing committed
points at a partial record (a small tmpfs holds the WARC directory; needs root to mount)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from newsarchive.db.engine import open_database
from newsarchive.db.models import ArticleVersion, Capture
from newsarchive.demo.run import FAST_LOCAL, crawl_subprocess
from newsarchive.demo.site import NewsSite, SiteServer, outlets_toml
from newsarchive.warc import closed_warcs, read_record, verify_warc


@pytest.fixture
def tiny_disk(tmp_path: Path):
    mount = tmp_path / "tiny"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24k", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=False)


@pytest.mark.slow
def test_disk_full_stops_the_crawl_and_leaves_no_dangling_pointer(tmp_path: Path, tiny_disk: Path) -> None:
    with SiteServer(NewsSite(edition=1)) as server:
        outlets = tmp_path / "outlets.toml"
        outlets.write_text(outlets_toml(server.base_url), encoding="utf-8")
        result = crawl_subprocess(outlets, tmp_path / "data", settings=(
            *FAST_LOCAL, f"WARC_DIR={tiny_disk}", "LOG_LEVEL=INFO", "CONCURRENT_REQUESTS=1"))
    errors = [line for line in result.stderr.splitlines() if "ERROR: WARC write failed" in line]
    assert len(errors) == 1 and "No space left on device" in errors[0], result.stderr[-3000:]
    assert "warc_write_failed" in result.stderr  # the spider was closed for it
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    sessions = open_database(f"sqlite:///{tmp_path / 'data' / 'newsarchive.sqlite3'}")
    with sessions() as session:
        captures = session.scalars(select(Capture).where(Capture.warc_record_id.is_not(None))).all()
        assert captures  # something was archived before the disk filled up
        for capture in captures:
            path = tiny_disk / capture.warc_filename
            record = read_record(path, capture.warc_offset)
            assert record.header("WARC-Record-ID") == capture.warc_record_id
        for version in session.scalars(select(ArticleVersion)):
            assert session.get(Capture, version.first_capture_id).warc_record_id
    # the file the crawl closed ends at a record boundary: it verifies as it is
    files = closed_warcs(tiny_disk) + [str(p) for p in tiny_disk.glob("*.open")]
    assert files
    for path in closed_warcs(tiny_disk):
        assert verify_warc(path).ok, verify_warc(path)
