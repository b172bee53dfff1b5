"""The web view's reads: one query per page part, never one per row.

Each function takes a Session and returns plain rows for the templates. Lists are paged
with LIMIT/OFFSET and fetch one row more than shown, so "next page" needs no COUNT over a
large table. The indexes these queries lean on are in migration 0009.

Readers see only what the change feed shows: versions held for review or rejected
(``ArticleVersion.in_feed`` is false, see :func:`newsarchive.db.queries.feed_versions`) are
left out of timelines, diffs, change lists, feeds, headlines and search.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, and_, cast, func, or_, select
from sqlalchemy.orm import Session, aliased

from newsarchive.db import store
from newsarchive.db.queries import feed_versions
from newsarchive.db.models import Article, ArticleVersion, Capture, Change, Outlet

PAGE_SIZE = 50
SORTS = ("newest", "edited")


@dataclass
class Page:
    """One page of a list, and whether there is a next one."""

    rows: list[Any]
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1


def _paged(session: Session, query: Any, page: int, size: int = PAGE_SIZE) -> Page:
    page = max(page, 1)
    rows = session.execute(query.limit(size + 1).offset((page - 1) * size)).all()
    return Page(rows[:size], page, len(rows) > size)


def _kind_filter(kind: str) -> Any:
    """Changes carrying ``kind``: kinds is a JSON list of names from a fixed vocabulary,
    so a match on the quoted name in its text is exact on every backend."""
    return cast(Change.kinds, String).like(f'%"{kind}"%')


def outlets_activity(session: Session) -> list[Any]:
    """Every outlet with its article and version counts and the time of its last fetch."""
    stats = (select(Article.outlet_id, func.count().label("articles"),
                    func.coalesce(func.sum(Article.version_count), 0).label("versions"))
             .group_by(Article.outlet_id).subquery())
    last_fetch = (select(func.max(Capture.fetched_at)).where(Capture.outlet_id == Outlet.id)
                  .correlate(Outlet).scalar_subquery())
    query = (select(Outlet.name, func.coalesce(stats.c.articles, 0).label("articles"),
                    func.coalesce(stats.c.versions, 0).label("versions"),
                    last_fetch.label("last_crawl"))
             .outerjoin(stats, stats.c.outlet_id == Outlet.id).order_by(Outlet.name))
    return list(session.execute(query).all())


def outlet_names(session: Session) -> list[str]:
    return list(session.scalars(select(Outlet.name).order_by(Outlet.name)))


def latest_changes(session: Session, *, outlet: str | None = None, kind: str | None = None,
                   page: int = 1, size: int = PAGE_SIZE) -> Page:
    """Changes (new versions, removals, redirects), newest first, with the story's headline.

    The headline is that of the version the change led to (for a removal or redirect, the
    version that was current then).
    """
    shown = aliased(ArticleVersion)
    query = (
        select(Change.id, Change.kinds, Change.created_at, Change.to_version_id,
               Change.detail, Article.id.label("article_id"), Article.canonical_url,
               Outlet.name.label("outlet"), shown.seq, shown.title)
        .join(Article, Change.article_id == Article.id)
        .join(Outlet, Article.outlet_id == Outlet.id)
        .outerjoin(shown, shown.id == func.coalesce(Change.to_version_id, Change.from_version_id))
        .where(or_(Change.to_version_id.is_(None), shown.in_feed))
        .order_by(Change.created_at.desc(), Change.id.desc())
    )
    if outlet:
        query = query.where(Outlet.name == outlet)
    if kind:
        query = query.where(_kind_filter(kind))
    return _paged(session, query, page, size)


def outlet_articles(session: Session, outlet: str, *, sort: str = "newest",
                    kind: str | None = None, page: int = 1) -> Page:
    """An outlet's stories with their latest headline and latest change's kinds."""
    latest = aliased(ArticleVersion)
    last_change = aliased(Change)
    query = (
        select(Article.id, Article.canonical_url, Article.status, Article.version_count,
               Article.first_seen_at, Article.last_changed_at, latest.title,
               last_change.kinds)
        .join(Outlet, Article.outlet_id == Outlet.id)
        .outerjoin(latest, and_(latest.article_id == Article.id, latest.seq == Article.version_count,
                                latest.in_feed))
        .outerjoin(last_change, last_change.to_version_id == latest.id)
        .where(Outlet.name == outlet)
    )
    if kind:
        query = query.where(Article.id.in_(
            select(Change.article_id).join(ArticleVersion, ArticleVersion.id == Change.to_version_id)
            .where(_kind_filter(kind), ArticleVersion.in_feed)))
    if sort == "edited":
        query = query.order_by(Article.version_count.desc(), Article.first_seen_at.desc(),
                               Article.id.desc())
    else:
        query = query.order_by(Article.first_seen_at.desc(), Article.id.desc())
    return _paged(session, query, page)


def story(session: Session, article_id: int) -> Any | None:
    return session.execute(
        select(Article.id, Article.canonical_url, Article.status, Article.redirected_to,
               Article.first_seen_at, Article.last_checked_at, Article.check_count,
               Article.version_count, Article.flapping, Outlet.name.label("outlet"))
        .join(Outlet, Article.outlet_id == Outlet.id).where(Article.id == article_id)
    ).first()


def timeline(session: Session, article_id: int) -> list[Any]:
    """Every version of a story with its change kinds and its first capture's record."""
    query = (
        select(ArticleVersion.id, ArticleVersion.seq, ArticleVersion.captured_at,
               ArticleVersion.title, Change.kinds,
               Capture.id.label("capture_id"), Capture.url.label("capture_url"),
               Capture.fetched_at, Capture.warc_record_id, Capture.warc_lost,
               Capture.warc_filename)
        .outerjoin(Change, Change.to_version_id == ArticleVersion.id)
        .outerjoin(Capture, Capture.id == ArticleVersion.first_capture_id)
        .where(ArticleVersion.article_id == article_id, ArticleVersion.in_feed)
        .order_by(ArticleVersion.seq)
    )
    return list(session.execute(query).all())


def events(session: Session, article_id: int) -> list[Any]:
    """Removals and redirects of a story (changes without a new version)."""
    return list(session.execute(
        select(Change.kinds, Change.created_at, Change.detail)
        .where(Change.article_id == article_id, Change.to_version_id.is_(None))
        .order_by(Change.created_at)
    ).all())


def versions_by_seq(session: Session, article_id: int, seqs: set[int]) -> dict[int, ArticleVersion]:
    rows = session.scalars(feed_versions().where(ArticleVersion.article_id == article_id,
                                                 ArticleVersion.seq.in_(seqs)))
    return {v.seq: v for v in rows}


def stored_change(session: Session, from_id: int, to_id: int) -> Change | None:
    return session.scalar(select(Change).where(Change.from_version_id == from_id,
                                               Change.to_version_id == to_id))


def capture(session: Session, capture_id: int) -> Capture | None:
    return session.get(Capture, capture_id)


def _looks_like_url(text: str) -> bool:
    return " " not in text and ("/" in text or text.startswith(("http:", "https:")))


def search(session: Session, text: str, *, page: int = 1) -> Page:
    """Stories by URL (exact, as fetched, or a part of the canonical URL) or by title words.

    Title words must all occur in one headline the story ever had (any version).
    """
    text = text.strip()
    latest = aliased(ArticleVersion)
    query = (
        select(Article.id, Article.canonical_url, Article.version_count, Article.last_changed_at,
               Outlet.name.label("outlet"), latest.title)
        .join(Outlet, Article.outlet_id == Outlet.id)
        .outerjoin(latest, and_(latest.article_id == Article.id, latest.seq == Article.version_count,
                                latest.in_feed))
    )
    if _looks_like_url(text):
        found = store.find_article(session, text)
        if found is not None:
            return _paged(session, query.where(Article.id == found.id), 1)
        query = query.where(Article.canonical_url.contains(text, autoescape=True))
    else:
        words = [w for w in text.split() if w][:8]
        if not words:
            return Page([], 1, False)
        # SQLite's LIKE already ignores ASCII case; ILIKE there would be lower() on every row
        sqlite = session.get_bind().dialect.name == "sqlite"
        match = ArticleVersion.title.like if sqlite else ArticleVersion.title.ilike
        matching = select(ArticleVersion.article_id).where(
            ArticleVersion.in_feed, *(match(f"%{_escape_like(w)}%", escape="\\") for w in words))
        query = query.where(Article.id.in_(matching))
    return _paged(session, query.order_by(Article.last_changed_at.desc(), Article.id.desc()), page)


def _escape_like(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
