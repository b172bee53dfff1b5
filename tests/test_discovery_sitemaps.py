"""Sitemap parsing: indexes, Google News fields, gzip, date windows, robots.txt, no XXE."""

from __future__ import annotations

import gzip
import http.server
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from newsarchive.discovery import sitemaps as sitemaps_module
from newsarchive.discovery.sitemaps import (
    Sitemap,
    SitemapEntry,
    SitemapError,
    parse_sitemap,
    sitemaps_from_robots,
    within_window,
)

FIXTURES = Path(__file__).parent / "fixtures" / "discovery"
NOW = datetime(2024, 4, 8, 12, 0, tzinfo=UTC)


def load(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_sitemap_index_lists_children_with_lastmod():
    sitemap = parse_sitemap(load("sitemap_index.xml"), "https://news.example/sitemap_index.xml")
    assert sitemap.kind == "index"
    assert sitemap.entries == []
    assert [(s.url, s.lastmod) for s in sitemap.sitemaps] == [
        ("https://news.example/news-sitemap.xml", "2024-04-07T06:00:00Z"),
        ("https://news.example/archive/sitemap-2019-01.xml.gz", "2019-02-01T00:00:00Z"),
        ("https://news.example/sections-sitemap.xml", None),
    ]


def test_google_news_fields_are_kept():
    sitemap = parse_sitemap(load("news_sitemap.xml"), "https://news.example/news-sitemap.xml")
    assert sitemap.kind == "urlset"
    assert sitemap.sitemaps == []
    first, second, older, undated = sitemap.entries  # the <url> without <loc> is skipped
    assert first == SitemapEntry(
        url="https://news.example/2024/04/07/harbour-wall-repairs-approved/",
        lastmod="2024-04-07T07:10:00Z",
        news_title="Harbour wall repairs approved & funded",
        news_publication_date="2024-04-07T06:00:00Z",
        news_keywords=("harbour", "council", "infrastructure"),
        news_publication_name="The Harbour Gazette",
    )
    # <loc> whitespace trimmed; CDATA title; a bare date is midnight UTC
    assert second.url == "https://news.example/2024/04/06/fishing-quota-talks/"
    assert second.news_title == 'Fishing quota talks: "no deal yet"'
    assert second.news_publication_date == "2024-04-06T00:00:00Z"
    assert second.news_keywords == ()
    assert older.lastmod == "2023-11-02T12:00:00Z" and older.news_title is None
    assert undated.url == "https://news.example/about/staff" and undated.lastmod is None


def test_nested_image_and_xhtml_locations_are_not_entries():
    sitemap = parse_sitemap(load("news_sitemap.xml"), "https://news.example/news-sitemap.xml")
    urls = [e.url for e in sitemap.entries]
    assert "https://cdn.news.example/img/harbour-wall.jpg" not in urls
    assert not any("/fr/" in u for u in urls)


def test_gzip_archive_sitemap_is_read_by_magic_number():
    body = load("sitemap-2019-01.xml.gz")
    assert body[:2] == b"\x1f\x8b"
    for url in ("https://news.example/archive/sitemap-2019-01.xml.gz", "https://news.example/s"):
        sitemap = parse_sitemap(body, url)
        assert [e.url for e in sitemap.entries] == [
            "https://news.example/2019/01/03/new-year-swim/",
            "https://news.example/2019/01/15/bridge-closure/",
            "https://news.example/2019/01/28/market-day-moves/",
        ]


def test_gz_url_with_already_inflated_body_is_read_as_plain_xml():
    plain = gzip.decompress(load("sitemap-2019-01.xml.gz"))
    sitemap = parse_sitemap(plain, "https://news.example/archive/sitemap-2019-01.xml.gz")
    assert len(sitemap.entries) == 3


def test_gzip_bomb_is_refused(monkeypatch):
    monkeypatch.setattr(sitemaps_module, "MAX_UNCOMPRESSED_BYTES", 1000)
    body = gzip.compress(b"<urlset>" + b" " * 5000 + b"</urlset>")
    with pytest.raises(SitemapError, match="inflates beyond 1000 bytes"):
        parse_sitemap(body, "https://news.example/bomb.xml.gz")


def test_corrupt_gzip_raises_sitemap_error():
    with pytest.raises(SitemapError, match="corrupt"):
        parse_sitemap(b"\x1f\x8b\x08\x00garbage", "https://news.example/x.xml.gz")
    with pytest.raises(SitemapError, match="corrupt gzip"):
        parse_sitemap(b"\x1f\x8b\x07" + b"\x00" * 20, "https://news.example/x.xml.gz")


def test_truncated_gzip_keeps_complete_entries():
    body = load("sitemap-2019-01.xml.gz")
    cut = gzip.compress(gzip.decompress(body))[:-40]  # drop the end of the stream
    sitemap = parse_sitemap(cut, "https://news.example/a.xml.gz")
    assert 1 <= len(sitemap.entries) < 3
    assert sitemap.entries[0].url == "https://news.example/2019/01/03/new-year-swim/"


def test_missing_namespaces_are_tolerated():
    sitemap = parse_sitemap(load("no_namespace_sitemap.xml"), "https://news.example/s.xml")
    first, second = sitemap.entries
    assert first.news_title == "Story from a sitemap without namespaces"
    assert first.news_publication_date == "2024-04-05T07:30:00Z"
    assert first.news_keywords == ("misc",)
    assert second.url == "https://news.example/2024/04/04/second/"


def test_truncated_sitemap_keeps_only_complete_entries():
    sitemap = parse_sitemap(load("truncated_sitemap.xml"), "https://news.example/s.xml")
    assert [e.url for e in sitemap.entries] == [
        "https://news.example/2024/04/02/complete-one/",
        "https://news.example/2024/04/02/complete-two/",
    ]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "empty sitemap"),
        (b"<html><body>Not found</body></html>", r"root element <html>"),
        (b'<?xml version="1.0"?><urlset><url><loc>https://news.example/a', "malformed sitemap"),
        (b"just some words\nwithout links", "neither XML nor a list of URLs"),
    ],
)
def test_non_sitemaps_raise(body, message):
    with pytest.raises(SitemapError, match=message):
        parse_sitemap(body, "https://news.example/s.xml")


def test_plain_text_sitemap():
    body = b"\xef\xbb\xbfhttps://news.example/a/one\n\nhttps://news.example/a/two\r\nnot a url\n"
    sitemap = parse_sitemap(body, "https://news.example/sitemap.txt")
    assert sitemap == Sitemap(
        kind="urlset",
        entries=[
            SitemapEntry(url="https://news.example/a/one"),
            SitemapEntry(url="https://news.example/a/two"),
        ],
        sitemaps=[],
    )


def test_xxe_entities_are_never_resolved(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - stdlib naming
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"REMOTE-ENTITY-VALUE")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        port = server.server_address[1]
        body = f"""<?xml version="1.0"?>
<!DOCTYPE urlset [
  <!ENTITY file SYSTEM "file://{secret}">
  <!ENTITY remote SYSTEM "http://127.0.0.1:{port}/xxe">
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
]>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <url><loc>https://news.example/&file;</loc></url>
  <url><loc>https://news.example/&remote;</loc></url>
  <url><loc>https://news.example/&lol2;</loc></url>
  <url><loc>https://news.example/ok/</loc><news:news xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"><news:title>&file;</news:title></news:news></url>
</urlset>""".encode()
        sitemap = parse_sitemap(body, "https://news.example/s.xml")
    finally:
        server.shutdown()
        server.server_close()
    assert hits == []
    assert sitemap.entries == [SitemapEntry(url="https://news.example/ok/")]
    assert "SECRET" not in repr(sitemap) and "lol" not in repr(sitemap)


def test_xxe_fixture_keeps_only_the_safe_entry():
    sitemap = parse_sitemap(load("xxe_sitemap.xml"), "https://news.example/s.xml")
    assert sitemap.entries == [SitemapEntry(url="https://news.example/2024/04/01/safe-story/")]


def test_date_window_filters_old_entries():
    news = parse_sitemap(load("news_sitemap.xml"), "https://news.example/news-sitemap.xml")
    kept = [e.url for e in news.entries if within_window(e, 7, NOW)]
    assert kept == [
        "https://news.example/2024/04/07/harbour-wall-repairs-approved/",
        "https://news.example/2024/04/06/fishing-quota-talks/",
        "https://news.example/about/staff",  # undated: kept
    ]
    archive = parse_sitemap(load("sitemap-2019-01.xml.gz"), "https://news.example/a.xml.gz")
    assert not any(within_window(e, 30, NOW) for e in archive.entries)
    assert all(within_window(e, None, NOW) for e in archive.entries)


def test_date_window_applies_to_child_sitemaps_of_an_index():
    index = parse_sitemap(load("sitemap_index.xml"), "https://news.example/sitemap_index.xml")
    kept = [s.url for s in index.sitemaps if within_window(s, 2, NOW)]
    assert kept == [
        "https://news.example/news-sitemap.xml",
        "https://news.example/sections-sitemap.xml",  # no lastmod: kept
    ]


def test_window_prefers_publication_date_over_lastmod():
    # Re-touched old story: lastmod is fresh, publication date is old.
    entry = SitemapEntry(
        url="https://news.example/x",
        lastmod="2024-04-08T00:00:00Z",
        news_publication_date="2020-01-01T00:00:00Z",
    )
    assert not within_window(entry, 30, NOW)
    assert within_window(SitemapEntry(url="https://news.example/y", lastmod="2024-04-08"), 30, NOW)


def test_window_boundary_and_naive_now():
    entry = SitemapEntry(url="https://news.example/x", lastmod="2024-04-01T12:00:00Z")
    assert within_window(entry, 7, NOW)
    assert not within_window(entry, 6.9, NOW)
    assert within_window(entry, 7, NOW.replace(tzinfo=None))  # naive now = UTC
    in_three_days = (NOW + timedelta(days=3)).isoformat()
    future = SitemapEntry(url="https://news.example/z", lastmod=in_three_days)
    assert within_window(future, 1, NOW)


def test_sitemaps_from_robots():
    robots = load("robots.txt").decode()
    assert sitemaps_from_robots(robots, "https://news.example/robots.txt") == [
        "https://news.example/sitemap_index.xml",
        "https://news.example/news-sitemap.xml",  # relative, resolved; duplicate dropped
    ]
    assert sitemaps_from_robots("User-agent: *\nDisallow:\n", "https://news.example/") == []
    assert sitemaps_from_robots("", "https://news.example/") == []
