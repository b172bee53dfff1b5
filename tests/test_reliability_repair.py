"""`warcs --repair` checks the database before it cuts, and marking lost rows is resumable."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from newsarchive.db.models import Capture
from newsarchive.warc import read_record, repair_directory, verify_warc
from newsarchive.warc.repair import pending_repairs
from tests.test_archive import FERRY, archived, cli, warc_files  # noqa: F401 - fixture

SECRET = "S3cretPass"


def _tear(crawl):
    last = warc_files(crawl)[-1]
    with crawl.sessions()() as session:
        victim = session.scalars(select(Capture).where(Capture.warc_filename == last.name)
                                 .order_by(Capture.warc_offset.desc()).limit(1)).one()
    torn = last.with_name(last.name + ".open")
    torn.write_bytes(last.read_bytes()[: victim.warc_offset + victim.warc_length // 2])
    last.unlink()
    return last, torn, victim


@pytest.mark.slow
def test_repair_with_an_unusable_database_cuts_nothing(archived):
    last, torn, _ = _tear(archived)
    before = torn.read_bytes()
    result = cli(archived, "warcs", "--repair", "--db", f"postgresql://u:{SECRET}@127.0.0.1:1/none")
    assert result.returncode == 69, result.stderr  # the database is down: try later
    assert result.stderr.count(b"\n") == 1 and SECRET.encode() not in result.stderr
    assert torn.read_bytes() == before and not last.exists()  # untouched until the DB is there


@pytest.mark.slow
def test_rows_are_marked_lost_by_a_later_repair_when_the_first_could_not(archived):
    last, torn, victim = _tear(archived)
    # a repair whose database went away right after the cut (e.g. a crash before the commit)
    actions = repair_directory(archived.data_dir / "warc")
    assert [a.action for a in actions] == ["truncated"] and verify_warc(last).ok
    assert pending_repairs(archived.data_dir / "warc")  # the journal remembers the cut
    with archived.sessions()() as session:
        assert not session.get(Capture, victim.id).warc_lost  # not marked yet: dangling
    result = cli(archived, "warcs", "--repair")  # nothing left to cut, but the journal is read
    assert result.returncode == 0, result.stderr
    assert b"0 open file(s)" in result.stdout or b"repaired 0" in result.stdout
    assert not pending_repairs(archived.data_dir / "warc")
    with archived.sessions()() as session:
        assert session.get(Capture, victim.id).warc_lost
        for capture in session.scalars(select(Capture).where(Capture.warc_lost.is_(False))):
            record = read_record(archived.data_dir / "warc" / capture.warc_filename, capture.warc_offset)
            assert record.header("WARC-Record-ID") == capture.warc_record_id
    shown = cli(archived, "record", victim.url)
    assert b"Traceback" not in shown.stderr
