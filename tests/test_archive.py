"""The archive as archivists get it: two real crawls of the local site by the ``news`` spider,
read back from the WARC files and checked against the database rows that point at them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from newsarchive.db.models import Article, Capture
from newsarchive.warc import read_record, verify_warc
from tests.warc_support.fixtures import read_all_fastwarc, read_all_warcio
from tests.warc_support.pywb_env import ensure_pywb_venv, get, wayback

FERRY = "/ledger/2026/01/05/ferry-terminal-to-close"


@pytest.fixture
def archived(crawl, site):
    """Edition 1, then edition 2 (the ferry story gets an update paragraph)."""
    crawl()
    site.site.edition = 2
    crawl()
    return crawl


def cli(crawl, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "newsarchive", *args, "--data-dir", str(crawl.data_dir)],
                          capture_output=True, timeout=60)


def warc_files(crawl) -> list[Path]:
    return sorted((crawl.data_dir / "warc").glob("*.warc.gz"))


def test_every_capture_points_at_its_record_with_the_same_date(archived):
    files = warc_files(archived)
    assert len(files) == 2 and not list((archived.data_dir / "warc").glob("*.open"))
    for path in files:
        assert verify_warc(path).ok
        assert (path.parent / (path.name + ".cdxj")).exists()
        assert read_all_fastwarc(path)  # independent parser, block and payload digests
    with archived.sessions()() as session:
        captures = session.scalars(select(Capture)).all()
        assert captures and all(c.warc_record_id for c in captures)
        for capture in captures:
            record = read_record(archived.data_dir / "warc" / capture.warc_filename, capture.warc_offset)
            assert record.header("WARC-Record-ID") == capture.warc_record_id
            assert record.header("WARC-Target-URI") == capture.url
            assert record.header("WARC-Date").rstrip("Z") == capture.fetched_at.strftime("%Y-%m-%dT%H:%M:%S.%f")
            assert record.http_status_line.split()[1] == str(capture.status)


def test_metadata_records_rebuild_the_versions(archived):
    records = [r for path in warc_files(archived) for r in read_all_warcio(path)]
    responses = {r.headers["WARC-Record-ID"]: r for r in records if r.rec_type == "response"}
    metadata = [r for r in records if r.rec_type == "metadata"]
    assert len(metadata) == 12  # six articles, two crawls
    versions = {}
    for record in metadata:
        assert record.headers["WARC-Concurrent-To"] in responses  # beside its article response
        payload = json.loads(record.raw_payload)
        versions.setdefault(payload["canonical_url"], set()).add(payload["version"])
        assert payload["paragraphs"] and payload["fingerprint"]
    ferry = next(url for url in versions if url.endswith(FERRY))
    assert versions.pop(ferry) == {1, 2}
    assert all(v == {1} for v in versions.values())


def test_unchanged_payloads_become_revisits_of_the_first_capture(archived):
    records = [r for path in warc_files(archived) for r in read_all_warcio(path)]
    revisits = [r for r in records if r.rec_type == "revisit"]
    robots = [r for r in revisits if r.headers["WARC-Target-URI"].endswith("/robots.txt")]
    assert len(robots) == 1  # robots.txt did not change between the crawls
    original = next(r for r in records if r.rec_type == "response"
                    and r.headers["WARC-Record-ID"] == robots[0].headers["WARC-Refers-To"])
    assert robots[0].headers["WARC-Refers-To-Date"] == original.headers["WARC-Date"]
    assert robots[0].headers["WARC-Payload-Digest"] == original.headers["WARC-Payload-Digest"]


def test_record_and_warcs_commands(archived, site):
    result = cli(archived, "record", site.url(FERRY))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(b"HTTP/1.1 200")
    assert "Update # 1 \u2014 4:09 P.M.".encode() in result.stdout  # the latest capture
    first = cli(archived, "record", site.url(FERRY), "--at", "2000-01-01")
    assert first.returncode == 0 and "Update # 1".encode() not in first.stdout
    listing = cli(archived, "warcs")
    assert listing.returncode == 0
    assert all(path.name in listing.stdout.decode() for path in warc_files(archived))
    assert cli(archived, "record", site.url("/nowhere")).returncode == 2


def test_repair_cuts_a_torn_record_and_marks_its_capture_lost(archived):
    last = warc_files(archived)[-1]
    with archived.sessions()() as session:
        victim = session.scalars(select(Capture).where(Capture.warc_filename == last.name)
                                 .order_by(Capture.warc_offset.desc()).limit(1)).one()
    # What kill -9 in the middle of a write leaves behind: an .open file ending in half a record.
    torn = last.with_name(last.name + ".open")
    torn.write_bytes(last.read_bytes()[: victim.warc_offset + victim.warc_length // 2])
    last.unlink()
    result = cli(archived, "warcs", "--repair")
    assert result.returncode == 0, result.stderr
    assert b"capture(s) marked as lost" in result.stdout
    assert verify_warc(last).ok and not torn.exists()
    with archived.sessions()() as session:
        for capture in session.scalars(select(Capture)):
            path = archived.data_dir / "warc" / capture.warc_filename
            if capture.warc_lost:
                assert capture.warc_filename == last.name and capture.warc_offset >= victim.warc_offset
                with pytest.raises(ValueError):
                    read_record(path, capture.warc_offset)
            else:
                assert read_record(path, capture.warc_offset).header("WARC-Record-ID") == capture.warc_record_id
        assert session.get(Capture, victim.id).warc_lost


@pytest.mark.slow
def test_pywb_replays_an_archived_article_byte_for_byte(archived, site, tmp_path):
    bin_dir = ensure_pywb_venv()
    with archived.sessions()() as session:
        article = session.scalars(select(Article).where(Article.canonical_url.endswith(FERRY))).one()
        capture = session.scalars(select(Capture).where(Capture.article_id == article.id)
                                  .order_by(Capture.fetched_at)).first()
    original = read_record(archived.data_dir / "warc" / capture.warc_filename, capture.warc_offset).body
    stamp = capture.fetched_at.strftime("%Y%m%d%H%M%S")
    with wayback(bin_dir, tmp_path, warc_files(archived)) as port:
        status, _, body = get(port, f"/coll/{stamp}id_/{capture.url}")
    assert status == 200 and body == original
