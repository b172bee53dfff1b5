"""Which known articles to fetch again: the spider's only view of what the archive holds.

The spider must not open the database itself (it decides what to fetch, nothing else), so
``-a recrawl=all`` asks a *recheck source* named by the ``NEWSARCHIVE_RECHECK_SOURCE``
setting. The default reads the archive; tests and other deployments can swap in their own
class with the same two methods.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, Protocol

from sqlalchemy import func, select

from newsarchive.db.engine import db_url_from, session_factory
from newsarchive.db.models import Article, Outlet

RECRAWL_MODES = ("all",)


class RecheckSource(Protocol):
    """What the spider needs: the known articles of some outlets."""

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
