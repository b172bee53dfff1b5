"""Peak Python memory of ``newsarchive export --format jsonl`` at two archive sizes.

Builds two SQLite archives (``--stories`` and 4x that many stories of ~8 kB of text, one
version each, plus 1% with a second version for the sentence table) through the storage
layer, then measures with tracemalloc, in the same invocation, the streamed export and the
baseline: the same feed held in a list, as the in-memory sort did before it streamed.

    nice -n 10 python benchmarks/bench_export_jsonl.py --stories 500
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from newsarchive.archivist.export_jsonl import export_jsonl  # noqa: E402
from newsarchive.archivist.selection import Selection  # noqa: E402
from newsarchive.db import store  # noqa: E402
from newsarchive.db.engine import open_database  # noqa: E402
from newsarchive.db.queries import change_feed  # noqa: E402

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def content(slug: str, version: int) -> dict:
    body = [" ".join(f"{slug}{p}w{w}" for w in range(100)).capitalize() + "." for p in range(8)]
    extra = [f"Update # 1 \u2014 4:09 P.M.: the {slug} story moved on."] if version > 1 else []
    return {"title": f"Story {slug}", "byline": "Mara Lindqvist", "paragraphs": [*body, *extra]}


def build(url: str, stories: int) -> None:
    sessions = open_database(url)
    with sessions.begin() as session:
        outlet = store.get_or_create_outlet(session, "ledger", {})
        for version, count in ((1, stories), (2, max(1, stories // 100))):
            for s in range(count):
                page = f"https://ledger.example/2026/01/05/s{s:05d}"
                at = T0 + timedelta(hours=version, seconds=s)
                capture = store.add_capture(session, url=page, fetched_at=at, status=200)
                store.record_article(session, outlet=outlet, canonical_url=page,
                                     content=content(f"s{s:05d}", version), fetched_at=at, capture=capture)


def peak(run: Callable[[], object]) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        run()
        return tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, default=500, help="stories in the small archive (4x in the large)")
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for stories in (args.stories, 4 * args.stories):
            url = f"sqlite:///{tmp}/a{stories}.sqlite3"
            build(url, stories)
            sessions = open_database(url)
            out = Path(tmp) / f"a{stories}.jsonl"
            with sessions() as session:
                selection = Selection().resolve(session)

                def export() -> None:
                    with open(out, "w", encoding="utf-8") as fh:  # noqa: B023
                        export_jsonl(session, selection, fh)  # noqa: B023

                streamed = peak(export)
                held = peak(lambda: list(change_feed(session)))  # noqa: B023
            results[stories] = (streamed, held, out.stat().st_size)
            print(f"{stories} stories: export peak {streamed / 1e6:.1f} MB, feed held in a list "
                  f"{held / 1e6:.1f} MB, output {out.stat().st_size / 1e6:.1f} MB")
    (small, small_held, _), (large, large_held, _) = results[args.stories], results[4 * args.stories]
    print(f"4x the archive: export peak {large / small:.2f}x, feed held in a list {large_held / small_held:.2f}x; "
          f"at {4 * args.stories} stories the export peaks at {large / large_held:.2f}x the held feed")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
