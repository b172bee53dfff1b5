"""``newsarchive verify`` throughput: records per second on a real crawled archive.

Crawls the demo site (edition 1, then edition 2) into a temporary directory with real
``scrapy crawl news`` subprocesses, then times :func:`newsarchive.archivist.verify.verify_archive`
(digests, capture rows, versions, CDXJ lines, revisits) against a baseline run in the same
invocation: the plain gzip-member walk with digest checks of ``newsarchive.warc.verify_warc``.

    nice -n 10 python benchmarks/bench_verify.py --rounds 20
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from newsarchive.archivist.verify import verify_archive  # noqa: E402
from demo_archive import crawl_two_editions  # noqa: E402
from newsarchive.db.engine import open_database  # noqa: E402
from newsarchive.warc import closed_warcs, verify_warc  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20, help="timed passes over the archive")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = crawl_two_editions(Path(tmp))
        if data is None:
            return 1
        warc_dir = data / "warc"
        files = closed_warcs(warc_dir)
        sessions = open_database(f"sqlite:///{data / 'newsarchive.sqlite3'}")
        started = time.perf_counter()
        base_records = 0
        for _ in range(args.rounds):
            base_records += sum(verify_warc(f).records for f in files)
        base = time.perf_counter() - started
        started = time.perf_counter()
        records = 0
        with sessions() as session:
            for _ in range(args.rounds):
                result = verify_archive(session, warc_dir)
                assert result.ok, result.summary()
                records += result.records
        full = time.perf_counter() - started
        print(f"archive: {len(files)} files, {result.records} records, {result.captures} capture rows, "
              f"{result.versions} versions, {result.index_lines} index lines; {args.rounds} rounds")
        print(f"baseline (gzip walk + digests, verify_warc): {base_records / base:8.0f} records/s")
        print(f"newsarchive verify (all checks):            {records / full:8.0f} records/s "
              f"({full / base:.2f}x the baseline's time)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
