"""Which known articles to fetch again: the spider's only view of what the archive holds.

The spider must not open the database itself (it decides what to fetch, nothing else), so
``-a recrawl=all`` asks a *recheck source* named by the ``NEWSARCHIVE_RECHECK_SOURCE``
setting. The default reads the archive; tests and other deployments can swap in their own
class with the same two methods.
"""

from __future__ import annotations

import hashlib
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Protocol

from sqlalchemy import func, select

from newsarchive import clock
from newsarchive.db.engine import db_url_from, session_factory
from newsarchive.db.models import Article, Outlet
from newsarchive.schedule import due

RECRAWL_MODES = ("all", "due")


class RecheckSource(Protocol):
    """What the spider needs: the known articles of some outlets.

    ``-a recrawl=due`` also needs ``due_articles`` (the same tuples, only those due, most
    overdue first, within budgets) and uses ``known_keys`` (matching keys of every known
    article, any container answering ``in``: a listing that links a story not due does not
    fetch it) and
    ``source_schedule`` (when each known listing, feed or sitemap is due) when present.
    """

    def known_articles(self, outlets: Iterable[str]) -> Iterator[tuple[str, ...]]:
        """(outlet name, URL of record[, matching key]) of every known article of ``outlets``."""
        ...


def check_source(path: str, mode: str | None) -> None:
    """Raise :class:`~newsarchive.config.ConfigError` (one line, exit 2, before any request)
    when ``NEWSARCHIVE_RECHECK_SOURCE`` cannot serve ``-a recrawl=<mode>``."""
    if not mode:
        return
    from scrapy.utils.misc import load_object

    from newsarchive.config import ConfigError

    try:
        cls = load_object(path)
    except (ImportError, NameError, ValueError) as exc:
        raise ConfigError(f"NEWSARCHIVE_RECHECK_SOURCE={path}: {exc}") from None
    needed = "due_articles" if mode == "due" else "known_articles"
    if not callable(getattr(cls, needed, None)):
        raise ConfigError(f"NEWSARCHIVE_RECHECK_SOURCE={path} has no {needed}(): it cannot serve "
                          f"-a recrawl={mode}")


class KeySet:
    """Membership of many matching keys at 8 bytes each: a sorted array of 64-bit hashes.

    ``-a recrawl=due`` must know every archived story (a listing linking one that is not due
    does not fetch it); a set of a million URL strings would hold ~150 MB for the whole run.
    A collision (about 1 in 10^7 at a million keys) only means a new story waits for the
    next plain crawl.
    """

    def __init__(self, keys: Iterable[str]):
        self._hashes = array("Q", sorted({_hash(key) for key in keys}))

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        value = _hash(key)
        at = bisect_left(self._hashes, value)
        return at < len(self._hashes) and self._hashes[at] == value

    def __len__(self) -> int:
        return len(self._hashes)

    @property
    def nbytes(self) -> int:
        return self._hashes.itemsize * len(self._hashes)


def _hash(key: str) -> int:
    return int.from_bytes(hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest(), "big")


class DatabaseRecheckSource:
    """Reads known articles from the archive the crawl writes to (``NEWSARCHIVE_DB_URL``)."""

    def __init__(self, db_url: str):
        self.db_url = db_url

    @classmethod
    def from_crawler(cls, crawler: Any) -> DatabaseRecheckSource:
        return cls(db_url_from(crawler.settings))

    def known_articles(self, outlets: Iterable[str]) -> Iterator[tuple[str, str, str]]:
        names = list(outlets)
        if not names:
            return
        # The URL of record, not the matching key: the key may not be a URL the site serves
        # (a folded trailing slash), and re-fetching it would cost a redirect hop or a 404.
        # A story that moved is re-checked where it lives now.
        current = func.coalesce(Article.url, Article.redirected_to, Article.canonical_url)
        query = (select(Outlet.name, current, Article.canonical_url).join(Article.outlet)
                 .where(Outlet.name.in_(names)).order_by(Article.id))
        with session_factory(self.db_url)() as session:
            rows = session.execute(query).all()  # read all now: no session open while crawling
        for name, url, key in rows:
            yield name, url, key

    def due_articles(self, outlets: Iterable[str], *, per_outlet: Mapping[str, int] | None = None,
                     limit: int = 0) -> Iterator[tuple[str, str, str]]:
        """Articles due a re-check now (newsarchive.schedule.due), most overdue first."""
        with session_factory(self.db_url)() as session:
            found = due.due_articles(session, list(outlets), now=clock.now(), per_outlet=per_outlet, limit=limit)
        for item in found:
            yield item.as_recheck()

    def known_keys(self, outlets: Iterable[str]) -> KeySet:
        """Matching keys (and the keys stories moved to) of every known article of ``outlets``,
        streamed from the database into a :class:`KeySet`."""
        query = (select(Article.canonical_url, Article.redirected_to).join(Article.outlet)
                 .where(Outlet.name.in_(list(outlets))).execution_options(yield_per=10_000))
        with session_factory(self.db_url)() as session:
            return KeySet(key for row in session.execute(query) for key in row if key)

    def source_schedule(self, outlets: Iterable[str]) -> dict[tuple[str, str], Any]:
        """(outlet, URL) -> :class:`newsarchive.schedule.due.DueSource` of every known source."""
        with session_factory(self.db_url)() as session:
            return due.source_schedule(session, list(outlets))
