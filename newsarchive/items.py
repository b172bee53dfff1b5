"""Items the spider hands to the pipelines."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class ArticleItem:
    """One fetched article page, cleaned.

    ``url`` is what was fetched; ``canonical_url`` is the article's matching key and
    ``url_of_record`` the URL the site declares for it (see :mod:`newsarchive.urls`).
    Dates come as raw/normalised pairs: the string the
    page showed, and ISO 8601 UTC (``None`` when the page gave none).
    """

    outlet: str
    url: str
    canonical_url: str
    fetched_at: str  # ISO 8601 UTC, equal to the capture's WARC-Date
    url_of_record: str | None = None  # rel=canonical on the outlet, else the final URL
    capture_id: int | None = None
    warc: dict[str, Any] | None = None  # pointer to the response record
    source: str | None = None  # listing | feed | sitemap | recrawl
    # the canonical URL that was asked for, when a permanent redirect led here: the
    # content belongs to that (known) article, which now lives at ``canonical_url``
    redirected_from: str | None = None
    # the outlet's stable id for the story, from its ``id_pattern`` (None without one)
    outlet_article_id: str | None = None
    discovery: dict[str, Any] | None = None  # title/dates announced by a feed or sitemap
    title: str | None = None
    byline: str | None = None
    authors: list[str] = field(default_factory=list)
    published_raw: str | None = None
    published: str | None = None
    modified_raw: str | None = None
    modified: str | None = None
    language: str | None = None
    description: str | None = None
    paragraphs: list[str] = field(default_factory=list)
    #: which extractor produced the fields (newsarchive.provenance.extractor_identity())
    extractor: dict[str, Any] | None = None


@dataclass
class ArticleGoneItem:
    """A known article answered 404/410, or a permanent redirect to another URL."""

    outlet: str
    canonical_url: str
    status: int
    fetched_at: str
    capture_id: int | None = None
    redirected_to: str | None = None  # the new location's matching key
    redirected_to_url: str | None = None  # and its URL of record


@dataclass
class ArticleUnchangedItem:
    """A re-check that showed the page as its last capture did, so it was not extracted again.

    ``outcome`` is ``not_modified`` (the server answered 304 to the conditional request)
    or ``identical`` (the payload is byte for byte the last capture's).
    """

    outlet: str
    canonical_url: str  # the matching key the re-check was made for
    fetched_at: str
    outcome: str
    capture_id: int | None = None
    version_id: int | None = None  # the version the confirmed capture observed


@dataclass
class SourcePolledItem:
    """A listing, feed or sitemap was read: its schedule (``poll_sources``) moves on.

    ``digest`` stands for what it listed (article links, entries, child sitemaps); None
    when it was not parsed (a 304).
    """

    outlet: str
    url: str
    kind: str  # listing | feed | sitemap
    fetched_at: str
    digest: str | None = None
