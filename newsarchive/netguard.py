"""Third-party input decides nothing about where the crawler connects (SSRF guard).

Feeds, sitemaps, pages and their redirects are written by others. A hostile or compromised
outlet can point the crawler at the cloud metadata service, ``10.x`` hosts or a local Redis,
and the reply would land in the archive. So, by default, no request goes to a loopback,
private, link-local, shared, multicast, reserved or unspecified address:

* :class:`GuardedResolver` (``TWISTED_DNS_RESOLVER``) checks every address a host name
  resolves to, i.e. the address the connection will actually use, on every hop;
* :class:`AddressGuardMiddleware` refuses IP-literal hosts and non-http(s) schemes before
  anything else runs (robots.txt included), and refuses redirect hops (3xx and meta refresh)
  that leave the outlet's domains unless the outlet sets ``follow_offsite_redirects``. The hop
  that pointed there is archived like any response, so the target is on record.

``NEWSARCHIVE_ALLOW_ADDRESSES`` (comma-separated exact addresses, e.g. ``127.0.0.1``) opens
those addresses only: the demo, the test suite and the benchmarks crawl 127.0.0.1 with it.
Behind an HTTP proxy the proxy resolves the target's name, so only IP-literal targets and
the proxy's own address are checked here.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Iterable, Sequence
from typing import Any

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.resolver import CachingThreadedResolver
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred
from twisted.internet.error import DNSLookupError

from newsarchive.urls import mask_url

logger = logging.getLogger(__name__)

ALLOW_SETTING = "NEWSARCHIVE_ALLOW_ADDRESSES"
ALLOWED_SCHEMES = ("http", "https")
# Cloud metadata services that sit on otherwise public-looking or special addresses.
METADATA_ADDRESSES = frozenset({"169.254.169.254", "169.254.170.2", "100.100.100.200",
                                "fd00:ec2::254", "192.0.0.192"})

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_allow_list(values: Iterable[str] | str | None) -> frozenset[IPAddress]:
    """Exact addresses from the setting; a malformed entry is an error naming it."""
    if isinstance(values, str):
        values = values.split(",")
    allowed = set()
    for value in values or ():
        value = value.strip().strip("[]")
        if not value:
            continue
        try:
            allowed.add(ipaddress.ip_address(value))
        except ValueError:
            raise ValueError(f"{ALLOW_SETTING}: {value!r} is not an IP address "
                             "(exact addresses only, no names or ranges)") from None
    return frozenset(allowed)


def refusal(address: str, allowed: frozenset[IPAddress] = frozenset()) -> str | None:
    """Why connecting to ``address`` is refused, or None when it is a public address."""
    try:
        ip = ipaddress.ip_address(address.strip("[]").split("%", 1)[0])
    except ValueError:
        return f"{address!r} is not an IP address"
    if ip in allowed:
        return None
    if isinstance(ip, ipaddress.IPv6Address):
        mapped = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if mapped is not None and ip not in allowed:
            reason = refusal(str(mapped), allowed)
            if reason:
                return reason
    if str(ip) in METADATA_ADDRESSES:
        return f"{ip} is a cloud metadata address"
    for test, kind in ((ip.is_loopback, "loopback"), (ip.is_link_local, "link-local"),
                       (ip.is_multicast, "multicast"), (ip.is_unspecified, "unspecified"),
                       (ip.is_private, "private"), (ip.is_reserved, "reserved")):
        if test:
            return f"{ip} is a {kind} address"
    if not ip.is_global:
        return f"{ip} is not a public address"
    return None


def is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


class BlockedAddressError(DNSLookupError):
    """A host name resolved to an address the crawler may not connect to."""


def blocked_address(exception: BaseException | None) -> BlockedAddressError | None:
    """The :class:`BlockedAddressError` behind ``exception`` (Scrapy wraps DNS failures)."""
    seen = 0
    while exception is not None and seen < 5:
        if isinstance(exception, BlockedAddressError):
            return exception
        exception = exception.__cause__ or exception.__context__
        seen += 1
    return None


class BlockedRequest(IgnoreRequest):
    """A request refused before it was sent (address, scheme or off-outlet redirect)."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


class GuardedResolver(CachingThreadedResolver):
    """Scrapy's caching resolver, refusing names that resolve to non-public addresses.

    It is the resolver the HTTP client connects with, so the check is on the address actually
    used (no second lookup that DNS rebinding could answer differently).
    """

    def __init__(self, reactor: Any, cache_size: int, timeout: float,
                 allowed: frozenset[IPAddress] = frozenset()):
        super().__init__(reactor, cache_size, timeout)
        self.allowed = allowed
        #: name -> why it was refused. Twisted's HostnameEndpoint replaces a resolver's error
        #: with its own "no results" DNSLookupError, so the middleware looks the reason up here.
        self.refused: dict[str, str] = {}

    @classmethod
    def from_crawler(cls, crawler: Any, reactor: Any) -> GuardedResolver:
        resolver = super().from_crawler(crawler, reactor)
        resolver.allowed = parse_allow_list(crawler.settings.getlist(ALLOW_SETTING))
        return resolver

    def resolve_name(self, name: str, timeout: Sequence[int] = ()) -> Deferred[str]:
        """The lookup itself (tests replace it with a static table)."""
        return super().getHostByName(name, timeout)

    def getHostByName(self, name: str, timeout: Sequence[int] = ()) -> Deferred[str]:  # noqa: N802
        deferred = self.resolve_name(name, timeout)
        deferred.addCallback(self._check, name)
        return deferred

    def _check(self, address: str, name: str) -> str:
        reason = refusal(address, self.allowed)
        if reason:
            if len(self.refused) < 10_000:
                self.refused[name.lower()] = reason
            raise BlockedAddressError(f"refused to connect to {name}: {reason} "
                                      f"(allow it with {ALLOW_SETTING})")
        return address


def _installed_resolver_refusals() -> dict[str, str]:
    from twisted.internet import reactor

    resolver = getattr(reactor, "resolver", None)
    return resolver.refused if isinstance(resolver, GuardedResolver) else {}


class AddressGuardMiddleware:
    """Downloader middleware (priority 50, before robots.txt): refuse what may not be fetched.

    Stats: ``newsarchive/blocked/<kind>`` (``address``, ``scheme``, ``offsite_redirect``) and,
    per outlet, ``newsarchive/outlet/<name>/blocked/<kind>``.
    """

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        self.allowed = parse_allow_list(crawler.settings.getlist(ALLOW_SETTING))

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> AddressGuardMiddleware:
        return cls(crawler)

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        parts = urlparse_cached(request)
        if parts.scheme not in ALLOWED_SCHEMES:
            self._refuse(request, "scheme", f"scheme {parts.scheme!r} is not fetched")
        if request.meta.get("redirect_urls"):
            outlet = self._outlet(request)
            if outlet is not None and not outlet.owns(request.url) \
                    and not outlet.follow_offsite_redirects:
                origin = mask_url(request.meta["redirect_urls"][-1])
                self._refuse(request, "offsite_redirect",
                             f"redirect from {origin} leaves outlet {outlet.name}'s domains; "
                             "recorded, not followed (set follow_offsite_redirects = true)")
        host = parts.hostname or ""
        if is_ip_literal(host):
            reason = refusal(host, self.allowed)
            if reason:
                self._refuse(request, "address", f"{reason} (allow it with {ALLOW_SETTING})")
        return None

    def process_exception(self, request: Request, exception: BaseException,
                          spider: Spider | None = None) -> None:
        if blocked_address(exception) is None and not isinstance(exception, DNSLookupError) \
                and type(exception).__name__ != "CannotResolveHostError":
            return None
        host = (urlparse_cached(request).hostname or "").lower()
        reason = _installed_resolver_refusals().get(host)
        if reason is None:
            return None
        self._refuse(request, "address", f"{host} resolves to a refused address: {reason} "
                                         f"(allow it with {ALLOW_SETTING})")
        return None

    def _outlet(self, request: Request) -> Any:
        spider = getattr(self.crawler, "spider", None)
        outlets = getattr(spider, "by_name", None) or {}
        return outlets.get(request.meta.get("outlet", ""))

    def _count(self, request: Request, kind: str) -> None:
        self.stats.inc_value(f"newsarchive/blocked/{kind}")
        outlet = request.meta.get("outlet")
        if outlet:
            self.stats.inc_value(f"newsarchive/outlet/{outlet}/blocked/{kind}")

    def _refuse(self, request: Request, kind: str, message: str) -> None:
        self._count(request, kind)
        text = f"blocked {mask_url(request.url)}: {message}"
        if not request.meta.get("outlet"):  # the spider's errback logs its own requests
            logger.warning(text)
        raise BlockedRequest(kind, text)


class StaticHostsResolver(GuardedResolver):
    """A guarded resolver that answers from ``NEWSARCHIVE_STATIC_HOSTS`` only (no DNS at all).

    ``NEWSARCHIVE_STATIC_HOSTS = {"intranet.outlet.test": "10.1.2.3"}`` (or the string
    ``"name=address,name=address"`` from ``-s``): a hosts file for tests, so that the guard's
    refusals are exercised on real crawls without one packet to the addresses named, and
    without a DNS query leaving the machine.
    """

    def __init__(self, reactor: Any, cache_size: int, timeout: float,
                 allowed: frozenset[IPAddress] = frozenset(),
                 table: dict[str, str] | None = None):
        super().__init__(reactor, cache_size, timeout, allowed)
        self.table = dict(table or {})

    @classmethod
    def from_crawler(cls, crawler: Any, reactor: Any) -> StaticHostsResolver:
        resolver = super().from_crawler(crawler, reactor)
        value = crawler.settings.get("NEWSARCHIVE_STATIC_HOSTS") or {}
        if isinstance(value, str):
            value = dict(item.split("=", 1) for item in value.split(",") if "=" in item)
        resolver.table = {k.strip().lower(): v.strip() for k, v in dict(value).items()}
        return resolver

    def resolve_name(self, name: str, timeout: Sequence[int] = ()) -> Deferred[str]:
        from twisted.internet import defer

        if is_ip_literal(name):
            return defer.succeed(name)
        address = self.table.get(name.lower().rstrip("."))
        if address is None:
            return defer.fail(DNSLookupError(f"{name} is not in NEWSARCHIVE_STATIC_HOSTS"))
        return defer.succeed(address)
