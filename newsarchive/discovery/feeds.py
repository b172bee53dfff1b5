"""Feed parsing and feed autodiscovery.

RSS 0.9x/1.0/2.0 and Atom go through feedparser, which copes with the many
dialects real outlets publish; JSON Feed is plain JSON and is read directly
(feedparser 6 does not understand it). Every entry comes back with an absolute
URL and ISO 8601 UTC dates so the spider can treat all feed kinds alike.
"""

from __future__ import annotations

import io
import json
import logging
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

import feedparser
import lxml.html
from lxml import etree

from newsarchive.dates import from_struct_time, normalise_date
from newsarchive.urls import absolute_http_url

logger = logging.getLogger(__name__)

FEED_LINK_TYPES = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/feed+json",
        "application/json",
    }
)
_JSON_FEED_VERSION = "https://jsonfeed.org/version/"
_BOM_AND_SPACE = b"\xef\xbb\xbf \t\r\n"
_CLOSED_ENTRY = re.compile(rb"</(?:[\w.-]+:)?(?:item|entry)\s*>", re.IGNORECASE)


class FeedError(ValueError):
    """The body is not a feed we can read (malformed, truncated before any entry, or HTML)."""


@dataclass(frozen=True)
class FeedEntry:
    url: str  # absolute link of the entry
    title: str | None
    published: str | None  # ISO 8601 UTC or None
    updated: str | None
    feed_title: str | None


def parse_feed(body: bytes, url: str) -> list[FeedEntry]:
    """Entries of an RSS, Atom or JSON feed, in feed order, deduplicated by URL.

    A feed that is broken but still yielded complete entries (feedparser's "bozo"
    case, e.g. a truncated download) returns those entries; one that yielded
    nothing raises FeedError naming the cause.
    """
    if _looks_like_json(body):
        return _dedupe(_parse_json_feed(body, url))
    return _dedupe(_parse_xml_feed(body, url))


def find_feed_links(html: str | bytes, base_url: str) -> list[str]:
    """Feed URLs a page advertises with ``<link rel="alternate" type=...>``.

    Absolute, deduplicated, in page order. WordPress's ``/wp-json/`` REST links
    also say ``application/json`` but are not feeds, so they are skipped.
    """
    root = _parse_html(html)
    if root is None:
        return []
    base = _document_base(root, base_url)
    found: list[str] = []
    for link in root.iter("link"):
        rels = (link.get("rel") or "").lower().split()
        if "alternate" not in rels:
            continue
        mime = (link.get("type") or "").split(";")[0].strip().lower()
        if mime not in FEED_LINK_TYPES:
            continue
        href = (link.get("href") or "").strip()
        if not href:
            continue
        absolute = urldefrag(urljoin(base, href))[0]
        if urlsplit(absolute).scheme not in ("http", "https"):
            continue
        if mime == "application/json" and "/wp-json/" in urlsplit(absolute).path:
            continue
        if absolute not in found:
            found.append(absolute)
    return found


# --- XML feeds ---------------------------------------------------------------


def _parse_xml_feed(body: bytes, url: str) -> list[FeedEntry]:
    # A stream, never a string: feedparser would fetch a string that looks like a URL.
    parsed = feedparser.parse(
        io.BytesIO(body),
        response_headers={"content-location": url, "content-type": "application/xml"},
        resolve_relative_uris=True,
        sanitize_html=True,
    )
    feed_title = _clean(parsed.feed.get("title"))
    raw_entries = list(parsed.entries)
    if parsed.bozo and raw_entries and _is_truncated(parsed.get("bozo_exception")):
        # Only entries whose closing tag arrived are trustworthy; the last one
        # may end mid-URL.
        closed = len(_CLOSED_ENTRY.findall(body))
        raw_entries = raw_entries[:closed]
    if parsed.bozo and not raw_entries:
        raise FeedError(f"malformed feed at {url}: {_describe(parsed.get('bozo_exception'))}")
    if not parsed.get("version") and not raw_entries:
        raise FeedError(f"not an RSS, Atom or JSON feed at {url}")
    if parsed.bozo:
        logger.warning(
            "feed %s is malformed (%s); kept %d readable entries",
            url,
            _describe(parsed.get("bozo_exception")),
            len(raw_entries),
        )
    entries = []
    for raw in raw_entries:
        link = _entry_link(raw, url)
        if link is None:
            continue
        entries.append(
            FeedEntry(
                url=link,
                title=_entry_title(raw),
                # dict.get, not raw.get: FeedParserDict would answer "updated" with
                # the published date, inventing an update that never happened.
                published=from_struct_time(dict.get(raw, "published_parsed"))
                or from_struct_time(dict.get(raw, "created_parsed")),
                updated=from_struct_time(dict.get(raw, "updated_parsed")),
                feed_title=feed_title,
            )
        )
    return entries


def _entry_link(raw: Any, feed_url: str) -> str | None:
    """The entry's page: its alternate link, else a URL-shaped id (RSS permalink guid)."""
    candidates = [raw.get("link")]
    candidates += [
        link.get("href")
        for link in raw.get("links", [])
        if link.get("rel", "alternate") == "alternate"
    ]
    for candidate in candidates:
        absolute = absolute_http_url(candidate, feed_url)
        if absolute is not None:
            return absolute
    return _already_absolute_http(raw.get("id"))


def _entry_title(raw: Any) -> str | None:
    """Plain-text title; Atom allows HTML titles, whose markup is not part of the words."""
    title = raw.get("title")
    detail = raw.get("title_detail") or {}
    if isinstance(title, str) and "html" in str(detail.get("type", "")) and "<" in title:
        try:
            title = lxml.html.fragment_fromstring(title, create_parent="span").text_content()
        except (etree.ParserError, ValueError):
            pass
    return _clean(title)


def _is_truncated(exc: BaseException | None) -> bool:
    text = str(exc or "").lower()
    return "no element found" in text or "premature end" in text or "unclosed" in text


def _describe(exc: BaseException | None) -> str:
    if exc is None:
        return "unknown error"
    return f"{type(exc).__name__}: {exc}"


# --- JSON Feed ----------------------------------------------------------------


def _looks_like_json(body: bytes) -> bool:
    return body.lstrip(_BOM_AND_SPACE)[:1] in (b"{", b"[")


def _parse_json_feed(body: bytes, url: str) -> list[FeedEntry]:
    try:
        document = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FeedError(f"malformed JSON feed at {url}: {exc}") from exc
    if not isinstance(document, dict) or not isinstance(document.get("items"), list):
        raise FeedError(f"not a JSON Feed at {url}: no 'items' list")
    version = document.get("version")
    if isinstance(version, str) and not version.startswith(_JSON_FEED_VERSION):
        raise FeedError(f"not a JSON Feed at {url}: unknown version {version!r}")
    base = document.get("feed_url") if isinstance(document.get("feed_url"), str) else url
    feed_title = _clean(document.get("title"))
    entries = []
    for item in document["items"]:
        if not isinstance(item, dict):
            continue
        link = absolute_http_url(item.get("url"), base) or _already_absolute_http(item.get("id"))
        if link is None:
            continue
        entries.append(
            FeedEntry(
                url=link,
                title=_clean(item.get("title")),
                published=normalise_date(_str_or_none(item.get("date_published"))),
                updated=normalise_date(_str_or_none(item.get("date_modified"))),
                feed_title=feed_title,
            )
        )
    return entries


# --- helpers ------------------------------------------------------------------


def _already_absolute_http(value: Any) -> str | None:
    """An id counts as a link only if it is itself a full http(s) URL, never joined."""
    if isinstance(value, str) and urlsplit(value.strip()).scheme in ("http", "https"):
        return absolute_http_url(value, value.strip())
    return None


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _clean(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    value = " ".join(value.split())
    return value or None


def _dedupe(entries: list[FeedEntry]) -> list[FeedEntry]:
    seen: set[str] = set()
    unique = []
    for entry in entries:
        if entry.url not in seen:
            seen.add(entry.url)
            unique.append(entry)
    return unique


def _parse_html(html: str | bytes) -> Any:
    """An lxml HTML root, or None for an empty or unparseable document."""
    if isinstance(html, str):
        # lxml refuses str input that carries an XML encoding declaration.
        html = html.encode("utf-8")
        parser = lxml.html.HTMLParser(encoding="utf-8")
    else:
        parser = None
    if not html.strip():
        return None
    try:
        return lxml.html.fromstring(html, parser=parser)
    except (etree.ParserError, ValueError):
        return None


def _document_base(root: Any, page_url: str) -> str:
    """The page URL, or the ``<base href>`` it declares (resolved against the page URL)."""
    for base in root.iter("base"):
        href = (base.get("href") or "").strip()
        if href:
            return urljoin(page_url, href)
    return page_url
