"""Unit tests of the trap rules, pattern paths and the crawl-delay floor under AutoThrottle."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from scrapy import Request
from scrapy.core.downloader import Slot
from scrapy.robotstxt import ProtegoRobotParser
from scrapy.utils.test import get_crawler

from newsarchive.config import parse_outlets
from newsarchive.politeness import CrawlDelayMiddleware
from newsarchive.traps import listing_family, repeated_segments
from newsarchive.urls import pattern_path


@pytest.mark.parametrize(("path", "trap"), [
    ("/section/world/world/world/", True),
    ("/a/b/a/b/", True),
    ("/news/x/y/x/y/story", True),
    ("/2026/01/01/story", False),  # one doubled segment is a real date
    ("/section/world/world/", False),
    ("/2001/01/01/01-breakfast", False),
    ("/", False),
])
def test_repeated_segments(path, trap):
    assert repeated_segments(path) is trap


def test_listing_family_groups_a_pattern_and_masks_page_numbers():
    [outlet] = parse_outlets("""
[[outlet]]
name = "o"
domains = ["example.com"]
start_urls = ["https://example.com/"]
article_patterns = ['^/story/']
listing_patterns = ['^/calendar/\\d+/\\d+/$']
""")
    assert listing_family(outlet, "/calendar/2026/01/") == listing_family(outlet, "/calendar/2031/12/")
    assert listing_family(outlet, "/world/?page=2") == listing_family(outlet, "/world/?page=917")
    assert listing_family(outlet, "/world/?page=2") != listing_family(outlet, "/sport/?page=2")


def test_pattern_path_drops_only_tracking_parameters():
    assert pattern_path("https://x.example/a/b/?utm_source=home&id=3#c") == "/a/b/?id=3"
    assert pattern_path("https://x.example/a/amp") == "/a/amp"


def test_crawl_delay_floors_the_slot_even_after_autothrottle_lowers_it():
    crawler = get_crawler(settings_dict={"ROBOTSTXT_OBEY": True, "USER_AGENT": "newsarchive-test"})
    crawler.stats.open_spider()
    middleware = CrawlDelayMiddleware(crawler)
    slot = Slot(concurrency=2, delay=0.0, jitter=0)
    downloader = SimpleNamespace(slots={"news.example": slot}, per_slot_settings={},
                                 get_slot_key=lambda request: "news.example")
    crawler.engine = SimpleNamespace(downloader=downloader)
    robots = ProtegoRobotParser(b"User-agent: *\nCrawl-delay: 3\n", None)
    request = Request("https://news.example/story", meta={"outlet": "n"})
    middleware.robots_parsed(robots, Request("https://news.example/"))
    middleware.process_request(request)
    assert slot.delay == 3.0
    assert downloader.per_slot_settings["news.example"] == {"delay": 3.0}  # slots re-created later too
    slot.delay = 0.5  # what AutoThrottle does after a fast response
    middleware.response_downloaded(None, request, None)
    assert slot.delay == 3.0
    slot.delay = 8.0  # a slower AutoThrottle delay is kept
    middleware.process_request(request)
    assert slot.delay == 8.0
    assert crawler.stats.get_value("newsarchive/outlet/n/crawl_delay") == 3.0
