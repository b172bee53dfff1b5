"""Engines and sessions, and the schema kept current by Alembic migrations."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000


def default_db_url(data_dir: str | Path) -> str:
    return f"sqlite:///{Path(data_dir) / 'newsarchive.sqlite3'}"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL lets readers (the CLI) work while a crawl writes; busy_timeout waits for locks."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite files get WAL mode and a busy timeout, their folder is created."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.drivername in ("postgres", "postgresql"):  # plain URLs use psycopg 3
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return create_engine(url, pool_pre_ping=True)


def alembic_config(engine: Engine | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if engine is not None:
        config.attributes["engine"] = engine
    return config


# pg_advisory_xact_lock key for migrations ("newsarch"), second key: the schema.
PG_MIGRATION_LOCK = 0x6E657773


@contextmanager
def _sqlite_migration_lock(engine: Engine) -> Iterator[None]:
    """An exclusive ``flock`` on ``<database>.migrate.lock`` while migrating.

    Two crawls starting on a new data directory would otherwise both find no schema and both
    create it (``table outlets already exists``).
    """
    database = engine.url.database
    if not database or database == ":memory:":
        yield
        return
    with open(f"{database}.migrate.lock", "a+b") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest migration (idempotent, safe for concurrent processes).

    Processes that start together take turns: SQLite through a file lock beside the database,
    PostgreSQL through a transaction-scoped advisory lock (per schema) held until the commit.
    """
    sqlite = engine.url.get_backend_name() == "sqlite"
    with _sqlite_migration_lock(engine) if sqlite else nullcontext(), engine.begin() as connection:
        if engine.url.get_backend_name() == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock("
                                    ":key, hashtext(coalesce(current_schema(), '')))"),
                               {"key": PG_MIGRATION_LOCK})
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def open_database(url: str, *, migrate: bool = True) -> sessionmaker[Session]:
    """One call for every entry point: engine, schema upgrade, session factory."""
    engine = make_engine(url)
    if migrate:
        upgrade(engine)
    return sessionmaker(engine, expire_on_commit=False)


_FACTORIES: dict[str, sessionmaker[Session]] = {}


def db_url_from(settings: Any) -> str:
    """The database URL a Scrapy-settings-like mapping asks for."""
    return settings.get("NEWSARCHIVE_DB_URL") or default_db_url(settings.get("NEWSARCHIVE_DATA_DIR") or "data")


def session_factory(url: str) -> sessionmaker[Session]:
    """One migrated engine per URL per process, shared by middlewares and pipelines."""
    if url not in _FACTORIES:
        _FACTORIES[url] = open_database(url)
    return _FACTORIES[url]
