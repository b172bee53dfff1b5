"""Two and three crawls at once on one data directory: every run exits 0, nothing lost.

Before: migrations raced (``table outlets already exists``) and overlapping runs collided on
one ``<file>.cdxj.tmp``.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from sqlalchemy import func, select

from newsarchive.db.engine import open_database
from newsarchive.db.models import Article, ArticleVersion, Capture
from newsarchive.demo.run import FAST_LOCAL, crawl_command
from newsarchive.demo.site import NewsSite, SiteServer, outlets_toml
from newsarchive.warc import closed_warcs, read_record, verify_warc


def _overlapping(outlets: Path, data_dir: Path, n: int, db_url: str) -> list[subprocess.CompletedProcess]:
    procs = []
    for _ in range(n):
        command, env = crawl_command(outlets, data_dir, db_url=db_url, settings=(*FAST_LOCAL, "LOG_LEVEL=INFO"))
        procs.append(subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      text=True))
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        results.append(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
    return results


def _check_archive(data_dir: Path, db_url: str) -> None:
    warcs = closed_warcs(data_dir / "warc")
    assert warcs and not list((data_dir / "warc").glob("*.open"))
    assert not list((data_dir / "warc").glob("*.tmp"))
    for path in warcs:
        assert verify_warc(path).ok
        assert Path(path + ".cdxj").exists(), f"{path} not indexed"
    with open_database(db_url)() as session:
        captures = session.scalars(select(Capture).where(Capture.warc_record_id.is_not(None))).all()
        assert captures
        for capture in captures:
            record = read_record(data_dir / "warc" / capture.warc_filename, capture.warc_offset)
            assert record.header("WARC-Record-ID") == capture.warc_record_id
        # one version per article (the site did not change), however many runs saw it
        duplicates = session.execute(select(ArticleVersion.article_id, ArticleVersion.seq, func.count())
                                     .group_by(ArticleVersion.article_id, ArticleVersion.seq)
                                     .having(func.count() > 1)).all()
        assert duplicates == []
        assert session.scalar(select(func.count()).select_from(ArticleVersion)) == \
            session.scalar(select(func.count()).select_from(Article))


@pytest.mark.slow
@pytest.mark.parametrize("runs", [2, 3])
def test_overlapping_crawls_on_a_new_then_an_existing_data_dir(tmp_path: Path, runs: int, db_url: str) -> None:
    data_dir = tmp_path / "data"
    if db_url.startswith("sqlite"):
        db_url = ""  # the default: the SQLite file in the new data directory
    with SiteServer(NewsSite(edition=1)) as server:
        outlets = tmp_path / "outlets.toml"
        outlets.write_text(outlets_toml(server.base_url), encoding="utf-8")
        for attempt in ("new", "existing"):
            results = _overlapping(outlets, data_dir, runs, db_url)
            for result in results:
                assert result.returncode == 0, f"{attempt}: {result.stderr[-2000:]}"
                assert "Traceback" not in result.stderr, result.stderr[-2000:]
    _check_archive(data_dir, db_url or f"sqlite:///{data_dir / 'newsarchive.sqlite3'}")
