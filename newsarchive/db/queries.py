"""Read-side queries: the change feed other tools consume (``newsarchive changes``).

One dict per event, in the order the archive saw them. The format is an interface (see
README "Change feed"): add keys if needed, never rename or drop one.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator
from datetime import datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session, aliased

from newsarchive.changes import ChangeRecord
from newsarchive.db.models import Article, ArticleVersion, Capture, Change, Outlet, SyndicationMember

EVENTS = ("version", "reverted", "article_removed", "redirected")
FEED_CHUNK = 100  # rows fetched from the database at a time (a feed object carries its whole text)


def feed_versions() -> Select[tuple[ArticleVersion]]:
    """The versions readers may see: every consumer of versions (feed, diffs, syndication,
    web) starts from here or filters on ``ArticleVersion.in_feed``, so a storm held for
    review, or rejected, never leaks out through one of them."""
    return select(ArticleVersion).where(ArticleVersion.in_feed)


def visible_since(since: datetime) -> ColumnElement[bool]:
    """Versions that entered the feed at or after ``since``. A held version that is confirmed
    later enters then, so consumers polling with ``--since`` do not miss it."""
    return func.coalesce(ArticleVersion.visible_at, ArticleVersion.captured_at) >= since


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def warc_pointer(capture: Capture | None) -> dict[str, Any] | None:
    """Where a capture's record is; None when it has none, or a crash repair cut it off."""
    if capture is None or not capture.warc_record_id or capture.warc_lost:
        return None
    return {"file": capture.warc_filename, "offset": capture.warc_offset, "record_id": capture.warc_record_id}


def _content(version: ArticleVersion | None) -> dict[str, Any]:
    return {
        "title": version.title if version else None,
        "byline": version.byline if version else None,
        "published": _iso(version.published_at) if version else None,
        "modified": _iso(version.modified_at) if version else None,
        "paragraphs": list(version.paragraphs) if version else [],
    }


def _change(change: Change | None) -> dict[str, Any] | None:
    """The stored change record in ``ChangeRecord.to_dict`` shape, crawl-side kinds included."""
    if change is None:
        return None
    record = ChangeRecord.from_dict(change.detail or {})
    record.kinds = list(change.kinds)  # the stored kinds also carry reverted/article_removed/redirected
    return record.to_dict()


def change_feed(session: Session, *, since: datetime | None = None, outlet: str | None = None,
                kinds: Iterable[str] = ()) -> Iterator[dict[str, Any]]:
    """Every visible version (with its change record), every flip back to a known version
    (``reverted``) and every removal/redirect event, oldest first, streamed: rows are read
    from the database a chunk at a time, never all at once (``export --format jsonl``).

    Versions held for review or rejected (newsarchive.health) are left out. ``since`` keeps
    versions that became visible at or after that instant (a confirmed storm's versions enter
    when confirmed) and events captured at or after it; ``kinds`` keeps events whose
    change carries at least one of those kinds (so version 1, which has no change, is
    dropped by any kind filter).
    """
    wanted = set(kinds)
    first_capture = aliased(Capture)
    record_url = func.coalesce(Article.url, Article.canonical_url)  # the URL of record
    compared_with = aliased(ArticleVersion)
    cluster = SyndicationMember.cluster_id  # the story's cluster (newsarchive.syndication) or None
    versions = (
        select(ArticleVersion, record_url, Outlet.name, Change, first_capture, compared_with.seq, cluster)
        .join(Article, ArticleVersion.article_id == Article.id)
        .join(Outlet, Article.outlet_id == Outlet.id)
        .outerjoin(SyndicationMember, SyndicationMember.article_id == Article.id)
        .outerjoin(Change, Change.to_version_id == ArticleVersion.id)
        .outerjoin(compared_with, Change.from_version_id == compared_with.id)
        .outerjoin(first_capture, ArticleVersion.first_capture_id == first_capture.id)
        .where(ArticleVersion.in_feed)
    )
    event_capture = aliased(Capture)
    previous = aliased(ArticleVersion)
    events = (
        select(Change, record_url, Outlet.name, ArticleVersion, event_capture, previous, cluster)
        .join(Article, Change.article_id == Article.id)
        .join(Outlet, Article.outlet_id == Outlet.id)
        .outerjoin(SyndicationMember, SyndicationMember.article_id == Article.id)
        # a flip shows the version it went back to; removals and redirects the one before
        .outerjoin(ArticleVersion, func.coalesce(Change.reverted_to_id, Change.from_version_id)
                   == ArticleVersion.id)
        .outerjoin(previous, Change.from_version_id == previous.id)
        .outerjoin(event_capture, Change.capture_id == event_capture.id)
        .where(Change.to_version_id.is_(None))
    )
    if since is not None:
        versions = versions.where(visible_since(since))
        events = events.where(Change.created_at >= since)
    if outlet:
        versions = versions.where(Outlet.name == outlet)
        events = events.where(Outlet.name == outlet)
    # Each query comes sorted from the database and is read in chunks (a server-side cursor
    # on PostgreSQL), and the two are merged on the same key, so memory stays bounded
    # whatever the archive's size. Same instant: versions before the event that followed them.
    versions = versions.order_by(ArticleVersion.captured_at, ArticleVersion.article_id, ArticleVersion.seq)
    events = events.order_by(Change.created_at, Change.article_id, func.coalesce(ArticleVersion.seq, 0),
                             Change.id)

    def version_rows() -> Iterator[tuple[tuple[Any, ...], dict[str, Any]]]:
        for version, url, outlet_name, change, capture, previous_seq, cluster_id in _stream(session, versions):
            record = _change(change)
            if wanted and not (record and wanted & set(record["kinds"])):
                continue
            yield (version.captured_at, version.article_id, version.seq, False), {
                "event": "version", "url": url, "outlet": outlet_name, "version": version.seq,
                "captured_at": _iso(version.captured_at), **_content(version),
                "change": record, "redirected_to": None, "warc": warc_pointer(capture),
                "previous_version": previous_seq, "cluster": cluster_id,
            }

    def event_rows() -> Iterator[tuple[tuple[Any, ...], dict[str, Any]]]:
        for change, url, outlet_name, version, capture, before, cluster_id in _stream(session, events):
            record = _change(change)
            if wanted and not wanted & set(record["kinds"]):
                continue
            event = ("reverted" if change.reverted_to_id is not None
                     else "redirected" if "redirected" in record["kinds"] else "article_removed")
            yield (change.created_at, change.article_id, version.seq if version else 0, True), {
                "event": event, "url": url, "outlet": outlet_name,
                "version": version.seq if version else None,
                "previous_version": before.seq if before else None,
                "captured_at": _iso(change.created_at), **_content(version),
                "change": record, "redirected_to": (change.detail or {}).get("redirected_to"),
                "warc": warc_pointer(capture), "cluster": cluster_id,
            }

    for _key, row in heapq.merge(version_rows(), event_rows(), key=itemgetter(0)):
        yield row


def _stream(session: Session, query: Select[Any]) -> Iterator[Any]:
    """Rows of ``query`` fetched ``FEED_CHUNK`` at a time (``yield_per`` streams the results:
    a server-side cursor on PostgreSQL, SQLite steps its cursor), never all of them at once."""
    yield from session.execute(query.execution_options(yield_per=FEED_CHUNK))
