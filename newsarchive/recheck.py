"""Which known articles to fetch again: the spider's only view of what the archive holds.

The spider must not open the database itself (it decides what to fetch, nothing else), so
``-a recrawl=all`` asks a *recheck source* named by the ``NEWSARCHIVE_RECHECK_SOURCE``
setting. The default reads the archive; tests and other deployments can swap in their own
class with the same two methods.
"""

from __future__ import annotations

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
    article: a listing that links a story not due does not fetch it) and
    ``source_schedule`` (when each known listing, feed or sitemap is due) when present.
    """

    def known_articles(self, outlets: Iterable[str]) -> Iterator[tuple[str, ...]]:
        """(outlet name, URL of record[, matching key]) of every known article of ``outlets``."""
        ...


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

    def known_keys(self, outlets: Iterable[str]) -> set[str]:
        """Matching keys (and the keys stories moved to) of every known article of ``outlets``."""
        query = (select(Article.canonical_url, Article.redirected_to).join(Article.outlet)
                 .where(Outlet.name.in_(list(outlets))))
        with session_factory(self.db_url)() as session:
            rows = session.execute(query).all()
        return {key for row in rows for key in row if key}

    def source_schedule(self, outlets: Iterable[str]) -> dict[tuple[str, str], Any]:
        """(outlet, URL) -> :class:`newsarchive.schedule.due.DueSource` of every known source."""
        with session_factory(self.db_url)() as session:
            return due.source_schedule(session, list(outlets))
