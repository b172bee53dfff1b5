"""Learn an outlet's configuration from its homepage: the engine of ``newsarchive discover``.

One homepage and one robots.txt say most of what a crawl needs: the feeds the
outlet advertises, the sitemaps it declares, the sections in its navigation,
and - from the shape of the dozens of story links on the page - regular
expressions that tell an article URL from everything else. The result is a
suggestion for a human to review, printed as a ready-to-paste ``[[outlet]]``
TOML block.
"""

from __future__ import annotations

import os
import re
import socket
import urllib.error
import urllib.parse
import urllib.request
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit, urlunsplit

import lxml.html
import tldextract
from lxml import etree
from protego import Protego
from w3lib.url import safe_url_string

from newsarchive.discovery.feeds import find_feed_links
from newsarchive.discovery.sitemaps import SitemapError, parse_sitemap, sitemaps_from_robots

Fetch = Callable[[str], tuple[int, dict, bytes]]

USER_AGENT = "newsarchive-discover (+https://github.com/newsarchive/newsarchive)"
ROBOTS_AGENT = "newsarchive-discover"
TIMEOUT_SECONDS = 20.0
MAX_BODY_BYTES = 10 * 1024 * 1024
FALLBACK_SITEMAP_PATHS = ("/sitemap.xml", "/news-sitemap.xml")
MIN_LINKS_PER_PATTERN = 2
MAX_PATTERNS = 5
MAX_SECTIONS = 15
MAX_WORD_ALTERNATIVES = 6

# First path segments that are never news sections; some are worth denying outright.
_UTILITY_SEGMENTS = frozenset(
    """about about-us accessibility account advertise advertising app apps auth cart careers
    checkout contact contact-us cookie-policy cookies donate faq feed feeds help imprint impressum
    jobs legal login log-in logout my-account newsletter newsletters password privacy
    privacy-policy profile register rss search shop sign-in sign-up signin signup sitemap store
    subscribe subscription subscriptions terms terms-and-conditions terms-of-use user wp-admin
    wp-login cdn-cgi""".split()
)
_DENY_SEGMENTS = frozenset(
    """account auth cart cdn-cgi checkout log-in login logout my-account password profile
    register search sign-in sign-up signin signup subscribe user wp-admin wp-login""".split()
)
_NAV_TOKENS = frozenset({"nav", "navbar", "navigation", "menu", "mainmenu", "masthead", "sections"})
_EXTENSION = re.compile(r"^(?P<name>.+?)(?P<ext>\.(?:s?html?|php|aspx?|jsp|cms|ece|amp))$", re.I)
_YEAR = re.compile(r"(?:19|20)\d{2}")
_SMALL_NUMBER = re.compile(r"\d{1,2}")
_SLUG_THEN_ID = re.compile(r".*[a-z].*(?P<sep>[-_])\d{4,}", re.I)
_ID_THEN_SLUG = re.compile(r"\d{4,}(?P<sep>[-_]).*[a-z].*", re.I)
_ARTICLE_ENDINGS = frozenset({"slug", "slug-id", "id-slug", "number", "token"})

_tld_extract = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)  # bundled list, offline


class LearnError(RuntimeError):
    """The homepage could not be fetched or read, so there is nothing to learn from."""


@dataclass(frozen=True)
class PatternSuggestion:
    regex: str  # anchored, matched against the URL path
    matches: int  # distinct same-site homepage link paths it matches
    examples: tuple[str, ...]


@dataclass(frozen=True)
class OutletSuggestion:
    name: str
    homepage_url: str
    domains: list[str]
    start_urls: list[str]
    feeds: list[str]
    sitemaps: list[str]
    article_patterns: list[PatternSuggestion]
    deny_patterns: list[str]
    links_seen: int  # distinct same-site link paths on the homepage
    notes: list[str] = field(default_factory=list)


def learn_outlet(homepage_url: str, *, fetch: Fetch | None = None) -> OutletSuggestion:
    """Fetch a homepage and its robots.txt and suggest an outlet configuration."""
    fetch = fetch or default_fetch
    homepage_url = _with_root_path(homepage_url)
    notes: list[str] = []
    try:
        status, headers, body = fetch(homepage_url)
    except OSError as exc:
        raise LearnError(f"could not fetch {homepage_url}: {exc}") from exc
    if not 200 <= status < 300:
        raise LearnError(f"{homepage_url} answered HTTP {status}")
    html = _decode_html(body, headers)
    root = _parse_html(html)
    if root is None:
        raise LearnError(f"{homepage_url} is empty or not HTML")

    site = site_key(urlsplit(homepage_url).hostname or "")
    origin = _origin(homepage_url)
    feeds = find_feed_links(html, homepage_url)
    if not feeds:
        notes.append("no <link rel=alternate> feeds on the homepage")

    robots_txt = _fetch_text(fetch, origin + "/robots.txt")
    sitemaps = sitemaps_from_robots(robots_txt, origin + "/") if robots_txt else []
    if robots_txt and not Protego.parse(robots_txt).can_fetch(homepage_url, ROBOTS_AGENT):
        notes.append("robots.txt disallows the homepage for crawlers like ours")
    if not sitemaps:
        candidates = [origin + path for path in FALLBACK_SITEMAP_PATHS]
        sitemaps = [url for url in candidates if _is_sitemap(fetch, url)]
    if not sitemaps:
        notes.append("no sitemaps declared in robots.txt or found at the usual places")

    links = _same_site_links(root, homepage_url, site)
    patterns = learn_article_patterns(links)
    if not patterns:
        notes.append("no repeated article URL shape found; write article_patterns by hand")
    regexes = [re.compile(p.regex) for p in patterns]
    sections = _sections(links, regexes)
    return OutletSuggestion(
        name=outlet_name(site),
        homepage_url=homepage_url,
        domains=[site],
        start_urls=list(dict.fromkeys([homepage_url, *sections])),
        feeds=feeds,
        sitemaps=sitemaps,
        article_patterns=patterns,
        deny_patterns=_deny_patterns(links),
        links_seen=len({link.path for link in links}),
        notes=notes,
    )


def outlet_toml(s: OutletSuggestion) -> str:
    """A ready-to-paste ``[[outlet]]`` block; regexes as TOML literal strings."""
    lines = [f"# suggested by newsarchive discover from {_comment(s.homepage_url)}"]
    lines += [f"# note: {_comment(note)}" for note in s.notes]
    lines += [
        "[[outlet]]",
        f"name = {_toml_string(s.name)}",
        f"domains = {_toml_array(s.domains)}",
        f"start_urls = {_toml_array(s.start_urls)}",
        f"feeds = {_toml_array(s.feeds)}",
        f"sitemaps = {_toml_array(s.sitemaps)}",
    ]
    for pattern in s.article_patterns:
        example = f", e.g. {pattern.examples[0]}" if pattern.examples else ""
        lines.append(
            f"# {pattern.regex} matched {pattern.matches} of {s.links_seen}"
            f" homepage links{_comment(example)}"
        )
    regexes = [p.regex for p in s.article_patterns]
    lines.append(f"article_patterns = {_toml_array(regexes, regex=True)}")
    lines.append(f"deny_patterns = {_toml_array(s.deny_patterns, regex=True)}")
    return "\n".join(lines) + "\n"


def _refuse_non_public(url: str) -> None:
    """The crawler's address policy (newsarchive.netguard) for discover's own requests.

    robots.txt names the sitemaps fetched next, and every hop may redirect: each host is
    resolved and refused if any of its addresses is not public (NEWSARCHIVE_ALLOW_ADDRESSES
    opens exact ones). urllib resolves again when it connects; the crawl itself has no such gap.
    """
    from newsarchive.netguard import ALLOW_SETTING, parse_allow_list, refusal

    allowed = parse_allow_list(os.environ.get(ALLOW_SETTING, ""))
    parts = urllib.parse.urlsplit(safe_url_string(url))
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise urllib.error.URLError(f"refused {url}: not an http(s) URL")
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 80, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise urllib.error.URLError(f"cannot resolve {parts.hostname}: {exc}") from None
    for info in infos:
        reason = refusal(str(info[4][0]), allowed)
        if reason:
            raise urllib.error.URLError(f"refused {parts.hostname}: {reason} (allow it with {ALLOW_SETTING})")


class _CheckedRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001, ANN201
        _refuse_non_public(newurl)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_opener = urllib.request.build_opener(_CheckedRedirects)


def default_fetch(url: str) -> tuple[int, dict, bytes]:
    """GET with the discover User-Agent, a timeout and a 10 MB body cap; never raises on 4xx/5xx."""
    _refuse_non_public(url)
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": "*/*"})
    try:
        with _opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            headers = {k.lower(): v for k, v in response.headers.items()}
            return response.status, headers, _read_capped(response, headers)
    except urllib.error.HTTPError as error:
        headers = {k.lower(): v for k, v in (error.headers or {}).items()}
        return error.code, headers, _read_capped(error, headers)


# --- article URL patterns ---------------------------------------------------------------


@dataclass(frozen=True)
class _Link:
    url: str
    path: str
    in_nav: bool


def learn_article_patterns(links: Iterable[_Link]) -> list[PatternSuggestion]:
    """Group non-navigation links by path shape; frequent article-like shapes become regexes."""
    links = list(links)
    story_paths = _unique(link.path for link in links if not link.in_nav and link.path != "/")
    nav_paths = {link.path for link in links if link.in_nav}
    all_paths = _unique(link.path for link in links)
    groups: dict[tuple, list[str]] = {}
    for path in story_paths:
        shape = _shape(path)
        if shape and shape[-1][0] in _ARTICLE_ENDINGS:
            groups.setdefault(tuple((kind, ext) for kind, ext, _ in shape), []).append(path)

    suggestions: list[PatternSuggestion] = []
    covered: set[str] = set()
    for _, members in sorted(groups.items(), key=lambda item: -len(item[1])):
        if len(members) < MIN_LINKS_PER_PATTERN:
            continue
        regex = _group_regex(members, strict=False)
        if any(re.search(regex, p) for p in nav_paths):
            regex = _group_regex(members, strict=True)
            if any(re.search(regex, p) for p in nav_paths):
                continue  # cannot tell these from navigation; leave to a human
        compiled = re.compile(regex)
        matched = [p for p in all_paths if compiled.search(p)]
        if not set(matched) - covered:
            continue  # a broader pattern already covers every link this one matches
        covered.update(matched)
        suggestions.append(PatternSuggestion(regex, len(matched), tuple(matched[:3])))
        if len(suggestions) == MAX_PATTERNS:
            break
    return sorted(suggestions, key=lambda s: -s.matches)


def _shape(path: str) -> list[tuple[str, str, str]]:
    """Classify each path segment as (kind, extension, text)."""
    segments = [s for s in path.split("/") if s]
    shape = []
    for segment in segments:
        match = _EXTENSION.match(segment)
        name, ext = (match["name"], match["ext"]) if match else (segment, "")
        shape.append((_segment_kind(name), ext, name))
    return shape


def _segment_kind(name: str) -> str:
    separators = name.count("-") + name.count("_")
    if _YEAR.fullmatch(name):
        return "year"
    if _SMALL_NUMBER.fullmatch(name):
        return "small-number"
    if name.isdigit():
        return "number"
    if _SLUG_THEN_ID.fullmatch(name):
        return "slug-id"
    if _ID_THEN_SLUG.fullmatch(name):
        return "id-slug"
    if separators >= 2 or len(name) >= 30:
        return "slug"
    if len(name) >= 8 and re.search(r"\d", name) and re.search(r"[a-z]", name, re.I):
        return "token"
    return "word"


def _group_regex(paths: list[str], *, strict: bool) -> str:
    shapes = [_shape(p) for p in paths]
    parts = []
    for position, (kind, ext, _) in enumerate(shapes[0]):
        names = _unique(shape[position][2] for shape in shapes)
        parts.append(_segment_regex(kind, names, strict=strict) + _escape(ext))
    ending = "$" if shapes[0][-1][1] else "/?$"
    return "^/" + "/".join(parts) + ending


def _segment_regex(kind: str, names: list[str], *, strict: bool) -> str:
    if kind == "year":
        return r"\d{4}"
    if kind == "small-number":
        return r"\d{2}" if all(len(n) == 2 for n in names) else r"\d{1,2}"
    if kind == "number":
        return r"\d+"
    if kind in ("slug-id", "id-slug"):
        matcher = _SLUG_THEN_ID if kind == "slug-id" else _ID_THEN_SLUG
        seps = {m["sep"] for m in map(matcher.fullmatch, names) if m}
        sep = _escape(seps.pop()) if len(seps) == 1 else "[-_]"
        return rf"[^/]+{sep}\d+" if kind == "slug-id" else rf"\d+{sep}[^/]+"
    if kind == "slug" and strict:
        return r"[^/]+-[^/]+-[^/]+"
    if kind == "word":
        if len(names) == 1:
            return _escape(names[0])
        if len(names) <= MAX_WORD_ALTERNATIVES:
            return "(?:" + "|".join(_escape(n) for n in sorted(names)) + ")"
    return "[^/]+"


# --- sections and deny patterns -----------------------------------------------------------


def _sections(links: list[_Link], article_regexes: list[re.Pattern]) -> list[str]:
    """Listing pages worth starting from: short word-only paths, navigation links first."""
    candidates = []
    for link in links:
        shape = _shape(link.path)
        if not 1 <= len(shape) <= 2 or any(kind != "word" for kind, _, _ in shape):
            continue
        if shape[0][2].lower() in _UTILITY_SEGMENTS:
            continue
        if any(r.search(link.path) for r in article_regexes):
            continue
        candidates.append(link)
    nav = [link for link in candidates if link.in_nav]
    chosen = nav or [link for link in candidates if len(_shape(link.path)) == 1]
    sections: list[str] = []
    seen_paths: set[str] = set()
    for link in chosen:
        key = link.path.rstrip("/")
        if key not in seen_paths:
            seen_paths.add(key)
            sections.append(link.url)
    return sections[:MAX_SECTIONS]


def _deny_patterns(links: list[_Link]) -> list[str]:
    seen = sorted(
        {
            first
            for link in links
            if (first := _first_segment(link.path)) and first.lower() in _DENY_SEGMENTS
        }
    )
    if not seen:
        return []
    return ["^/(?:" + "|".join(_escape(s) for s in seen) + r")(?:[/.]|$)"]


def _first_segment(path: str) -> str:
    first = next((s for s in path.split("/") if s), "")
    match = _EXTENSION.match(first)
    return match["name"] if match else first


# --- homepage links ----------------------------------------------------------------------


def _same_site_links(root: Any, page_url: str, site: str) -> list[_Link]:
    base = page_url
    for element in root.iter("base"):
        if (element.get("href") or "").strip():
            base = urljoin(page_url, element.get("href").strip())
            break
    links = []
    for anchor in root.iter("a"):
        href = (anchor.get("href") or "").strip()
        if not href:
            continue
        url = urldefrag(urljoin(base, href))[0]
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or site_key(parts.hostname or "") != site:
            continue
        page = urlunsplit((parts.scheme, parts.netloc, parts.path or "/", "", ""))
        links.append(_Link(url=page, path=parts.path or "/", in_nav=_in_navigation(anchor)))
    return links


def _in_navigation(element: Any) -> bool:
    for ancestor in element.iterancestors():
        if not isinstance(ancestor.tag, str):
            continue
        if ancestor.tag in ("nav", "header") or ancestor.get("role") == "navigation":
            return True
        labels = f"{ancestor.get('class', '')} {ancestor.get('id', '')}".lower()
        words = re.split(r"[^a-z0-9]+", labels)
        if _NAV_TOKENS.intersection(words):
            return True
    return False


# --- names, hosts, fetching ------------------------------------------------------------


def site_key(host: str) -> str:
    """The registrable domain ("bbc.co.uk" for "www.bbc.co.uk"); IPs and bare hosts as they are."""
    host = host.lower().rstrip(".")
    extracted = _tld_extract(host)
    if extracted.suffix and extracted.domain:
        return f"{extracted.domain}.{extracted.suffix}"
    return host.removeprefix("www.")


def outlet_name(site: str) -> str:
    """A short config name from the registrable domain: "example" for "example.co.uk"."""
    extracted = _tld_extract(site)
    base = extracted.domain if extracted.suffix and extracted.domain else site
    return re.sub(r"[^a-z0-9]+", "-", base.lower()).strip("-") or "outlet"


def _with_root_path(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise LearnError(f"not an http(s) URL: {url!r}")
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", parts.query, ""))


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _fetch_text(fetch: Fetch, url: str) -> str:
    """Body text of a 200 answer, or "" for anything else (a missing robots.txt is normal)."""
    try:
        status, _, body = fetch(url)
    except OSError:
        return ""
    return body.decode("utf-8", errors="replace") if status == 200 else ""


def _is_sitemap(fetch: Fetch, url: str) -> bool:
    try:
        status, _, body = fetch(url)
    except OSError:
        return False
    if status != 200:
        return False
    try:
        parse_sitemap(body, url)  # a soft-404 HTML page answering 200 is not a sitemap
    except SitemapError:
        return False
    return True


def _read_capped(response: Any, headers: dict) -> bytes:
    body = response.read(MAX_BODY_BYTES)
    if headers.get("content-encoding", "").lower() in ("gzip", "x-gzip", "deflate"):
        inflater = zlib.decompressobj(zlib.MAX_WBITS | 32)  # gzip or zlib header
        try:
            body = inflater.decompress(body, MAX_BODY_BYTES)
        except zlib.error:
            pass
    return body


def _decode_html(body: bytes, headers: dict) -> str | bytes:
    """Text when the server names a charset; otherwise bytes, so lxml reads <meta charset>."""
    match = re.search(r"charset=[\"']?([\w.:-]+)", headers.get("content-type", ""), re.I)
    if match:
        try:
            return body.decode(match[1], errors="replace")
        except LookupError:
            pass
    return body


def _parse_html(html: str | bytes) -> Any:
    data = html.encode("utf-8") if isinstance(html, str) else html
    if not data.strip():
        return None
    parser = lxml.html.HTMLParser(encoding="utf-8") if isinstance(html, str) else None
    try:
        return lxml.html.fromstring(data, parser=parser)
    except (etree.ParserError, ValueError):
        return None


def _escape(text: str) -> str:
    """Escape regex metacharacters only; re.escape also escapes "-", which hurts readability."""
    return re.sub(r"([.^$*+?{}\[\]\\|()])", r"\\\1", text)


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


# --- TOML ------------------------------------------------------------------------------


def _toml_array(values: list[str], *, regex: bool = False) -> str:
    render = _toml_regex if regex else _toml_string
    return "[" + ", ".join(render(v) for v in values) + "]"


def _toml_regex(value: str) -> str:
    """Literal strings keep backslashes readable; fall back to basic strings when impossible."""
    if "'" not in value and not re.search(r"[\x00-\x08\x0a-\x1f\x7f]", value):
        return f"'{value}'"
    return _toml_string(value)


def _toml_string(value: str) -> str:
    escapes = {
        '"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r",
    }
    out = []
    for char in value:
        if char in escapes:
            out.append(escapes[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _comment(text: str) -> str:
    return re.sub(r"[\x00-\x1f\x7f]+", " ", text)
