"""Distributed mode: workers on scrapy-redis and one PostgreSQL, against the local demo site.

Needs Redis (NEWSARCHIVE_TEST_REDIS_URL) and PostgreSQL (NEWSARCHIVE_TEST_PG_URL); `.ci/run`
sets both. Each test's fleet has its own key prefix (NEWSARCHIVE_REDIS_PREFIX) and touches
only that database and only its own keys, so two runs may share one Redis database.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from newsarchive.db.engine import make_engine, open_database
from newsarchive.db.models import Article, ArticleVersion, Capture
from newsarchive.demo.run import FAST_LOCAL, crawl_subprocess
from newsarchive.demo.site import NewsSite, SiteServer, outlets_toml
from newsarchive.distributed import SCRAPY_REDIS_VERSION

PG_URL = os.environ.get("NEWSARCHIVE_TEST_PG_URL", "")
REDIS_URL = os.environ.get("NEWSARCHIVE_TEST_REDIS_URL", "")

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not (PG_URL and REDIS_URL),
                       reason="set NEWSARCHIVE_TEST_PG_URL and NEWSARCHIVE_TEST_REDIS_URL"),
]


class FleetRedis:
    """One test's share of NEWSARCHIVE_TEST_REDIS_URL's database: the keys under its prefix."""

    def __init__(self, server, prefix: str) -> None:
        self.server, self.prefix = server, prefix

    def keys(self) -> list[str]:
        return list(self.server.scan_iter(match=f"{self.prefix}:*", count=1000))

    def flush(self) -> None:
        """What a FLUSHDB would do to this fleet: queue, leases, cycle, duplicate filters gone."""
        keys = self.keys()
        if keys:
            self.server.delete(*keys)


@pytest.fixture
def redis_server() -> Iterator[FleetRedis]:
    import redis

    fleet = FleetRedis(redis.Redis.from_url(REDIS_URL, decode_responses=True), f"t{uuid.uuid4().hex[:12]}")
    yield fleet
    fleet.flush()


@pytest.fixture
def pg_url() -> Iterator[str]:
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(PG_URL)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


class TimedSite(NewsSite):
    """The demo site, noting when each request arrived."""

    def __init__(self) -> None:
        super().__init__(edition=1)
        self.arrivals: list[tuple[float, str]] = []

    def handle(self, path, query):
        # Not ``self.requests[-1]``: the server is threaded, and another request may have
        # been appended in between (that race once made one fetch look like two).
        shown = path + ("?" + "&".join(f"{k}={v[0]}" for k, v in query.items()) if query else "")
        self.arrivals.append((time.monotonic(), shown))
        return super().handle(path, query)


def _cli(*args: str, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "newsarchive", *args], env=env, capture_output=True,
                          text=True, timeout=timeout)


def _env(outlets: Path, data: Path, db_url: str, fleet: FleetRedis) -> dict[str, str]:
    return dict(os.environ, NEWSARCHIVE_OUTLETS=str(outlets), NEWSARCHIVE_DATA_DIR=str(data),
                NEWSARCHIVE_DB_URL=db_url, REDIS_URL=REDIS_URL, NEWSARCHIVE_REDIS_PREFIX=fleet.prefix)


def _workers(count: int, env: dict[str, str], *settings: str) -> list[subprocess.CompletedProcess[str]]:
    flags = [f for s in (*FAST_LOCAL, *settings) for f in ("-s", s)]
    procs = [subprocess.Popen([sys.executable, "-m", "newsarchive", "worker", "--idle-exit", "3", *flags],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(count)]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=600)
        results.append(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
    return results


def _content(db_url: str) -> set[tuple[str, int, str]]:
    with open_database(db_url)() as session:
        rows = session.execute(select(Article.canonical_url, ArticleVersion.seq, ArticleVersion.fingerprint)
                               .join(ArticleVersion.article)).all()
    return {(url.split("/", 3)[3], seq, fp) for url, seq, fp in rows}


def test_scrapy_redis_is_the_release_the_start_bridge_was_written_for() -> None:
    """A scrapy-redis upgrade must be checked against the bridge: fail loudly until it is."""
    import scrapy_redis
    from scrapy_redis.spiders import RedisMixin

    assert scrapy_redis.__version__ == SCRAPY_REDIS_VERSION
    for name in ("setup_redis", "next_requests", "pop_list_queue", "spider_idle", "make_request_from_data"):
        assert callable(getattr(RedisMixin, name, None)), name


def test_sqlite_is_refused_in_distributed_mode(tmp_path: Path) -> None:
    env = dict(os.environ, NEWSARCHIVE_DATA_DIR=str(tmp_path), NEWSARCHIVE_DB_URL="", REDIS_URL=REDIS_URL)
    for verb in ("worker", "enqueue"):
        result = _cli(verb, env=env)
        assert result.returncode == 2
        assert result.stderr.strip().splitlines() == [
            f"newsarchive {verb}: error: distributed mode needs PostgreSQL: set NEWSARCHIVE_DB_URL to "
            "a postgresql:// URL (SQLite is one file on one host)"]


@pytest.mark.slow
def test_two_workers_share_one_cycle_and_store_what_one_crawl_stores(
        tmp_path: Path, pg_url: str, redis_server) -> None:
    site = TimedSite()
    with SiteServer(site) as server:
        outlets = tmp_path / "outlets.toml"
        outlets.write_text(outlets_toml(server.base_url), encoding="utf-8")
        env = _env(outlets, tmp_path / "fleet", pg_url, redis_server)
        for edition in (1, 2):
            site.edition = edition
            site.arrivals.clear()
            enqueued = _cli("enqueue", "--all", env=env)
            assert enqueued.returncode == 0, enqueued.stderr
            results = _workers(2, env)
            assert [r.returncode for r in results] == [0, 0], [r.stderr[-2000:] for r in results]
            fetched = Counter(path for _, path in site.arrivals if path != "/robots.txt")
            assert fetched and max(fetched.values()) == 1, fetched.most_common(3)  # nothing twice a cycle
        # the fleet's keys (here: this test's) live under its prefix, the cycle's filter too
        assert any(k.startswith(f"{redis_server.prefix}:news-worker:dupefilter:") for k in redis_server.keys())
        # The same two editions crawled by one plain process, into SQLite.
        single = tmp_path / "single"
        for edition in (1, 2):
            site.edition = edition
            result = crawl_subprocess(outlets, single, settings=FAST_LOCAL,
                                      spider_args=["recrawl=all"] if edition == 2 else [])
            assert result.returncode == 0, result.stderr[-2000:]
        assert _content(pg_url) == _content(f"sqlite:///{single / 'newsarchive.sqlite3'}")
        with open_database(pg_url)() as session:
            per_article = Counter(session.scalars(select(Capture.article_id)
                                                  .where(Capture.kind == "article")).all())
            assert set(per_article.values()) == {2}  # every article captured once per cycle


@pytest.mark.slow
def test_a_flushed_redis_is_rebuilt_from_the_database(tmp_path: Path, pg_url: str, redis_server) -> None:
    with SiteServer(NewsSite(edition=1)) as server:
        outlets = tmp_path / "outlets.toml"
        outlets.write_text(outlets_toml(server.base_url), encoding="utf-8")
        env = _env(outlets, tmp_path / "fleet", pg_url, redis_server)
        assert _cli("enqueue", env=env).stdout.strip() == "enqueued: 2 listing"
        assert _workers(1, env)[0].returncode == 0
        # The six articles found are now known: their re-checks go out; the listings are leased.
        # Just checked: none of them is due, so the schedule hands out nothing but leased seeds.
        assert _cli("enqueue", env=env).stdout.strip() == "enqueued: 2 leased"
        assert _cli("enqueue", "--all", env=env).stdout.strip() == "enqueued: 6 article, 2 leased"
        assert _cli("enqueue", "--all", env=env).stdout.strip() == "enqueued: 8 leased"  # nothing twice
        redis_server.flush()  # queue, leases and duplicate filters gone mid-cycle
        assert _cli("enqueue", "--all", env=env).stdout.strip() == "enqueued: 6 article, 2 listing"
        assert _workers(1, env)[0].returncode == 0
        with open_database(pg_url)() as session:
            per_article = Counter(session.scalars(select(Capture.article_id)
                                                  .where(Capture.kind == "article")).all())
            assert per_article and set(per_article.values()) == {2}
            versions = Counter(session.scalars(select(ArticleVersion.article_id)).all())
            assert set(versions.values()) == {1}  # the re-check stored no duplicate version


@pytest.mark.slow
def test_politeness_holds_across_two_workers(tmp_path: Path, pg_url: str, redis_server) -> None:
    site = TimedSite()
    with SiteServer(site) as server:
        outlets = tmp_path / "outlets.toml"
        outlets.write_text(outlets_toml(server.base_url), encoding="utf-8")
        env = _env(outlets, tmp_path / "fleet", pg_url, redis_server)
        assert _cli("enqueue", env=env).returncode == 0
        results = _workers(2, env, "DOWNLOAD_DELAY=1", "RANDOMIZE_DOWNLOAD_DELAY=False")
        assert [r.returncode for r in results] == [0, 0], [r.stderr[-2000:] for r in results]
    times = sorted(t for t, _ in site.arrivals)
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert len(times) >= 8
    assert min(gaps) >= 0.9, gaps  # one host, one second apart, whichever worker asked


@pytest.mark.slow
def test_enqueue_hands_out_what_the_schedule_says_is_due(tmp_path: Path, pg_url: str, redis_server) -> None:
    """The producer pushes the due articles only; eight days later (clock override; the stories are old) all six are due."""
    with SiteServer(NewsSite(edition=1)) as server:
        outlets = tmp_path / "outlets.toml"
        # the demo stories are dated January 2026: keep them within the checking age
        outlets.write_text(outlets_toml(server.base_url).replace(
            "\n[[outlet]]", '\nmax_age = "3650d"\n\n[[outlet]]') + 'max_age = "3650d"\n', encoding="utf-8")
        env = _env(outlets, tmp_path / "fleet", pg_url, redis_server)
        assert _cli("enqueue", env=env).stdout.strip() == "enqueued: 2 listing"
        assert _workers(1, env)[0].returncode == 0
        redis_server.flush()
        assert _cli("enqueue", env=env).stdout.strip() == "enqueued: 2 listing"  # nothing due yet
        redis_server.flush()
        later = dict(env, NEWSARCHIVE_NOW=(datetime.now(UTC) + timedelta(days=8)).isoformat())
        assert _cli("enqueue", "--budget", "4", env=later).stdout.strip() == "enqueued: 4 article, 2 listing"
        redis_server.flush()
        assert _cli("enqueue", env=later).stdout.strip() == "enqueued: 6 article, 2 listing"


# -- a worker that cannot start ---------------------------------------------------------------


def _worker_once(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return _cli("worker", "--idle-exit", "1", *args, *[f for s in FAST_LOCAL for f in ("-s", s)],
                env=env, timeout=120)


def _one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    errors = [line for line in result.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1, result.stderr[-3000:]
    return errors[0]


@pytest.mark.slow
def test_a_worker_that_cannot_start_exits_with_one_line_and_its_status(
        tmp_path: Path, pg_url: str, redis_server) -> None:
    from newsarchive import exitcodes

    outlets = tmp_path / "outlets.toml"
    outlets.write_text(outlets_toml("http://127.0.0.1:9"), encoding="utf-8")
    env = _env(outlets, tmp_path / "fleet", pg_url, redis_server)
    refused = _worker_once(dict(env, REDIS_URL="redis://127.0.0.1:1/0"))  # nothing listens on port 1
    assert refused.returncode == exitcodes.QUEUE_UNAVAILABLE == 69
    assert _one_error_line(refused).startswith("newsarchive worker: error: Redis at redis://127.0.0.1:1/0: ")
    malformed = _worker_once(dict(env, REDIS_URL="127.0.0.1:6379"))
    assert malformed.returncode == exitcodes.USAGE
    assert _one_error_line(malformed).startswith("newsarchive worker: error: REDIS_URL is not a Redis URL")
    unknown = _worker_once(env, "--outlet", "nope")
    assert unknown.returncode == exitcodes.USAGE
    assert "no outlet named 'nope'" in _one_error_line(unknown)
    database = _worker_once(dict(env, NEWSARCHIVE_DB_URL="postgresql://postgres:s3cret@127.0.0.1:1/none"))
    assert database.returncode == exitcodes.DATABASE_UNAVAILABLE
    assert "s3cret" not in database.stderr
    assert _one_error_line(database).startswith("newsarchive worker: error: database: ")
    refused = _cli("enqueue", env=dict(env, REDIS_URL="redis://127.0.0.1:1/0"))
    assert refused.returncode == exitcodes.QUEUE_UNAVAILABLE
    assert _one_error_line(refused).endswith("; nothing enqueued")


@pytest.mark.slow
def test_a_worker_whose_start_fails_exits_69_not_0(tmp_path: Path, pg_url: str, redis_server) -> None:
    """Redis answers the checks but reading the work fails (here: a clobbered work list), so
    Scrapy ends the crawl with reason ``start_error``: the status says so, not 0."""
    from newsarchive import exitcodes
    from newsarchive.distributed.mode import RedisKeys

    outlets = tmp_path / "outlets.toml"
    outlets.write_text(outlets_toml("http://127.0.0.1:9"), encoding="utf-8")
    env = _env(outlets, tmp_path / "fleet", pg_url, redis_server)
    redis_server.server.set(RedisKeys(redis_server.prefix).work("ledger"), "not a list")
    result = _worker_once(env)
    assert result.returncode == exitcodes.QUEUE_UNAVAILABLE, result.stderr[-3000:]
    line = _one_error_line(result)
    assert line.startswith("scrapy crawl: error: the worker could not read its work from Redis: ")
    assert line.endswith("WRONGTYPE Operation against a key holding the wrong kind of value")
    reports = list((tmp_path / "fleet" / "reports").glob("crawl-*.json"))
    assert reports and '"finish_reason": "start_error"' in reports[0].read_text()


# -- kill -9 one worker mid-run ----------------------------------------------------------------


class GatedNewsroom:
    """The generated newsroom, slow on articles, and able to hold article requests unanswered.

    While ``gate`` is clear, every article request waits in the server (``held``: client port
    -> path), so a worker surely has requests in flight when it is killed.
    """

    def __init__(self, count: int) -> None:
        from newsarchive.demo.newsroom import Newsroom, generate

        self.room = Newsroom(generate(count, 1, 0.0, 3), editions=1)
        self.article_paths = {s.path(1) for s in self.room.stories}
        self.gate = threading.Event()
        self.gate.set()
        self.held: dict[int, str] = {}
        self.lock = threading.Lock()
        self.local = threading.local()

    def handle(self, path, query):
        shown = path + (f"?id={query['id'][0]}" if query.get("id") else "")
        if shown in self.article_paths:
            time.sleep(0.05)
            if not self.gate.is_set():
                with self.lock:
                    self.held[self.local.port] = shown
                self.gate.wait()
                with self.lock:
                    self.held.pop(self.local.port, None)
        return self.room.handle(path, query)


def _serve(site: GatedNewsroom) -> SiteServer:
    server = SiteServer(site)  # duck-typed: SiteServer only calls site.handle

    class PortHandler(server.httpd.RequestHandlerClass):
        def do_GET(self) -> None:  # noqa: N802
            site.local.port = self.client_address[1]
            try:
                super().do_GET()
            except (BrokenPipeError, ConnectionResetError):  # the killed worker's held requests
                pass

    server.httpd.RequestHandlerClass = PortHandler
    return server


def _local_ports(pid: int, remote_port: int) -> set[int]:
    """Local ports of ``pid``'s TCP connections to 127.0.0.1:``remote_port`` (from /proc)."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            link = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if link.startswith("socket:["):
            inodes.add(link[8:-1])
    ports = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[9] in inodes and int(fields[2].split(":")[1], 16) == remote_port:
            ports.add(int(fields[1].split(":")[1], 16))
    return ports


def _start_workers(count: int, env: dict[str, str]) -> list[subprocess.Popen[str]]:
    flags = [f for s in FAST_LOCAL for f in ("-s", s)]
    return [subprocess.Popen([sys.executable, "-m", "newsarchive", "worker", "--idle-exit", "3", *flags],
                             env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            for _ in range(count)]


def _finish(procs: list[subprocess.Popen[str]]) -> None:
    for proc in procs:
        _, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err[-3000:]


@pytest.mark.slow
def test_kill_9_one_worker_then_the_sweep_loses_nothing_and_duplicates_nothing(
        tmp_path: Path, pg_url: str, redis_server) -> None:
    from newsarchive.warc import list_warcs, read_record, verify_warc
    from tests.warc_support.fixtures import read_all_fastwarc, read_all_warcio

    site = GatedNewsroom(40)
    with _serve(site) as server:
        outlets = tmp_path / "outlets.toml"
        from newsarchive.demo.newsroom import outlets_toml as room_outlets

        # the stories are dated November 2026: keep them within the checking age
        outlets.write_text(room_outlets(server.base_url).replace("max_pages = 100000",
                                                                 'max_pages = 100000\nmax_age = "3650d"'))
        env = _env(outlets, tmp_path / "fleet", pg_url, redis_server)
        warc_dir = tmp_path / "fleet" / "warc"
        # Cycle 0: the fleet finds and stores the 40 stories.
        assert _cli("enqueue", env=env).stdout.strip() == "enqueued: 4 listing"
        _finish(_start_workers(1, env))
        with open_database(pg_url)() as session:
            assert session.scalar(select(func.count()).select_from(Article)) == 40

        # Cycle 1, eight days on: all 40 are due. Two workers; after a few answers the site
        # holds every article request, and the victim is killed while it has some in flight.
        later = datetime.now(UTC) + timedelta(days=8)
        env1 = dict(env, NEWSARCHIVE_NOW=later.isoformat())
        assert _cli("enqueue", env=env1).stdout.strip() == "enqueued: 40 article, 4 listing"
        site.gate.clear()
        victim, survivor = _start_workers(2, env1)
        deadline = time.monotonic() + 300
        while True:
            assert victim.poll() is None and survivor.poll() is None, "a worker ended before the kill"
            assert time.monotonic() < deadline, "the victim never had a request in flight"
            with site.lock:
                held = set(site.held)
            if held & _local_ports(victim.pid, server.httpd.server_address[1]):
                break
            time.sleep(0.05)
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        site.gate.set()
        _finish([survivor])
        with open_database(pg_url)() as session:
            checked = set(session.scalars(select(Capture.article_id).where(
                Capture.kind == "article", Capture.fetched_at >= later)).all())
        lost = 40 - len(checked)
        assert lost >= 1  # the victim's popped requests: gone from Redis, still due in the database

        # The sweep: leases handed out in cycle 1 have expired (60 s, five minutes later); the
        # database still calls exactly the lost articles due. Then the workers again.
        env2 = dict(env, NEWSARCHIVE_NOW=(later + timedelta(minutes=5)).isoformat())
        swept = _cli("enqueue", "--lease", "60", env=env2)
        assert swept.stdout.strip() == f"enqueued: {lost} article, 4 listing", swept.stderr
        _finish(_start_workers(2, env2))
        # Nothing is due any more (leases ignored: --lease 0), and every story was checked.
        final = _cli("enqueue", "--lease", "0", env=dict(env, NEWSARCHIVE_NOW=(later + timedelta(minutes=6)).isoformat()))
        assert final.stdout.strip() == "enqueued: 4 listing"

    with open_database(pg_url)() as session:
        checked = set(session.scalars(select(Capture.article_id).where(
            Capture.kind == "article", Capture.fetched_at >= later)).all())
        assert len(checked) == 40  # every due article captured
        versions = Counter(session.scalars(select(ArticleVersion.article_id)).all())
        assert len(versions) == 40 and set(versions.values()) == {1}  # no duplicate versions
        rows = session.execute(select(Capture.warc_filename, Capture.warc_offset, Capture.warc_record_id,
                                      Capture.warc_lost).where(Capture.warc_filename.is_not(None))).all()
    assert not list(warc_dir.glob("*.open"))  # the victim's open file was repaired by the next worker
    listing = list_warcs(warc_dir)
    # cycle 0's worker, the survivor and at least one sweep worker wrote files; the victim (its
    # file repaired above) and the other sweep worker only if they captured something first
    assert len(listing) >= 3
    records: dict[tuple[str, int], str] = {}
    for info in listing:
        report = verify_warc(info.path)
        assert report.ok, report
        read_all_fastwarc(Path(info.path))  # FastWARC: block and payload digests
        for record in read_all_warcio(Path(info.path)):  # warcio, digests checked
            records[(info.name, record.offset)] = record.headers["WARC-Record-ID"]
    assert rows and not [r for r in rows if r.warc_lost]  # the victim's rows were written after fsync
    for name, offset, record_id, _ in rows:  # no capture row points at a missing record
        assert records.get((name, offset)) == record_id, (name, offset)
        assert read_record(warc_dir / name, offset).header("WARC-Record-ID") == record_id


def test_the_readme_systemd_units_verify(tmp_path: Path) -> None:
    """The README's worker units: systemd accepts them, and they restart on what is worth it."""
    import re
    import shutil

    from newsarchive import exitcodes

    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze not installed")
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    units = dict(re.findall(r"```ini\n# /etc/systemd/system/(newsarchive-worker@\.\w+)\n(.*?)```", readme, re.S))
    assert set(units) == {"newsarchive-worker@.service", "newsarchive-worker@.timer"}
    service = units["newsarchive-worker@.service"]
    assert "Restart=on-failure" in service.splitlines()
    assert f"RestartPreventExitStatus={exitcodes.USAGE}" in service.splitlines()
    assert not [line for line in service.splitlines() if "=" in line and "#" in line.split("=", 1)[1]]
    (tmp_path / "worker.env").write_text("REDIS_URL=redis://127.0.0.1:6379/0\n")
    paths = []
    for name, text in units.items():
        text = text.replace("/srv/newsarchive/.venv/bin/newsarchive", sys.executable + " -m newsarchive")
        text = text.replace("/srv/newsarchive", str(tmp_path))
        path = tmp_path / name.replace("@.", "@1.")
        path.write_text(text, encoding="utf-8")
        paths.append(str(path))
    result = subprocess.run([analyze, "verify", *paths], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "newsarchive-worker" not in result.stderr, result.stderr  # no warning about our units
