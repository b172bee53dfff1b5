"""Shared helpers and fixtures for the WARC tests (imported by tests/test_warc_*.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from tests.warc_support.site import LocalSite

REPO = Path(__file__).resolve().parents[2]
CRAWL_SCRIPT = Path(__file__).with_name("crawl.py")
SITE_PATHS = ["/page?x=1&y=two", "/gz", "/r1", "/missing", "/error", "/chunked", "/skip"]


def crawl_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.update(extra)
    return env


def crawl_cmd(base: str, warc_dir: Path, out: Path, paths: list[str]) -> list[str]:
    return [sys.executable, str(CRAWL_SCRIPT), base, str(warc_dir), str(out), *paths]


def run_crawl(
    base: str, warc_dir: Path, out: Path, paths: list[str], **env: str
) -> tuple[list[dict], dict]:
    """Run one crawl to completion in a fresh process; return (response rows, warc stats)."""
    proc = subprocess.run(
        crawl_cmd(base, warc_dir, out, paths),
        env=crawl_env(**env),
        cwd=str(out.parent),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert "Traceback" not in proc.stderr, proc.stderr[-4000:]
    rows = [json.loads(line) for line in out.read_text().splitlines() if line.strip()]
    stats = next(r["stats"] for r in rows if "stats" in r)
    return [r for r in rows if "stats" not in r], stats


@dataclass
class TwoCrawls:
    base: str
    warc_dir: Path
    rows1: list[dict]
    stats1: dict
    rows2: list[dict]
    stats2: dict
    files1: list[Path] = field(default_factory=list)
    files2: list[Path] = field(default_factory=list)


@pytest.fixture(scope="module")
def two_crawls(tmp_path_factory: pytest.TempPathFactory):
    """The local site crawled twice, by two processes, into one WARC directory."""
    root = tmp_path_factory.mktemp("two_crawls")
    warc_dir = root / "warc"
    with LocalSite() as site:
        rows1, stats1 = run_crawl(site.base, warc_dir, root / "crawl1.jsonl", SITE_PATHS)
        files1 = sorted(warc_dir.glob("*.warc.gz"))
        # Replay addresses captures by 14-digit timestamp: start crawl 2 in a later second.
        time.sleep(1.05 - (time.time() % 1))
        rows2, stats2 = run_crawl(site.base, warc_dir, root / "crawl2.jsonl", SITE_PATHS)
        files2 = sorted(set(warc_dir.glob("*.warc.gz")) - set(files1))
        yield TwoCrawls(site.base, warc_dir, rows1, stats1, rows2, stats2, files1, files2)


@dataclass
class ReadRecord:
    rec_type: str
    headers: dict[str, str]
    http_protocol: str | None
    http_statusline: str | None
    http_headers: list[tuple[str, str]]
    raw_payload: bytes
    offset: int
    length: int


def read_all_warcio(path: Path) -> list[ReadRecord]:
    """Every record of a file via warcio, failing the test on any digest problem."""
    out = []
    with open(path, "rb") as fh:
        it = ArchiveIterator(fh, check_digests="raise")
        for record in it:
            http = record.http_headers
            payload = record.raw_stream.read()
            # consume the rest so digests are checked
            record.content_stream().read()
            assert record.digest_checker.passed is not False, record.digest_checker.problems
            out.append(
                ReadRecord(
                    record.rec_type,
                    dict(record.rec_headers.headers),
                    http.protocol if http else None,
                    http.statusline if http else None,
                    list(http.headers) if http else [],
                    payload,
                    it.get_record_offset(),
                    0,
                )
            )
            it.read_to_end()
            out[-1].length = it.get_record_length()
    return out


def read_all_fastwarc(path: Path) -> list[tuple[str, str, bytes]]:
    """(type, record id, payload) via FastWARC, asserting block and payload digests.

    Two passes: block digests need the unparsed block, payload digests need the HTTP head
    parsed off first.
    """
    from fastwarc.warc import ArchiveIterator as FastIterator
    from fastwarc.warc import WarcRecordType

    with open(path, "rb") as fh:
        for record in FastIterator(fh, parse_http=False):
            assert record.verify_block_digest(), f"block digest of {record.record_id}"
    out = []
    with open(path, "rb") as fh:
        for record in FastIterator(fh, parse_http=True):
            rtype = str(record.record_type)
            if record.record_type in (WarcRecordType.response, WarcRecordType.request):
                assert record.verify_payload_digest(), f"payload digest of {record.record_id}"
                payload = b""  # consumed by verification; warcio pass checks bytes
            else:
                payload = record.reader.read()
            out.append((rtype, record.record_id, payload))
    return out
