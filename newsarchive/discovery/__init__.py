"""News discovery building blocks: feeds, sitemaps and outlet learning.

Pure parsing functions with no Scrapy dependency, so the spider, the CLI and the
tests share one implementation of "what URLs does this outlet publish".
"""

from newsarchive.discovery.feeds import FeedEntry, FeedError, find_feed_links, parse_feed
from newsarchive.discovery.sitemaps import (
    Sitemap,
    SitemapEntry,
    SitemapError,
    parse_sitemap,
    sitemaps_from_robots,
    within_window,
)

__all__ = [
    "FeedEntry",
    "FeedError",
    "Sitemap",
    "SitemapEntry",
    "SitemapError",
    "find_feed_links",
    "parse_feed",
    "parse_sitemap",
    "sitemaps_from_robots",
    "within_window",
]
