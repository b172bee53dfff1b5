"""What an export or a check covers: ``--outlet``, ``--since``, ``--until``, ``--url``.

One place turns the command line's filters into SQL over captures and versions, so the WARC,
WACZ and JSON-lines exports select exactly the same things.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from newsarchive.db import store
from newsarchive.db.models import Article, ArticleVersion, Capture, Outlet


class SelectionError(Exception):
    """The filters name something the archive does not hold (one line, exit status 2)."""


@dataclass
class Selection:
    outlet: str | None = None
    since: datetime | None = None  # captures at or after
    until: datetime | None = None  # captures before
    url: str | None = None  # an article (any URL variant) or any fetched URL
    outlet_id: int | None = None
    article_id: int | None = None
    article_url: str | None = None  # the article's URL of record (what the change feed shows)

    def resolve(self, session: Session) -> Selection:
        """Look the outlet and URL up once; raises SelectionError when they are unknown."""
        if self.outlet:
            outlet = session.scalar(select(Outlet).where(Outlet.name == self.outlet))
            if outlet is None:
                raise SelectionError(f"no outlet {self.outlet!r} in the archive")
            self.outlet_id = outlet.id
        if self.url:
            article = store.find_article(session, self.url)
            if article is not None:
                self.article_id = article.id
                self.article_url = article.record_url
            elif session.scalar(select(Capture.id).where(Capture.url == self.url).limit(1)) is None:
                raise SelectionError(f"nothing archived for {self.url}")
        if self.since and self.until and self.since >= self.until:
            raise SelectionError("--since must be earlier than --until")
        return self

    def captures(self) -> Select[tuple[Capture]]:
        """Selected captures that have a WARC record (not lost in a crash)."""
        query = select(Capture).where(Capture.warc_record_id.is_not(None), Capture.warc_lost.is_(False))
        if self.outlet_id is not None:
            query = query.where(Capture.outlet_id == self.outlet_id)
        if self.article_id is not None:
            query = query.where(Capture.article_id == self.article_id)
        elif self.url:
            query = query.where(Capture.url == self.url)
        if self.since is not None:
            query = query.where(Capture.fetched_at >= self.since)
        if self.until is not None:
            query = query.where(Capture.fetched_at < self.until)
        return query

    def where_versions(self, query: Select[Any], version: Any = ArticleVersion,
                       article: Any = Article) -> Select[Any]:
        """``query`` narrowed to selected versions; ``version``/``article`` may be aliases."""
        if self.outlet_id is not None:
            query = query.where(article.outlet_id == self.outlet_id)
        if self.url:
            query = query.where(version.article_id == (self.article_id or -1))
        if self.since is not None:
            query = query.where(version.captured_at >= self.since)
        if self.until is not None:
            query = query.where(version.captured_at < self.until)
        return query

    def versions(self) -> Select[tuple[ArticleVersion]]:
        """Selected stored versions (by their first capture time), oldest first."""
        query = select(ArticleVersion).join(Article, ArticleVersion.article_id == Article.id)
        return self.where_versions(query).order_by(ArticleVersion.captured_at, ArticleVersion.article_id,
                                                   ArticleVersion.seq)

    def admits_feed_row(self, row: dict[str, Any]) -> bool:
        """Whether a change-feed object (already narrowed by since/outlet) is selected.

        The feed filters ``since`` itself (by when a version became visible); ``until`` and
        ``url`` are applied here, the same way as for versions.
        """
        if self.until is not None and datetime.fromisoformat(row["captured_at"]) >= self.until:
            return False
        return not self.url or (self.article_url is not None and row["url"] == self.article_url)
