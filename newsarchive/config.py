"""Outlets are configured, not coded: load and validate ``outlets.toml``.

Every mistake is reported before a single request is sent, naming the outlet and the
field, because a typo in a regex should not cost a night of crawling.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import tomllib
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import regex
import tldextract

from newsarchive.schedule.policy import Policy, PollPolicy, parse_duration
from newsarchive.urls import on_domains

logger = logging.getLogger(__name__)

# Outlet patterns run on every link of every page, on the reactor thread. They are compiled
# with the ``regex`` engine (which survives most nested quantifiers that freeze ``re``) and
# every match is time-bounded: a pattern that backtracks catastrophically is refused when the
# file is loaded if a probe shows it, and otherwise named in the log and switched off for the
# run after SLOW_PATTERN_LIMIT timeouts, instead of freezing the crawl.
PATTERN_TIMEOUT = 0.05  # seconds per match (the engine checks it coarsely)
SLOW_PATTERN_LIMIT = 3
_PROBE_CHARS = "a0/-_.%"
_slow_patterns: dict[tuple[str, str], int] = {}  # (outlet, pattern) -> timeouts this process
# The public suffix list bundled with tldextract (never fetched), private suffixes included:
# "github.io" or "blogspot.com" would make an outlet own every site under them.
_suffixes = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True)

DEFAULT_OUTLETS_FILE = "outlets.toml"


class ConfigError(ValueError):
    """The outlets configuration is invalid; the message names outlet and field."""


@dataclass(frozen=True)
class Outlet:
    """One news outlet: where to start, what an article URL looks like, what to skip."""

    name: str
    domains: tuple[str, ...]
    start_urls: tuple[str, ...]
    article_patterns: tuple[regex.Pattern[str], ...]
    deny_patterns: tuple[regex.Pattern[str], ...] = ()
    listing_patterns: tuple[regex.Pattern[str], ...] = ()
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    auto_feeds: bool = True
    max_depth: int = 3
    max_pages: int = 5000
    pattern_page_budget: int = 50
    sitemap_max_age_days: float | None = 3.0
    #: follow a redirect (3xx, meta refresh) that leaves ``domains`` (off: recorded, not followed)
    follow_offsite_redirects: bool = False
    #: keep Authorization, Proxy-Authorization and Cookie in WARC request records
    archive_credentials: bool = False
    # A stable article id in the URL ("-307126", "/news/140114-", "?id=300174"): one story
    # keeps its identity when the slug changes, with or without a redirect.
    id_pattern: re.Pattern[str] | None = None
    # The re-crawl schedule (newsarchive.schedule.policy): clamps of the article check
    # interval, when checks stop, jitter; how often listings/feeds/sitemaps are re-read;
    # and what one `newsarchive recrawl` run may spend on the outlet (0 = no cap).
    min_interval: timedelta = timedelta(minutes=3)  # = Policy.min_interval: live stories need it
    max_interval: timedelta = timedelta(days=7)
    max_age: timedelta = timedelta(days=30)
    check_jitter: float = 0.1
    poll_min_interval: timedelta = timedelta(minutes=10)
    poll_max_interval: timedelta = timedelta(hours=6)
    recrawl_budget: int = 0
    recrawl_seconds: float = 0.0
    #: how often cron runs `newsarchive recrawl` (the README's crontab: every 5 minutes)
    recrawl_period: timedelta = timedelta(minutes=5)

    def policy(self) -> Policy:
        """The article re-check policy of this outlet."""
        return Policy(min_interval=self.min_interval, max_interval=self.max_interval,
                      max_age=self.max_age, jitter=self.check_jitter, run_period=self.recrawl_period)

    def poll_policy(self) -> PollPolicy:
        """How often this outlet's listings, feeds and sitemaps are re-read."""
        return PollPolicy(min_interval=self.poll_min_interval, max_interval=self.poll_max_interval,
                          jitter=self.check_jitter)

    @property
    def prefer_host(self) -> str:
        """The host spelling used in canonical URLs (``www.`` or not)."""
        return self.domains[0]

    def owns(self, url: str) -> bool:
        return on_domains(url, self.domains)

    def matches(self, pattern: regex.Pattern[str], path: str) -> bool:
        """``pattern.search(path)`` with a time bound; a slow pattern never matches."""
        key = (self.name, pattern.pattern)
        if _slow_patterns.get(key, 0) >= SLOW_PATTERN_LIMIT:
            return False
        try:
            return pattern.search(path, timeout=PATTERN_TIMEOUT) is not None
        except TimeoutError:
            _slow_patterns[key] = count = _slow_patterns.get(key, 0) + 1
            logger.warning("outlet %s: pattern %r took over %ss on %r (catastrophic backtracking?)%s",
                           self.name, pattern.pattern, PATTERN_TIMEOUT, path[:200],
                           "; switched off for this run" if count >= SLOW_PATTERN_LIMIT else "")
            return False

    def is_denied(self, path: str) -> bool:
        return any(self.matches(p, path) for p in self.deny_patterns)

    def is_article(self, path: str) -> bool:
        return not self.is_denied(path) and any(self.matches(p, path) for p in self.article_patterns)

    def is_listing(self, path: str) -> bool:
        return not self.is_denied(path) and any(self.matches(p, path) for p in self.listing_patterns)

    def article_id(self, url: str) -> str | None:
        """The stable id ``id_pattern`` finds in ``url`` (its first group, else the match)."""
        if self.id_pattern is None:
            return None
        parts = urlsplit(url)
        match = self.id_pattern.search(parts.path + (f"?{parts.query}" if parts.query else ""))
        if match is None:
            return None
        return match.group(1) if self.id_pattern.groups else match.group(0)

    def snapshot(self) -> dict:
        """A JSON-able copy of the configuration, stored with the outlet row."""
        return {
            "domains": list(self.domains),
            "start_urls": list(self.start_urls),
            "article_patterns": [p.pattern for p in self.article_patterns],
            "deny_patterns": [p.pattern for p in self.deny_patterns],
            "listing_patterns": [p.pattern for p in self.listing_patterns],
            "feeds": list(self.feeds),
            "sitemaps": list(self.sitemaps),
            "id_pattern": self.id_pattern.pattern if self.id_pattern else None,
            # the schedule it was crawled under (durations in seconds)
            **{key: getattr(self, key).total_seconds() for key in _DURATIONS},
            "check_jitter": self.check_jitter,
            "recrawl_budget": self.recrawl_budget,
            "recrawl_seconds": self.recrawl_seconds,
            "recrawl_period": self.recrawl_period.total_seconds(),
        }


_STR_LISTS = ("domains", "start_urls", "article_patterns", "deny_patterns",
              "listing_patterns", "feeds", "sitemaps")
_BOOLS = {"auto_feeds": True, "follow_offsite_redirects": False, "archive_credentials": False}
_DURATIONS = {"min_interval": timedelta(minutes=3), "max_interval": timedelta(days=7),
              "max_age": timedelta(days=30), "poll_min_interval": timedelta(minutes=10),
              "poll_max_interval": timedelta(hours=6)}
_KNOWN = {"name", *_STR_LISTS, *_BOOLS, *_DURATIONS, "max_depth", "max_pages",
          "pattern_page_budget", "sitemap_max_age_days", "id_pattern", "check_jitter",
          "recrawl_budget", "recrawl_seconds", "recrawl_period"}
_REQUIRED = ("name", "domains", "article_patterns")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def _fail(source: str, outlet: str, key: str, problem: str) -> ConfigError:
    return ConfigError(f"{source}: outlet {outlet!r}: field {key!r}: {problem}")


def _backtracking_probe(compiled: regex.Pattern[str]) -> str | None:
    """A short path on which ``compiled`` runs out of time, if one of the probes finds it."""
    for char in _PROBE_CHARS:
        for probe in (f"/{char * 30}!", f"{char * 30}!", f"/{char * 15}/{char * 15}!"):
            try:
                compiled.search(probe, timeout=PATTERN_TIMEOUT)
            except TimeoutError:
                return probe
    return None


def _compile(source: str, outlet: str, key: str, patterns: list[str]) -> tuple[regex.Pattern[str], ...]:
    compiled = []
    for pattern in patterns:
        try:
            re.compile(pattern)  # the documented syntax is Python's re
            one = regex.compile(pattern)
        except (re.error, regex.error) as exc:
            raise _fail(source, outlet, key, f"bad regex {pattern!r}: {exc}") from None
        probe = _backtracking_probe(one)
        if probe is not None:
            raise _fail(source, outlet, key, f"regex {pattern!r} backtracks catastrophically "
                        f"(over {PATTERN_TIMEOUT}s on the {len(probe)}-character path {probe!r}); "
                        "avoid nested repetition like (a+)+")
        compiled.append(one)
    return tuple(compiled)


def _check_domain(source: str, outlet: str, domain: str) -> None:
    """A domain must name a site: not a public suffix ("com", "co.uk"), not part of an IP."""
    if not domain or domain != domain.strip() or "/" in domain or ":" in domain.strip("[]") \
            and not _is_ip(domain):
        raise _fail(source, outlet, "domains", f"{domain!r} is not a host name")
    if _is_ip(domain):
        return
    if regex.fullmatch(r"[\d.]+", domain):
        raise _fail(source, outlet, "domains", f"{domain!r} is part of an IP address "
                    "(give a whole address like 192.0.2.10, or a host name)")
    parts = _suffixes(domain)
    if not parts.domain and parts.suffix:
        raise _fail(source, outlet, "domains", f"{domain!r} is a public suffix: the outlet would own "
                    f"every site under it (give the outlet's own domain, e.g. example.{parts.suffix})")


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value.strip("[]"))
    except ValueError:
        return False
    return True


def _check_url(source: str, outlet: str, key: str, url: str, domains: list[str]) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _fail(source, outlet, key, f"{url!r} is not an absolute http(s) URL")
    if key == "start_urls" and not on_domains(url, domains):
        raise _fail(source, outlet, key, f"{url!r} is outside the outlet's domains {domains}")


def parse_outlet(table: dict, source: str, index: int) -> Outlet:
    """Validate one ``[[outlet]]`` table and build an :class:`Outlet`."""
    label = str(table.get("name") or f"#{index + 1}")
    unknown = sorted(set(table) - _KNOWN)
    if unknown:
        raise _fail(source, label, unknown[0], f"unknown key (known keys: {', '.join(sorted(_KNOWN))})")
    for key in _REQUIRED:
        if key not in table:
            raise _fail(source, label, key, "is required")
    name = table["name"]
    if not isinstance(name, str) or not _NAME.match(name):
        raise _fail(source, label, "name", "must be a word of letters, digits, '.', '_' or '-'")
    for key in _STR_LISTS:
        value = table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise _fail(source, name, key, "must be a list of non-empty strings")
    domains = [d.lower().rstrip(".") for d in table["domains"]]
    if not domains:
        raise _fail(source, name, "domains", "must name at least one domain")
    for domain in domains:
        _check_domain(source, name, domain)
    start_urls = table.get("start_urls", [])
    if not start_urls and not table.get("feeds") and not table.get("sitemaps"):
        raise _fail(source, name, "start_urls", "give start_urls, feeds or sitemaps")
    for key in ("start_urls", "feeds", "sitemaps"):
        for url in table.get(key, []):
            _check_url(source, name, key, url, domains)
    ints = {}
    for key, default in (("max_depth", 3), ("max_pages", 5000), ("pattern_page_budget", 50),
                         ("recrawl_budget", 0)):
        value = table.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise _fail(source, name, key, "must be a non-negative integer")
        ints[key] = value
    max_age = table.get("sitemap_max_age_days", 3.0)
    if max_age is not None and (not isinstance(max_age, int | float) or isinstance(max_age, bool) or max_age <= 0):
        raise _fail(source, name, "sitemap_max_age_days", "must be a positive number of days")
    bools = {}
    for key, default in _BOOLS.items():
        bools[key] = table.get(key, default)
        if not isinstance(bools[key], bool):
            raise _fail(source, name, key, "must be true or false")
    schedule = _schedule_keys(table, source, name)
    id_pattern = table.get("id_pattern")
    if id_pattern is not None and (not isinstance(id_pattern, str) or not id_pattern):
        raise _fail(source, name, "id_pattern", "must be a regex string")
    return Outlet(
        name=name,
        id_pattern=_compile(source, name, "id_pattern", [id_pattern])[0] if id_pattern else None,
        domains=tuple(domains),
        start_urls=tuple(start_urls),
        article_patterns=_compile(source, name, "article_patterns", table["article_patterns"]),
        deny_patterns=_compile(source, name, "deny_patterns", table.get("deny_patterns", [])),
        listing_patterns=_compile(source, name, "listing_patterns", table.get("listing_patterns", [])),
        feeds=tuple(table.get("feeds", [])),
        sitemaps=tuple(table.get("sitemaps", [])),
        sitemap_max_age_days=float(max_age) if max_age is not None else None,
        **ints,
        **bools,
        **schedule,
    )


def _schedule_keys(table: dict, source: str, name: str) -> dict:
    """The re-crawl schedule keys of one outlet, checked against each other."""
    found: dict = {}
    for key, default in _DURATIONS.items():
        try:
            found[key] = parse_duration(table[key]) if key in table else default
        except ValueError as exc:
            raise _fail(source, name, key, str(exc)) from None
    for low, high in (("min_interval", "max_interval"), ("poll_min_interval", "poll_max_interval")):
        if found[low] > found[high]:
            raise _fail(source, name, low, f"is longer than {high}")
    jitter = table.get("check_jitter", 0.1)
    if not isinstance(jitter, int | float) or isinstance(jitter, bool) or not 0 <= jitter < 1:
        raise _fail(source, name, "check_jitter", "must be a share between 0 and 1 (0.1 = +/-10 %)")
    seconds = table.get("recrawl_seconds", 0)
    if not isinstance(seconds, int | float) or isinstance(seconds, bool) or seconds < 0:
        raise _fail(source, name, "recrawl_seconds", "must be a non-negative number of seconds (0: no cap)")
    found["check_jitter"], found["recrawl_seconds"] = float(jitter), float(seconds)
    period = table.get("recrawl_period", "5m")
    try:
        found["recrawl_period"] = timedelta(0) if not isinstance(period, bool) and period in (0, "0") else parse_duration(period)
    except ValueError as exc:
        raise _fail(source, name, "recrawl_period", f"{exc} (0: checks run when due)") from None
    return found


def parse_outlets(text: str, source: str = DEFAULT_OUTLETS_FILE) -> list[Outlet]:
    """Parse the TOML text of an outlets file; raise :class:`ConfigError` on any problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from None
    extra = sorted(set(data) - {"outlet"})
    if extra:
        raise ConfigError(f"{source}: unknown top-level key {extra[0]!r} (expected [[outlet]] tables)")
    tables = data.get("outlet", [])
    if not isinstance(tables, list) or not tables:
        raise ConfigError(f"{source}: no [[outlet]] tables found")
    outlets: dict[str, Outlet] = {}
    for index, table in enumerate(tables):
        outlet = parse_outlet(table, source, index)
        if outlet.name in outlets:
            raise _fail(source, outlet.name, "name", "duplicate outlet name")
        outlets[outlet.name] = outlet
    return list(outlets.values())


def load_outlets(path: str | Path, only: list[str] | None = None) -> list[Outlet]:
    """Read the outlets file at ``path``; keep only the named outlets when ``only`` is given."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read outlets file: {exc.strerror}") from None
    outlets = parse_outlets(text, str(path))
    if only:
        known = {o.name for o in outlets}
        missing = [n for n in only if n not in known]
        if missing:
            raise ConfigError(f"{path}: no outlet named {missing[0]!r} (known: {', '.join(sorted(known))})")
        outlets = [o for o in outlets if o.name in only]
    return outlets
