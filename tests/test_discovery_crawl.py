"""A real crawl of an outlet that publishes through listings, feeds and sitemaps, with every fault.

One crawl (module fixture) of the gazette site in tests/discovery_site.py; each test
checks one promise of the discovery and politeness layer against it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import Crawler
from discovery_site import ARTICLES, LATIN1_TITLE, GazetteSite, gazette_toml
from sqlalchemy import select

from newsarchive.db.models import Article, ArticleVersion, Capture
from newsarchive.demo.site import SiteServer

MAXSIZE = 100_000


class GazetteCrawl:
    def __init__(self, server: SiteServer, crawler: Crawler, result):
        self.server, self.crawler, self.result = server, crawler, result
        self.requests = list(server.site.requests)
        self.report = crawler.last_report()
        self.figures = self.report["outlets"]["gazette"]

    def path_counts(self) -> Counter[str]:
        """Requests per path, query strings (tracking parameters) dropped."""
        return Counter(p.split("?")[0] for p in self.requests)

    def articles(self) -> dict[str, Article]:
        with self.crawler.sessions()() as session:
            return {a.canonical_url.split("/gazette/news/", 1)[-1]: a
                    for a in session.scalars(select(Article)).all()}

    def captures(self, path: str) -> list[Capture]:
        with self.crawler.sessions()() as session:
            rows = session.scalars(select(Capture)).all()
            return [c for c in rows if c.url == self.server.url(path)]


@pytest.fixture(scope="module")
def gazette(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GazetteCrawl]:
    tmp: Path = tmp_path_factory.mktemp("gazette")
    builder = GazetteSite()
    with SiteServer(builder.site) as server:
        server.httpd.handle_error = lambda request, address: None  # the cancelled huge download resets
        builder.install(server.base_url)
        outlets = tmp / "outlets.toml"
        outlets.write_text(gazette_toml(server.base_url), encoding="utf-8")
        crawler = Crawler(tmp / "data", outlets)
        result = crawler(settings=(f"DOWNLOAD_MAXSIZE={MAXSIZE}", "DOWNLOAD_WARNSIZE=0"))
        yield GazetteCrawl(server, crawler, result)


def test_articles_only_in_a_feed_or_only_in_a_sitemap_are_found(gazette):
    found = gazette.articles()
    for slug in ("feed-only-rss", "feed-only-atom", "feed-only-json",  # RSS, Atom, JSON Feed
                 "sitemap-only", "sitemap-only-gz",  # news sitemap; gzip sitemap behind a nested index
                 "listed-story", "shared-story", "amp-twin", "amp-only"):
        assert slug in found, slug
    with gazette.crawler.sessions()() as session:  # a windows-1252 page, declared as such
        [latin1] = session.scalars(select(ArticleVersion).where(
            ArticleVersion.article_id == found["latin1-story"].id)).all()
        assert latin1.title == LATIN1_TITLE
    figures = gazette.figures
    # feeds and sitemaps are read first (higher priority), so they claim the articles they share
    assert figures["found/feed"] >= 4 and figures["found/sitemap"] >= 2 and figures["found/listing"] >= 5
    assert figures["feeds_discovered"] == 2  # RSS + Atom from <link rel=alternate> on the start page
    assert figures["sitemaps_from_robots"] == 1


def test_each_article_is_fetched_once_and_stored_once_under_its_canonical_url(gazette):
    counts = gazette.path_counts()
    for path, fetched in counts.items():
        if path.startswith("/gazette/news/"):
            expected = 3 if path.endswith("broken-500") else 1  # a 500 is retried twice
            assert fetched == expected, (path, fetched)
    # shared-story: home page (utm_campaign), RSS (utm_source) and news sitemap
    assert counts["/gazette/news/shared-story"] == 1
    # amp-twin: the home page links it with utm_source, the RSS feed links its AMP copy: one fetch
    assert counts["/gazette/news/amp-twin"] + counts["/gazette/news/amp-twin/amp"] == 1
    # amp-only was announced only as its AMP copy: fetched as such, stored under its rel=canonical
    assert counts["/gazette/news/amp-only/amp"] == 1 and "/gazette/news/amp-only" not in counts
    found = gazette.articles()
    assert all(a.canonical_url == gazette.server.url(f"/gazette/news/{slug}") for slug, a in found.items())
    assert {a.version_count for a in found.values()} == {1}
    assert len(found) == len(set(found))
    # whichever source came first fetched it; the others are counted: shared-story 2, amp-twin 1
    assert sum(v for k, v in gazette.figures.items() if k.startswith("found_again/")) == 3


def test_feed_and_sitemap_metadata_is_kept_on_the_capture(gazette):
    [atom] = gazette.captures("/gazette/news/feed-only-atom")
    assert atom.source == "feed"
    assert atom.discovery["via"] == "feed" and atom.discovery["feed_title"] == "Gazette Atom"
    assert atom.discovery["title"] == ARTICLES["feed-only-atom"]
    assert atom.discovery["published"] == "2026-03-02T08:00:00Z"
    assert atom.discovery["updated"] == "2026-03-02T10:00:00Z"
    assert atom.discovery["feed_url"] == gazette.server.url("/gazette/atom.xml")
    [json_entry] = gazette.captures("/gazette/news/feed-only-json")
    assert json_entry.discovery["published"] == "2026-03-03T06:30:00Z"
    [news] = gazette.captures("/gazette/news/sitemap-only")
    assert news.source == "sitemap"
    assert news.discovery["news_title"] == ARTICLES["sitemap-only"]
    assert news.discovery["news_keywords"] == ["roads", "works"]
    assert news.discovery["news_publication_date"].endswith("Z")
    [gz] = gazette.captures("/gazette/news/sitemap-only-gz")
    assert gz.discovery["via"] == "sitemap" and gz.discovery["lastmod"]


def test_robots_txt_disallow_and_crawl_delay_are_honoured(gazette):
    assert not any(p.startswith("/gazette/private/") for p in gazette.requests)
    assert gazette.path_counts()["/robots.txt"] == 1  # Sitemap: lines come from Scrapy's own fetch
    assert gazette.figures["robots_disallowed"] >= 1
    stats = gazette.report["stats"]
    assert stats["newsarchive/politeness/crawl_delay/127.0.0.1"] == 0.2
    # The conftest runs with DOWNLOAD_DELAY=0: the slot only ever had 0.2 s because robots.txt asked.
    assert stats["newsarchive/politeness/slot_delay_min/127.0.0.1"] == 0.2
    assert gazette.figures["crawl_delay"] == 0.2


def test_old_sitemaps_and_entries_outside_the_window_are_skipped(gazette):
    assert "/sitemaps/archive-2019.xml.gz" not in gazette.requests  # old index child: not even fetched
    assert "/gazette/news/old-story" not in gazette.requests
    assert gazette.figures["sitemaps_too_old"] == 1
    assert gazette.figures["sitemap_entries_too_old"] == 1
    assert "/sitemaps/more.xml.gz" in gazette.requests  # recursive index, gzip


def test_traps_are_bounded(gazette):
    calendar = [p for p in gazette.requests if p.startswith("/gazette/calendar/")]
    assert len(calendar) == 4  # pattern_page_budget, although max_depth would allow 20
    assert gazette.figures["trap/page_budget"] >= 1
    assert "/gazette/section/world/world/" in gazette.requests
    assert "/gazette/section/world/world/world/" not in gazette.requests
    assert gazette.figures["trap/repeated_segments"] >= 1


def test_every_fault_is_reported_and_the_crawl_finishes(gazette):
    assert gazette.report["finish_reason"] == "finished"
    errors = {k.removeprefix("errors/"): v for k, v in gazette.figures.items() if k.startswith("errors/")}
    assert errors["http_500"] == 1 and errors["http_404"] == 1
    assert errors["redirect_loop"] == 1
    assert errors["too_large"] == 1
    assert errors["bad_feed"] == 1
    log = gazette.result.stderr
    for path in ("/gazette/news/loop-a", "/gazette/news/huge-story", "/gazette/broken.xml",
                 "/gazette/news/missing-404"):
        assert gazette.server.url(path) in log, path
    assert "redirect loop" in log
    assert gazette.requests.count("/gazette/news/loop-a") == 1  # ended at the first repeat
    figures = gazette.figures
    assert figures["new_article"] == len(gazette.articles())
    assert figures["pages_fetched"] >= figures["new_article"] + 4
    assert "outlet gazette:" in log and "pages_fetched=" in log  # the end-of-crawl summary line
