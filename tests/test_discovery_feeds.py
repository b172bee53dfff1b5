"""Feed parsing and autodiscovery: every feed dialect yields absolute URLs and UTC dates."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from newsarchive.discovery.feeds import FeedEntry, FeedError, find_feed_links, parse_feed

FIXTURES = Path(__file__).parent / "fixtures" / "discovery"
FEED_URL = "https://news.example/feeds/main"


def load(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_rss_091_entries_are_absolute_and_undated():
    entries = parse_feed(load("rss091.xml"), FEED_URL)
    assert [e.url for e in entries] == [
        "https://news.example/local/ferry-timetable-winter-101.html",
        "https://news.example/local/quay-cafe-reopens-102.html",
    ]
    assert entries[1].title == "Café on the quay reopens after the flood"  # Latin-1 decoded
    assert all(e.published is None and e.updated is None for e in entries)
    assert {e.feed_title for e in entries} == {"Harbour Gazette Headlines"}


def test_rss_10_rdf_dates_are_normalised_to_utc():
    entries = parse_feed(load("rss10.rdf"), FEED_URL)
    assert [e.url for e in entries] == [
        "https://news.example/2024/03/14/lighthouse-restoration-begins/",
        "https://news.example/2024/03/13/school-budget-vote/",
    ]
    assert entries[0].updated == "2024-03-14T08:30:00Z"  # +01:00 shifted to UTC
    assert entries[1].updated == "2024-03-13T00:00:00Z"  # bare date = midnight UTC
    assert entries[0].feed_title == "Harbour Gazette (RDF)"


def test_rss_20_links_guids_relative_links_and_duplicates():
    entries = parse_feed(load("rss20.xml"), "https://news.example/world/rss.xml")
    assert [e.url for e in entries] == [
        # fragment dropped; tracking parameters are the canonicaliser's business
        "https://news.example/world/trade-talks-resume-20418.html?utm_source=rss",
        # permalink guid used when there is no <link>
        "https://news.example/world/storm-warnings-coast-20419.html",
        # relative link resolved against the feed URL
        "https://news.example/world/relative-link-story-20420.html",
    ]
    first, second, _ = entries
    assert first.published == "2024-04-02T16:05:00Z"
    assert first.updated is None  # an RSS pubDate is not an update
    assert second.title == "Storm warnings issued along the coast"  # whitespace collapsed
    assert second.published == "2024-04-03T07:00:00Z"


def test_atom_uses_alternate_link_xml_base_and_plain_titles():
    entries = parse_feed(load("atom.xml"), "https://news.example/science/atom.xml")
    assert entries[0] == FeedEntry(
        url="https://news.example/science/tidal-energy-pilot-results",
        title="Tidal energy pilot reports first results",
        published="2024-04-04T12:00:00Z",
        updated="2024-04-05T10:15:00Z",
        feed_title="Harbour Gazette: Science",
    )
    # no <link>: a URL-shaped id is the permalink; HTML title reduced to its words
    assert entries[1].url == "https://news.example/science/seabird-census"
    assert entries[1].title == "Seabird census counts more puffins"
    assert entries[1].published is None


def test_json_feed_11():
    entries = parse_feed(load("jsonfeed.json"), "https://news.example/feed.json")
    assert [e.url for e in entries] == [
        "https://news.example/culture/harbour-festival-lineup",
        "https://news.example/culture/museum-night",  # id is a URL, used as link
        "https://news.example/culture/relative-item",  # relative url resolved
    ]  # an item whose id is not a URL and which has no url is skipped, as is a non-object
    assert entries[0].published == "2024-04-06T17:00:00Z"
    assert entries[0].updated == "2024-04-07T06:30:00Z"
    assert entries[1].published == "2024-04-05T00:00:00Z"
    assert entries[2].title is None
    assert {e.feed_title for e in entries} == {"Harbour Gazette JSON"}


def test_json_feed_10_with_bom_and_whitespace():
    body = b"\xef\xbb\xbf\n  " + load("jsonfeed10.json")
    (entry,) = parse_feed(body, "https://news.example/feed.json")
    assert entry.url == "https://news.example/sport/regatta-results"
    assert entry.published == "2024-04-01T10:00:00Z"


def test_entries_are_frozen():
    (entry,) = parse_feed(load("jsonfeed10.json"), FEED_URL)
    with pytest.raises(dataclasses.FrozenInstanceError):
        entry.url = "https://elsewhere.example/"  # type: ignore[misc]


def test_truncated_feed_returns_only_complete_entries():
    entries = parse_feed(load("truncated.xml"), FEED_URL)
    assert [e.url for e in entries] == [
        "https://news.example/local/first-complete-story-1.html",
        "https://news.example/local/second-complete-story-2.html",
    ]
    assert entries[0].published == "2024-04-01T10:00:00Z"


def test_feed_truncated_before_any_entry_raises_clear_error():
    with pytest.raises(FeedError, match=r"malformed feed at https://news\.example/feeds/main"):
        parse_feed(load("truncated_early.xml"), FEED_URL)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<html><body><p>Not a feed</p></body></html>", "not an RSS, Atom or JSON feed"),
        (b"", "feed"),
        (b'{"version": "https://jsonfeed.org/version/1.1", "items": [', "malformed JSON feed"),
        (b'{"title": "no items"}', "no 'items' list"),
        (b'{"version": "https://example.org/other", "items": []}', "unknown version"),
    ],
)
def test_non_feeds_raise_feed_error(body, message):
    with pytest.raises(FeedError, match=message):
        parse_feed(body, FEED_URL)
    assert issubclass(FeedError, ValueError)


def test_empty_but_valid_feed_is_no_error():
    body = b'<?xml version="1.0"?><rss version="2.0"><channel><title>Quiet</title></channel></rss>'
    assert parse_feed(body, FEED_URL) == []


def test_find_feed_links_in_page_order_absolute_and_deduplicated():
    html = load("homepage_feeds.html")
    expected = [
        "https://news.example/rss.xml",
        "https://news.example/science/atom.xml",  # relative to <base href>, case-insensitive rel
        "https://news.example/feed.json",
        "https://news.example/api/stories.json",  # application/json outside /wp-json/
    ]
    assert find_feed_links(html, "https://news.example/index.html") == expected
    assert find_feed_links(html.decode("utf-8"), "https://news.example/index.html") == expected


def test_find_feed_links_resolves_against_page_url_without_base():
    html = (
        '<html><head><link rel="alternate" type="application/rss+xml" href="feed.xml">'
        '<link rel="alternate" type="text/html" href="/mobile/">'
        '<link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">'
        "</head></html>"
    )
    assert find_feed_links(html, "https://other.example/section/page") == [
        "https://other.example/section/feed.xml"
    ]


@pytest.mark.parametrize("html", ["", "   ", b"", "<html></html>"])
def test_find_feed_links_on_empty_pages(html):
    assert find_feed_links(html, "https://news.example/") == []
