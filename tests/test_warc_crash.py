"""kill -9 a crawl that is busy writing large records; the next run repairs its files."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

from newsarchive.warc import list_warcs, read_record, verify_warc
from tests.warc_support.fixtures import crawl_cmd, crawl_env, run_crawl
from tests.warc_support.site import LocalSite, big_body

N_PAGES = 400


def _rows(out: Path) -> list[dict]:
    if not out.exists():
        return []
    lines = out.read_text().splitlines()
    rows = []
    for line in lines:
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:  # a line cut by the kill
            break
    return [r for r in rows if "warc" in r]


def test_kill_9_mid_crawl_then_next_run_repairs(tmp_path: Path) -> None:
    warc_dir = tmp_path / "warc"
    out = tmp_path / "killed.jsonl"
    paths = ["/slow"] + [f"/big/{n}" for n in range(N_PAGES)]
    with LocalSite() as site:
        proc = subprocess.Popen(
            crawl_cmd(site.base, warc_dir, out, paths),
            env=crawl_env(WARC_MAX_SIZE="2000000", WARC_PREFIX="crash"),
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 60
            # Kill while a file is open: the writer rolls over every ~10 records, and between
            # renaming one file and creating the next there is (briefly) none.
            while len(_rows(out)) < 40 or not list(warc_dir.glob("*.warc.gz.open")):
                assert proc.poll() is None, "crawl ended before it could be killed"
                assert time.monotonic() < deadline, "crawl too slow"
                time.sleep(0.01)
        finally:
            proc.kill()  # SIGKILL: no spider_closed, no rename, maybe a torn member
            proc.wait()
        before = _rows(out)
        assert 40 <= len(before) < N_PAGES
        open_files = list(warc_dir.glob("*.warc.gz.open"))
        # The crash left its current file open, unless the kill fell inside a roll-over (the
        # old file renamed, the next not yet created): then there is nothing to repair.
        assert len(open_files) <= 1
        rolled = list(warc_dir.glob("*.warc.gz"))
        assert rolled  # earlier files were rolled over and closed normally

        # The next run repairs in spider_opened before writing anything.
        _, stats = run_crawl(site.base, warc_dir, tmp_path / "next.jsonl", ["/page?x=1&y=two"])
    repaired = {k: v for k, v in stats.items() if k.startswith("warc/repair/")}
    # "truncated" when the kill tore a member, "closed" when it fell between records,
    # "removed" when it fell before the new file's first record was complete
    assert sum(repaired.values()) == len(open_files) and set(repaired) <= {
        "warc/repair/truncated",
        "warc/repair/closed",
        "warc/repair/removed",
    }, repaired
    print("repair:", repaired)

    assert not list(warc_dir.glob("*.open"))
    listing = list_warcs(warc_dir)
    kept = len(open_files) - repaired.get("warc/repair/removed", 0)
    assert len(listing) == len(rolled) + kept + 1  # + the repaired file + the next run's file
    for info in listing:
        report = verify_warc(info.path)
        assert report.ok, report
        assert report.records == info.records
        assert Path(info.path + ".cdxj").exists()  # the next run indexed the repaired file
    # every pointer the killed crawl handed out (record fsynced first) is still readable
    for row in before:
        ptr = row["warc"]
        rec = read_record(warc_dir / ptr["filename"], ptr["offset"])
        assert rec.header("WARC-Record-ID") == ptr["record_id"]
        assert rec.body == big_body(int(row["url"].rsplit("/", 1)[1]))
