"""learn_outlet / outlet_toml: a homepage and robots.txt become a valid [[outlet]] block."""

from __future__ import annotations

import http.server
import os
import re
import threading
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from newsarchive.discovery import learn
from newsarchive.discovery.learn import (
    USER_AGENT,
    LearnError,
    OutletSuggestion,
    PatternSuggestion,
    default_fetch,
    learn_outlet,
    outlet_toml,
)

FIXTURES = Path(__file__).parent / "fixtures" / "discovery"

ARTICLE_PATHS = [
    "/2024/04/07/storm-closes-the-ferry-route/",
    "/2024/04/07/harbour-wall-repairs-approved/",
    "/2024/04/06/trade-talks-resume-after-delays/",
    "/2024/04/06/fishing-quota-talks-stall/",
    "/2024/04/05/lighthouse-keeper-retires-after-forty-years/",
    "/2024/04/05/school-budget-vote-postponed",
    "/2024/04/04/new-bus-timetable-for-the-harbour-district/",
]
NAV_PATHS = ["/", "/world/", "/politics/", "/business/", "/sport/", "/culture/",
             "/local/harbour-town", "/search", "/login", "/subscribe"]
OTHER_PATHS = ["/about", "/privacy", "/contact", "/2024/", "/author/jane-doe", "/tag/harbour",
               "/video/88123"]


@contextmanager
def serve(routes: dict[str, tuple[int, str, bytes]]) -> Iterator[tuple[str, list]]:
    """A stdlib HTTP server on 127.0.0.1 answering from ``routes``; yields (base URL, requests)."""
    requests: list[tuple[str, str]] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - stdlib naming
            requests.append((self.path, self.headers.get("User-Agent", "")))
            status, content_type, body = routes.get(
                urlsplit(self.path).path, (404, "text/plain", b"not found")
            )
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    allowed = os.environ.get("NEWSARCHIVE_ALLOW_ADDRESSES")
    os.environ["NEWSARCHIVE_ALLOW_ADDRESSES"] = "127.0.0.1"  # discover refuses loopback otherwise
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", requests
    finally:
        if allowed is None:
            os.environ.pop("NEWSARCHIVE_ALLOW_ADDRESSES", None)
        else:
            os.environ["NEWSARCHIVE_ALLOW_ADDRESSES"] = allowed
        server.shutdown()
        server.server_close()
        thread.join()


def site_routes() -> dict[str, tuple[int, str, bytes]]:
    return {
        "/": (200, "text/html; charset=utf-8", (FIXTURES / "homepage.html").read_bytes()),
        "/robots.txt": (200, "text/plain", (FIXTURES / "robots_learn.txt").read_bytes()),
        "/rss.xml": (200, "application/rss+xml", (FIXTURES / "rss20.xml").read_bytes()),
    }


def test_learn_outlet_against_a_local_site():
    with serve(site_routes()) as (base, requests):
        suggestion = learn_outlet(base + "/")
        text = outlet_toml(suggestion)

    # Only the homepage and robots.txt were needed: robots.txt declared a sitemap.
    assert [path for path, _ in requests] == ["/", "/robots.txt"]
    assert {agent for _, agent in requests} == {USER_AGENT}

    config = tomllib.loads(text)
    (outlet,) = config["outlet"]
    assert set(outlet) == {"name", "domains", "start_urls", "feeds", "sitemaps",
                           "article_patterns", "deny_patterns"}
    assert outlet["name"] == "127-0-0-1"
    assert outlet["domains"] == ["127.0.0.1"]
    assert outlet["feeds"] == [base + "/rss.xml"]
    assert outlet["sitemaps"] == [base + "/sitemap_index.xml"]
    assert outlet["start_urls"][0] == base + "/"
    assert outlet["start_urls"][1:] == [
        base + p for p in ["/world/", "/politics/", "/business/", "/sport/", "/culture/",
                           "/local/harbour-town"]
    ]  # navigation order; /search, /login and /subscribe are not sections

    assert outlet["article_patterns"] == [r"^/\d{4}/\d{2}/\d{2}/[^/]+/?$"]
    (pattern,) = [re.compile(p) for p in outlet["article_patterns"]]
    assert all(pattern.search(p) for p in ARTICLE_PATHS)
    assert not any(pattern.search(p) for p in NAV_PATHS + OTHER_PATHS)

    (deny,) = [re.compile(p) for p in outlet["deny_patterns"]]
    assert all(deny.search(p) for p in ["/login", "/search", "/subscribe", "/login/reset"])
    assert not any(deny.search(p) for p in ARTICLE_PATHS + ["/world/", "/searchlight-story"])

    # one comment line per pattern says how many homepage links it matched
    assert re.search(r"^# \^/\\d\{4\}.* matched 7 of \d+ homepage links", text, re.M)
    assert suggestion.article_patterns[0].matches == 7  # the other-port duplicate counts once
    assert suggestion.notes == []


def test_round_trip_of_every_value():
    with serve(site_routes()) as (base, _):
        suggestion = learn_outlet(base)  # no trailing slash: "/" is assumed
    outlet = tomllib.loads(outlet_toml(suggestion))["outlet"][0]
    assert outlet == {
        "name": suggestion.name,
        "domains": suggestion.domains,
        "start_urls": suggestion.start_urls,
        "feeds": suggestion.feeds,
        "sitemaps": suggestion.sitemaps,
        "article_patterns": [p.regex for p in suggestion.article_patterns],
        "deny_patterns": suggestion.deny_patterns,
    }


def fake_fetch(pages: dict[str, tuple[int, dict, bytes]], calls: list[str]):
    def fetch(url: str) -> tuple[int, dict, bytes]:
        calls.append(url)
        return pages.get(url, (404, {}, b"not found"))

    return fetch


def test_section_slug_id_pattern_registrable_domain_and_fallback_sitemaps():
    home = "https://www.harbourcourier.co.uk/"
    calls: list[str] = []
    pages = {
        home: (200, {"content-type": "text/html"}, (FIXTURES / "homepage_ids.html").read_bytes()),
        "https://www.harbourcourier.co.uk/robots.txt": (200, {}, b"User-agent: *\nDisallow:\n"),
        "https://www.harbourcourier.co.uk/sitemap.xml": (
            200, {}, (FIXTURES / "sitemap_index.xml").read_bytes()),
    }
    html = pages[home][2].replace(b"courier.example", b"harbourcourier.co.uk")
    pages[home] = (200, {}, html)
    suggestion = learn_outlet(home, fetch=fake_fetch(pages, calls))

    assert calls == [
        home,
        "https://www.harbourcourier.co.uk/robots.txt",
        "https://www.harbourcourier.co.uk/sitemap.xml",
        "https://www.harbourcourier.co.uk/news-sitemap.xml",  # 404: not suggested
    ]
    assert suggestion.name == "harbourcourier"
    assert suggestion.domains == ["harbourcourier.co.uk"]
    assert suggestion.sitemaps == ["https://www.harbourcourier.co.uk/sitemap.xml"]
    (pattern,) = suggestion.article_patterns
    assert pattern.regex == r"^/(?:economy|news|opinion)/[^/]+-\d+\.html$"
    assert pattern.matches == 5  # includes the absolute www. link
    regex = re.compile(pattern.regex)
    assert regex.search("/news/harbour-gets-new-crane-490001.html")
    for path in ["/news/", "/economy/", "/news/elections-2024/", "/gallery/482700", "/shop/"]:
        assert not regex.search(path)
    assert suggestion.start_urls == [
        home,
        "https://www.harbourcourier.co.uk/news/",
        "https://www.harbourcourier.co.uk/economy/",
        "https://www.harbourcourier.co.uk/opinion/",
    ]
    assert "no <link rel=alternate> feeds on the homepage" in suggestion.notes
    text = outlet_toml(suggestion)
    assert "# note: no <link rel=alternate> feeds" in text
    assert tomllib.loads(text)["outlet"][0]["feeds"] == []


def test_soft_404_sitemap_is_not_suggested():
    home = "https://gazette.example.com/"
    soft_404 = (200, {"content-type": "text/html"}, b"<html><body>Page not found</body></html>")
    pages = {
        home: (200, {}, (FIXTURES / "homepage.html").read_bytes()),
        "https://gazette.example.com/sitemap.xml": soft_404,
        "https://gazette.example.com/news-sitemap.xml": (
            200, {}, (FIXTURES / "news_sitemap.xml").read_bytes()),
    }
    suggestion = learn_outlet(home, fetch=fake_fetch(pages, []))  # robots.txt 404
    assert suggestion.sitemaps == ["https://gazette.example.com/news-sitemap.xml"]


def test_robots_disallowing_the_homepage_is_noted():
    home = "https://gazette.example.com/"
    pages = {
        home: (200, {}, (FIXTURES / "homepage.html").read_bytes()),
        "https://gazette.example.com/robots.txt": (200, {}, b"User-agent: *\nDisallow: /\n"),
    }
    suggestion = learn_outlet(home, fetch=fake_fetch(pages, []))
    assert any("robots.txt disallows" in note for note in suggestion.notes)


def test_homepage_without_repeated_story_shapes_gives_no_pattern():
    home = "https://tiny.example.com/"
    html = (
        b'<html><body><nav><a href="/news/">News</a></nav>'
        b'<a href="/2024/01/02/only-one-story/">x</a></body></html>'
    )
    suggestion = learn_outlet(home, fetch=fake_fetch({home: (200, {}, html)}, []))
    assert suggestion.article_patterns == []
    assert suggestion.start_urls == [home, "https://tiny.example.com/news/"]
    assert tomllib.loads(outlet_toml(suggestion))["outlet"][0]["article_patterns"] == []


@pytest.mark.parametrize(
    ("pages", "message"),
    [
        ({}, "answered HTTP 404"),
        ({"https://x.example.com/": (500, {}, b"oops")}, "answered HTTP 500"),
        ({"https://x.example.com/": (200, {}, b"   ")}, "empty or not HTML"),
    ],
)
def test_unusable_homepage_raises(pages, message):
    with pytest.raises(LearnError, match=message):
        learn_outlet("https://x.example.com/", fetch=fake_fetch(pages, []))


def test_unreachable_homepage_raises_learn_error():
    def refuse(url):
        raise ConnectionRefusedError("refused")

    with pytest.raises(LearnError, match="could not fetch"):
        learn_outlet("https://x.example.com/", fetch=refuse)
    with pytest.raises(LearnError, match="not an http"):
        learn_outlet("ftp://x.example.com/")


def test_outlet_toml_escapes_awkward_values():
    suggestion = OutletSuggestion(
        name='odd "name"',
        homepage_url="https://odd.example.com/\n# injected",
        domains=["odd.example.com"],
        start_urls=["https://odd.example.com/caf\u00e9/", "https://odd.example.com/a\\b\t"],
        feeds=[],
        sitemaps=[],
        article_patterns=[
            PatternSuggestion(r"^/it's/\d+$", 3, ("/it's/1",)),
            PatternSuggestion(r"^/news/[^/]+\.html$", 2, ()),
        ],
        deny_patterns=[r"^/(?:login|search)(?:[/.]|$)"],
        links_seen=9,
    )
    text = outlet_toml(suggestion)
    assert r"'^/news/[^/]+\.html$'" in text  # literal string keeps backslashes as typed
    outlet = tomllib.loads(text)["outlet"][0]
    assert outlet["name"] == 'odd "name"'
    assert outlet["start_urls"] == suggestion.start_urls
    assert outlet["article_patterns"] == [r"^/it's/\d+$", r"^/news/[^/]+\.html$"]
    assert outlet["deny_patterns"] == suggestion.deny_patterns
    assert "\n# injected" not in text


def test_default_fetch_sends_user_agent_caps_body_and_returns_errors(monkeypatch):
    monkeypatch.setattr(learn, "MAX_BODY_BYTES", 1000)
    routes = {"/big": (200, "text/html", b"x" * 5000), "/gone": (410, "text/plain", b"gone")}
    with serve(routes) as (base, requests):
        status, headers, body = default_fetch(base + "/big")
        assert (status, len(body)) == (200, 1000)
        assert headers["content-type"] == "text/html"
        status, _, body = default_fetch(base + "/gone")
        assert (status, body) == (410, b"gone")
    assert requests[0][1] == USER_AGENT
