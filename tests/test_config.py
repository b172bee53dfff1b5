"""Outlet configuration: valid files load, every mistake names the outlet and the field."""

from __future__ import annotations

import pytest

from newsarchive.config import ConfigError, load_outlets, parse_outlets

GOOD = """
[[outlet]]
name = "ledger"
domains = ["www.ledger.example"]
start_urls = ["https://www.ledger.example/", "https://www.ledger.example/world/"]
article_patterns = ['^/\\d{4}/\\d{2}/\\d{2}/[^/]+$']
deny_patterns = ['/live/']

[[outlet]]
name = "courier"
domains = ["courier.example"]
start_urls = ["https://courier.example/"]
article_patterns = ['^/news/.+\\.html$']
max_depth = 2
"""


def test_valid_file_loads_every_outlet_with_compiled_patterns():
    ledger, courier = parse_outlets(GOOD)
    assert ledger.name == "ledger" and courier.max_depth == 2
    assert ledger.is_article("/2026/01/05/ferry-terminal")
    assert not ledger.is_article("/2026/01/05/live/ferry")  # denied wins
    assert ledger.owns("https://ledger.example/x") and ledger.owns("https://www.ledger.example/x")
    assert not ledger.owns("https://evil-ledger.example/x")


def test_only_selects_named_outlets(tmp_path):
    path = tmp_path / "outlets.toml"
    path.write_text(GOOD)
    assert [o.name for o in load_outlets(path, only=["courier"])] == ["courier"]
    with pytest.raises(ConfigError, match="no outlet named 'nope'"):
        load_outlets(path, only=["nope"])


@pytest.mark.parametrize(
    ("mutation", "message"),
    [
        (("max_depth = 2", "max_depht = 2"), r"outlet 'courier': field 'max_depht': unknown key"),
        (("'^/news/.+\\.html$'", "'^/news/(.+\\.html$'"), r"outlet 'courier': field 'article_patterns': bad regex"),
        (('name = "courier"\n', ""), r"outlet '#2': field 'name': is required"),
        (('name = "courier"', 'name = "ledger"'), r"outlet 'ledger': field 'name': duplicate outlet name"),
        (('start_urls = ["https://courier.example/"]', 'start_urls = ["https://elsewhere.example/"]'),
         r"outlet 'courier': field 'start_urls': 'https://elsewhere.example/' is outside"),
        (("max_depth = 2", "max_depth = -1"), r"outlet 'courier': field 'max_depth': must be a non-negative"),
        (('domains = ["courier.example"]', 'domains = "courier.example"'),
         r"outlet 'courier': field 'domains': must be a list"),
    ],
)
def test_bad_config_names_outlet_and_field(mutation, message):
    old, new = mutation
    assert old in GOOD
    with pytest.raises(ConfigError, match=message):
        parse_outlets(GOOD.replace(old, new, 1), "outlets.toml")


def test_broken_toml_and_missing_file_are_clear(tmp_path):
    with pytest.raises(ConfigError, match="not valid TOML"):
        parse_outlets("[[outlet]\nname=", "x.toml")
    with pytest.raises(ConfigError, match="cannot read outlets file"):
        load_outlets(tmp_path / "missing.toml")


def test_bad_config_stops_the_crawl_before_any_request(crawl, site):
    crawl.outlets.write_text(crawl.outlets.read_text().replace("max_depth", "x").replace(
        'name = "courier"', 'name = "courier"\ncolour = "red"'))
    result = crawl(check=False)
    assert result.returncode != 0
    assert "outlet 'courier': field 'colour': unknown key" in result.stderr
    assert site.site.requests == []
