"""A local outlet ("The Valley Gazette") that publishes through every channel and every fault.

Built on the demo :class:`NewsSite` through its ``routes`` only. Each article is reachable
through exactly the channels its slug says (``feed-only-rss`` only in the RSS feed,
``sitemap-only`` only in the news sitemap, ...), so a test can tell which source found it.
"""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta
from html import escape

from newsarchive.demo.site import NewsSite, Reply

HTML = {"Content-Type": "text/html; charset=utf-8"}
XML = {"Content-Type": "application/xml"}

# slug -> title; the article text is generated from the title.
ARTICLES = {
    "listed-story": "Valley council approves new footbridge",
    "shared-story": "Reservoir levels rise after a wet February",
    "amp-twin": "Night buses return to the valley routes",
    "amp-only": "Library extends its weekend opening hours",
    "feed-only-rss": "Orchard growers report an early blossom",
    "feed-only-atom": "Ferry timetable changes from next Monday",
    "feed-only-json": "School choir wins the regional festival",
    "sitemap-only": "Hill road closed for resurfacing works",
    "sitemap-only-gz": "Market square to get new lighting",
    "old-story": "Bridge opening ceremony held in 2019",
    "loop-a": "never served",
}
LATIN1_TITLE = "Caf\xe9 owners in the valley protest new rules"
CALENDAR = "/gazette/calendar/{year}/{month:02d}/"


def article_html(slug: str, title: str, *, amp: bool = False) -> str:
    canonical = f"/gazette/news/{slug}"
    head = f'<link rel="canonical" href="{canonical}">'
    if not amp:
        head += f'<link rel="amphtml" href="{canonical}/amp">'
    sentences = [
        f"{title}, officials in the valley confirmed on Tuesday after a long public meeting.",
        "Residents who attended the meeting asked detailed questions about costs and timing, "
        "and several said they had waited years for a decision of this kind.",
        "The council said it would publish a full report next month and invite further comments "
        "from anyone affected before the work begins in the spring.",
    ]
    paragraphs = "".join(f"<p>{escape(s)}</p>" for s in sentences)
    return (f'<!DOCTYPE html><html{" amp" if amp else ""} lang="en"><head><meta charset="utf-8">'
            f"<title>{escape(title)}</title>{head}"
            f'<meta property="article:published_time" content="2026-03-01T09:00:00Z"></head>'
            f"<body><article><h1>{escape(title)}</h1><p class=\"byline\">By Ann Reporter</p>"
            f"{paragraphs}</article></body></html>")


class GazetteSite:
    """Builds the routes, feeds, sitemaps and robots.txt of the gazette on a NewsSite."""

    def __init__(self, now: datetime | None = None):
        self.now = now or datetime.now(UTC)
        self.site = NewsSite(stories=())
        self.base_url = ""  # set by serve() once the port is known
        self.huge_size = 300_000

    def iso(self, days_ago: float) -> str:
        return (self.now - timedelta(days=days_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")

    def install(self, base_url: str) -> NewsSite:
        self.base_url = base_url
        site = self.site
        site.robots_txt = ("User-agent: *\nDisallow: /gazette/private/\nCrawl-delay: 0.2\n"
                           f"Sitemap: {base_url}/sitemap_index.xml\n")
        routes = site.routes
        routes["/gazette/"] = lambda s, q: Reply(body=self.homepage().encode())
        for slug, title in ARTICLES.items():
            if slug == "loop-a":
                continue
            routes[f"/gazette/news/{slug}"] = (
                lambda s, q, slug=slug, title=title: Reply(body=article_html(slug, title).encode()))
            routes[f"/gazette/news/{slug}/amp"] = (
                lambda s, q, slug=slug, title=title: Reply(body=article_html(slug, title, amp=True).encode()))
        routes["/gazette/private/secret-story"] = lambda s, q: Reply(
            body=article_html("private-story", "A page robots.txt forbids").encode())
        # faults
        routes["/gazette/news/loop-a"] = lambda s, q: Reply(302, headers={"Location": "/gazette/news/loop-b"})
        routes["/gazette/news/loop-b"] = lambda s, q: Reply(302, headers={"Location": "/gazette/news/loop-a"})
        routes["/gazette/news/broken-500"] = lambda s, q: Reply(500, b"<html><body>oops</body></html>")
        routes["/gazette/news/latin1-story"] = lambda s, q: Reply(
            body=article_html("latin1-story", LATIN1_TITLE).encode("windows-1252"),
            headers={"Content-Type": "text/html; charset=windows-1252"})
        routes["/gazette/news/huge-story"] = lambda s, q: Reply(
            body=article_html("huge-story", "A page far too large").encode() + b" " * self.huge_size)
        # (404: /gazette/news/missing-404 has no route)
        # traps
        for section in ("world", "world/world", "world/world/world"):
            routes[f"/gazette/section/{section}/"] = lambda s, q: Reply(body=self.section().encode())
        for year in range(2026, 2041):  # "next month" for fifteen years: unbounded, it would crawl them all
            for month in range(1, 13):
                routes[CALENDAR.format(year=year, month=month)] = (
                    lambda s, q, y=year, m=month: Reply(body=self.calendar(y, m).encode()))
        # feeds and sitemaps
        routes["/gazette/rss.xml"] = lambda s, q: Reply(body=self.rss().encode(), headers=XML)
        routes["/gazette/atom.xml"] = lambda s, q: Reply(body=self.atom().encode(), headers=XML)
        routes["/gazette/feed.json"] = lambda s, q: Reply(
            body=json.dumps(self.json_feed()).encode(), headers={"Content-Type": "application/feed+json"})
        routes["/gazette/broken.xml"] = lambda s, q: Reply(body=b"<html><body>not a feed", headers=XML)
        routes["/sitemap_index.xml"] = lambda s, q: Reply(body=self.sitemap_index().encode(), headers=XML)
        routes["/sitemaps/sub-index.xml"] = lambda s, q: Reply(body=self.sub_index().encode(), headers=XML)
        routes["/sitemaps/news.xml"] = lambda s, q: Reply(body=self.news_sitemap().encode(), headers=XML)
        routes["/sitemaps/more.xml.gz"] = lambda s, q: Reply(
            body=gzip.compress(self.more_sitemap().encode()), headers={"Content-Type": "application/x-gzip"})
        routes["/sitemaps/archive-2019.xml.gz"] = lambda s, q: Reply(
            body=gzip.compress(self.archive_sitemap().encode()), headers={"Content-Type": "application/x-gzip"})
        return site

    # -- pages -----------------------------------------------------------------------------

    def homepage(self) -> str:
        links = [
            "/gazette/news/listed-story?utm_source=home&utm_medium=list",
            "/gazette/news/listed-story#comments",
            "/gazette/news/shared-story?utm_campaign=spring",
            "/gazette/news/amp-twin?utm_source=home",
            "/gazette/news/amp-twin/amp",
            "/gazette/news/broken-500",
            "/gazette/news/missing-404",
            "/gazette/news/latin1-story",
            "/gazette/news/huge-story",
            "/gazette/news/loop-a",
            "/gazette/private/secret-story",
            "/gazette/section/world/",
            CALENDAR.format(year=2026, month=1),
        ]
        items = "".join(f'<li><a href="{escape(href)}">link {i}</a></li>' for i, href in enumerate(links))
        head = ('<link rel="alternate" type="application/rss+xml" title="RSS" href="/gazette/rss.xml">'
                '<link rel="alternate" type="application/atom+xml" title="Atom" href="/gazette/atom.xml">')
        return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>The Valley Gazette</title>{head}'
                f"</head><body><h1>The Valley Gazette</h1><ul>{items}</ul></body></html>")

    def section(self) -> str:
        # The classic relative-link trap: "world/" nests the section in itself on every hop.
        return ('<html><body><h1>World</h1><a href="world/">World</a>'
                '<a href="/gazette/news/listed-story">story</a></body></html>')

    def calendar(self, year: int, month: int) -> str:
        following = (year + month // 12, month % 12 + 1)
        return (f"<html><body><h1>Archive {year}-{month:02d}</h1>"
                f'<a href="{CALENDAR.format(year=following[0], month=following[1])}">Next month</a>'
                "</body></html>")

    # -- feeds -----------------------------------------------------------------------------

    def rss(self) -> str:
        items = [("feed-only-rss", ""), ("shared-story", "?utm_source=rss"), ("amp-twin", "/amp")]
        body = "".join(
            f"<item><title>{escape(ARTICLES[slug])}</title>"
            f"<link>{self.base_url}/gazette/news/{slug}{suffix}</link>"
            f"<pubDate>Sun, 01 Mar 2026 09:00:00 GMT</pubDate></item>" for slug, suffix in items)
        return ('<?xml version="1.0"?><rss version="2.0"><channel><title>Gazette RSS</title>'
                f"<link>{self.base_url}/gazette/</link>{body}</channel></rss>")

    def atom(self) -> str:
        return ('<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
                "<title>Gazette Atom</title><id>urn:gazette</id><updated>2026-03-02T10:00:00Z</updated>"
                f'<entry><title>{escape(ARTICLES["feed-only-atom"])}</title>'
                f'<link rel="alternate" href="{self.base_url}/gazette/news/feed-only-atom"/>'
                "<id>urn:gazette:atom-1</id><published>2026-03-02T08:00:00Z</published>"
                "<updated>2026-03-02T10:00:00Z</updated></entry></feed>")

    def json_feed(self) -> dict:
        return {"version": "https://jsonfeed.org/version/1.1", "title": "Gazette JSON",
                "items": [{"id": "j1", "url": f"{self.base_url}/gazette/news/feed-only-json",
                           "title": ARTICLES["feed-only-json"], "date_published": "2026-03-03T07:30:00+01:00"},
                          {"id": "j2", "url": f"{self.base_url}/gazette/news/amp-only/amp",
                           "title": ARTICLES["amp-only"]},
                          {"id": "j3", "url": "https://elsewhere.example/news/not-ours",
                           "title": "Another outlet's story"}]}

    # -- sitemaps --------------------------------------------------------------------------

    def _index(self, children: list[tuple[str, str]]) -> str:
        body = "".join(f"<sitemap><loc>{self.base_url}{path}</loc><lastmod>{lastmod}</lastmod></sitemap>"
                       for path, lastmod in children)
        return ('<?xml version="1.0" encoding="UTF-8"?>'
                f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{body}</sitemapindex>')

    def sitemap_index(self) -> str:
        return self._index([("/sitemaps/news.xml", self.iso(0.1)), ("/sitemaps/sub-index.xml", self.iso(0.2)),
                            ("/sitemaps/archive-2019.xml.gz", "2019-12-31")])

    def sub_index(self) -> str:
        return self._index([("/sitemaps/more.xml.gz", self.iso(0.5))])

    def _urlset(self, urls: str) -> str:
        return ('<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
                f'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">{urls}</urlset>')

    def _news_url(self, path: str, title: str, published: str, keywords: str = "") -> str:
        return (f"<url><loc>{self.base_url}{path}</loc><news:news><news:publication><news:name>Valley Gazette"
                f"</news:name><news:language>en</news:language></news:publication>"
                f"<news:publication_date>{published}</news:publication_date>"
                f"<news:title>{escape(title)}</news:title><news:keywords>{keywords}</news:keywords>"
                "</news:news></url>")

    def news_sitemap(self) -> str:
        return self._urlset(
            self._news_url("/gazette/news/sitemap-only", ARTICLES["sitemap-only"], self.iso(0.3), "roads, works")
            + self._news_url("/gazette/news/shared-story", ARTICLES["shared-story"], self.iso(0.4))
            + self._news_url("/gazette/news/old-story", ARTICLES["old-story"], "2019-06-01T10:00:00Z")
            + self._news_url("/gazette/private/secret-story", "Forbidden", self.iso(0.1)))

    def more_sitemap(self) -> str:
        return self._urlset(f"<url><loc>{self.base_url}/gazette/news/sitemap-only-gz</loc>"
                            f"<lastmod>{self.iso(0.5)}</lastmod></url>")

    def archive_sitemap(self) -> str:
        return self._urlset(f"<url><loc>{self.base_url}/gazette/news/old-story</loc>"
                            "<lastmod>2019-06-01</lastmod></url>")


def gazette_toml(base_url: str, **overrides: object) -> str:
    settings = {"max_depth": 20, "pattern_page_budget": 4, "sitemap_max_age_days": 2}
    settings.update(overrides)
    extra = "".join(f"{key} = {json.dumps(value)}\n" for key, value in settings.items())
    return f"""\
[[outlet]]
name = "gazette"
domains = ["127.0.0.1"]
start_urls = ["{base_url}/gazette/"]
feeds = ["{base_url}/gazette/feed.json", "{base_url}/gazette/broken.xml"]
listing_patterns = ['^/gazette/section/', '^/gazette/calendar/\\d{{4}}/\\d{{2}}/$']
article_patterns = ['^/gazette/news/[a-z0-9-]+$']
{extra}"""
