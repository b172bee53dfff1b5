"""Fuzz the parsers that read third-party bytes: extractor, feeds, sitemaps, outlet config.

Malformed HTML/XML/JSON, huge attributes, deep nesting, mixed encodings and entity expansion
must end in a result or the module's own error: no other exception, no hang (each case runs
under a hard alarm), no entity blow-up. Case counts: NEWSARCHIVE_FUZZ_EXAMPLES (default 25).
"""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsarchive.config import ConfigError, parse_outlets
from newsarchive.discovery.feeds import FeedError, parse_feed
from newsarchive.discovery.sitemaps import SitemapError, parse_sitemap
from newsarchive.extract import ExtractionError, extract_article

EXAMPLES = int(os.environ.get("NEWSARCHIVE_FUZZ_EXAMPLES", "25"))
CASE_SECONDS = 30  # a hang, not a slow case: generous because the machine is shared
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@contextmanager
def hard_time_limit(seconds: int = CASE_SECONDS) -> Iterator[None]:
    def expired(signum: int, frame: object) -> None:
        raise AssertionError(f"case ran over {seconds}s (hang)")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _run(parse: Callable[[], object], allowed: tuple[type[BaseException], ...]) -> object:
    with hard_time_limit():
        try:
            return parse()
        except allowed:
            return None


# --- building blocks of hostile documents -------------------------------------------------
text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=200)
tag = st.sampled_from(["p", "div", "article", "h1", "script", "style", "a", "span", "table", "td",
                       "item", "entry", "url", "loc", "title", "link", "sitemap", "svg", "math"])
attr = st.tuples(st.sampled_from(["href", "class", "id", "rel", "content", "x"]),
                 st.one_of(text, st.just("A" * 20_000)))


@st.composite
def markup(draw: st.DrawFn, depth: int = 0) -> str:
    name = draw(tag)
    attrs = "".join(f' {k}="{v}"' for k, v in draw(st.lists(attr, max_size=2)))
    if depth > 3 or draw(st.booleans()):
        inner = draw(text)
    else:
        inner = "".join(draw(st.lists(markup(depth + 1), max_size=3)))
    closing = "" if draw(st.integers(0, 9)) == 0 else f"</{name}>"  # sometimes unclosed
    return f"<{name}{attrs}>{inner}{closing}"


ENTITY_BOMB = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
               + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
                          for i in range(1, 10))
               + b']><rss><channel><item><link>&lol9;</link></item></channel></rss>')
XXE = (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
       b"<urlset><url><loc>https://news.example/&x;</loc></url></urlset>")
DEEP = b"<rss>" + b"<channel>" * 50_000 + b"</channel>" * 50_000 + b"</rss>"


def _json_feed(items: object) -> bytes:
    return json.dumps({"version": "https://jsonfeed.org/version/1.1", "items": items}).encode()


def _encodings(doc: str) -> st.SearchStrategy[bytes]:
    return st.sampled_from(["utf-8", "utf-16", "latin-1", "cp1252", "utf-8-sig"]).map(
        lambda enc: doc.encode(enc, errors="replace"))


documents = st.one_of(
    st.binary(max_size=4000),
    markup().flatmap(_encodings),
    st.builds(lambda items: ("<rss><channel>" + items + "</channel></rss>").encode(),
              st.lists(markup(), max_size=5).map("".join)),
    st.builds(lambda items: ('<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">' + items
                             + "</urlset>").encode(), st.lists(markup(), max_size=5).map("".join)),
    st.recursive(st.none() | st.booleans() | st.integers() | text,
                 lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
                 max_leaves=20).map(_json_feed),
    st.sampled_from([ENTITY_BOMB, XXE, DEEP]),
)


@pytest.mark.slow
@FUZZ
@given(body=documents)
def test_feed_parser_survives_hostile_input(body: bytes) -> None:
    entries = _run(lambda: parse_feed(body, "https://news.example/feed.xml"), (FeedError,))
    for entry in entries or []:
        assert entry.url.startswith(("http://", "https://"))
        assert "root:" not in entry.url and "lollollol" not in entry.url  # no XXE, no entity bomb


@pytest.mark.slow
@FUZZ
@given(body=documents)
def test_sitemap_parser_survives_hostile_input(body: bytes) -> None:
    sitemap = _run(lambda: parse_sitemap(body, "https://news.example/sitemap.xml"), (SitemapError,))
    if sitemap is not None:
        for entry in [*sitemap.entries, *sitemap.sitemaps]:
            assert "root:" not in entry.url and "lollollol" not in entry.url


@pytest.mark.slow
@FUZZ
@given(body=st.one_of(documents, markup().map(lambda m: f"<html><body>{m}</body></html>".encode())))
def test_extractor_survives_hostile_input(body: bytes) -> None:
    result = _run(lambda: extract_article(body, "https://news.example/a/story"), (ExtractionError,))
    if result is not None:
        assert isinstance(result, dict)


toml_value = st.one_of(text, st.integers(), st.booleans(), st.lists(text, max_size=3),
                       st.just(["^/(a|aa)+$"]), st.just(["com"]), st.just(["0.1"]), st.just("A" * 100_000))
keys = st.sampled_from(["name", "domains", "start_urls", "article_patterns", "deny_patterns",
                        "listing_patterns", "feeds", "sitemaps", "max_depth", "max_pages",
                        "auto_feeds", "follow_offsite_redirects", "sitemap_max_age_days", "bogus"])


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return json.dumps(value) if isinstance(value, str) else str(value)


@pytest.mark.slow
@FUZZ
@given(tables=st.lists(st.dictionaries(keys, toml_value, max_size=8), max_size=3),
       junk=st.one_of(st.just(""), text))
def test_config_loader_refuses_bad_outlets_with_one_line(tables: list[dict], junk: str) -> None:
    document = "".join("[[outlet]]\n" + "".join(f"{k} = {_toml(v)}\n" for k, v in t.items())
                       for t in tables) + junk
    with hard_time_limit():
        try:
            outlets = parse_outlets(document, "fuzz.toml")
        except ConfigError as exc:
            assert str(exc).startswith("fuzz.toml") and "\n" not in str(exc).strip()
            return
    for outlet in outlets:
        assert outlet.domains and outlet.article_patterns
