"""Two kinds of article URL: the matching key and the URL of record.

:func:`canonical_url` is the *matching key*, the one rule for "same article": two URLs a
reader would call the same story map to one key (fragments, tracking parameters, default
ports, AMP variants, trailing slashes and, per outlet, ``www.`` folded away). It is indexed
and compared, never fetched: ``/news/1-slug/`` folded to ``/news/1-slug`` may not exist.

:func:`url_of_record` is the address the archive stores, reports and re-fetches: the URL the
site declares (its ``rel=canonical`` when that stays on the outlet, else the final URL),
cleaned only in ways that keep it a working URL.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl, unquote_plus, urldefrag, urlencode, urljoin, urlsplit, urlunsplit

from w3lib.url import canonicalize_url, safe_url_string

TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "dclid", "msclkid", "yclid", "mc_cid", "mc_eid", "_ga", "_gl",
        "igshid", "ocid", "cmpid", "cmp", "ref", "ref_src", "ref_url", "smid", "smtyp",
        "src", "source", "via", "ito", "ns_mchannel", "ns_source", "ns_campaign",
        "ns_linkname", "ns_fee", "at_medium", "at_campaign", "at_custom1", "at_custom2",
        "share", "s_cid", "wt.mc_id", "guccounter", "sr_share", "amp", "outputtype",
    }
)
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "at_", "hsa_", "vero_", "oly_")
_AMP_SEGMENT = re.compile(r"/amp(?=/|$)|\.amp(?=$|\.html?$)", re.IGNORECASE)
DEFAULT_PORTS = {"http": 80, "https": 443}


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def _without_tracking(query: str) -> str:
    """``query`` minus tracking parameters, the rest byte for byte as the site wrote it."""
    kept = [part for part in query.split("&")
            if part and not _is_tracking(unquote_plus(part.partition("=")[0]))]
    return "&".join(kept)


def url_of_record(url: str) -> str:
    """``url`` as a working address: no fragment or tracking parameters, scheme and host in
    lower case, no default port; path and other parameters exactly as the site spells them
    (trailing slash, ``www.``, AMP segment kept)."""
    parts = urlsplit(safe_url_string(urldefrag(url.strip())[0]))
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    netloc = host if not parts.port or parts.port == DEFAULT_PORTS.get(scheme) else f"{host}:{parts.port}"
    return urlunsplit((scheme, netloc, parts.path or "/", _without_tracking(parts.query), ""))


def canonical_url(url: str, *, prefer_host: str | None = None) -> str:
    """Return the identity URL of ``url``.

    ``www.`` is dropped, unless ``prefer_host`` (the outlet's first domain) is the
    same host spelled with it: both spellings of a host then name one article.
    """
    parts = urlsplit(canonicalize_url(url.strip(), keep_fragments=False))
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".").removeprefix("www.")
    if prefer_host and prefer_host.lower().removeprefix("www.") == host:
        host = prefer_host.lower()
    netloc = host
    if parts.port and parts.port != DEFAULT_PORTS.get(scheme):
        netloc = f"{host}:{parts.port}"
    path = _AMP_SEGMENT.sub("", parts.path) or "/"
    if len(path) > 1:
        path = path.rstrip("/") or "/"
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                       if not _is_tracking(k)])
    return urlunsplit((scheme, netloc, path, query, ""))


def host_of(url: str) -> str:
    """The lower-case host of ``url`` without a ``www.`` prefix.

    Parsed the way Scrapy parses the URL it requests (w3lib's ``safe_url_string``, WHATWG
    rules): ``http://10.0.0.1\\@outlet.example/`` is a request to 10.0.0.1, so its host is
    10.0.0.1 here too, not the ``outlet.example`` that :func:`urllib.parse.urlsplit` reads.
    """
    try:
        url = safe_url_string(url)
    except ValueError:
        return ""
    host = (urlsplit(url).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host


def on_domains(url: str, domains: list[str] | tuple[str, ...]) -> bool:
    """True when ``url``'s host is one of ``domains`` or a subdomain of one."""
    host = host_of(url)
    for domain in domains:
        domain = domain.lower().removeprefix("www.")
        if host == domain or (host.endswith("." + domain) and not _is_numeric(domain)):
            return True
    return False


def _is_numeric(domain: str) -> bool:
    """An IP address (or part of one) owns no subdomains: "0.1" must not match 10.0.0.1.

    No top-level domain is all digits, so a numeric last label means an address."""
    return ":" in domain or domain.rsplit(".", 1)[-1].isdigit()


def path_and_query(url: str) -> str:
    """The part of a URL that outlet patterns are matched against."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def pattern_path(url: str) -> str:
    """Path + query as outlet patterns see it: tracking parameters dropped, path untouched.

    ``/story?utm_source=home`` must match an article pattern ending in ``$`` like
    ``/story`` does; unlike :func:`canonical_url`, trailing slashes and AMP segments
    stay, because patterns are written against the site's real paths.
    """
    parts = urlsplit(url)
    query = _without_tracking(parts.query)
    return parts.path + (f"?{query}" if query else "")


def absolute_http_url(value: Any, base: str) -> str | None:
    """``value`` resolved against ``base`` without its fragment, if it is an http(s) URL."""
    if not isinstance(value, str) or not value.strip():
        return None
    absolute = urldefrag(urljoin(base, value.strip()))[0]
    parts = urlsplit(absolute)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return absolute


_USERINFO_PASSWORD = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^/@:\s'\"]*:)[^/?#\s'\"]*@")


def mask_url(text: str) -> str:
    """``text`` with the password of every URL in it replaced by ``***``.

    For anything shown to a person or written to a log, report or error message:
    ``postgresql://user:S3cret@db/x`` becomes ``postgresql://user:***@db/x``.
    """
    return _USERINFO_PASSWORD.sub(r"\g<head>***@", str(text))
