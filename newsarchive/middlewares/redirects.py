"""End redirect loops at the first repeat, with an error naming the chain.

Scrapy's RedirectMiddleware stops only after ``REDIRECT_MAX_TIMES`` hops, and an
``A -> B -> A`` loop does not even get that far: the dupefilter silently drops the
second ``A``, so the article just vanishes from the crawl without a word. This
middleware sees each 3xx before RedirectMiddleware does and raises ``IgnoreRequest``
when the target is a URL already visited in the same chain; the spider's errback
logs and counts it as ``redirect_loop``.
"""

from __future__ import annotations

from urllib.parse import urljoin

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from w3lib.url import canonicalize_url, safe_url_string

REDIRECT_LOOP = "redirect loop"


class RedirectLoopError(IgnoreRequest):
    """A redirect chain came back to a URL it had already visited."""


class RedirectLoopMiddleware:
    def __init__(self, crawler: Crawler):
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedirectLoopMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response,
                         spider: Spider | None = None) -> Response:
        if not (300 <= response.status < 400) or b"Location" not in response.headers:
            return response
        if request.meta.get("dont_redirect"):
            return response
        location = response.headers[b"Location"].decode("latin-1")
        # Exact URLs, not newsarchive's canonical form: /x/ -> /x or dropping ?utm_source is
        # a normal one-hop redirect, not a loop.
        target = canonicalize_url(urljoin(request.url, safe_url_string(location)))
        chain = [*request.meta.get("redirect_urls", []), request.url]
        if target in {canonicalize_url(url) for url in chain}:
            self.stats.inc_value("newsarchive/redirect_loops")
            hops = " -> ".join([*chain, urljoin(request.url, location)])
            raise RedirectLoopError(f"{REDIRECT_LOOP}: {hops}")
        return response
