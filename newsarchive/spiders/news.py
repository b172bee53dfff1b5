"""The ``news`` spider: discover articles of the configured outlets and fetch each once.

The spider only decides what to fetch and turns responses into items; storage,
WARC writing and stats per fetch live in middlewares and pipelines.
"""

from __future__ import annotations

import difflib
import logging
import re
from collections import Counter, defaultdict, deque
from collections.abc import AsyncIterator, Container, Iterable, Iterator
from datetime import datetime
from typing import Any

import scrapy
from scrapy import signals
from scrapy.exceptions import DownloadCancelledError, IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.misc import build_from_crawler, load_object
from twisted.python.failure import Failure

from newsarchive.config import Outlet, load_outlets
from newsarchive.db import outage
from newsarchive.extract import ExtractionError, decode_html
from newsarchive.extraction_pool import ExtractionPool
from newsarchive.items import (
    ArticleGoneItem,
    ArticleItem,
    ArticleUnchangedItem,
)
from newsarchive.middlewares.budget import BudgetSpent
from newsarchive.middlewares.conditional import META_KEY as CONDITIONAL_KEY
from newsarchive.middlewares.conditional import confirmed
from newsarchive.middlewares.redirects import RedirectLoopError
from newsarchive.netguard import BlockedRequest, blocked_address
from newsarchive.provenance import extractor_identity
from newsarchive.recheck import RECRAWL_MODES
from newsarchive import clock
from newsarchive.spiders.feeds_sitemaps import FEED_PRIORITY, FeedSitemapMixin
from newsarchive.traps import listing_family, repeated_segments
from newsarchive.urls import canonical_url, mask_url, path_and_query, pattern_path, url_of_record

logger = logging.getLogger(__name__)

PAGINATION = re.compile(r"([?&](page|p|pg)=\d+)|(/page/\d+/?$)", re.IGNORECASE)
NEXT_TEXT = re.compile(r"^\s*(next|older|more stories|›|»|→)", re.IGNORECASE)


class ArgumentError(ValueError):
    """A ``-a`` spider argument is unknown or has a bad value; the message says which."""


#: The spider's ``-a`` arguments and what they take (anything else is refused).
ARGUMENTS = {
    "outlets": "comma-separated outlet names",
    "recrawl": " | ".join(RECRAWL_MODES),
}


def check_arguments(spargs: dict[str, str]) -> dict[str, Any]:
    """Validate ``-a`` arguments before a crawl starts; return them parsed.

    A misspelt name (``recrwal=all``) would otherwise become a spider attribute nobody
    reads, and the crawl would silently do less than asked.
    """
    parsed: dict[str, Any] = {}
    for name, value in spargs.items():
        if name not in ARGUMENTS:
            close = difflib.get_close_matches(name, ARGUMENTS, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ArgumentError(f"unknown spider argument -a {name}={value} "
                                f"(known: {', '.join(ARGUMENTS)}){hint}")
        if name == "outlets":
            names = [n.strip() for n in value.split(",") if n.strip()]
            if not names:
                raise ArgumentError("-a outlets= names no outlet")
            parsed[name] = names
        elif name == "recrawl":
            if value not in RECRAWL_MODES:
                raise ArgumentError(f"-a recrawl={value}: expected one of {', '.join(RECRAWL_MODES)}")
            parsed[name] = value
    return parsed


def _charset(response: Response) -> str | None:
    content_type = response.headers.get("Content-Type", b"").decode("latin-1")
    match = re.search(r"charset=[\"']?([\w.:-]+)", content_type, re.IGNORECASE)
    return match.group(1) if match else None


class NewsSpider(FeedSitemapMixin, scrapy.Spider):
    """Crawl outlets from ``outlets.toml``: sections and their pages, feeds, sitemaps, then articles.

    Arguments: ``-a outlets=a,b`` limits the crawl to the named outlets;
    ``-a recrawl=all`` also re-fetches every article the archive already knows;
    ``-a recrawl=due`` re-fetches the articles the schedule says are due (most overdue
    first, within the run's budget) and reads only the listings, feeds and sitemaps whose
    own poll is due (``newsarchive recrawl``). Re-checks are conditional GETs.
    """

    name = "news"

    def __init__(self, outlets: str | None = None, **kwargs: Any):
        given = {k: str(v) for k, v in kwargs.items() if k != "name"}
        checked = check_arguments({**({"outlets": outlets} if outlets is not None else {}), **given})
        super().__init__(**kwargs)
        self.only = checked.get("outlets")
        self.ok_responses: Counter[str] = Counter()  # responses below 400 per outlet
        self.outlets: list[Outlet] = []
        self.seen: set[str] = set()  # canonical URLs already scheduled in this crawl
        # Known articles only the re-check may fetch (-a recrawl=...): see recheck_requests.
        self.reserved: set[str] = set()
        self.known: Container[str] = frozenset()  # every archived story (recrawl=due): KeySet
        self.scheduled: Counter[str] = Counter()  # requests per outlet, for max_pages
        # Article requests the max_pages budget turned away, kept (at most max_pages per
        # outlet) to take the place of an article that answers 404/410: a feed full of dead
        # entries must not spend the budget the live ones need.
        self.waiting: dict[str, deque[scrapy.Request]] = defaultdict(deque)
        self.family_pages: Counter[tuple[str, str]] = Counter()  # listing pages per (outlet, family)
        self.pending: dict[str, scrapy.Request] = {}  # canonical URL -> its article request
        self.found_by: dict[str, set[str]] = {}  # canonical URL -> sources that found it
        self.poll_schedule: dict[tuple[str, str], Any] = {}  # (outlet, URL) -> DueSource (recrawl=due)
        self.due_at: datetime | None = None  # the moment "due" is judged at (recrawl=due)

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> NewsSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.outlets = load_outlets(crawler.settings.get("NEWSARCHIVE_OUTLETS"), only=spider.only)
        spider.by_name = {o.name: o for o in spider.outlets}
        spider.warn_depth_limit(crawler.settings.getint("DEPTH_LIMIT"))
        crawler.signals.connect(spider.robots_parsed, signal=signals.robots_parsed)
        crawler.signals.connect(spider.response_received, signal=signals.response_received)
        spider.extraction = ExtractionPool.from_settings(crawler.settings)
        crawler.signals.connect(spider.extraction.close, signal=signals.spider_closed)
        return spider

    def warn_depth_limit(self, depth_limit: int) -> None:
        """Scrapy's DEPTH_LIMIT counts every hop; an outlet needs max_depth + 2 (listing hops,
        the article, one redirect) or its deepest pages vanish without a word."""
        for outlet in self.outlets:
            if depth_limit and depth_limit < outlet.max_depth + 2:
                logger.warning("outlet %s: max_depth %d needs DEPTH_LIMIT >= %d (it is %d): deeper "
                               "requests are dropped by Scrapy (stat depth/request_ignored_count)",
                               outlet.name, outlet.max_depth, outlet.max_depth + 2, depth_limit)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for request in self.initial_requests():
            yield request

    def initial_requests(self) -> Iterator[scrapy.Request]:
        # Re-checks first: a known article then keeps source "recrawl" (and its 404
        # handling) even when a listing links to it too.
        yield from self.recheck_requests()
        for outlet in self.outlets:
            for url in outlet.start_urls:
                request = self._request(outlet, url, "listing", source="start", depth=0)
                if request is not None:
                    yield request
            yield from self.feed_and_sitemap_requests(outlet)
        yield from self.due_source_requests()

    def _recheck_source(self) -> Any:
        settings = self.crawler.settings
        return build_from_crawler(load_object(settings.get("NEWSARCHIVE_RECHECK_SOURCE")), self.crawler)

    def _due_articles(self, source: Any) -> Iterable[tuple[str, ...]]:
        """``-a recrawl=due``: what the schedule says is due, within the run's request budget."""
        if not hasattr(source, "due_articles"):
            raise ArgumentError(f"-a recrawl=due: the recheck source {type(source).__name__} has no "
                                "due_articles(); it can only serve -a recrawl=all")
        names = [o.name for o in self.outlets]
        budget = self.crawler.settings.getint("NEWSARCHIVE_RECRAWL_BUDGET", 0)
        per_outlet = {o.name: o.recrawl_budget for o in self.outlets if o.recrawl_budget}
        if hasattr(source, "source_schedule"):
            self.poll_schedule = source.source_schedule(names)
        return source.due_articles(names, per_outlet=per_outlet, limit=budget)

    def due_source_requests(self) -> Iterator[scrapy.Request]:
        """``-a recrawl=due``: known sections, feeds and sitemaps due a poll that no start
        URL or configured feed led to (each keeps its own interval from earlier runs)."""
        extra = {"listing": {"depth": 1}, "feed": {"priority": FEED_PRIORITY},
                 "sitemap": {"priority": FEED_PRIORITY, "meta": {"sitemap_nesting": 1}}}
        for (name, url), known in sorted(self.poll_schedule.items()):
            outlet = self.by_name.get(name)
            if outlet is None or known.kind not in extra or not self._poll_due(name, url):
                continue
            request = self._request(outlet, url, known.kind, source=known.kind, **extra[known.kind])
            if request is not None:
                yield request

    def _poll_due(self, outlet: str, url: str) -> bool:
        """In ``recrawl=due`` mode, whether a listing, feed or sitemap is due (unknown ones are)."""
        if self.due_at is None:
            return True
        known = self.poll_schedule.get((outlet, url))
        return known is None or known.next_poll_at is None or known.next_poll_at <= self.due_at

    def recheck_requests(self) -> Iterator[scrapy.Request]:
        """With ``-a recrawl=all``: every known article of the selected outlets, now.

        The known articles come from the component named by ``NEWSARCHIVE_RECHECK_SOURCE``;
        404/410 reach :meth:`parse_article` so a removal can be recorded.
        """
        mode = getattr(self, "recrawl", None)  # Scrapy sets -a arguments as attributes
        if not mode:
            return
        source = self._recheck_source()
        if mode == "due":
            self.due_at = clock.now()
            known = self._due_articles(source)
        else:
            known = source.known_articles([o.name for o in self.outlets])
        known = list(known)  # the rows are in memory already; the keys are needed up front
        # Reserve every known article for its re-check before the first request leaves:
        # Scrapy takes these requests lazily, and a sitemap that robots.txt schedules
        # meanwhile would otherwise fetch a known story unconditionally (no 304, full
        # extraction), or in due mode one that is not due at all.
        self.reserved = {key for _, _, *keys in known for key in keys}
        if mode == "due" and hasattr(source, "known_keys"):
            # A listing linking a known story that is not due does not fetch it either: the
            # cost of a run follows what is due, not what the listings show.
            self.known = source.known_keys([o.name for o in self.outlets])
        for name, url, *keys in known:
            outlet = self.by_name.get(name)
            if outlet is None:
                continue
            # dont_filter: where a known article now redirects, follow even if this crawl
            # fetched the target already (a listing linked the new slug first); the hop
            # is what joins the two URLs into one story. A conditional GET: 304 comes here.
            request = self._request(outlet, url, "article", source="recrawl", dont_filter=True,
                                    meta={"handle_httpstatus_list": [304, 404, 410], CONDITIONAL_KEY: True})
            # A stale link to the story's old URL (a listing not yet updated after a move)
            # is then this same re-check: it is not fetched a second time.
            self.seen.update(keys)
            if request is not None:
                self.crawler.stats.inc_value(f"newsarchive/outlet/{name}/rechecks")
                yield request

    # -- building requests -------------------------------------------------------------

    def _request(self, outlet: Outlet, url: str, role: str, *, source: str, depth: int = 0,
                 meta: dict[str, Any] | None = None, priority: int = 0,
                 dont_filter: bool = False) -> scrapy.Request | None:
        """A request for ``url`` unless this crawl already has it, it is a trap, or a budget is spent.

        Every source (start pages, listings, feeds, sitemaps) comes through here.
        Deduplicating on canonical URLs before a Request exists keeps the scheduler
        from spending its time on the dozens of repeated links per page, and makes the
        first source to find an article the one that fetches it.
        """
        stats = self.crawler.stats
        prefix = f"newsarchive/outlet/{outlet.name}"
        url = url_of_record(url)  # fetch a working URL without tracking parameters or fragment
        key = canonical_url(url, prefer_host=outlet.prefer_host)
        if key in self.seen or (role == "article" and source != "recrawl"
                                and (key in self.reserved or key in self.known)):
            if role == "article":
                self._found_again(outlet, key, source, meta)
            return None
        path = path_and_query(url)
        if source != "start" and repeated_segments(path):
            stats.inc_value(f"{prefix}/trap/repeated_segments")
            logger.debug("skipped (repeated path segments): %s", url)
            return None
        if role == "listing" and source != "start":
            family = listing_family(outlet, path)
            if self.family_pages[outlet.name, family] >= outlet.pattern_page_budget:
                stats.inc_value(f"{prefix}/trap/page_budget")
                if self.family_pages[outlet.name, family] == outlet.pattern_page_budget:
                    logger.info("outlet %s: page budget (%d) of listing family %s spent; not following %s",
                                outlet.name, outlet.pattern_page_budget, family, url)
                    self.family_pages[outlet.name, family] += 1  # log once per family
                return None
            self.family_pages[outlet.name, family] += 1
        if role != "article" and not self._poll_due(outlet.name, url):
            stats.inc_value(f"{prefix}/sources_not_due")
            return None
        over_budget = self.scheduled[outlet.name] >= outlet.max_pages
        if over_budget and (role != "article" or len(self.waiting[outlet.name]) >= outlet.max_pages):
            stats.inc_value(f"{prefix}/budget_exhausted")
            return None
        self.seen.add(key)
        if not over_budget:
            self.scheduled[outlet.name] += 1
        callbacks = {"article": self.parse_article, "feed": self.parse_feed, "sitemap": self.parse_sitemap}
        request = scrapy.Request(
            url, callback=callbacks.get(role, self.parse_listing), errback=self.on_error, priority=priority,
            dont_filter=dont_filter,
            meta={"outlet": outlet.name, "role": role, "source": source, "listing_depth": depth,
                  "canonical": key, **(meta or {})},
        )
        if role != "article" and self.due_at is not None:
            # recrawl=due polls sources with conditional GETs too: a 304 costs no body, and the
            # spider still reads the archived one it confirms (ConditionalRequestMiddleware).
            request.meta.setdefault(CONDITIONAL_KEY, True)
        if role == "article":
            stats.inc_value(f"{prefix}/found/{source}")
            self.found_by[key] = {source}
            self.pending[key] = request
        if over_budget:
            self.waiting[outlet.name].append(request)
            return None
        return request

    def _refund(self, outlet: Outlet, request: scrapy.Request) -> list[scrapy.Request]:
        """An article that does not exist (404/410) gives its budget slot to the next one waiting."""
        if request.meta.get("role") != "article" or request.meta.get("source") == "recrawl":
            return []
        stats = self.crawler.stats
        stats.inc_value(f"newsarchive/outlet/{outlet.name}/budget_refunded")
        waiting = self.waiting.get(outlet.name)
        if not waiting:
            self.scheduled[outlet.name] -= 1
            return []
        return [waiting.popleft()]  # takes over the slot: scheduled stays the same

    def _found_again(self, outlet: Outlet, key: str, source: str, meta: dict[str, Any] | None) -> None:
        """Another source named an article already scheduled: count it, keep its metadata.

        The article is still fetched once. If the first request has no feed or sitemap
        metadata yet and has not been downloaded, it takes this source's.
        """
        sources = self.found_by.get(key)
        if sources is None or source in sources:
            return
        sources.add(source)
        self.crawler.stats.inc_value(f"newsarchive/outlet/{outlet.name}/found_again/{source}")
        request = self.pending.get(key)
        discovery = (meta or {}).get("discovery")
        if request is not None and discovery and not request.meta.get("discovery") \
                and "capture" not in request.meta:
            request.meta["discovery"] = discovery

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
        if outlet.auto_feeds and response.meta.get("source") == "start":
            yield from self.discovered_feed_requests(outlet, response)
        for url, is_pagination in self._links(response):
            if not url.startswith(("http://", "https://")) or not outlet.owns(url):
                continue
            # Tracking parameters must not hide an article link ("?utm_source=home").
            path = pattern_path(url)
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

    async def parse_article(self, response: Response) -> AsyncIterator[ArticleItem | ArticleGoneItem]:
        outlet = self.by_name[response.meta["outlet"]]
        if response.status in (404, 410):
            yield self._gone(outlet, response)
            return
        unchanged = self._unchanged(outlet, response)
        if unchanged is not None:  # 304, or the very bytes of the last capture: nothing to extract
            yield unchanged
            return
        moved_from = self._moved_from(outlet, response)
        if moved_from is not None:
            yield self._gone(outlet, response, moved_from=moved_from)
        stats = self.crawler.stats
        stats.inc_value(f"newsarchive/outlet/{outlet.name}/article_pages")
        if not isinstance(response, TextResponse):
            self._problem(outlet, "not_html", response.url, "not an HTML page")
            return
        decoded = decode_html(response.body, _charset(response))
        if decoded.problem:
            self._problem(outlet, "encoding", response.url, decoded.problem)
        capture = response.meta.get("capture") or {}
        # the only clock extraction reads (htmldate's max_date): never the machine's own today
        captured_at = datetime.fromisoformat(capture["fetched_at"]) if capture.get("fetched_at") else clock.now()
        try:
            data = await self.extraction.extract(decoded.text, response.url, captured_at)
        except ExtractionError as exc:
            self._problem(outlet, "no_text", response.url, str(exc))
            return
        except Exception as exc:  # a parser crash must not stop the crawl
            self._problem(outlet, "parse_error", response.url, f"{type(exc).__name__}: {exc}")
            return
        declared = data.get("canonical_url")
        identity = url_of_record(declared if declared and outlet.owns(declared) else response.url)
        yield ArticleItem(
            outlet=outlet.name,
            url=response.url,
            canonical_url=canonical_url(identity, prefer_host=outlet.prefer_host),
            url_of_record=identity,
            redirected_from=moved_from,
            outlet_article_id=outlet.article_id(identity) or outlet.article_id(response.url),
            fetched_at=capture.get("fetched_at") or clock.now().isoformat(),
            capture_id=capture.get("id"),
            warc=capture.get("warc"),
            source=response.meta.get("source"),
            discovery=response.meta.get("discovery"),
            **{k: data.get(k) for k in ("title", "byline", "published_raw", "published",
                                         "modified_raw", "modified", "language", "description")},
            authors=list(data.get("authors") or []),
            paragraphs=list(data.get("paragraphs") or []),
            extractor=extractor_identity(),
        )

    def _unchanged(self, outlet: Outlet, response: Response) -> ArticleUnchangedItem | None:
        """A re-check answered 304, or with the payload of the URL's last capture."""
        reference = confirmed(response.meta)
        if reference is None or response.url != reference["url"]:
            return None
        capture = response.meta.get("capture") or {}
        if response.status == 304:
            outcome = "not_modified"
        elif response.status == 200 and capture.get("payload_digest") == reference["payload_digest"]:
            outcome = "identical"
        else:
            return None
        self.crawler.stats.inc_value(f"newsarchive/outlet/{outlet.name}/article_pages")
        return ArticleUnchangedItem(outlet=outlet.name, canonical_url=response.meta["canonical"],
                                    fetched_at=capture.get("fetched_at") or clock.now().isoformat(),
                                    outcome=outcome, capture_id=capture.get("id"),
                                    version_id=reference.get("version_id"))

    def _declared_url(self, outlet: Outlet, response: Response) -> str:
        """The URL of record of the page a response ended on (rel=canonical if on the outlet)."""
        declared = None
        if isinstance(response, TextResponse):
            declared = response.xpath("//link[@rel='canonical']/@href").get()
            declared = response.urljoin(declared.strip()) if declared else None
        return url_of_record(declared if declared and outlet.owns(declared) else response.url)

    def _final_canonical(self, outlet: Outlet, response: Response) -> str:
        """The matching key of the page a response ended on."""
        return canonical_url(self._declared_url(outlet, response), prefer_host=outlet.prefer_host)

    def _moved_from(self, outlet: Outlet, response: Response) -> str | None:
        """The canonical URL asked for, when a permanent redirect led to another article."""
        if not {301, 308} & set(response.meta.get("redirect_reasons") or ()):
            return None
        asked = response.meta.get("canonical")
        if not asked or asked == self._final_canonical(outlet, response):
            return None
        return asked

    def _gone(self, outlet: Outlet, response: Response, *, moved_from: str | None = None) -> ArticleGoneItem:
        """404/410 (the article was removed) or a permanent move to another URL."""
        capture = response.meta.get("capture") or {}
        self.crawler.stats.inc_value(f"newsarchive/outlet/{outlet.name}/"
                                     + ("moved" if moved_from else f"gone_{response.status}"))
        return ArticleGoneItem(
            outlet=outlet.name,
            canonical_url=moved_from or response.meta["canonical"],
            status=response.status,
            fetched_at=capture.get("fetched_at") or clock.now().isoformat(),
            capture_id=capture.get("id"),
            redirected_to=self._final_canonical(outlet, response) if moved_from else None,
            redirected_to_url=self._declared_url(outlet, response) if moved_from else None,
        )

    def _problem(self, outlet: Outlet, kind: str, url: str, message: str) -> None:
        logger.warning("%s: %s (%s)", kind, mask_url(url), mask_url(message))
        self.crawler.stats.inc_value(f"newsarchive/errors/{kind}")
        self.crawler.stats.inc_value(f"newsarchive/outlet/{outlet.name}/errors/{kind}")

    def response_received(self, response: Response, request: scrapy.Request, spider: scrapy.Spider) -> None:
        """Count every page an outlet's requests got back (after redirects and retries)."""
        outlet = request.meta.get("outlet")
        self.pending.pop(request.meta.get("canonical", ""), None)  # downloaded: keep no request
        if outlet in self.by_name:
            self.crawler.stats.inc_value(f"newsarchive/outlet/{outlet}/pages_fetched")
            if response.status < 400 or response.status in (404, 410):
                self.ok_responses[outlet] += 1

    def failed_outlets(self) -> list[str]:
        """Outlets this crawl asked something of and got no usable answer from.

        Unreachable, timing out, refusing every request, or answering only with server
        errors: cron must hear about it (exit status 1). A 404 is an answer.
        """
        return sorted(name for name, asked in self.scheduled.items()
                      if asked and not self.ok_responses[name])

    def on_error(self, failure: Failure) -> list[scrapy.Request]:
        request = failure.request
        self.pending.pop(request.meta.get("canonical", ""), None)
        outlet = self.by_name.get(request.meta.get("outlet", ""))
        if outage.is_outage(failure.value):  # a middleware's database work failed
            outage.stop_crawl(self.crawler, failure.value)
            return []
        if outlet is None:
            return []
        if failure.check(HttpError):
            status = failure.value.response.status
            self._problem(outlet, f"http_{status}", request.url, f"HTTP {status}")
            return self._refund(outlet, request) if status in (404, 410) else []
        if failure.check(RedirectLoopError):
            kind, message = "redirect_loop", str(failure.value)
        elif failure.check(BlockedRequest):
            kind, message = f"blocked_{failure.value.kind}", str(failure.value)
        elif blocked_address(failure.value) is not None:
            kind, message = "blocked_address", str(blocked_address(failure.value))
        elif failure.check(BudgetSpent):  # not a fault: it stays due for the next run
            self.scheduled[outlet.name] -= 1
            return
        elif failure.check(IgnoreRequest):
            message = str(failure.value)
            if "robots.txt" in message:
                # Not a fault: the site asked us not to. Counted, never fetched.
                self.crawler.stats.inc_value(f"newsarchive/outlet/{outlet.name}/robots_disallowed")
                logger.debug("disallowed by robots.txt: %s", request.url)
                return []
            kind = "redirect_loop" if "redirection" in message else "ignored"
            if kind == "redirect_loop":
                hops = [*request.meta.get("redirect_urls", []), request.url]
                message = f"{message}: {' -> '.join(hops)}"
        elif failure.check(DownloadCancelledError) and ("max size" in str(failure.value)
                                                         or not str(failure.value)):
            # A body without Content-Length is cancelled mid-stream with an empty message.
            maxsize = request.meta.get("download_maxsize", self.crawler.settings.getint("DOWNLOAD_MAXSIZE"))
            kind = "too_large"
            message = str(failure.value) or f"body over DOWNLOAD_MAXSIZE ({maxsize} bytes), download cancelled"
        else:
            kind, message = type(failure.value).__name__, str(failure.value)
        self._problem(outlet, kind, request.url, message)
        return []
