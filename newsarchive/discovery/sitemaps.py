"""Sitemap parsing that keeps what Scrapy's own parser drops.

Google News sitemaps carry the publication date, title and keywords of each
story; Scrapy's ``Sitemap`` class returns only ``loc``. This module reads
sitemaps and sitemap indexes (plain or gzip), keeps the ``news:`` fields,
normalises dates, and applies the ``sitemap_max_age_days`` window so an
outlet's old archive sitemaps do not flood a crawl.

The XML parser never resolves entities, loads DTDs or touches the network
(no XXE, no "billion laughs"), and a gzip body is inflated only up to the
50 MB the sitemap protocol allows.
"""

from __future__ import annotations

import io
import logging
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from lxml import etree
from protego import Protego

from newsarchive.dates import normalise_date, parse_datetime
from newsarchive.urls import absolute_http_url

logger = logging.getLogger(__name__)

MAX_UNCOMPRESSED_BYTES = 50 * 1024 * 1024  # the sitemap protocol's own limit
_GZIP_MAGIC = b"\x1f\x8b"
_BOM_AND_SPACE = b"\xef\xbb\xbf \t\r\n"
_ROOT_KINDS = {"urlset": "urlset", "sitemapindex": "index"}


class SitemapError(ValueError):
    """The body is not a sitemap we can read."""


@dataclass(frozen=True)
class SitemapEntry:
    url: str
    lastmod: str | None = None  # ISO 8601 UTC
    news_title: str | None = None
    news_publication_date: str | None = None  # ISO 8601 UTC
    news_keywords: tuple[str, ...] = ()
    news_publication_name: str | None = None


@dataclass(frozen=True)
class Sitemap:
    kind: str  # "urlset" or "index"
    entries: list[SitemapEntry] = field(default_factory=list)  # for "urlset"
    sitemaps: list[SitemapEntry] = field(default_factory=list)  # for "index"


def parse_sitemap(body: bytes, url: str) -> Sitemap:
    """Parse an XML sitemap or sitemap index (optionally gzip-compressed).

    Elements are matched by local name, so sitemaps with missing or wrong
    namespaces still work. If the document breaks off part-way, the entries
    that were complete are returned; with none, SitemapError is raised.
    A plain-text sitemap (one URL per line) is read as a urlset.
    """
    body = _decompress(body, url).lstrip(_BOM_AND_SPACE)
    if not body:
        raise SitemapError(f"empty sitemap at {url}")
    if not body.startswith(b"<"):
        return _parse_text_sitemap(body, url)
    return _parse_xml_sitemap(body, url)


def within_window(entry: SitemapEntry, max_age_days: float | None, now: datetime) -> bool:
    """Whether an entry is recent enough to crawl.

    Uses ``news:publication_date``, else ``lastmod``. Undated entries are kept
    (we cannot tell they are old); ``max_age_days=None`` disables the window.
    Works for child sitemaps of an index too, via their ``lastmod``.
    """
    if max_age_days is None:
        return True
    dated = parse_datetime(entry.news_publication_date) or parse_datetime(entry.lastmod)
    if dated is None:
        return True
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    return now - dated <= timedelta(days=max_age_days)


def sitemaps_from_robots(robots_txt: str, base_url: str) -> list[str]:
    """Absolute, deduplicated ``Sitemap:`` URLs from a robots.txt, in file order."""
    found: list[str] = []
    for location in Protego.parse(robots_txt).sitemaps:
        absolute = absolute_http_url(location, base_url)
        if absolute is not None and absolute not in found:
            found.append(absolute)
    return found


# --- internals ------------------------------------------------------------------


def _decompress(body: bytes, url: str) -> bytes:
    """Inflate gzip bodies (by magic number, whatever the extension says), capped."""
    if not body.startswith(_GZIP_MAGIC):
        # A ".xml.gz" URL served with Content-Encoding: gzip arrives already inflated.
        return body
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        data = inflater.decompress(body, MAX_UNCOMPRESSED_BYTES + 1)
    except zlib.error as exc:
        raise SitemapError(f"corrupt gzip sitemap at {url}: {exc}") from exc
    if len(data) > MAX_UNCOMPRESSED_BYTES:
        raise SitemapError(
            f"sitemap at {url} inflates beyond {MAX_UNCOMPRESSED_BYTES} bytes; refusing it"
        )
    if not inflater.eof:
        if not data:
            raise SitemapError(f"corrupt or truncated gzip sitemap at {url}")
        # A cut-off download: the XML parser keeps the entries that are complete.
        logger.warning("gzip sitemap %s is truncated; reading what arrived", url)
    return data


def _parse_xml_sitemap(body: bytes, url: str) -> Sitemap:
    kind: str | None = None
    entries: list[SitemapEntry] = []
    events = etree.iterparse(
        io.BytesIO(body),
        events=("start", "end"),
        resolve_entities=False,
        huge_tree=False,
        no_network=True,
        load_dtd=False,
        remove_comments=True,
        remove_pis=True,
    )
    depth = 0
    try:
        for event, element in events:
            if event == "start":
                depth += 1
                if depth == 1:
                    kind = _ROOT_KINDS.get(_local(element))
                    if kind is None:
                        raise SitemapError(
                            f"not a sitemap at {url}: root element <{_local(element)}>"
                        )
                continue
            depth -= 1
            # Only direct children of the root are entries; nested <image:loc> etc. are not.
            if depth == 1 and _local(element) in ("url", "sitemap"):
                entry = _entry(element, url)
                if entry is not None:
                    entries.append(entry)
                element.clear()
    except etree.XMLSyntaxError as exc:
        if kind is None or not entries:
            raise SitemapError(f"malformed sitemap at {url}: {exc}") from exc
        logger.warning(
            "sitemap %s is malformed (%s); kept %d complete entries", url, exc, len(entries)
        )
    if kind is None:
        raise SitemapError(f"not a sitemap at {url}")
    if kind == "index":
        return Sitemap(kind="index", entries=[], sitemaps=entries)
    return Sitemap(kind="urlset", entries=entries, sitemaps=[])


def _entry(element: Any, sitemap_url: str) -> SitemapEntry | None:
    children = {}
    for child in element:
        if isinstance(child.tag, str):
            children.setdefault(_local(child), child)
    location = absolute_http_url(_text(children.get("loc")), sitemap_url)
    if location is None:
        return None
    news = _news_fields(children.get("news"))
    return SitemapEntry(
        url=location,
        lastmod=normalise_date(_text(children.get("lastmod"))),
        **news,
    )


def _news_fields(news: Any) -> dict[str, Any]:
    if news is None:
        return {}
    fields: dict[str, Any] = {}
    for child in news.iter():
        if not isinstance(child.tag, str):
            continue
        name = _local(child)
        if name == "title":
            fields["news_title"] = _clean(_text(child))
        elif name == "publication_date":
            fields["news_publication_date"] = normalise_date(_text(child))
        elif name == "keywords":
            words = (_text(child) or "").split(",")
            fields["news_keywords"] = tuple(w.strip() for w in words if w.strip())
        elif name == "name" and _local(child.getparent()) == "publication":
            fields["news_publication_name"] = _clean(_text(child))
    return fields


def _parse_text_sitemap(body: bytes, url: str) -> Sitemap:
    text = body.decode("utf-8", errors="replace")
    entries = []
    for line in text.splitlines():
        location = absolute_http_url(line.strip(), url) if "://" in line else None
        if location is not None:
            entries.append(SitemapEntry(url=location))
    if not entries:
        raise SitemapError(f"not a sitemap at {url}: neither XML nor a list of URLs")
    return Sitemap(kind="urlset", entries=entries, sitemaps=[])


def _text(element: Any) -> str | None:
    """Element text, or None when it holds an unresolved entity (never guess at those)."""
    if element is None:
        return None
    if any(isinstance(child, etree._Entity) for child in element):
        return None
    text = "".join(element.itertext()).strip()
    return text or None


def _local(element: Any) -> str:
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1].lower()



def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = " ".join(value.split())
    return value or None
