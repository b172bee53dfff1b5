"""kill -9 crawls whose bodies come in every advertised Content-Encoding, again and again.

After each kill the next run repairs the crashed file: every record pointer the killed run
handed out must still read back, and every file must verify with warcio and FastWARC.
"""

from __future__ import annotations

import random
import subprocess
import time
from pathlib import Path

import pytest

from newsarchive.warc import list_warcs, read_record, verify_warc
from newsarchive.warc.encodings import decode_body
from tests.test_warc_crash import _rows
from tests.warc_support.fixtures import crawl_cmd, crawl_env, read_all_fastwarc, run_crawl
from tests.warc_support.site import ENCODINGS, LocalSite

KILLS = 3
N_PAGES = 150


@pytest.mark.slow
def test_repeated_kill_9_with_br_zstd_gzip_deflate_bodies_loses_no_record(tmp_path: Path) -> None:
    rnd = random.Random(9)
    warc_dir = tmp_path / "warc"
    pointers: list[dict] = []
    with LocalSite() as site:
        for kill in range(KILLS):
            out = tmp_path / f"killed{kill}.jsonl"
            paths = [f"/enc/{ENCODINGS[n % 4]}/{kill * 1000 + n}" for n in range(N_PAGES)]
            proc = subprocess.Popen(
                crawl_cmd(site.base, warc_dir, out, paths),
                env=crawl_env(WARC_MAX_SIZE="3000000", WARC_PREFIX="enc"),
                cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
            target = rnd.randrange(5, 60)  # a random moment, counted in records written
            try:
                deadline = time.monotonic() + 90
                while len(_rows(out)) < target:
                    assert proc.poll() is None, "crawl ended before it could be killed"
                    assert time.monotonic() < deadline, "crawl too slow"
                    time.sleep(0.005)
            finally:
                proc.kill()
                proc.wait()
            pointers += [r["warc"] for r in _rows(out)]
        # one clean run repairs what the last kill left (earlier ones were repaired on start)
        _, stats = run_crawl(site.base, warc_dir, tmp_path / "last.jsonl", ["/enc/br/1"])
    assert not list(warc_dir.glob("*.open"))
    listing = list_warcs(warc_dir)
    for info in listing:
        report = verify_warc(info.path)
        assert report.ok, report
        read_all_fastwarc(Path(info.path))
    for ptr in pointers:
        record = read_record(warc_dir / ptr["filename"], ptr["offset"])
        assert record.header("WARC-Record-ID") == ptr["record_id"]
        coding = dict((k.lower(), v) for k, v in record.http_headers)["content-encoding"]
        assert decode_body(record.body, coding).startswith(b"<html>")
    assert len(pointers) >= KILLS * 5
