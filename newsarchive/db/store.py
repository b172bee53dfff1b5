"""Repository functions: the only code that decides what becomes a row.

Every function takes a Session from its caller (the session lifecycle stays outside),
so the same rules serve the crawl pipeline, the CLI and the tests.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from newsarchive import changes
from newsarchive.content import fingerprint
from newsarchive.db.models import Article, ArticleVersion, Capture, Change, Outlet
from newsarchive.urls import canonical_url

CONTENT_FIELDS = ("title", "byline", "authors", "published_raw", "published", "modified_raw",
                  "modified", "language", "description", "paragraphs")


@dataclass
class Recorded:
    """What storing one article fetch did."""

    outcome: str  # new_article | new_version | unchanged | flapped
    article: Article
    version: ArticleVersion
    change: Change | None = None


def get_or_create_outlet(session: Session, name: str, config: dict[str, Any] | None = None) -> Outlet:
    outlet = session.scalar(select(Outlet).where(Outlet.name == name))
    if outlet is None:
        outlet = Outlet(name=name, config=config or {})
        try:
            with session.begin_nested():
                session.add(outlet)
        except IntegrityError:  # another crawl process created it first
            outlet = session.scalars(select(Outlet).where(Outlet.name == name)).one()
    elif config is not None and outlet.config != config:
        outlet.config = config
    return outlet


def add_capture(session: Session, **fields: Any) -> Capture:
    capture = Capture(**fields)
    session.add(capture)
    session.flush()
    return capture


def get_or_create_article(session: Session, outlet: Outlet, canonical_url: str,
                          *, seen_at: datetime, source: str | None = None) -> Article:
    article = session.scalar(select(Article).where(Article.canonical_url == canonical_url))
    if article is not None:
        return article
    article = Article(outlet_id=outlet.id, canonical_url=canonical_url, first_seen_at=seen_at,
                      discovered_via=source)
    try:
        with session.begin_nested():
            session.add(article)
    except IntegrityError:
        article = session.scalars(select(Article).where(Article.canonical_url == canonical_url)).one()
    return article


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


def version_content(version: ArticleVersion) -> changes.VersionContent:
    return changes.VersionContent(
        title=version.title,
        byline=version.byline,
        paragraphs=tuple(version.paragraphs),
        published=version.published_at.isoformat() if version.published_at else None,
        modified=version.modified_at.isoformat() if version.modified_at else None,
    )


def _moved_article(session: Session, canonical_url: str, redirected_from: str | None) -> Article | None:
    """The known article whose content now lives at ``canonical_url`` after a permanent move."""
    if redirected_from:
        article = session.scalar(select(Article).where(Article.canonical_url == redirected_from))
        if article is not None:
            return article
    if session.scalar(select(Article.id).where(Article.canonical_url == canonical_url)) is not None:
        return None
    return session.scalar(select(Article).where(Article.redirected_to == canonical_url)
                          .order_by(Article.id).limit(1))


def record_article(session: Session, *, outlet: Outlet, canonical_url: str, content: dict[str, Any],
                   fetched_at: datetime, capture: Capture | None = None,
                   source: str | None = None, redirected_from: str | None = None,
                   run_id: int | None = None, pending: bool = False) -> Recorded:
    """Store one fetch of an article; add a version only when the content changed.

    Rejected versions (a storm a person rejected) are never the base of a comparison: the
    fetch is compared with the latest version not rejected, and content equal to a rejected
    version is recorded as a capture of it (``unchanged``), so a leak that persists makes no
    new versions and its end does not look like an edit. With ``pending``, a new version
    (not a first one) stays out of the change feed until its run is analysed (newsarchive.health).

    A return to an earlier version is stored once (``reverted``); when the article
    keeps flipping between versions it already has, the fetch is recorded as a
    capture of the existing version and the article is flagged ``flapping``, so
    A/B tests cannot grow the chain without bound.

    A page reached through a permanent redirect (``redirected_from``), or found later at
    the URL a known article moved to, is the same article: its versions continue that
    article's chain, which stays ``redirected`` with its new URL recorded.
    """
    moved = _moved_article(session, canonical_url, redirected_from)
    article = moved or get_or_create_article(session, outlet, canonical_url, seen_at=fetched_at,
                                             source=source)
    article.check_count += 1
    article.last_checked_at = fetched_at
    if moved is not None:
        if article.canonical_url != canonical_url:
            article.status, article.redirected_to = "redirected", canonical_url
    elif article.status != "live":  # its own URL answers with the article again
        article.status, article.redirected_to = "live", None
    fp = fingerprint(content.get("title"), content.get("byline"), content.get("paragraphs") or [])
    stored = session.scalars(
        select(ArticleVersion).where(ArticleVersion.article_id == article.id).order_by(ArticleVersion.seq)
    ).all()
    versions = [v for v in stored if v.review != "rejected"]
    latest = versions[-1] if versions else None
    same = _same_content(stored, versions, fp)
    if same is not None:
        _link(capture, article, same, "unchanged")
        return Recorded("unchanged", article, same)
    earlier = next((v for v in versions[:-1] if v.fingerprint == fp), None)
    if earlier is not None and _has_reverted(session, article):
        article.flapping = True
        _link(capture, article, earlier, "flapped")
        return Recorded("flapped", article, earlier)

    version = ArticleVersion(
        article_id=article.id,
        seq=(stored[-1].seq + 1) if stored else 1,
        fingerprint=fp,
        captured_at=fetched_at,
        first_capture_id=capture.id if capture is not None else None,
        title=content.get("title"),
        byline=content.get("byline"),
        authors=list(content.get("authors") or []),
        published_raw=content.get("published_raw"),
        published_at=_parse_time(content.get("published")),
        modified_raw=content.get("modified_raw"),
        modified_at=_parse_time(content.get("modified")),
        language=content.get("language"),
        description=content.get("description"),
        paragraphs=list(content.get("paragraphs") or []),
        run_id=run_id,
        review="pending" if pending and stored else None,
        visible_at=None if pending and stored else fetched_at,
    )
    session.add(version)
    session.flush()
    article.version_count = version.seq
    article.last_changed_at = fetched_at
    change = None
    if latest is not None:
        record = changes.compare_versions(version_content(latest), version_content(version))
        kinds = sorted(set(record.kinds) | ({"reverted"} if earlier is not None else set()))
        change = Change(article_id=article.id, from_version_id=latest.id, to_version_id=version.id,
                        capture_id=capture.id if capture is not None else None,
                        kinds=kinds, detail=record.to_dict(), created_at=fetched_at)
        session.add(change)
    _link(capture, article, version, "new_version" if latest else "new_article")
    return Recorded("new_version" if latest else "new_article", article, version, change)


def _same_content(stored: list[ArticleVersion], versions: list[ArticleVersion],
                  fp: str) -> ArticleVersion | None:
    """The version a fetch is a capture of, not an edit: the latest one not rejected; the last
    visible one while a storm after it is held (the leak went away); a rejected one (it stays)."""
    latest = versions[-1] if versions else None
    if latest is not None and latest.fingerprint == fp:
        return latest
    visible = [v for v in versions if v.in_feed]
    if latest is not None and not latest.in_feed and visible and visible[-1].fingerprint == fp:
        return visible[-1]
    return next((v for v in stored if v.review == "rejected" and v.fingerprint == fp), None)


def _has_reverted(session: Session, article: Article) -> bool:
    kinds = session.scalars(select(Change.kinds).where(Change.article_id == article.id)).all()
    return any("reverted" in k for k in kinds)


def _link(capture: Capture | None, article: Article, version: ArticleVersion, outcome: str) -> None:
    if capture is not None:
        capture.article_id = article.id
        capture.outlet_id = article.outlet_id
        capture.version_id = version.id
        capture.kind = "article"
        capture.outcome = outcome


def record_gone(session: Session, *, canonical_url: str, capture: Capture | None,
                fetched_at: datetime, redirected_to: str | None = None) -> Change | None:
    """A known article answered 404/410 or moved (301): note the event once.

    A move is not counted as a check here: the page it leads to is stored next, through
    :func:`record_article` with ``redirected_from``, and counts the fetch once.
    """
    article = session.scalar(select(Article).where(Article.canonical_url == canonical_url))
    if article is None:
        return None
    new_status = "redirected" if redirected_to else "removed"
    if not redirected_to:
        article.check_count += 1
    article.last_checked_at = fetched_at
    if capture is not None:
        capture.article_id, capture.outlet_id = article.id, article.outlet_id
        capture.outcome = new_status
    if article.status == new_status and article.redirected_to == redirected_to:
        return None
    article.status, article.redirected_to = new_status, redirected_to
    latest = session.scalar(select(ArticleVersion).where(ArticleVersion.article_id == article.id,
                                                         ArticleVersion.in_feed)
                            .order_by(ArticleVersion.seq.desc()).limit(1))
    kind = "redirected" if redirected_to else "article_removed"
    change = Change(article_id=article.id, from_version_id=latest.id if latest else None,
                    to_version_id=None, capture_id=capture.id if capture else None, kinds=[kind],
                    detail={"redirected_to": redirected_to} if redirected_to else {},
                    created_at=fetched_at)
    session.add(change)
    return change


def find_earlier_payload(session: Session, url: str, payload_digest: str) -> Capture | None:
    """The oldest archived capture of ``url`` with the same payload (target of a revisit)."""
    return session.scalar(
        select(Capture)
        .where(Capture.url == url, Capture.payload_digest == payload_digest,
               Capture.warc_record_id.is_not(None), Capture.warc_revisit.is_(False),
               Capture.warc_lost.is_(False))
        .order_by(Capture.fetched_at)
        .limit(1)
    )


def mark_lost_records(session: Session, repairs: Iterable[Any]) -> int:
    """Flag captures whose WARC record a crash repair had to cut off; return how many."""
    lost = 0
    for action in repairs:
        if action.action not in ("truncated", "removed"):
            continue
        name = os.path.basename(action.closed_path or action.open_path.removesuffix(".open"))
        result = session.execute(
            update(Capture)
            .where(Capture.warc_filename == name, Capture.warc_offset >= action.kept_size)
            .values(warc_lost=True)
        )
        lost += result.rowcount or 0
    return lost


def list_articles(session: Session, outlet: str | None = None) -> list[tuple[Article, str]]:
    query = select(Article, Outlet.name).join(Outlet).order_by(Outlet.name, Article.canonical_url)
    if outlet:
        query = query.where(Outlet.name == outlet)
    return [(a, name) for a, name in session.execute(query).all()]


def find_article(session: Session, url: str) -> Article | None:
    """Look an article up by its canonical URL, or by any URL it was fetched under."""
    for candidate in dict.fromkeys([url, canonical_url(url)]):
        article = session.scalar(select(Article).where(Article.canonical_url == candidate))
        if article is not None:
            return article
    article_id = session.scalar(select(Capture.article_id).where(Capture.url == url,
                                                                 Capture.article_id.is_not(None)).limit(1))
    return session.get(Article, article_id) if article_id else None


def capture_counts(session: Session, article: Article) -> dict[int, int]:
    """How many fetches observed each version (by version id)."""
    rows = session.execute(select(Capture.version_id, func.count()).where(Capture.article_id == article.id)
                           .group_by(Capture.version_id)).all()
    return {vid: n for vid, n in rows if vid is not None}
