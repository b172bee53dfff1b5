"""Repository functions: the only code that decides what becomes a row.

Every function takes a Session from its caller (the session lifecycle stays outside),
so the same rules serve the crawl pipeline, the CLI and the tests.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, defer, load_only

from newsarchive import changes
from newsarchive.content import fingerprint
from newsarchive.dates import parse_datetime
from newsarchive.db.models import Article, ArticleVersion, Capture, Change, Outlet
from newsarchive.urls import canonical_url

CONTENT_FIELDS = ("title", "byline", "authors", "published_raw", "published", "modified_raw",
                  "modified", "language", "description", "paragraphs")


@dataclass
class Recorded:
    """What storing one article fetch did."""

    outcome: str  # new_article | new_version | unchanged | reverted
    article: Article
    version: ArticleVersion  # the version the page shows now
    change: Change | None = None


#: Re-extract a version's first capture with today's extractor: its content fields, or None
#: when the record cannot be read or extracted (the stored fields are then compared).
Reextract = Callable[[ArticleVersion], "dict[str, Any] | None"]


class _Baseline:
    """Known versions as the current extractor sees them (each re-extracted at most once)."""

    def __init__(self, extractor: dict[str, Any] | None, reextract: Reextract | None):
        self.extractor, self.reextract = extractor, reextract
        self._cache: dict[int, dict[str, Any] | None] = {}

    def _fields(self, version: ArticleVersion) -> dict[str, Any] | None:
        if self.extractor is None or self.reextract is None or version.extractor == self.extractor:
            return None
        if version.id not in self._cache:
            self._cache[version.id] = self.reextract(version)
        return self._cache[version.id]

    def fingerprint(self, version: ArticleVersion) -> str:
        data = self._fields(version)
        if data is None:
            return version.fingerprint
        return fingerprint(data.get("title"), data.get("byline"), data.get("paragraphs") or [])

    def content(self, version: ArticleVersion) -> changes.VersionContent:
        data = self._fields(version)
        if data is None:
            return version_content(version)
        published, modified = parse_datetime(data.get("published")), parse_datetime(data.get("modified"))
        return changes.VersionContent(
            title=data.get("title"), byline=data.get("byline"),
            paragraphs=tuple(data.get("paragraphs") or ()),
            published=published.isoformat() if published else None,
            modified=modified.isoformat() if modified else None,
        )


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




def version_content(version: ArticleVersion) -> changes.VersionContent:
    return changes.VersionContent(
        title=version.title,
        byline=version.byline,
        paragraphs=tuple(version.paragraphs),
        published=version.published_at.isoformat() if version.published_at else None,
        modified=version.modified_at.isoformat() if version.modified_at else None,
    )


def known_article(session: Session, key: str) -> Article | None:
    """The article whose matching key is ``key``, or the one that moved to it."""
    article = session.scalar(select(Article).where(Article.canonical_url == key))
    if article is None:
        article = session.scalar(select(Article).where(Article.redirected_to == key)
                                 .order_by(Article.id).limit(1))
    return article


def _moved_article(session: Session, canonical_url: str, redirected_from: str | None,
                   *, outlet: Outlet | None = None, outlet_article_id: str | None = None) -> Article | None:
    """The known article whose content now lives at ``canonical_url``.

    Found through a permanent redirect (``redirected_from``), a move recorded earlier
    (``redirected_to``), or the outlet's stable story id in the URL (``id_pattern``: a slug
    changed with or without a redirect). A separate article already stored under
    ``canonical_url`` (the new URL was found before the move was seen) is joined into it.
    """
    article = None
    if redirected_from:
        article = known_article(session, redirected_from)
    if article is None and outlet is not None and outlet_article_id:
        article = session.scalar(
            select(Article).where(Article.outlet_id == outlet.id,
                                  Article.outlet_article_id == outlet_article_id,
                                  Article.canonical_url != canonical_url)
            .order_by(Article.id).limit(1))
    if article is None:
        if session.scalar(select(Article.id).where(Article.canonical_url == canonical_url)) is not None:
            return None
        return session.scalar(select(Article).where(Article.redirected_to == canonical_url)
                              .order_by(Article.id).limit(1))
    other = session.scalar(select(Article).where(Article.canonical_url == canonical_url))
    if other is not None and other.id != article.id:
        join_articles(session, article, other)
    return article


def join_articles(session: Session, story: Article, other: Article) -> None:
    """Fold ``other`` (the same story, stored under its new URL) into ``story``.

    ``other``'s versions continue ``story``'s chain in capture order (one equal to the
    latest becomes another capture of it), each with its change record; its captures follow;
    the row itself goes, so its URL now finds ``story`` through ``redirected_to``. Versions
    keep their text and capture; only their place in the chain is new.
    """
    other.current_version_id = None
    session.flush()
    session.execute(delete(Change).where(Change.article_id == other.id))
    latest = session.scalar(select(ArticleVersion).where(ArticleVersion.article_id == story.id)
                            .order_by(ArticleVersion.seq.desc()).limit(1))
    moved = session.scalars(select(ArticleVersion).where(ArticleVersion.article_id == other.id)
                            .order_by(ArticleVersion.captured_at, ArticleVersion.seq)).all()
    session.execute(update(Capture).where(Capture.article_id == other.id)
                    .values(article_id=story.id, outlet_id=story.outlet_id))
    for version in moved:
        if latest is not None and version.fingerprint == latest.fingerprint:
            session.execute(update(Capture).where(Capture.version_id == version.id)
                            .values(version_id=latest.id))
            session.delete(version)
            session.flush()
            continue
        version.article_id, version.seq = story.id, (latest.seq + 1) if latest else 1
        session.flush()
        if latest is not None:
            session.add(_change(story, latest, version, version.first_capture_id, version.captured_at))
        latest = version
        story.version_count = version.seq
        story.last_changed_at = version.captured_at
    if latest is not None:
        story.current_version_id = latest.id
    story.url = other.url or story.url  # the URL of record is where the story lives now
    story.check_count += other.check_count
    story.change_count += other.change_count
    if other.first_seen_at < story.first_seen_at:
        story.first_seen_at = other.first_seen_at
    story.status, story.redirected_to = "redirected", other.canonical_url
    session.delete(other)
    session.flush()


def _change(article: Article, old: ArticleVersion, new: ArticleVersion, capture_id: int | None,
            at: datetime, extra_kinds: Iterable[str] = ()) -> Change:
    """The change record from ``old`` to ``new``; every stored version after the first has a kind."""
    record = changes.compare_versions(version_content(old), version_content(new))
    kinds = sorted(set(record.kinds) | set(extra_kinds)) or ["edited"]
    return Change(article_id=article.id, from_version_id=old.id, to_version_id=new.id,
                  capture_id=capture_id, kinds=kinds, detail=record.to_dict(), created_at=at)


def record_article(session: Session, *, outlet: Outlet, canonical_url: str, content: dict[str, Any],
                   fetched_at: datetime, capture: Capture | None = None,
                   source: str | None = None, redirected_from: str | None = None,
                   run_id: int | None = None, pending: bool = False,
                   url: str | None = None, extractor: dict[str, Any] | None = None,
                   reextract: Reextract | None = None,
                   outlet_article_id: str | None = None) -> Recorded:
    """Store one fetch of an article; add a version only when the content is new.

    ``canonical_url`` is the matching key (variants folded); ``url`` the URL of record the
    site declares, stored and reported. Content equal to the current version is
    ``unchanged``. Content equal to another known version is a flip: no new version (so A/B
    tests cannot grow the chain), but a ``reverted`` change event, the article's current
    version moved back, and ``flapping`` set from the second flip on. New content is the
    next version, compared against the current one.

    Rejected versions (a storm a person rejected) are never the base of a comparison: the
    fetch is compared with the current version not rejected, and content equal to a rejected
    version is recorded as a capture of it (``unchanged``), so a leak that persists makes no
    new versions and its end does not look like an edit. With ``pending``, a new version
    (not a first one) stays out of the change feed until its run is analysed (newsarchive.health).

    Versions made by another extractor (``extractor`` differs from theirs) are compared by
    re-extracting their capture with ``reextract`` (the WARC record through today's rules),
    so an extractor upgrade alone makes no version; stored versions are never rewritten.

    A page reached through a permanent redirect (``redirected_from``), or found later at
    the URL a known article moved to, is the same article: its versions continue that
    article's chain, which stays ``redirected`` with its new URL recorded.
    """
    moved = _moved_article(session, canonical_url, redirected_from, outlet=outlet,
                           outlet_article_id=outlet_article_id)
    article = moved or get_or_create_article(session, outlet, canonical_url, seen_at=fetched_at,
                                             source=source)
    if outlet_article_id and article.outlet_article_id is None:
        article.outlet_article_id = outlet_article_id
    article.check_count += 1
    article.last_checked_at = fetched_at
    if url and article.url != url:
        article.url = url
    if moved is not None:
        if article.canonical_url != canonical_url and article.redirected_to != canonical_url:
            if not redirected_from:  # a slug change seen through the story id: no 301 said so
                session.add(Change(article_id=article.id, capture_id=capture.id if capture else None,
                                   kinds=["redirected"], created_at=fetched_at,
                                   detail={"redirected_to": canonical_url, "by": "outlet_article_id"}))
            article.status, article.redirected_to = "redirected", canonical_url
    elif article.status != "live":  # its own URL answers with the article again
        article.status, article.redirected_to = "live", None
    fp = fingerprint(content.get("title"), content.get("byline"), content.get("paragraphs") or [])
    stored = session.scalars(  # fingerprints and flags decide; texts load only if compared
        select(ArticleVersion).where(ArticleVersion.article_id == article.id).order_by(ArticleVersion.seq)
        .options(defer(ArticleVersion.paragraphs), defer(ArticleVersion.description),
                 defer(ArticleVersion.authors))
    ).all()
    versions = [v for v in stored if v.review != "rejected"]
    latest = versions[-1] if versions else None
    current = next((v for v in versions if v.id == article.current_version_id), latest)
    baseline = _Baseline(extractor, reextract)
    same = _same_content(stored, versions, current, fp, baseline)
    if same is None:  # a version held out of the feed is shown again: no event for it either
        same = next((v for v in versions if v is not current and not v.in_feed
                     and baseline.fingerprint(v) == fp), None)
    if same is not None:
        if same.review != "rejected":
            article.current_version_id = same.id
        _link(capture, article, same, "unchanged")
        return Recorded("unchanged", article, same)
    known = next((v for v in versions if v is not current and baseline.fingerprint(v) == fp), None)
    if known is not None:
        return _flip(session, article, current, known, capture, fetched_at, baseline)

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
        published_at=parse_datetime(content.get("published")),
        modified_raw=content.get("modified_raw"),
        modified_at=parse_datetime(content.get("modified")),
        language=content.get("language"),
        description=content.get("description"),
        paragraphs=list(content.get("paragraphs") or []),
        run_id=run_id,
        review="pending" if pending and stored else None,
        visible_at=None if pending and stored else fetched_at,
        extractor=extractor,
    )
    session.add(version)
    session.flush()
    article.version_count = version.seq
    article.last_changed_at = fetched_at
    article.current_version_id = version.id
    change = None
    if current is not None:
        article.change_count += 1
        record = changes.compare_versions(baseline.content(current), version_content(version))
        change = Change(article_id=article.id, from_version_id=current.id, to_version_id=version.id,
                        capture_id=capture.id if capture is not None else None,
                        kinds=sorted(record.kinds) or ["edited"], detail=record.to_dict(), created_at=fetched_at)
        session.add(change)
    _link(capture, article, version, "new_version" if latest else "new_article")
    return Recorded("new_version" if latest else "new_article", article, version, change)


def _same_content(stored: list[ArticleVersion], versions: list[ArticleVersion],
                  current: ArticleVersion | None, fp: str, baseline: _Baseline) -> ArticleVersion | None:
    """The version a fetch is a capture of, not an edit: the current one (not rejected); the
    last visible one while a storm after it is held (the leak went away); a rejected one (it
    stays)."""
    if current is not None and baseline.fingerprint(current) == fp:
        return current
    latest = versions[-1] if versions else None
    visible = [v for v in versions if v.in_feed]
    if latest is not None and not latest.in_feed and visible and baseline.fingerprint(visible[-1]) == fp:
        return visible[-1]
    return next((v for v in stored if v.review == "rejected" and baseline.fingerprint(v) == fp), None)


def _flip(session: Session, article: Article, current: ArticleVersion | None, known: ArticleVersion,
          capture: Capture | None, fetched_at: datetime, baseline: _Baseline) -> Recorded:
    """The page shows a version it showed before: one ``reverted`` event, no new version."""
    if _has_reverted(session, article):
        article.flapping = True
    record = changes.compare_versions(baseline.content(current), baseline.content(known)) \
        if current is not None else changes.ChangeRecord(kinds=[])
    change = Change(article_id=article.id, from_version_id=current.id if current else None,
                    to_version_id=None, reverted_to_id=known.id,
                    capture_id=capture.id if capture is not None else None,
                    kinds=sorted(set(record.kinds) | {"reverted"}),
                    detail=record.to_dict(), created_at=fetched_at)
    session.add(change)
    article.current_version_id = known.id
    article.last_changed_at = fetched_at
    article.change_count += 1
    _link(capture, article, known, "reverted")
    return Recorded("reverted", article, known, change)


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
                fetched_at: datetime, redirected_to: str | None = None,
                redirected_to_url: str | None = None) -> Change | None:
    """A known article answered 404/410 or moved (301): note the event once.

    ``redirected_to`` is the new location's matching key, ``redirected_to_url`` its URL of
    record (what the event reports). A move is not counted as a check here: the page it
    leads to is stored next, through :func:`record_article` with ``redirected_from``, and
    counts the fetch once.
    """
    article = known_article(session, canonical_url)
    if article is None:
        return None
    if redirected_to and redirected_to != canonical_url:
        other = session.scalar(select(Article).where(Article.canonical_url == redirected_to))
        if other is not None:  # the new URL was stored as a story of its own first: one story
            join_articles(session, article, other)
            article.redirected_to = None  # so the move below is still recorded as an event
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
    current = article.current_version_id or session.scalar(
        select(ArticleVersion.id).where(ArticleVersion.article_id == article.id, ArticleVersion.in_feed)
        .order_by(ArticleVersion.seq.desc()).limit(1))
    kind = "redirected" if redirected_to else "article_removed"
    change = Change(article_id=article.id, from_version_id=current,
                    to_version_id=None, capture_id=capture.id if capture else None, kinds=[kind],
                    detail={"redirected_to": redirected_to_url or redirected_to} if redirected_to else {},
                    created_at=fetched_at)
    session.add(change)
    return change


def record_unchanged_fetch(session: Session, *, canonical_url: str, capture: Capture | None,
                           fetched_at: datetime, outcome: str,
                           version_id: int | None = None) -> Article | None:
    """A re-check that showed the page as it was, without extracting it again.

    ``not_modified``: the server answered 304 to the conditional request. ``identical``:
    the payload is byte for byte the one of the URL's last capture. Either way the page
    shows the version that capture observed (``version_id``, else the current one): the
    fetch counts as a check, the capture is linked to that version, no version is made.
    """
    article = known_article(session, canonical_url)
    if article is None:
        return None
    article.check_count += 1
    article.last_checked_at = fetched_at
    version = _version_head(session, version_id) if version_id else None
    if version is None or version.article_id != article.id:
        version = _version_head(session, article.current_version_id) if article.current_version_id else None
    if version is not None and version.review != "rejected":
        article.current_version_id = version.id
    if capture is not None:
        capture.article_id, capture.outlet_id, capture.kind = article.id, article.outlet_id, "article"
        capture.version_id = version.id if version is not None else None
        capture.outcome = outcome
    return article


def _version_head(session: Session, version_id: int) -> ArticleVersion | None:
    """The version without its text: what an unchanged check reads (id, article, review and
    the publication date the schedule needs), not every paragraph."""
    return session.get(ArticleVersion, version_id, options=[load_only(
        ArticleVersion.id, ArticleVersion.article_id, ArticleVersion.review, ArticleVersion.published_at)])


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
    query = select(Article, Outlet.name).join(Outlet.articles).order_by(Outlet.name, Article.canonical_url)
    if outlet:
        query = query.where(Outlet.name == outlet)
    return [(a, name) for a, name in session.execute(query).all()]


def find_article(session: Session, url: str) -> Article | None:
    """Look an article up by its canonical URL, or by any URL it was fetched under."""
    for candidate in dict.fromkeys([url, canonical_url(url)]):
        article = session.scalar(select(Article).where(Article.canonical_url == candidate))
        if article is not None:
            return article
    article = session.scalar(select(Article).where(Article.url == url).limit(1))
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


def current_seqs(session: Session, articles: Iterable[Article]) -> dict[int, int]:
    """The number of the version each article's page shows now (by article id)."""
    ids = [a.current_version_id for a in articles if a.current_version_id]
    if not ids:
        return {}
    rows = session.execute(select(ArticleVersion.article_id, ArticleVersion.seq)
                           .where(ArticleVersion.id.in_(ids))).all()
    return {article_id: seq for article_id, seq in rows}
