"""Fault injection: kill -9 real crawls at random moments, bodies in every encoding; count losses.

A generated newsroom (four templates, newsarchive.demo.newsroom) serves each page gzip-, deflate-, br- or zstd-encoded.
Crawls (`scrapy crawl news -a recrawl=all`, as cron runs them) are killed with SIGKILL at
random moments: during WARC writes, database commits, index writes at close and the repair
at start. The stories are edited between rounds, so versions are committed all along. After
the last kill one clean crawl repairs, then everything is checked:

* every closed WARC file verifies (gzip end-of-stream, one record per member, block and payload
  digests with newsarchive's reader and FastWARC);
* every capture row that points at a record reads back the record it names (lost = marked
  ``warc_lost`` by repair, reported separately);
* no duplicate versions (same article, same content, consecutive), no committed version lost
  (every version seen after any kill is still there, its first capture readable).

    .venv/bin/python benchmarks/bench_faults.py --kills 20 --articles 400
"""

from __future__ import annotations

import argparse
import random
import signal
import subprocess
import sys
import tempfile
import time
import zlib
from collections import Counter
from pathlib import Path

from sqlalchemy import select

from newsarchive.db.engine import default_db_url, open_database
from newsarchive.db.models import ArticleVersion, Capture
from newsarchive.demo.newsroom import Newsroom, generate, outlets_toml
from newsarchive.demo.run import FAST_LOCAL, crawl_command
from newsarchive.demo.site import Reply, SiteServer
from newsarchive.warc import closed_warcs, read_record, verify_warc
from newsarchive.warc.encodings import encode_body

ENCODINGS = ("gzip", "deflate", "br", "zstd")


class EncodingSite(Newsroom):
    """Serves every page in one of the four encodings, chosen by the path."""

    served: Counter[str] = Counter()

    def handle(self, path: str, query: dict[str, list[str]]) -> Reply:
        reply = super().handle(path, query)
        if path == "/robots.txt" or not reply.body:
            return reply
        coding = ENCODINGS[zlib.crc32(path.encode()) % len(ENCODINGS)]
        self.served[coding] += 1
        headers = dict(reply.headers, **{"Content-Encoding": coding, "Vary": "Accept-Encoding"})
        return Reply(reply.status, encode_body(reply.body, coding), headers)


def _fastwarc_ok(path: str) -> bool:
    from fastwarc.warc import ArchiveIterator, WarcRecordType

    with open(path, "rb") as fh:
        for record in ArchiveIterator(fh, parse_http=False):
            if not record.verify_block_digest():
                return False
    with open(path, "rb") as fh:
        for record in ArchiveIterator(fh, parse_http=True):
            if record.record_type == WarcRecordType.response and not record.verify_payload_digest():
                return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--articles", type=int, default=400)
    parser.add_argument("--seed", type=int, default=9)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    editions = 4
    site = EncodingSite(generate(args.articles, editions, 0.05, args.seed), editions)
    with tempfile.TemporaryDirectory(prefix="bench-faults-") as tmp, SiteServer(site) as server:
        work = Path(tmp)
        outlets = work / "outlets.toml"
        outlets.write_text(outlets_toml(server.base_url), encoding="utf-8")
        data = work / "data"
        settings = (*FAST_LOCAL, "CONCURRENT_REQUESTS=16", "CONCURRENT_REQUESTS_PER_DOMAIN=16",
                    "WARC_MAX_SIZE=2000000")
        sessions = None
        committed: dict[int, tuple[int, int, str]] = {}  # version id -> (article, seq, fingerprint)
        kills = finished = 0
        # A first, complete crawl tells how long one takes: kills are drawn over that span.
        command, env = crawl_command(outlets, data, settings=settings, spider_args=["recrawl=all"])
        started = time.monotonic()
        subprocess.run(command, env=env, capture_output=True, timeout=3600, check=True)
        typical = time.monotonic() - started
        print(f"  a complete crawl takes {typical:.1f}s", file=sys.stderr)
        round_ = 0
        # Rounds go on until --kills crawls were really killed (a crawl that finishes first
        # is not a kill), with at most twice as many rounds.
        while kills < args.kills and round_ < 2 * args.kills:
            site.edition = 1 + min(kills, args.kills - 1) * editions // args.kills
            command, env = crawl_command(outlets, data, settings=settings, spider_args=["recrawl=all"])
            started = time.monotonic()
            proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            delay = rng.uniform(0.3, 0.9 * typical)
            try:
                proc.wait(timeout=delay)
                finished += 1
                typical = max(typical, time.monotonic() - started)
            except subprocess.TimeoutExpired:
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                kills += 1
            if (data / "newsarchive.sqlite3").exists():
                sessions = sessions or open_database(default_db_url(data))
                with sessions() as session:
                    for v in session.scalars(select(ArticleVersion)):
                        committed[v.id] = (v.article_id, v.seq, v.fingerprint)
            print(f"  round {round_ + 1}: edition {site.edition}, "
                  f"{'killed' if proc.returncode == -signal.SIGKILL else 'finished'} after "
                  f"{time.monotonic() - started:.1f}s, {len(committed)} versions so far", file=sys.stderr)
            round_ += 1
        command, env = crawl_command(outlets, data, settings=settings, spider_args=["recrawl=all"])
        last = subprocess.run(command, env=env, capture_output=True, text=True, timeout=3600)
        if last.returncode != 0:
            sys.exit(f"the final crawl failed:\n{last.stderr[-3000:]}")
        sessions = sessions or open_database(default_db_url(data))
        warcs = closed_warcs(data / "warc")
        corrupt = [p for p in warcs if not verify_warc(p).ok or not _fastwarc_ok(p)]
        with sessions() as session:
            captures = session.scalars(select(Capture).where(Capture.warc_record_id.is_not(None))).all()
            dangling = lost = 0
            for capture in captures:
                if capture.warc_lost:
                    lost += 1
                    continue
                try:
                    record = read_record(data / "warc" / capture.warc_filename, capture.warc_offset)
                    dangling += record.header("WARC-Record-ID") != capture.warc_record_id
                except (OSError, ValueError):
                    dangling += 1
            versions = session.scalars(select(ArticleVersion).order_by(ArticleVersion.article_id,
                                                                        ArticleVersion.seq)).all()
            by_id = {v.id: v for v in versions}
            vanished = [vid for vid in committed if vid not in by_id]
            duplicates = sum(1 for a, b in zip(versions, versions[1:], strict=False)
                             if a.article_id == b.article_id and a.fingerprint == b.fingerprint)
            unreadable_versions = 0
            for v in versions:
                capture = session.get(Capture, v.first_capture_id) if v.first_capture_id else None
                if capture is None or capture.warc_lost:
                    unreadable_versions += 1
        records = sum(verify_warc(p).records for p in warcs)
    print(f"kills: {kills} in {round_} rounds (the other {finished} finished before their kill)")
    print(f"bodies served: {dict(site.served)} ({sum(site.served.values())} responses)")
    print(f"WARC files: {len(warcs)}, {records} records; corrupt files: {len(corrupt)}")
    print(f"captures with a record pointer: {len(captures)}; dangling: {dangling}; "
          f"marked lost by repair: {lost}")
    print(f"versions: {len(versions)}; committed versions lost: {len(vanished)}; "
          f"duplicate versions: {duplicates}; versions whose first capture has no record: "
          f"{unreadable_versions}")
    ok = not corrupt and not dangling and not vanished and not duplicates
    print("RESULT:", "nothing lost" if ok else "LOSS FOUND")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
