"""The archive's tables: outlets, articles, captures, article versions, changes, crawl runs.

Versions and changes are insert-only: the archive never rewrites what it has seen. The one
mutable mark on a version is its review state (a storm's versions are held until a person
confirms or rejects them); see :attr:`ArticleVersion.in_feed`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from newsarchive import clock
from sqlalchemy.sql import ColumnElement, or_


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the archive; use UTC-aware datetimes")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    """Row defaults follow the one clock (``NEWSARCHIVE_NOW`` moves them with everything else)."""
    return clock.now()


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class Outlet(Base):
    __tablename__ = "outlets"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    articles: Mapped[list[Article]] = relationship(back_populates="outlet")

    def __repr__(self) -> str:
        return f"Outlet(id={self.id!r}, name={self.name!r})"


class Article(Base):
    """One story, identified by its canonical URL."""

    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(primary_key=True)
    outlet_id: Mapped[int] = mapped_column(ForeignKey("outlets.id"), index=True)
    #: The matching key: variants (slash, ``www.``, AMP, tracking parameters) folded into one.
    canonical_url: Mapped[str] = mapped_column(String(2000), unique=True)
    #: The URL of record: what the site declares (rel=canonical on the outlet, else the final
    #: URL) and serves. Stored, reported and re-fetched; None only before migration 0003.
    url: Mapped[str | None] = mapped_column(String(2000))
    status: Mapped[str] = mapped_column(String(20), default="live")  # live | removed | redirected
    redirected_to: Mapped[str | None] = mapped_column(String(2000), index=True)
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_checked_at: Mapped[datetime | None]
    last_changed_at: Mapped[datetime | None]
    #: When the schedule wants the next re-check (None: due now, unless checks stopped).
    next_check_at: Mapped[datetime | None] = mapped_column(index=True)
    check_count: Mapped[int] = mapped_column(default=0)
    #: Checks that saw content different from the check before (new version or a flip).
    change_count: Mapped[int] = mapped_column(default=0)
    #: Set when the story passed its outlet's ``max_age``: no more scheduled checks.
    checks_stopped_at: Mapped[datetime | None]
    version_count: Mapped[int] = mapped_column(default=0)
    flapping: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The version the page showed at the latest fetch (a flip back makes no new version).
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("article_versions.id", use_alter=True, name="fk_articles_current_version_id")
    )
    etag: Mapped[str | None] = mapped_column(String(500))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    discovered_via: Mapped[str | None] = mapped_column(String(20))  # listing | feed | sitemap
    # The outlet's own id of the story (outlet ``id_pattern``): survives slug changes.
    outlet_article_id: Mapped[str | None] = mapped_column(String(200))

    # the web view's outlet lists: newest first, most edited first (migration 0009)
    __table_args__ = (
        Index("ix_articles_outlet_first_seen", "outlet_id", "first_seen_at"),
        Index("ix_articles_outlet_versions", "outlet_id", "version_count", "first_seen_at"),
        Index("ix_articles_outlet_article_id", "outlet_id", "outlet_article_id"),
        Index("ix_articles_outlet_next_check", "outlet_id", "next_check_at"),  # the due query (0011)
    )

    outlet: Mapped[Outlet] = relationship(back_populates="articles")
    versions: Mapped[list[ArticleVersion]] = relationship(
        back_populates="article", order_by="ArticleVersion.seq",
        foreign_keys="ArticleVersion.article_id",
    )

    @property
    def record_url(self) -> str:
        """The URL to show and fetch: the URL of record, else the matching key."""
        return self.url or self.canonical_url

    def __repr__(self) -> str:
        return f"Article(id={self.id!r}, url={self.canonical_url!r}, versions={self.version_count})"


class Capture(Base):
    """Every fetch, article or not: when, what came back, and where its WARC record is."""

    __tablename__ = "captures"

    id: Mapped[int] = mapped_column(primary_key=True)
    outlet_id: Mapped[int | None] = mapped_column(ForeignKey("outlets.id"), index=True)
    article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id"), index=True)
    version_id: Mapped[int | None] = mapped_column(
        ForeignKey("article_versions.id", use_alter=True, name="fk_captures_version_id")
    )
    url: Mapped[str] = mapped_column(Text)
    fetched_at: Mapped[datetime] = mapped_column(index=True)
    status: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20), default="page")  # page | article | redirect | error
    content_type: Mapped[str | None] = mapped_column(String(200))
    payload_digest: Mapped[str | None] = mapped_column(String(100), index=True)
    payload_length: Mapped[int | None] = mapped_column(BigInteger)
    etag: Mapped[str | None] = mapped_column(String(500))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    outcome: Mapped[str | None] = mapped_column(String(20))  # new_article | new_version | unchanged | reverted | error ...
    source: Mapped[str | None] = mapped_column(String(20))  # listing | feed | sitemap | recrawl | start
    discovery: Mapped[dict[str, Any] | None]  # feed / sitemap title and dates
    error: Mapped[str | None] = mapped_column(Text)
    warc_filename: Mapped[str | None] = mapped_column(String(300))
    warc_offset: Mapped[int | None] = mapped_column(BigInteger)
    warc_length: Mapped[int | None] = mapped_column(BigInteger)
    warc_record_id: Mapped[str | None] = mapped_column(String(100))
    warc_revisit: Mapped[bool] = mapped_column(Boolean, default=False)
    warc_lost: Mapped[bool] = mapped_column(Boolean, default=False)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"), index=True)  # article fetches

    __table_args__ = (
        Index("ix_captures_url_digest", "url", "payload_digest"),
        Index("ix_captures_outlet_fetched", "outlet_id", "fetched_at"),  # last fetch per outlet
    )

    def __repr__(self) -> str:
        return f"Capture(id={self.id!r}, url={self.url!r}, status={self.status}, at={self.fetched_at})"


class ArticleVersion(Base):
    """A distinct reader-visible state of an article (insert-only)."""

    __tablename__ = "article_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"), index=True)
    seq: Mapped[int]
    fingerprint: Mapped[str] = mapped_column(String(64))
    captured_at: Mapped[datetime]
    first_capture_id: Mapped[int | None] = mapped_column(ForeignKey("captures.id"))
    title: Mapped[str | None] = mapped_column(Text)
    byline: Mapped[str | None] = mapped_column(Text)
    authors: Mapped[list[Any]] = mapped_column(default=list)
    published_raw: Mapped[str | None] = mapped_column(String(200))
    published_at: Mapped[datetime | None]
    modified_raw: Mapped[str | None] = mapped_column(String(200))
    modified_at: Mapped[datetime | None]
    language: Mapped[str | None] = mapped_column(String(20))
    description: Mapped[str | None] = mapped_column(Text)
    paragraphs: Mapped[list[Any]] = mapped_column(default=list)
    # None = accepted as stored; "pending" until its run is analysed; a storm's versions are
    # "held" until `newsarchive health --confirm/--reject RUN` makes them "confirmed"/"rejected".
    review: Mapped[str | None] = mapped_column(String(20))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"), index=True)
    visible_at: Mapped[datetime | None]  # when it entered the change feed (None: not in it)
    #: Which extractor produced it: package versions and newsarchive's rules version.
    extractor: Mapped[dict[str, Any] | None]

    article: Mapped[Article] = relationship(back_populates="versions", foreign_keys=[article_id])
    first_capture: Mapped[Capture | None] = relationship(foreign_keys=[first_capture_id])

    __table_args__ = (UniqueConstraint("article_id", "seq", name="uq_version_article_seq"),)

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)

    @hybrid_property
    def in_feed(self) -> bool:
        """Visible to readers (change feed, diffs, syndication, web): not pending, held or rejected.

        Works on an instance and in a query: ``select(ArticleVersion).where(ArticleVersion.in_feed)``.
        """
        return self.review is None or self.review == "confirmed"

    @in_feed.inplace.expression
    @classmethod
    def _in_feed_expression(cls) -> ColumnElement[bool]:
        return or_(cls.review.is_(None), cls.review == "confirmed")

    def __repr__(self) -> str:
        return f"ArticleVersion(article_id={self.article_id!r}, seq={self.seq}, title={self.title!r})"


class Change(Base):
    """What changed from one version to the next (insert-only).

    ``to_version_id`` is empty for events without new content: removal (404/410), a
    redirect, or a flip back to a known version (``reverted_to_id``).
    """

    __tablename__ = "changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"), index=True)
    from_version_id: Mapped[int | None] = mapped_column(ForeignKey("article_versions.id"))
    to_version_id: Mapped[int | None] = mapped_column(ForeignKey("article_versions.id"), unique=True)
    #: For a flip (no new content): the known version the page went back to.
    reverted_to_id: Mapped[int | None] = mapped_column(
        ForeignKey("article_versions.id", use_alter=True, name="fk_changes_reverted_to_id")
    )
    capture_id: Mapped[int | None] = mapped_column(ForeignKey("captures.id"))
    kinds: Mapped[list[Any]] = mapped_column(default=list)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    from_version: Mapped[ArticleVersion | None] = relationship(foreign_keys=[from_version_id])
    to_version: Mapped[ArticleVersion | None] = relationship(foreign_keys=[to_version_id])
    reverted_to: Mapped[ArticleVersion | None] = relationship(foreign_keys=[reverted_to_id])

    def __repr__(self) -> str:
        return f"Change(article_id={self.article_id!r}, to={self.to_version_id!r}, kinds={self.kinds!r})"


class CrawlRun(Base):
    """One ``scrapy crawl news`` process from start to end (several may run at once)."""

    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(20), default="running")  # running | finished | interrupted
    finish_reason: Mapped[str | None] = mapped_column(String(100))
    host: Mapped[str | None] = mapped_column(String(200))
    pid: Mapped[int | None] = mapped_column(Integer)
    outlets: Mapped[list[Any]] = mapped_column(default=list)  # names the run was asked to crawl
    #: ``crawl`` (scrapy crawl news) or ``recrawl`` (newsarchive recrawl, the cron entry)
    kind: Mapped[str | None] = mapped_column(String(20))
    #: The exit status the command reported (newsarchive.exitcodes) and per-outlet figures.
    exit_code: Mapped[int | None] = mapped_column(Integer)
    summary: Mapped[dict[str, Any] | None]

    def __repr__(self) -> str:
        return f"CrawlRun(id={self.id!r}, started_at={self.started_at}, status={self.status!r})"


class PollSource(Base):
    """A listing, feed or sitemap of an outlet, re-read on its own interval (adaptive on change)."""

    __tablename__ = "poll_sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    outlet_id: Mapped[int] = mapped_column(ForeignKey("outlets.id"))
    url: Mapped[str] = mapped_column(String(2000))
    kind: Mapped[str] = mapped_column(String(20))  # listing | feed | sitemap
    first_polled_at: Mapped[datetime]
    last_polled_at: Mapped[datetime | None]
    last_changed_at: Mapped[datetime | None]
    next_poll_at: Mapped[datetime | None] = mapped_column(index=True)
    interval_seconds: Mapped[float | None] = mapped_column(Float)
    poll_count: Mapped[int] = mapped_column(default=0)
    change_count: Mapped[int] = mapped_column(default=0)
    #: What the source listed at the last poll (a digest of its article links / entries).
    content_digest: Mapped[str | None] = mapped_column(String(100))

    __table_args__ = (UniqueConstraint("outlet_id", "url", name="uq_poll_source_outlet_url"),)

    def __repr__(self) -> str:
        return f"PollSource(url={self.url!r}, kind={self.kind!r}, next={self.next_poll_at})"


class OutletRun(Base):
    """One outlet's extraction-health figures and verdict for one run (see newsarchive.health)."""

    __tablename__ = "outlet_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("crawl_runs.id"), index=True)
    outlet_id: Mapped[int] = mapped_column(ForeignKey("outlets.id"), index=True)
    figures: Mapped[dict[str, Any]] = mapped_column(default=dict)  # counts, shares, text lengths
    storm: Mapped[dict[str, Any] | None]  # the common change and leaked text, when a storm was seen
    review: Mapped[str | None] = mapped_column(String(20))  # held | confirmed | rejected (storms only)
    verdict: Mapped[str] = mapped_column(String(20))  # healthy | degraded | broken | storm held
    reasons: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    run: Mapped[CrawlRun] = relationship()
    outlet: Mapped[Outlet] = relationship()

    __table_args__ = (UniqueConstraint("run_id", "outlet_id", name="uq_outlet_run"),)

    def __repr__(self) -> str:
        return f"OutletRun(run_id={self.run_id!r}, outlet_id={self.outlet_id!r}, verdict={self.verdict!r})"


# -- near-duplicates and syndication (newsarchive.syndication, migration 0012) ------------------
# No foreign keys on these tables: a story joined into another (store.join_articles) moves or
# drops versions and articles; readers join through article_versions / articles, so a row
# left behind by such a join simply stops matching.


class SyndicationFingerprint(Base):
    """One version's near-duplicate fingerprint: done once per version (insert-only)."""

    __tablename__ = "syndication_fingerprints"

    version_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    scheme: Mapped[str] = mapped_column(String(60))  # newsarchive.syndication.SCHEME
    shingles: Mapped[int] = mapped_column(Integer)  # distinctive shingles (0: too little text)
    #: Compared with the archive yet (a version held for review is compared once released).
    matched: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"SyndicationFingerprint(version_id={self.version_id!r}, shingles={self.shingles})"


class SyndicationBand(Base):
    """One LSH band of a version's MinHash: versions sharing a band key are candidates."""

    __tablename__ = "syndication_bands"

    key: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    version_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)

    def __repr__(self) -> str:
        return f"SyndicationBand(key={self.key!r}, version_id={self.version_id!r})"


class SyndicationParagraph(Base):
    """A paragraph seen in the archive: ``common`` once it appears in two unrelated stories
    (a legal notice, a wire footer), and then left out of every similarity."""

    __tablename__ = "syndication_paragraphs"

    key: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    first_article_id: Mapped[int] = mapped_column(Integer)
    seen: Mapped[int] = mapped_column(Integer, default=1)  # versions carrying it
    common: Mapped[bool] = mapped_column(Boolean, default=False)

    def __repr__(self) -> str:
        return f"SyndicationParagraph(key={self.key!r}, seen={self.seen}, common={self.common})"


class SyndicationCluster(Base):
    """Articles that carry one story: syndicated copies on several outlets, URL aliases on one."""

    __tablename__ = "syndication_clusters"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: A cluster joined into an older one by a version matching both; its id stays valid.
    merged_into: Mapped[int | None] = mapped_column(Integer)

    def __repr__(self) -> str:
        return f"SyndicationCluster(id={self.id!r}, merged_into={self.merged_into!r})"


class SyndicationMember(Base):
    """An article's place in a cluster, with the evidence that put it there.

    ``alias_of`` is set on every member but the first of its outlet: the same story under
    another URL of the same outlet, linked, never merged (both URLs and captures stay).
    """

    __tablename__ = "syndication_members"

    article_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    cluster_id: Mapped[int] = mapped_column(Integer, index=True)
    outlet_id: Mapped[int] = mapped_column(Integer)
    alias_of: Mapped[int | None] = mapped_column(Integer)
    joined_at: Mapped[datetime]  # capture time of the version that matched
    version_id: Mapped[int] = mapped_column(Integer)  # this article's version that matched
    matched_version_id: Mapped[int] = mapped_column(Integer)  # the other article's version
    similarity: Mapped[float] = mapped_column(Float)

    def __repr__(self) -> str:
        return f"SyndicationMember(article_id={self.article_id!r}, cluster_id={self.cluster_id!r})"
