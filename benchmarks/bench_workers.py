"""Distributed mode: 1, 2 and 4 workers on the throughput benchmark's site, pages/s and CPU per page.

    nice -n 10 .venv/bin/python benchmarks/bench_workers.py \\
        --pg postgresql://postgres@127.0.0.1:5432/test --redis redis://127.0.0.1:6379/14 \\
        [--stories 1500] [--workers 1,2,4]

The site is the one ``bench_throughput.py`` generates (four outlets, paginated listings, feeds,
sitemaps, robots.txt), written to disk once and served by nginx (threaded Python server
without it, with a warning). Each run gets a fresh PostgreSQL schema and its own Redis key
prefix (``NEWSARCHIVE_REDIS_PREFIX``; nothing else in that Redis database is touched), then
``newsarchive enqueue`` and N ``newsarchive worker`` processes at the throughput benchmark's
rate settings (32 concurrent requests each, no delay, robots.txt obeyed).

Figures per run:

- pages: responses received, summed over the workers' crawl reports;
- wall: from spawning the workers to the last capture's fetch time in the database (worker
  start-up included, the idle tail before the workers exit is not);
- worker CPU ms per page: user + system time of the worker processes and their children
  (``wait4``), idle tail included;
- PostgreSQL CPU ms per page: user + system time of the server backends serving this run's
  connections (found by ``application_name`` in ``pg_stat_activity``, read from /proc every
  0.2 s: the server must run on this host), the database's share of each page;
- rows written per page: inserts + updates in the run's schema (``pg_stat_user_tables``);
- efficiency: pages/s with N workers / (N x pages/s of the first one-worker run).

The projection at the end: one worker host of C cores sustains C x 1000 / (worker CPU ms per
page) pages/s when CPU-bound; one PostgreSQL core absorbs 1000 / (PostgreSQL CPU ms per page)
pages/s of this write load; the fleet is bounded by the smaller of the two sums.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve()
ROOT = HERE.parent.parent
for path in (ROOT, HERE.parent):
    if str(path) not in sys.path:  # run as a script from a checkout
        sys.path.insert(0, str(path))

from sqlalchemy import text  # noqa: E402

import bench_throughput as site_bench  # noqa: E402  (the site, its generator and its server)
from newsarchive.db.engine import make_engine  # noqa: E402
from newsarchive.demo.run import LOCAL_ADDRESS  # noqa: E402

IDLE_EXIT = 3
RATE = (*site_bench.RATE, LOCAL_ADDRESS)
TICK = os.sysconf("SC_CLK_TCK")


def _proc_cpu(pid: int) -> float | None:
    """utime + stime of a process in seconds (None once it has gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / TICK


class BackendCpu:
    """CPU of the PostgreSQL backends whose application_name is ``name``, sampled from /proc."""

    def __init__(self, admin, name: str):
        self.admin, self.name = admin, name
        self.seen: dict[int, float] = {}

    def sample(self) -> None:
        with self.admin.connect() as connection:
            pids = connection.scalars(text("SELECT pid FROM pg_stat_activity WHERE application_name = :n"),
                                      {"n": self.name}).all()
        for pid in pids:
            cpu = _proc_cpu(pid)
            if cpu is not None:
                self.seen[pid] = max(cpu, self.seen.get(pid, 0.0))

    @property
    def total(self) -> float:
        return sum(self.seen.values())


def _rows_written(admin, schema: str) -> dict[str, int]:
    """Rows inserted + updated per table of the run's schema."""
    with admin.connect() as connection:
        rows = connection.execute(text(
            "SELECT relname, n_tup_ins + n_tup_upd FROM pg_stat_user_tables WHERE schemaname = :s"),
            {"s": schema}).all()
    return {name: int(n) for name, n in rows if n}


def run(workers: int, outlets: Path, pg: str, redis_url: str, workdir: Path, *, idle: bool = False) -> dict:
    """One run of ``workers`` workers; ``idle``: nothing enqueued (a worker's fixed cost)."""
    import redis

    label = f"bench_{uuid.uuid4().hex[:10]}"
    admin = make_engine(pg)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {label}"))
    joiner = "&" if "?" in pg else "?"
    db_url = f"{pg}{joiner}application_name={label}&options=-csearch_path%3D{label}"
    data = workdir / f"w{workers}-{label}"
    env = dict(os.environ, NEWSARCHIVE_OUTLETS=str(outlets), NEWSARCHIVE_DATA_DIR=str(data),
               NEWSARCHIVE_DB_URL=db_url, REDIS_URL=redis_url, NEWSARCHIVE_REDIS_PREFIX=label,
               NEWSARCHIVE_ALLOW_ADDRESSES="127.0.0.1",
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH", "")])))
    server = redis.Redis.from_url(redis_url)
    try:
        if not idle:
            subprocess.run([sys.executable, "-m", "newsarchive", "enqueue"], env=env, check=True,
                           capture_output=True)
        backends = BackendCpu(admin, label)
        backends.sample()
        flags = [f for s in RATE for f in ("-s", s)]
        started_wall, started = time.time(), time.monotonic()
        procs = [subprocess.Popen([sys.executable, "-m", "newsarchive", "worker", "--idle-exit",
                                   str(IDLE_EXIT), *flags], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                 for _ in range(workers)]
        cpu, pending = 0.0, {p.pid: p for p in procs}
        while pending:
            for pid in list(pending):
                done, status, usage = os.wait4(pid, os.WNOHANG)
                if done:
                    cpu += usage.ru_utime + usage.ru_stime
                    proc = pending.pop(pid)
                    proc.returncode = os.waitstatus_to_exitcode(status)
            backends.sample()
            time.sleep(0.2)
            if time.monotonic() - started > 3600:
                raise SystemExit("a worker ran for an hour")
        for proc in procs:
            if proc.returncode != 0:
                sys.stderr.write(proc.stderr.read().decode("utf-8", "replace")[-3000:])
        with admin.connect() as connection:
            last = connection.scalar(text(f"SELECT max(fetched_at) FROM {label}.captures"))
        wall = last.timestamp() - started_wall if last is not None else time.time() - started_wall
        pages = sum(json.loads(p.read_text())["stats"].get("response_received_count", 0)
                    for p in (data / "reports").glob("crawl-*.json"))
        return {"workers": workers, "pages": pages, "wall": wall, "pages_per_s": pages / wall,
                "cpu": cpu, "pg_cpu": backends.total,
                "cpu_ms_per_page": 1000 * cpu / max(pages, 1),
                "pg_cpu_ms_per_page": 1000 * backends.total / max(pages, 1),
                "rows_per_table": (tables := _rows_written(admin, label)),
                "rows_per_page": sum(tables.values()) / max(pages, 1),
                "returncodes": [p.returncode for p in procs]}
    finally:
        keys = list(server.scan_iter(match=f"{label}:*", count=1000))
        if keys:
            server.delete(*keys)
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {label} CASCADE"))
        admin.dispose()
        shutil.rmtree(data, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", required=True, help="PostgreSQL URL (a schema per run is created and dropped)")
    parser.add_argument("--redis", required=True, help="Redis URL (only this benchmark's key prefixes are touched)")
    parser.add_argument("--stories", type=int, default=1500, help="article pages on the site (default 1500)")
    parser.add_argument("--workers", default="1,2,4", help="worker counts, run in this order (default 1,2,4)")
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",")]
    work = Path(tempfile.mkdtemp(prefix="bench-workers-"))
    work.chmod(0o755)  # nginx's workers read the site from here
    try:
        root = site_bench._site(work, args.stories)
        with site_bench.Server(root, work) as server:
            site_bench.set_base(root, server.base_url)
            outlets = work / "outlets.toml"
            outlets.write_text(site_bench.outlets_toml(server.base_url), encoding="utf-8")
            print(f"served by {server.kind}; {os.cpu_count()} CPU cores; load average before: "
                  f"{os.getloadavg()[0]:.1f}; rate per worker: {' '.join(RATE)}\n", flush=True)
            fixed = run(1, outlets, args.pg, args.redis, work, idle=True)
            print(f"fixed cost of one worker (start-up, migrations check, idle tail; empty queue): "
                  f"{fixed['cpu']:.2f} s worker CPU, {fixed['pg_cpu']:.2f} s PostgreSQL CPU", flush=True)
            results = []
            for n in counts:
                results.append(run(n, outlets, args.pg, args.redis, work))
                r = results[-1]
                print(f"{n} worker(s): {r['pages']} pages in {r['wall']:.1f} s, exit {r['returncodes']}", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    ones = [r for r in results if r["workers"] == 1] or results[:1]
    base = sum(r["pages_per_s"] / r["workers"] for r in ones) / len(ones)  # mean one-worker rate
    for r in results:  # per page once each worker's fixed cost is paid (long-running workers)
        r["marginal_cpu_ms"] = 1000 * max(r["cpu"] - r["workers"] * fixed["cpu"], 0) / max(r["pages"], 1)
        r["marginal_pg_ms"] = 1000 * max(r["pg_cpu"] - r["workers"] * fixed["pg_cpu"], 0) / max(r["pages"], 1)
    print(f"\n{args.stories} stories, {os.cpu_count()} CPU cores, load average after: {os.getloadavg()[0]:.1f}\n")
    print("| workers | pages | wall s | pages/s | worker CPU ms/page (less fixed) | PostgreSQL CPU ms/page "
          "(less fixed) | rows written/page | efficiency |\n| --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in results:
        print(f"| {r['workers']} | {r['pages']} | {r['wall']:.1f} | {r['pages_per_s']:.1f} | "
              f"{r['cpu_ms_per_page']:.1f} ({r['marginal_cpu_ms']:.1f}) | {r['pg_cpu_ms_per_page']:.2f} "
              f"({r['marginal_pg_ms']:.2f}) | {r['rows_per_page']:.1f} | {r['pages_per_s'] / (r['workers'] * base):.2f} |")
    tables = results[-1]["rows_per_table"]
    print("\nrows written per page by table (last run): " + ", ".join(
        f"{name} {n / max(results[-1]['pages'], 1):.1f}" for name, n in sorted(tables.items(), key=lambda t: -t[1])[:8]))
    worker_ms = sum(r["marginal_cpu_ms"] for r in results) / len(results)
    pg_ms = sum(r["marginal_pg_ms"] for r in results) / len(results)
    print(f"\nprojection (means over the runs, fixed costs left out): one worker core ~{1000 / worker_ms:.0f} "
          f"pages/s (worker CPU {worker_ms:.1f} ms/page); one PostgreSQL core ~{1000 / pg_ms:.0f} pages/s "
          f"of this write load ({pg_ms:.2f} ms/page)")
    for hosts in (1, 4, 16):
        fleet = hosts * 2 * 1000 / worker_ms
        print(f"  {hosts} host(s) x 2 cores: workers could fetch ~{fleet:.0f} pages/s; PostgreSQL needs "
              f"~{fleet * pg_ms / 1000:.1f} cores for it")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
