"""Outlet configuration that would hang the crawl or own too much is refused or bounded."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest

from newsarchive.config import ConfigError, parse_outlets
from newsarchive.demo.run import FAST_LOCAL, crawl_subprocess
from newsarchive.demo.site import NewsSite, Reply, SiteServer
from newsarchive.urls import on_domains


def _outlet(**fields: str) -> str:
    base = {"name": '"x"', "domains": '["example.com"]', "start_urls": '["https://example.com/"]',
            "article_patterns": "['^/news/']"}
    base.update(fields)
    return "[[outlet]]\n" + "".join(f"{k} = {v}\n" for k, v in base.items())


def test_the_nested_quantifier_that_froze_the_crawl_no_longer_does() -> None:
    """``^/(a+)+$`` took 20 s on one 28-character link with ``re``; the regex engine does not."""
    outlet = parse_outlets(_outlet(article_patterns="['^/(a+)+$']"))[0]
    started = time.monotonic()
    for n in range(20, 40):
        assert not outlet.is_article("/" + "a" * n + "!")
    assert outlet.is_article("/aaaa")
    assert time.monotonic() - started < 10


@pytest.mark.parametrize("pattern", [r"^/(a|aa)+$", r"^/(-|--)+$", r"^(/|//)+x$"])
def test_catastrophic_patterns_are_refused_at_load_in_one_line(pattern: str) -> None:
    started = time.monotonic()
    with pytest.raises(ConfigError) as info:
        parse_outlets(_outlet(article_patterns=f"['{pattern}']"))
    message = str(info.value)
    assert "backtracks catastrophically" in message and "article_patterns" in message
    assert "\n" not in message
    assert time.monotonic() - started < 30  # bounded (each probe is time-limited)


def test_a_slow_pattern_at_crawl_time_is_named_and_switched_off(caplog: pytest.LogCaptureFixture) -> None:
    """A pattern the probes miss still cannot freeze the crawl: each match is time-bounded."""
    outlet = parse_outlets(_outlet(article_patterns="['^/news/(x|xx)+y$']"))[0]
    link = "/news/" + "x" * 40
    started = time.monotonic()
    with caplog.at_level(logging.WARNING):
        for _ in range(10):
            assert not outlet.is_article(link)
    assert time.monotonic() - started < 20
    assert "'^/news/(x|xx)+y$'" in caplog.text and "switched off" in caplog.text
    assert outlet.is_article("/news/xy") is False  # switched off for the rest of the run


@pytest.mark.parametrize("domain", ["com", "co.uk", "github.io", "blogspot.com"])
def test_public_suffix_domains_are_refused(domain: str) -> None:
    with pytest.raises(ConfigError, match="public suffix"):
        parse_outlets(_outlet(domains=f'["{domain}"]', start_urls="[]", feeds=f'["https://x.{domain}/rss"]'))


@pytest.mark.parametrize("domain", ["0.1", "10.0", "0.0.1"])
def test_partial_ip_domains_are_refused(domain: str) -> None:
    with pytest.raises(ConfigError, match="part of an IP address"):
        parse_outlets(_outlet(domains=f'["{domain}"]', start_urls="[]", feeds='["https://example.com/rss"]'))


def test_whole_ips_and_real_domains_are_accepted_and_ips_own_no_subdomains() -> None:
    parse_outlets(_outlet(domains='["127.0.0.1", "example.com", "news.bbc.co.uk"]'))
    assert not on_domains("http://10.0.0.1/x", ["0.0.1"])
    assert on_domains("http://127.0.0.1:8080/x", ["127.0.0.1"])
    assert not on_domains("http://1.127.0.0.1/x", ["127.0.0.1"])
    assert on_domains("https://www.news.example.com/a", ["example.com"])


@pytest.mark.slow
def test_outlet_max_depth_beyond_ten_is_crawled_and_cut_offs_counted(tmp_path: Path) -> None:
    """Scrapy's old DEPTH_LIMIT = 10 silently cut a deeper max_depth."""
    site = NewsSite(edition=1)
    pages = 16

    def page(n: int):
        def reply(s, q):
            more = f'<a rel="next" href="/deep/page/{n + 1}/">Next</a>' if n < pages else ""
            return Reply(body=f"<html><body><h1>Page {n}</h1>{more}</body></html>".encode())
        return reply

    for n in range(1, pages + 1):
        site.routes[f"/deep/page/{n}/"] = page(n)
    with SiteServer(site) as server:
        outlets = tmp_path / "outlets.toml"
        outlets.write_text(f"""[[outlet]]
name = "deep"
domains = ["127.0.0.1"]
start_urls = ["{server.base_url}/deep/page/1/"]
article_patterns = ['^/deep/story/']
max_depth = 12
""", encoding="utf-8")
        result = crawl_subprocess(outlets, tmp_path / "data", settings=(*FAST_LOCAL, "ROBOTSTXT_OBEY=False"))
    assert result.returncode in (0, 1), result.stderr[-3000:]  # 1: no article, by design
    fetched = [p for p in site.requests if p.startswith("/deep/page/")]
    assert len(fetched) == 13  # start page + 12 hops, not 10
    import json

    report = json.loads(sorted((tmp_path / "data" / "reports").glob("crawl-*.json"))[-1].read_text())
    assert report["outlets"]["deep"]["depth_limited"] == 1, report["outlets"]["deep"]
