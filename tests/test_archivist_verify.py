"""``newsarchive verify`` on a real two-crawl archive of the local site: passes as crawled,
fails (exit 1, a line naming the file and record) on each kind of tampering."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select, update

from newsarchive.archivist.records import iter_records
from newsarchive.db.models import Capture
from tests.warc_support.fixtures import read_all_fastwarc

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def archive(crawl_any_db, site, tmp_path):
    """Edition 1, then edition 2: responses, revisits, metadata records, indexes."""
    crawl_any_db()
    site.site.edition = 2
    crawl_any_db()
    return crawl_any_db


def verify(crawl, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    db = ["--db", crawl.db_url] if crawl.db_url else []
    return subprocess.run([sys.executable, "-m", "newsarchive", "verify", "--data-dir", str(crawl.data_dir),
                           *db, *args], capture_output=True, text=True, timeout=120, env=env)


def warcs(crawl) -> list[Path]:
    return sorted((crawl.data_dir / "warc").glob("*.warc.gz"))


def _rewrite_member(path: Path, offset: int, length: int, new_data: bytes | None) -> None:
    """Replace (or, with None, drop) one gzip member; later offsets shift accordingly."""
    raw = path.read_bytes()
    replacement = b"" if new_data is None else gzip.compress(new_data)
    path.write_bytes(raw[:offset] + replacement + raw[offset + length:])


def test_a_fresh_archive_verifies(archive):
    result = verify(archive)
    assert result.returncode == 0, result.stdout + result.stderr
    summary = result.stdout.strip().splitlines()[-1]
    assert summary.startswith("verify: OK: 2 file(s)")
    assert "revisits" in summary and " 0 revisits" not in summary
    assert all(line.startswith("ok ") for line in result.stdout.splitlines()[:-1])
    outlet = verify(archive, "--outlet", "ledger")
    assert outlet.returncode == 0, outlet.stdout
    unknown = verify(archive, "--outlet", "nope")
    assert unknown.returncode == 2 and unknown.stderr.count("\n") == 1


def test_a_flipped_payload_byte_is_named_by_file_and_record(archive):
    path = warcs(archive)[0]
    record = next(r for r in iter_records(path) if r.type == "response" and b"<html" in r.data.lower())
    at = record.data.lower().index(b"<html") + 3
    tampered = record.data[:at] + bytes([record.data[at] ^ 0x01]) + record.data[at + 1:]
    _rewrite_member(path, record.offset, record.length, tampered)
    result = verify(archive)
    assert result.returncode == 1
    lines = [line for line in result.stdout.splitlines() if record.record_id in line and "digest" in line.lower()]
    assert lines and path.name in lines[0], result.stdout


def test_a_flipped_compressed_byte_stops_with_one_line(archive):
    path = warcs(archive)[1]
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    path.write_bytes(bytes(raw))
    result = verify(archive)
    assert result.returncode == 1
    assert any(path.name in line and ("gzip" in line or "digest" in line.lower() or "record" in line)
               for line in result.stdout.splitlines() if line.startswith("  ")), result.stdout


def test_a_capture_row_with_a_wrong_offset(archive):
    with archive.sessions().begin() as session:
        capture = session.scalars(select(Capture).where(Capture.warc_record_id.is_not(None))
                                  .order_by(Capture.id).limit(1)).one()
        session.execute(update(Capture).where(Capture.id == capture.id)
                        .values(warc_offset=capture.warc_offset + 1))
        cid, name, record_id = capture.id, capture.warc_filename, capture.warc_record_id
    result = verify(archive)
    assert result.returncode == 1
    [line] = [line for line in result.stdout.splitlines() if f"capture {cid} " in line]
    assert name in line and record_id in line and "no record starts at offset" in line


def test_a_missing_revisit_original(archive):
    first, second = warcs(archive)
    revisits = [r for r in iter_records(second) if r.type == "revisit"]
    assert revisits
    target = revisits[0].headers["warc-refers-to"]
    original = next(r for r in iter_records(first) if r.record_id == target)
    _rewrite_member(first, original.offset, original.length, None)
    result = verify(archive)
    assert result.returncode == 1
    assert any(f"revisit's original {target} is not in the archive" in line and second.name in line
               for line in result.stdout.splitlines()), result.stdout


def test_a_cdxj_line_pointing_at_the_wrong_offset(archive):
    path = warcs(archive)[0]
    index = Path(str(path) + ".cdxj")
    lines = index.read_text().splitlines()
    urlkey, ts, blob = lines[0].split(" ", 2)
    fields = json.loads(blob)
    fields["offset"] = str(int(fields["offset"]) + 7)
    lines[0] = f"{urlkey} {ts} {json.dumps(fields)}"
    index.write_text("\n".join(lines) + "\n")
    result = verify(archive)
    assert result.returncode == 1
    bad = [line for line in result.stdout.splitlines() if index.name in line and "no record starts" in line]
    assert len(bad) == 1 and path.name in bad[0]
    assert any("record missing from the CDXJ index" in line for line in result.stdout.splitlines())


def _export(crawl, out: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    db = ["--db", crawl.db_url] if crawl.db_url else []
    return subprocess.run([sys.executable, "-m", "newsarchive", "export", "--format", "warc", "--out", str(out),
                           "--data-dir", str(crawl.data_dir), *db, *args],
                          capture_output=True, text=True, timeout=120, env=env)


def test_warc_export_of_one_outlet_brings_its_revisit_originals(archive, tmp_path):
    from warcio.archiveiterator import ArchiveIterator

    out = tmp_path / "ledger.warc.gz"
    result = _export(archive, out, "--outlet", "ledger")
    assert result.returncode == 0, result.stderr
    with archive.sessions()() as session:
        from newsarchive.db.models import Outlet

        ledger = session.scalar(select(Outlet.id).where(Outlet.name == "ledger"))
        ours = {c.warc_record_id for c in session.scalars(select(Capture).where(
            Capture.outlet_id == ledger, Capture.warc_record_id.is_not(None)))}
        others = {c.warc_record_id for c in session.scalars(select(Capture).where(
            Capture.outlet_id != ledger, Capture.warc_record_id.is_not(None)))}
    records = []
    with open(out, "rb") as fh:
        for record in ArchiveIterator(fh, check_digests=True):
            body = record.raw_stream.read()
            assert not record.digest_checker.problems
            records.append(record)
            if len(records) == 1:
                assert record.rec_type == "warcinfo" and b"outlet=ledger" in body
    ids = {r.rec_headers.get_header("WARC-Record-ID") for r in records}
    captured = {i for i in ids if i in ours or i in others}
    assert ours <= ids
    revisits = [r for r in records if r.rec_type == "revisit"]
    assert all(r.rec_headers.get_header("WARC-Refers-To") in ids for r in revisits)
    originals = {r.rec_headers.get_header("WARC-Refers-To") for r in revisits}
    assert captured - ours <= originals  # nothing of another outlet but what a revisit needs
    assert len(read_all_fastwarc(out)) == len(records)  # FastWARC: block and payload digests
    assert Path(str(out) + ".cdxj").exists()
    # only the second crawl: its revisits' originals (first crawl) come along
    second = warcs(archive)[1]
    with archive.sessions()() as session:
        since = min(session.scalars(select(Capture.fetched_at).where(Capture.warc_filename == second.name)))
        first_ids = {c.warc_record_id for c in session.scalars(select(Capture).where(
            Capture.warc_filename == warcs(archive)[0].name, Capture.warc_record_id.is_not(None)))}
    later = tmp_path / "later.warc.gz"
    result = _export(archive, later, "--since", since.isoformat())
    assert result.returncode == 0, result.stderr
    with open(later, "rb") as fh:
        records = [(r.rec_type, r.rec_headers.get_header("WARC-Record-ID"),
                    r.rec_headers.get_header("WARC-Refers-To")) for r in ArchiveIterator(fh)]
    ids = {i for _, i, _ in records}
    refs = {ref for kind, _, ref in records if kind == "revisit"}
    assert refs and refs <= ids and refs <= first_ids
    assert (ids & first_ids) == refs  # of the first crawl: exactly the originals
    again = _export(archive, out)
    assert again.returncode == 2 and "exists" in again.stderr


def test_jsonl_export_has_the_feed_and_the_sentence_table(archive, tmp_path):
    out = tmp_path / "ledger.jsonl"
    env = dict(os.environ, PYTHONPATH=str(REPO))
    db = ["--db", archive.db_url] if archive.db_url else []
    result = subprocess.run([sys.executable, "-m", "newsarchive", "export", "--format", "jsonl", "--out", str(out),
                             "--outlet", "ledger", "--data-dir", str(archive.data_dir), *db],
                            capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    feed = [r for r in rows if r["record"] == "feed"]
    sentences = [r for r in rows if r["record"] == "sentence"]
    assert feed and all(r["outlet"] == "ledger" and "cluster_id" in r and r["cluster_id"] is None for r in feed)
    ferry = [r for r in feed if r["url"].endswith("ferry-terminal-to-close")]
    assert [r["version"] for r in ferry] == [1, 2] and "update_appended" in ferry[1]["change"]["kinds"]
    pair = [s for s in sentences if s["url"] == ferry[1]["url"]]
    assert pair and {s["old_version"] for s in pair} == {1} and {s["new_version"] for s in pair} == {2}
    added = [s for s in pair if s["label"] == "Addition"]
    assert added and all(s["old_sentence"] is None and s["new_sentence"] for s in added)
    assert any(s["new_sentence"].startswith("Update # 1") for s in added)
    assert {s["label"] for s in pair} <= {"Addition", "Deletion", "Edit", "Refactor", "Unchanged"}
    assert "Unchanged" in {s["label"] for s in pair}
