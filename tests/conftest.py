"""Shared fixtures: the local news site, databases (SQLite always, PostgreSQL when given), crawls."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from newsarchive.db.engine import make_engine, open_database
from newsarchive.demo.run import crawl_subprocess
from newsarchive.demo.site import NewsSite, SiteServer, outlets_toml

PG_URL = os.environ.get("NEWSARCHIVE_TEST_PG_URL", "")


@pytest.fixture
def site() -> Iterator[SiteServer]:
    """The demo news site (two outlet templates, rotating boilerplate) on 127.0.0.1."""
    with SiteServer(NewsSite(edition=1)) as server:
        yield server


def _pg_schema_url(schema: str) -> str:
    separator = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{separator}options=-csearch_path%3D{schema}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a private schema in PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'archive.sqlite3'}"
        return
    if not PG_URL:
        pytest.skip("set NEWSARCHIVE_TEST_PG_URL to run the PostgreSQL variant")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(PG_URL)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield _pg_schema_url(schema)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture
def sessions(db_url: str):
    return open_database(db_url)


class Crawler:
    """Runs real ``scrapy crawl news`` subprocesses against the local site."""

    def __init__(self, data_dir: Path, outlets: Path, db_url: str = ""):
        self.data_dir, self.outlets, self.db_url = data_dir, outlets, db_url

    def __call__(self, *spider_args: str, settings: tuple[str, ...] = (), check: bool = True):
        from newsarchive.demo.run import FAST_LOCAL

        result = crawl_subprocess(self.outlets, self.data_dir, db_url=self.db_url,
                                  settings=(*FAST_LOCAL, "LOG_LEVEL=INFO", *settings),
                                  spider_args=spider_args)
        if check:
            assert result.returncode == 0, result.stderr[-3000:]
        return result

    def last_report(self) -> dict:
        reports = sorted((self.data_dir / "reports").glob("crawl-*.json"))
        assert reports, "the crawl wrote no report"
        return json.loads(reports[-1].read_text())

    def sessions(self):
        from newsarchive.db.engine import db_url_from

        return open_database(db_url_from({"NEWSARCHIVE_DB_URL": self.db_url,
                                          "NEWSARCHIVE_DATA_DIR": str(self.data_dir)}))


@pytest.fixture
def crawl(site: SiteServer, tmp_path: Path) -> Crawler:
    """Crawls into the default store: a SQLite file in the data directory."""
    outlets = tmp_path / "outlets.toml"
    outlets.write_text(outlets_toml(site.base_url), encoding="utf-8")
    return Crawler(tmp_path / "data", outlets)


@pytest.fixture
def crawl_any_db(crawl: Crawler, db_url: str) -> Crawler:
    """Crawls into SQLite, then (when configured) PostgreSQL: the production path."""
    crawl.db_url = db_url
    return crawl
