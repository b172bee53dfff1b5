"""``newsarchive export --format wacz`` cost against ``--format warc`` on a real crawled archive.

Crawls the demo site (edition 1, then edition 2) into a temporary directory with real
``scrapy crawl news`` subprocesses, then times WARC exports (the baseline: the same record
selection and copy) and WACZ exports (that, plus the merged index, the page list, hashing
and zipping) in turns, a b a b, in the same invocation.

    nice -n 10 python benchmarks/bench_export.py --rounds 20
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from newsarchive.archivist.export_wacz import export_wacz  # noqa: E402
from newsarchive.archivist.export_warc import export_warc  # noqa: E402
from newsarchive.archivist.selection import Selection  # noqa: E402
from demo_archive import crawl_two_editions  # noqa: E402
from newsarchive.db.engine import open_database  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20, help="timed exports of each kind")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = crawl_two_editions(Path(tmp))
        if data is None:
            return 1
        warc_dir = data / "warc"
        sessions = open_database(f"sqlite:///{data / 'newsarchive.sqlite3'}")
        out = Path(tmp) / "out"
        out.mkdir()
        times = {"warc": 0.0, "wacz": 0.0}
        sizes = {}
        with sessions() as session:
            selection = Selection().resolve(session)
            for n in range(args.rounds):
                for kind in ("warc", "wacz"):  # a b a b
                    path = out / f"{n}.{kind}" if kind == "wacz" else out / f"{n}.warc.gz"
                    started = time.perf_counter()
                    if kind == "warc":
                        done = export_warc(session, warc_dir, selection, str(path))
                        records = done.records
                    else:
                        wacz = export_wacz(session, warc_dir, selection, str(path))
                        pages = wacz.pages
                    times[kind] += time.perf_counter() - started
                    sizes[kind] = os.path.getsize(path)
                    for leftover in out.iterdir():
                        leftover.unlink()
        per = {k: v / args.rounds for k, v in times.items()}
        print(f"archive: {records} records selected, {pages} pages (article versions); {args.rounds} rounds each")
        print(f"warc export: {per['warc'] * 1000:.1f} ms per export ({records / per['warc']:.0f} records/s), "
              f"{sizes['warc']} bytes")
        print(f"wacz export: {per['wacz'] * 1000:.1f} ms per export ({records / per['wacz']:.0f} records/s), "
              f"{sizes['wacz']} bytes")
        print(f"wacz / warc: {per['wacz'] / per['warc']:.2f}x the time, {sizes['wacz'] / sizes['warc']:.2f}x the bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
