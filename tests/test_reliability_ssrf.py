"""SSRF: third-party input never makes the crawler connect to a non-public address.

No packet goes to a private address here: host names resolve through a static table
(``StaticHostsResolver``), and IP-literal targets are refused before any connection.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from twisted.internet.error import DNSLookupError

from newsarchive.db.models import Capture
from newsarchive.demo.run import FAST_LOCAL, crawl_subprocess
from newsarchive.demo.site import NewsSite, Reply, SiteServer
from newsarchive.netguard import (
    BlockedAddressError,
    GuardedResolver,
    StaticHostsResolver,
    parse_allow_list,
    refusal,
)
from newsarchive.urls import on_domains
from newsarchive.warc import closed_warcs
from tests.warc_support.fixtures import read_all_warcio

REFUSED = [
    "127.0.0.1", "127.8.9.10", "10.0.0.1", "172.16.5.4", "172.31.255.255", "192.168.1.1",
    "169.254.169.254", "169.254.1.1", "100.64.0.1", "100.100.100.200", "0.0.0.0",
    "224.0.0.1", "239.255.255.250", "240.0.0.1", "255.255.255.255", "192.0.0.192",
    "198.18.0.1", "::1", "::", "fe80::1", "fc00::1", "fd00:ec2::254", "ff02::1",
    "::ffff:127.0.0.1", "::ffff:10.0.0.1", "2002:7f00:1::1", "2001:db8::1",
]
PUBLIC = ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "1.1.1.1"]


@pytest.mark.parametrize("address", REFUSED)
def test_every_non_public_address_class_is_refused(address: str) -> None:
    assert refusal(address) is not None


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_pass(address: str) -> None:
    assert refusal(address) is None


def test_allow_list_opens_exact_addresses_only() -> None:
    allowed = parse_allow_list("127.0.0.1")
    assert refusal("127.0.0.1", allowed) is None
    for other in ("127.0.0.2", "10.0.0.1", "::1", "::ffff:127.0.0.2", "169.254.169.254"):
        assert refusal(other, allowed) is not None
    with pytest.raises(ValueError, match="not an IP address"):
        parse_allow_list("localhost")
    with pytest.raises(ValueError, match="not an IP address"):
        parse_allow_list("10.0.0.0/8")


def _resolve(resolver: GuardedResolver, name: str):
    result: list = []
    resolver.getHostByName(name).addBoth(result.append)
    return result[0]


def test_resolver_refuses_names_resolving_to_private_addresses() -> None:
    """The check runs on the address the connection would use, after name resolution."""
    table = {"intranet.outlet.test": "10.1.2.3", "meta.outlet.test": "169.254.169.254",
             "lo.outlet.test": "127.0.0.1", "v6.outlet.test": "::1", "www.outlet.test": "93.184.216.34"}
    resolver = StaticHostsResolver(None, 0, 5.0, parse_allow_list(["127.0.0.1"]), table)
    for name in ("intranet.outlet.test", "meta.outlet.test", "v6.outlet.test"):
        failure = _resolve(resolver, name)
        assert failure.check(BlockedAddressError), name
        assert failure.check(DNSLookupError)  # Scrapy reports it like any failed lookup
    assert _resolve(resolver, "www.outlet.test") == "93.184.216.34"
    assert _resolve(resolver, "lo.outlet.test") == "127.0.0.1"  # allowed exactly
    assert _resolve(StaticHostsResolver(None, 0, 5.0, frozenset(), table),
                    "lo.outlet.test").check(BlockedAddressError)


def test_backslash_at_url_is_checked_on_the_host_scrapy_requests() -> None:
    """``http://169.254.169.254\\@outlet/`` is a request to 169.254.169.254 (WHATWG parsing)."""
    import scrapy

    url = "http://169.254.169.254\\@outlet.example/ledger/x"
    assert scrapy.Request(url).url.startswith("http://169.254.169.254/")
    assert not on_domains(url, ["outlet.example"])
    assert on_domains("http://outlet.example/a\\b", ["outlet.example"])


EVIL = "/ledger/2026/01/05/"


def _site(port_holder: list[int]) -> NewsSite:
    site = NewsSite(edition=1)

    def redirect(location: str):
        return lambda s, q: Reply(302, headers={"Location": location.replace("PORT", str(port_holder[0]))})

    site.routes[EVIL + "to-metadata"] = redirect("http://169.254.169.254/latest/meta-data/")
    site.routes[EVIL + "chain-start"] = lambda s, q: Reply(301, headers={"Location": EVIL + "chain-next"})
    site.routes[EVIL + "chain-next"] = redirect("http://10.0.0.5:6379/")
    site.routes[EVIL + "protocol-relative"] = redirect("//[::1]:5432/")
    site.routes[EVIL + "to-intranet-name"] = redirect("http://intranet.ledger.test:PORT/ledger/2026/01/05/x")
    site.routes[EVIL + "offsite-public"] = redirect("http://elsewhere.example/story")
    site.routes[EVIL + "meta-refresh"] = lambda s, q: Reply(body=(
        b'<html><head><meta http-equiv="refresh" content="0; url=http://169.254.169.254/latest/">'
        b"</head><body>moved</body></html>"))
    site.extra_links["ledger"] = [
        EVIL + name for name in ("to-metadata", "chain-start", "protocol-relative", "to-intranet-name",
                                 "offsite-public", "meta-refresh")
    ] + ["http://169.254.169.254\\@ledger.test:PORT/ledger/2026/01/05/backslash",
         "http://intranet.ledger.test:PORT/ledger/2026/01/05/linked-intranet"]
    return site


def _outlets(base: str, follow: bool) -> str:
    port = base.rsplit(":", 1)[1]
    return f"""
[[outlet]]
name = "ledger"
domains = ["ledger.test"]
start_urls = ["http://ledger.test:{port}/ledger/"]
article_patterns = ['^/ledger/\\d{{4}}/\\d{{2}}/\\d{{2}}/[a-z0-9-]+$']
follow_offsite_redirects = {str(follow).lower()}
"""


@pytest.mark.slow
@pytest.mark.parametrize("follow", [False, True])
def test_crawl_never_connects_to_private_addresses(tmp_path: Path, follow: bool) -> None:
    port: list[int] = [0]
    site = _site(port)
    with SiteServer(site) as server:
        port[0] = server.httpd.server_address[1]
        for key, links in site.extra_links.items():
            site.extra_links[key] = [link.replace("PORT", str(port[0])) for link in links]
        outlets = tmp_path / "outlets.toml"
        outlets.write_text(_outlets(server.base_url, follow), encoding="utf-8")
        hosts = "ledger.test=127.0.0.1,intranet.ledger.test=10.1.2.3,elsewhere.example=93.184.216.34"
        result = crawl_subprocess(outlets, tmp_path / "data", settings=(
            *FAST_LOCAL, "LOG_LEVEL=INFO", "ROBOTSTXT_OBEY=False",
            "TWISTED_DNS_RESOLVER=newsarchive.netguard.StaticHostsResolver",
            f"NEWSARCHIVE_STATIC_HOSTS={hosts}", "RETRY_ENABLED=False"))
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(sorted((tmp_path / "data" / "reports").glob("crawl-*.json"))[-1].read_text())
    stats = report["outlets"]["ledger"]
    errors = {k: v for k, v in stats.items() if "blocked" in k}
    # 169.254.169.254 (3xx and meta refresh), 10.0.0.5 via a 301->302 chain, [::1] protocol-relative
    # (off-outlet when not followed; refused by address when followed), intranet names
    assert errors, stats
    log = result.stderr
    assert "169.254.169.254" in log and "intranet.ledger.test" in log
    if follow:
        assert stats.get("errors/blocked_address", 0) >= 5, stats
        # the public off-outlet target was followed (resolved by the table; no server there)
    else:
        assert stats.get("errors/blocked_offsite_redirect", 0) >= 4, stats
        assert stats.get("errors/blocked_address", 0) >= 2, stats  # intranet name, linked and redirected
    # nothing from a private address is in the database or the WARC files
    from newsarchive.db.engine import open_database

    sessions = open_database(f"sqlite:///{tmp_path / 'data' / 'newsarchive.sqlite3'}")
    with sessions() as session:
        captures = [(c.url, c.status, c.warc_record_id) for c in session.query(Capture).all()]
    assert any(status == 200 for _, status, _ in captures)
    forbidden = ("169.254", "10.0.0", "[::1]", "//intranet", "backslash")
    refused = [c for c in captures if any(f in c[0] for f in forbidden)]
    # a refused fetch may be logged as a failed capture, never with a response or a record
    assert all(not status and record is None for _, status, record in refused), refused
    targets = []
    for path in closed_warcs(tmp_path / "data" / "warc"):
        for record in read_all_warcio(Path(path)):
            targets.append(record.headers.get("WARC-Target-URI", ""))
            if record.rec_type == "request":
                assert "10.1.2.3" not in str(record.headers)
    assert not [t for t in targets if any(f in t for f in forbidden)]
    # the hop that pointed at the metadata service is on record, with its Location
    assert any(t.endswith("to-metadata") for t in targets)


@pytest.mark.slow
def test_default_configuration_fetches_nothing_from_loopback(tmp_path: Path) -> None:
    """Without NEWSARCHIVE_ALLOW_ADDRESSES the local outlet (127.0.0.1) is never contacted."""
    from newsarchive.demo.site import outlets_toml

    site = NewsSite(edition=1)
    with SiteServer(site) as server:
        outlets = tmp_path / "outlets.toml"
        outlets.write_text(outlets_toml(server.base_url), encoding="utf-8")
        local = tuple(s for s in FAST_LOCAL if not s.startswith("NEWSARCHIVE_ALLOW_ADDRESSES"))
        result = crawl_subprocess(outlets, tmp_path / "data", settings=(*local, "LOG_LEVEL=INFO"))
    assert result.returncode == 1, result.stderr[-3000:]  # every outlet failed entirely
    assert site.requests == []  # not even robots.txt
    assert "127.0.0.1 is a loopback address" in result.stderr


def test_discover_refuses_non_public_addresses_and_redirects_to_them(monkeypatch) -> None:
    """`newsarchive discover` fetches with urllib: same policy, checked on every hop."""
    import urllib.error

    from newsarchive.discovery import learn

    with pytest.raises(urllib.error.URLError, match="loopback"):
        learn.default_fetch("http://127.0.0.1:9/")
    with pytest.raises(urllib.error.URLError, match="metadata|link-local"):
        learn.default_fetch("http://169.254.169.254/latest/meta-data/")
    with pytest.raises(urllib.error.URLError, match="not an http"):
        learn.default_fetch("file:///etc/passwd")
    site = NewsSite(edition=1)
    site.routes["/hop"] = lambda s, q: Reply(302, headers={"Location": "http://10.0.0.7/"})
    monkeypatch.setenv("NEWSARCHIVE_ALLOW_ADDRESSES", "127.0.0.1")
    with SiteServer(site) as server:
        status, _, body = learn.default_fetch(server.url("/robots.txt"))
        assert status == 200 and b"User-agent" in body
        with pytest.raises(urllib.error.URLError, match="10.0.0.7 is a private address"):
            learn.default_fetch(server.url("/hop"))
