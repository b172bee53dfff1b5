"""A database connection the web view cannot write through.

Archived pages are third-party input and the web view faces readers: whatever goes wrong
in a request handler, it must not be able to change the archive. SQLite is opened with a
``mode=ro`` URI (the file, not a permission we promise to respect) and ``query_only``;
PostgreSQL connections are put in read-only mode, so every transaction is READ ONLY.
The schema is never migrated from here: the crawl owns that.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from newsarchive.db.engine import SQLITE_BUSY_TIMEOUT_MS


class NoArchive(Exception):
    """The database the view was pointed at does not exist or is not an archive."""


def _sqlite_read_only(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA query_only=ON")
    cursor.close()


def read_only_engine(url: str) -> Engine:
    """An engine on ``url`` that refuses writes at the database level."""
    try:
        parsed = make_url(url)
    except Exception:
        raise NoArchive(f"not a database URL: {url!r}") from None
    if parsed.get_backend_name() == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            raise NoArchive("the web view needs an archive file, not an in-memory database")
        path = Path(parsed.database).resolve()
        if not path.exists():
            raise NoArchive(f"no archive at {path} (check --data-dir / --db)")
        uri = f"sqlite:///file:{quote(str(path))}?mode=ro&uri=true"
        engine = create_engine(uri, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000,
                                                  "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_read_only)
        return engine
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    engine = create_engine(parsed.render_as_string(hide_password=False), pool_pre_ping=True)
    return engine.execution_options(postgresql_readonly=True)


def read_only_sessions(url: str) -> sessionmaker[Session]:
    return sessionmaker(read_only_engine(url), expire_on_commit=False, autoflush=False)
