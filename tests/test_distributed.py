"""Distributed mode: workers on scrapy-redis and one PostgreSQL, against the local demo site.

Needs Redis (NEWSARCHIVE_TEST_REDIS_URL, a database number the test may flush) and
PostgreSQL (NEWSARCHIVE_TEST_PG_URL); `.ci/run` sets both.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, text

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


@pytest.fixture
def redis_server():
    import redis

    server = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    server.flushdb()
    yield server
    server.flushdb()


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


def _env(outlets: Path, data: Path, db_url: str) -> dict[str, str]:
    return dict(os.environ, NEWSARCHIVE_OUTLETS=str(outlets), NEWSARCHIVE_DATA_DIR=str(data),
                NEWSARCHIVE_DB_URL=db_url, REDIS_URL=REDIS_URL)


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
        env = _env(outlets, tmp_path / "fleet", pg_url)
        for edition in (1, 2):
            site.edition = edition
            site.arrivals.clear()
            enqueued = _cli("enqueue", "--all", env=env)
            assert enqueued.returncode == 0, enqueued.stderr
            results = _workers(2, env)
            assert [r.returncode for r in results] == [0, 0], [r.stderr[-2000:] for r in results]
            fetched = Counter(path for _, path in site.arrivals if path != "/robots.txt")
            assert fetched and max(fetched.values()) == 1, fetched.most_common(3)  # nothing twice a cycle
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
        env = _env(outlets, tmp_path / "fleet", pg_url)
        assert _cli("enqueue", env=env).stdout.strip() == "enqueued: 2 listing"
        assert _workers(1, env)[0].returncode == 0
        # The six articles found are now known: their re-checks go out; the listings are leased.
        # Just checked: none of them is due, so the schedule hands out nothing but leased seeds.
        assert _cli("enqueue", env=env).stdout.strip() == "enqueued: 2 leased"
        assert _cli("enqueue", "--all", env=env).stdout.strip() == "enqueued: 6 article, 2 leased"
        assert _cli("enqueue", "--all", env=env).stdout.strip() == "enqueued: 8 leased"  # nothing twice
        redis_server.flushdb()  # queue, leases and duplicate filters gone mid-cycle
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
        env = _env(outlets, tmp_path / "fleet", pg_url)
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
        env = _env(outlets, tmp_path / "fleet", pg_url)
        assert _cli("enqueue", env=env).stdout.strip() == "enqueued: 2 listing"
        assert _workers(1, env)[0].returncode == 0
        redis_server.flushdb()
        assert _cli("enqueue", env=env).stdout.strip() == "enqueued: 2 listing"  # nothing due yet
        redis_server.flushdb()
        later = dict(env, NEWSARCHIVE_NOW=(datetime.now(UTC) + timedelta(days=8)).isoformat())
        assert _cli("enqueue", "--budget", "4", env=later).stdout.strip() == "enqueued: 4 article, 2 listing"
        redis_server.flushdb()
        assert _cli("enqueue", env=later).stdout.strip() == "enqueued: 6 article, 2 listing"
