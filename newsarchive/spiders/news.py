"""The ``news`` spider: discover articles of the configured outlets and fetch each once.

The spider only decides what to fetch and turns responses into items; storage,
WARC writing and stats per fetch live in middlewares and pipelines.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

import scrapy
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from newsarchive.config import Outlet, load_outlets
from newsarchive.extract import ExtractionError, decode_html, extract_article
from newsarchive.items import ArticleItem
from newsarchive.urls import canonical_url, path_and_query

logger = logging.getLogger(__name__)

PAGINATION = re.compile(r"([?&](page|p|pg)=\d+)|(/page/\d+/?$)", re.IGNORECASE)
NEXT_TEXT = re.compile(r"^\s*(next|older|more stories|›|»|→)", re.IGNORECASE)


def _charset(response: Response) -> str | None:
    content_type = response.headers.get("Content-Type", b"").decode("latin-1")
    match = re.search(r"charset=[\"']?([\w.:-]+)", content_type, re.IGNORECASE)
    return match.group(1) if match else None


class NewsSpider(scrapy.Spider):
    """Crawl outlets from ``outlets.toml``: sections and their pages, then articles.

    Arguments: ``-a outlets=a,b`` limits the crawl to the named outlets.
    """

    name = "news"

    def __init__(self, outlets: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.only = [name.strip() for name in outlets.split(",") if name.strip()] if outlets else None
        self.outlets: list[Outlet] = []
        self.seen: set[str] = set()  # canonical URLs already scheduled in this crawl
        self.scheduled: Counter[str] = Counter()  # requests per outlet, for max_pages

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> NewsSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.outlets = load_outlets(crawler.settings.get("NEWSARCHIVE_OUTLETS"), only=spider.only)
        spider.by_name = {o.name: o for o in spider.outlets}
        return spider

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for request in self.initial_requests():
            yield request

    def initial_requests(self) -> Iterator[scrapy.Request]:
        for outlet in self.outlets:
            for url in outlet.start_urls:
                request = self._request(outlet, url, "listing", source="start", depth=0)
                if request is not None:
                    yield request

    # -- building requests -------------------------------------------------------------

    def _request(self, outlet: Outlet, url: str, role: str, *, source: str, depth: int = 0,
                 meta: dict[str, Any] | None = None) -> scrapy.Request | None:
        """A request for ``url`` unless this crawl already has it or the outlet's budget is spent.

        Deduplicating on canonical URLs here, before a Request exists, keeps the
        scheduler from spending its time on the dozens of repeated links per page.
        """
        key = canonical_url(url, prefer_host=outlet.prefer_host)
        if key in self.seen:
            return None
        if self.scheduled[outlet.name] >= outlet.max_pages:
            self.crawler.stats.inc_value(f"newsarchive/outlet/{outlet.name}/budget_exhausted")
            return None
        self.seen.add(key)
        self.scheduled[outlet.name] += 1
        callback = self.parse_article if role == "article" else self.parse_listing
        return scrapy.Request(
            url, callback=callback, errback=self.on_error,
            meta={"outlet": outlet.name, "role": role, "source": source, "listing_depth": depth,
                  "canonical": key, **(meta or {})},
        )

    def _links(self, response: TextResponse) -> Iterable[tuple[str, bool]]:
        """(absolute URL, is-pagination) for each link on a page, in page order."""
        for href in response.xpath("//link[@rel='next']/@href").getall():
            yield response.urljoin(href), True
        for anchor in response.xpath("//a[@href]"):
            href = anchor.attrib["href"].strip()
            if not href or href.startswith(("#", "mailto:", "javascript:", "tel:")):
                continue
            rel = anchor.attrib.get("rel", "")
            text = " ".join(anchor.xpath(".//text()").getall())
            url = response.urljoin(href)
            yield url, ("next" in rel.split() or bool(NEXT_TEXT.match(text)) or bool(PAGINATION.search(url)))

    # -- callbacks -----------------------------------------------------------------------

    def parse_listing(self, response: Response) -> Iterator[scrapy.Request]:
        outlet = self.by_name[response.meta["outlet"]]
        self.crawler.stats.inc_value(f"newsarchive/outlet/{outlet.name}/listing_pages")
        if not isinstance(response, TextResponse):
            return
        depth = response.meta.get("listing_depth", 0)
        for url, is_pagination in self._links(response):
            if not url.startswith(("http://", "https://")) or not outlet.owns(url):
                continue
            path = path_and_query(url)
            if outlet.is_article(path):
                request = self._request(outlet, url, "article", source="listing")
            elif (is_pagination or outlet.is_listing(path)) and not outlet.is_denied(path):
                if depth + 1 > outlet.max_depth:
                    self.crawler.stats.inc_value(f"newsarchive/outlet/{outlet.name}/depth_limited")
                    continue
                request = self._request(outlet, url, "listing", source="listing", depth=depth + 1)
            else:
                continue
            if request is not None:
                yield request

    def parse_article(self, response: Response) -> Iterator[ArticleItem]:
        outlet = self.by_name[response.meta["outlet"]]
        stats = self.crawler.stats
        stats.inc_value(f"newsarchive/outlet/{outlet.name}/article_pages")
        if not isinstance(response, TextResponse):
            self._problem(outlet, "not_html", response.url, "not an HTML page")
            return
        decoded = decode_html(response.body, _charset(response))
        if decoded.problem:
            self._problem(outlet, "encoding", response.url, decoded.problem)
        try:
            data = extract_article(decoded.text, response.url)
        except ExtractionError as exc:
            self._problem(outlet, "no_text", response.url, str(exc))
            return
        except Exception as exc:  # a parser crash must not stop the crawl
            self._problem(outlet, "parse_error", response.url, f"{type(exc).__name__}: {exc}")
            return
        declared = data.get("canonical_url")
        identity = declared if declared and outlet.owns(declared) else response.url
        capture = response.meta.get("capture") or {}
        yield ArticleItem(
            outlet=outlet.name,
            url=response.url,
            canonical_url=canonical_url(identity, prefer_host=outlet.prefer_host),
            fetched_at=capture.get("fetched_at") or datetime.now(UTC).isoformat(),
            capture_id=capture.get("id"),
            warc=capture.get("warc"),
            source=response.meta.get("source"),
            discovery=response.meta.get("discovery"),
            **{k: data.get(k) for k in ("title", "byline", "published_raw", "published",
                                         "modified_raw", "modified", "language", "description")},
            authors=list(data.get("authors") or []),
            paragraphs=list(data.get("paragraphs") or []),
        )

    def _problem(self, outlet: Outlet, kind: str, url: str, message: str) -> None:
        logger.warning("%s: %s (%s)", kind, url, message)
        self.crawler.stats.inc_value(f"newsarchive/errors/{kind}")
        self.crawler.stats.inc_value(f"newsarchive/outlet/{outlet.name}/errors/{kind}")

    def on_error(self, failure: Failure) -> None:
        request = failure.request
        outlet = self.by_name.get(request.meta.get("outlet", ""))
        if failure.check(HttpError):
            status = failure.value.response.status
            kind, message = f"http_{status}", f"HTTP {status}"
        else:
            kind, message = type(failure.value).__name__, str(failure.value)
        if outlet is not None:
            self._problem(outlet, kind, request.url, message)
