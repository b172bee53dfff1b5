"""Distributed mode: 1, 2 and 4 workers on one generated newsroom, pages/s and CPU per page.

    .venv/bin/python benchmarks/bench_workers.py --pg postgresql://postgres@127.0.0.1:5432/test \\
        --redis redis://127.0.0.1:6379/14 [--stories 1200] [--workers 1,2,4]

Each run gets a fresh PostgreSQL schema and an empty Redis database (flushed: give one the
benchmark may own), `newsarchive enqueue`, then N `newsarchive worker` processes until the
queue has been empty for 2 s (that idle tail is subtracted). The site is the edit benchmark's
four-template newsroom, served by a threaded stdlib server in this process. Efficiency is
pages/s with N workers / (N x pages/s with one).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import text

from newsarchive.db.engine import make_engine
from newsarchive.demo.newsroom import Newsroom, generate, outlets_toml
from newsarchive.demo.run import FAST_LOCAL
from newsarchive.demo.site import SiteServer

IDLE_EXIT = 2


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(workers: int, outlets: Path, pg: str, redis_url: str, workdir: Path) -> dict:
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = make_engine(pg)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    db_url = f"{pg}{'&' if '?' in pg else '?'}options=-csearch_path%3D{schema}"
    data = workdir / f"w{workers}"
    env = dict(os.environ, NEWSARCHIVE_OUTLETS=str(outlets), NEWSARCHIVE_DATA_DIR=str(data),
               NEWSARCHIVE_DB_URL=db_url, REDIS_URL=redis_url)
    try:
        subprocess.run([sys.executable, "-m", "newsarchive", "enqueue"], env=env, check=True,
                       capture_output=True)
        flags = [f for s in (*FAST_LOCAL, "CONCURRENT_REQUESTS=16", "CONCURRENT_REQUESTS_PER_DOMAIN=16")
                 for f in ("-s", s)]
        cpu0, started = _children_cpu(), time.monotonic()
        procs = [subprocess.Popen([sys.executable, "-m", "newsarchive", "worker", "--idle-exit",
                                   str(IDLE_EXIT), "--no-fleet-politeness", *flags], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                 for _ in range(workers)]
        for proc in procs:
            proc.wait(timeout=3600)
        wall = time.monotonic() - started - IDLE_EXIT
        cpu = _children_cpu() - cpu0
        pages = sum(json.loads(p.read_text())["stats"].get("downloader/request_count", 0)
                    for p in (data / "reports").glob("crawl-*.json"))
        return {"workers": workers, "pages": pages, "wall": wall, "pages_per_s": pages / wall,
                "cpu_ms_per_page": 1000 * cpu / max(pages, 1)}
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", required=True)
    parser.add_argument("--redis", required=True)
    parser.add_argument("--stories", type=int, default=1200)
    parser.add_argument("--workers", default="1,2,4")
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",")]
    site = Newsroom(generate(args.stories, 1, 0.0, 5), editions=1)
    with tempfile.TemporaryDirectory(prefix="bench-workers-") as tmp, SiteServer(site) as server:
        outlets = Path(tmp) / "outlets.toml"
        outlets.write_text(outlets_toml(server.base_url), encoding="utf-8")
        results = [run(n, outlets, args.pg, args.redis, Path(tmp)) for n in counts]
    base = results[0]["pages_per_s"] / results[0]["workers"]
    print(f"\n{args.stories} stories, {os.cpu_count()} CPU cores\n")
    print("| workers | pages | wall s | pages/s | CPU ms/page | efficiency |\n| --- | --- | --- | --- | --- | --- |")
    for r in results:
        print(f"| {r['workers']} | {r['pages']} | {r['wall']:.1f} | {r['pages_per_s']:.1f} | "
              f"{r['cpu_ms_per_page']:.1f} | {r['pages_per_s'] / (r['workers'] * base):.2f} |")


if __name__ == "__main__":
    main()
