"""One canonical URL per article, whatever link led to it."""

import pytest

from newsarchive.urls import canonical_url, on_domains


@pytest.mark.parametrize(
    "variant",
    [
        "https://news.example/2026/01/05/ferry",
        "https://news.example/2026/01/05/ferry/",
        "https://news.example/2026/01/05/ferry#comments",
        "https://news.example/2026/01/05/ferry?utm_source=home&utm_medium=list",
        "https://NEWS.example:443/2026/01/05/ferry?fbclid=abc",
        "https://www.news.example/2026/01/05/ferry",
        "https://news.example/2026/01/05/ferry/amp",
        "https://news.example/2026/01/05/ferry?outputType=amp",
    ],
)
def test_variants_of_one_article_share_its_canonical_url(variant):
    assert canonical_url(variant) == "https://news.example/2026/01/05/ferry"


def test_meaningful_query_parameters_stay_and_are_sorted():
    assert canonical_url("http://a.example/story?id=7&page=2&utm_campaign=x") == \
        "http://a.example/story?id=7&page=2"
    assert canonical_url("http://a.example/story?page=2&id=7") == "http://a.example/story?id=7&page=2"
    assert canonical_url("http://a.example/story?id=7") != canonical_url("http://a.example/story?id=8")


def test_outlet_preferred_host_keeps_www_and_non_default_ports():
    assert canonical_url("https://ledger.example/a", prefer_host="www.ledger.example") == \
        "https://www.ledger.example/a"
    assert canonical_url("http://127.0.0.1:8765/a/") == "http://127.0.0.1:8765/a"


def test_domain_ownership_includes_subdomains_only():
    assert on_domains("https://live.news.example/x", ["news.example"])
    assert not on_domains("https://fakenews.example/x", ["news.example"])
