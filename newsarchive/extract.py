"""Article cleaner: turn one fetched news page into reader-visible fields.

The archive compares versions of the same article, so the main text must contain
what a reader reads as the story (including editorial lines such as "UPDATE:",
"Correction:" or "LATEST:") and nothing that rotates between fetches (related
headlines, counters, share widgets, ads), or every crawl would look like an edit.

Main text comes from trafilatura; metadata from JSON-LD (via extruct), meta tags
and htmldate. A small, targeted pre-cleaning pass removes the noise trafilatura
is known to leak on news templates (link lists inside the body, icon-font labels,
inline promos); a final line filter drops whole-line boilerplate (counters,
"Advertisement", comment prompts).
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterable, Iterator
from configparser import ConfigParser
from datetime import datetime
from typing import Any, NamedTuple
from urllib.parse import urljoin

import charset_normalizer
import htmldate
import lxml.etree
import lxml.html
import trafilatura
from extruct.jsonld import JsonLdExtractor
from trafilatura.settings import use_config
from w3lib.encoding import (
    html_body_declared_encoding,
    http_content_type_encoding,
    read_bom,
    resolve_encoding,
)

from newsarchive.dates import to_iso

__all__ = ["EXTRACTION_RULES_VERSION", "DecodedHtml", "ExtractionError", "decode_html", "extract_article"]

#: Bump whenever a change here changes what any page extracts to: versions record it (with
#: the libraries' versions, see newsarchive.provenance), and a version made under other
#: rules is re-extracted from its WARC record before comparing, so no page gets a version
#: from a rule change alone.
EXTRACTION_RULES_VERSION = 1


class ExtractionError(ValueError):
    """Page has no extractable article text (or cannot be parsed)."""


class DecodedHtml(NamedTuple):
    text: str
    encoding: str
    problem: str | None


# --------------------------------------------------------------------------- decoding

_SINGLE_BYTE_WEB_DEFAULT = "cp1252"


def _codec_name(label: str | None) -> str | None:
    """Normalise a charset label the way browsers do (latin-1 means cp1252, etc.)."""
    if not label:
        return None
    label = label.strip().strip("\"'")
    if "charset=" in label.lower():
        label = http_content_type_encoding(label) or ""
    resolved = resolve_encoding(label)
    if not resolved:
        return None
    try:
        return codecs.lookup(resolved).name
    except LookupError:
        return None


def _decodes(body: bytes, encoding: str) -> str | None:
    try:
        return body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _has_multibyte_utf8(body: bytes) -> bool:
    """Valid UTF-8 with non-ASCII sequences is almost never accidental single-byte text."""
    return any(b >= 0x80 for b in body) and _decodes(body, "utf-8") is not None


def _guess(body: bytes) -> str:
    """Best encoding for undeclared or mis-declared bytes: utf-8, detector, then cp1252."""
    if _decodes(body, "utf-8") is not None:
        return "utf-8"
    best = charset_normalizer.from_bytes(body).best()
    guessed = _codec_name(best.encoding) if best is not None else None
    # Detectors like to call Western text latin-1/cp125x; the web default is cp1252.
    if guessed and guessed.startswith(("cp125", "iso8859", "latin")):
        if _decodes(body, _SINGLE_BYTE_WEB_DEFAULT) is not None:
            return _SINGLE_BYTE_WEB_DEFAULT
    return guessed or _SINGLE_BYTE_WEB_DEFAULT


def _implausible_wide(body: bytes, label: str) -> bool:
    """True when ``label`` is UTF-16/32 but the bytes have no NUL: HTML markup is ASCII, so
    real UTF-16 or UTF-32 text is full of zero bytes."""
    return codecs.lookup(label).name.startswith(("utf-16", "utf-32")) and b"\x00" not in body[:4096]


def decode_html(body: bytes, declared_encoding: str | None = None) -> DecodedHtml:
    """Decode an HTML body: BOM, then declared (HTTP) charset, then <meta>, then detection.

    A declaration is trusted only if the bytes are valid in it; a lying declaration
    (or valid UTF-8 declared as a single-byte charset) is replaced by a better
    guess and described in ``problem`` so the caller can record it.
    """
    bom_encoding, bom = read_bom(body)
    if bom_encoding:
        codec = _codec_name(bom_encoding) or bom_encoding
        return DecodedHtml(body[len(bom):].decode(codec, errors="replace"), codec, None)

    declared = _codec_name(declared_encoding)
    meta = _codec_name(html_body_declared_encoding(body))
    for label in (declared, meta):
        if not label:
            continue
        text = _decodes(body, label)
        if text is not None and _implausible_wide(body, label):
            text = None  # UTF-8/ASCII bytes "decode" as UTF-16 into CJK noise: not a decoding
        if text is not None:
            single_byte = codecs.lookup(label).name not in ("utf-8", "utf-16", "utf-32")
            if single_byte and _has_multibyte_utf8(body):
                return DecodedHtml(
                    body.decode("utf-8"),
                    "utf-8",
                    f"declared {label} but bytes are valid utf-8; decoded as utf-8",
                )
            problem = None
            if label != (declared or meta):
                problem = f"declared {declared or meta} but bytes are not valid in it; decoded as {label}"
            return DecodedHtml(text, label, problem)

    guessed = _guess(body)
    text = body.decode(guessed, errors="replace")
    first_declared = declared or meta
    if first_declared:
        problem = (
            f"declared {first_declared} but bytes are not valid {first_declared}; "
            f"decoded as {guessed}"
        )
    elif guessed != "utf-8":
        problem = f"no charset declared; guessed {guessed}"
    else:
        problem = None
    return DecodedHtml(text, guessed, problem)


# --------------------------------------------------------------------------- parsing

# Comments and processing instructions dropped at parse time: trafilatura expects a
# tree without them (left in, they split paragraphs and whole stories go missing).
_PARSER = lxml.html.HTMLParser(collect_ids=False, remove_comments=True, remove_pis=True)


def _parse(html: str) -> lxml.html.HtmlElement:
    # lxml refuses str input that carries an XML encoding declaration.
    html = re.sub(r"^\s*<\?xml[^>]*\?>", "", html)
    if not html.strip():
        raise ExtractionError("empty document")
    try:
        tree = lxml.html.document_fromstring(html, parser=_PARSER)
    except (lxml.etree.ParserError, ValueError) as exc:
        raise ExtractionError(f"cannot parse HTML: {exc}") from exc
    if tree is None or len(tree) == 0:
        raise ExtractionError("cannot parse HTML: no elements")
    return tree


def _collapse(text: str | None) -> str:
    return " ".join((text or "").split())


# --------------------------------------------------------------------------- metadata

_ARTICLE_TYPES = {
    "newsarticle", "article", "reportagenewsarticle", "analysisnewsarticle",
    "opinionnewsarticle", "reviewnewsarticle", "backgroundnewsarticle",
    "askpublicnewsarticle", "blogposting", "liveblogposting", "socialmediaposting",
    "report", "scholarlyarticle", "techarticle", "webpage",
}


def _types(node: dict[str, Any]) -> set[str]:
    raw = node.get("@type") or []
    raw = [raw] if isinstance(raw, str) else raw
    return {str(t).rsplit("/", 1)[-1].lower() for t in raw}


def _jsonld_nodes(items: Iterable[Any]) -> Iterator[dict[str, Any]]:
    for item in items:
        if isinstance(item, list):
            yield from _jsonld_nodes(item)
        elif isinstance(item, dict):
            yield item
            if "@graph" in item:
                yield from _jsonld_nodes(item["@graph"] if isinstance(item["@graph"], list)
                                         else [item["@graph"]])


def _jsonld_article(tree: lxml.html.HtmlElement) -> dict[str, Any]:
    """The most article-like JSON-LD node (NewsArticle beats Article beats WebPage).

    References such as ``"publisher": {"@id": ...}`` (common in @graph) are resolved.
    """
    try:
        items = JsonLdExtractor().extract_items(tree)
    except (ValueError, TypeError, json.JSONDecodeError):
        items = []
    nodes = list(_jsonld_nodes(items))
    by_id = {n["@id"]: n for n in nodes if isinstance(n.get("@id"), str) and len(n) > 1}
    best: tuple[int, dict[str, Any]] | None = None
    for node in nodes:
        types = _types(node) & _ARTICLE_TYPES
        if not types:
            continue
        rank = 0 if types & {"webpage"} == types else 2 if "article" not in types else 1
        if "newsarticle" in types or any(t.endswith("newsarticle") for t in types):
            rank = 3
        if best is None or rank > best[0]:
            best = (rank, node)
    if best is None:
        return {}
    article = dict(best[1])
    for key in ("author", "creator", "publisher"):
        value = article.get(key)
        if isinstance(value, dict) and set(value) == {"@id"}:
            article[key] = by_id.get(value["@id"], value)
        elif isinstance(value, list):
            article[key] = [
                by_id.get(v["@id"], v) if isinstance(v, dict) and set(v) == {"@id"} else v
                for v in value
            ]
    return article


def _meta(tree: lxml.html.HtmlElement, *keys: str) -> str | None:
    """First non-empty <meta> content whose property/name/itemprop matches a key."""
    metas = tree.xpath("//meta[@content]")
    for key in keys:
        for meta in metas:
            for attr in ("property", "name", "itemprop"):
                if (meta.get(attr) or "").strip().lower() == key:
                    value = _collapse(meta.get("content"))
                    if value:
                        return value
    return None


def _text_value(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("name") or value.get("@value")
    return _collapse(str(value)) if value else None


_BY_PREFIX = re.compile(r"^\s*(?:by|von|par|por|di)\s+", re.IGNORECASE)


def _clean_author(name: str) -> str | None:
    name = _BY_PREFIX.sub("", _collapse(name))
    if not name or name.startswith(("http://", "https://", "/")):
        return None
    return name


# Name suffixes that follow a comma but belong to the name before it ("Smith, Jr.").
_NAME_SUFFIX = re.compile(
    r"^(?:jr|sr|ii|iii|iv|v|phd|ph\.d|md|m\.d|esq|obe|mbe|cbe|kc|qc)\.?$", re.IGNORECASE
)


def _split_authors(names: Iterable[str]) -> list[str]:
    """One entry per person from "A, B and C" lists; a suffix stays with its name."""
    result: list[str] = []
    for raw in names:
        parts: list[str] = []
        for part in re.split(r"\s*(?:;|\band\b|\bund\b|&|,)\s*", raw):
            if parts and _NAME_SUFFIX.match(part.strip()):
                parts[-1] = f"{parts[-1]}, {part.strip()}"
            else:
                parts.append(part)
        for part in parts:
            cleaned = _clean_author(part)
            if cleaned and cleaned not in result:
                result.append(cleaned)
    return result


def _authors(tree: lxml.html.HtmlElement, ld: dict[str, Any]) -> list[str]:
    """The byline readers see, reconciled with the structured one (JSON-LD, meta tags).

    The page wins when it names the structured authors and more (JSON-LD often lists only
    the first of two); structured data wins when the page's byline shares no name with it
    (the element found is then more likely a related story's author than this one's).
    """
    structured, visible = _structured_authors(tree, ld), _visible_authors(tree)
    if not visible or (structured and not set(structured) & set(visible)):
        return structured
    return visible


_VISIBLE_BYLINE = (
    "//*[not(self::meta or self::link or self::script)][@rel='author' or @itemprop='author'"
    " or contains(@class, 'author') or contains(@class, 'byline')]"
    "[not(ancestor::aside or ancestor::footer or ancestor::nav)]"
)


def _visible_authors(tree: lxml.html.HtmlElement) -> list[str]:
    """Names in the first byline element of the page ("By A and B", rel/itemprop=author)."""
    for element in tree.xpath(_VISIBLE_BYLINE)[:5]:
        text = _collapse(element.text_content())
        if not text or len(text) > 120 or any(ch.isdigit() for ch in text):
            continue  # a bio, a date line, a comment count: not a byline
        authors = _split_authors([text])
        if authors:
            return authors
    return []


def _structured_authors(tree: lxml.html.HtmlElement, ld: dict[str, Any]) -> list[str]:
    raw = ld.get("author") or ld.get("creator")
    if raw:
        raw = raw if isinstance(raw, list) else [raw]
        names = []
        for entry in raw:
            name = _text_value(entry)
            if name:
                names.append(name)
        authors = _split_authors(names)
        if authors:
            return authors
    metas = [
        _collapse(m.get("content"))
        for m in tree.xpath(
            "//meta[@content][@name='author' or @property='article:author'"
            " or @name='parsely-author' or @name='sailthru.author' or @name='dc.creator'"
            " or @name='byl' or @itemprop='author']"
        )
    ]
    authors = _split_authors(m for m in metas if m)
    if authors:
        return authors
    bylines = tree.xpath(
        "//*[@rel='author' or contains(concat(' ', normalize-space(@class), ' '), ' author-name ')"
        " or contains(concat(' ', normalize-space(@class), ' '), ' byline__name ')]"
    )
    return _split_authors(_collapse(el.text_content()) for el in bylines[:3])


_PUBLISHED_META = (
    "article:published_time", "og:published_time", "datepublished", "pubdate",
    "publishdate", "publish-date", "parsely-pub-date", "sailthru.date", "dc.date.issued",
    "dc.date", "dcterms.created", "date", "article.published",
)
_MODIFIED_META = (
    "article:modified_time", "og:updated_time", "datemodified", "last-modified",
    "dcterms.modified", "article.updated", "lastmod",
)


def _to_utc_iso(raw: str | None) -> str | None:
    """A date string as ISO 8601 UTC; relative or incomplete dates give None (kept raw)."""
    return to_iso(raw)


def _time_element(tree: lxml.html.HtmlElement, itemprop: str) -> str | None:
    for el in tree.xpath(f"//*[@itemprop='{itemprop}']"):
        value = el.get("datetime") or el.get("content")
        if value:
            return _collapse(value)
    return None


def _dates(tree: lxml.html.HtmlElement, ld: dict[str, Any], url: str,
           captured_at: datetime | None = None) -> dict[str, str | None]:
    published_raw = (
        _text_value(ld.get("datePublished"))
        or _meta(tree, *_PUBLISHED_META)
        or _time_element(tree, "datePublished")
    )
    modified_raw = (
        _text_value(ld.get("dateModified"))
        or _meta(tree, *_MODIFIED_META)
        or _time_element(tree, "dateModified")
    )
    published = _to_utc_iso(published_raw)
    if published is None:
        # No machine-readable date: let htmldate read the visible page (date only).
        try:
            # max_date: htmldate would otherwise judge dates against today's clock
            found = htmldate.find_date(tree, extensive_search=True, original_date=True, url=url,
                                       max_date=captured_at)
        except Exception:  # htmldate is best effort; a missing date is not an error
            found = None
        if found:
            published_raw, published = found, _to_utc_iso(found)
    return {
        "published_raw": published_raw,
        "published": published,
        "modified_raw": modified_raw,
        "modified": _to_utc_iso(modified_raw),
    }


def _language(tree: lxml.html.HtmlElement, ld: dict[str, Any]) -> str | None:
    raw = (
        tree.get("lang")
        or tree.get("xml:lang")
        or _text_value(ld.get("inLanguage"))
        or _meta(tree, "og:locale", "content-language", "language", "dc.language")
    )
    if not raw:
        return None
    primary = re.split(r"[-_]", raw.strip())[0].lower()
    return primary if re.fullmatch(r"[a-z]{2,3}", primary) else None


def _link(tree: lxml.html.HtmlElement, rel: str, base: str) -> str | None:
    for el in tree.xpath("//link[@href]"):
        if rel in (el.get("rel") or "").lower().split():
            return urljoin(base, el.get("href").strip())
    return None


def _base_url(tree: lxml.html.HtmlElement, url: str) -> str:
    base = tree.xpath("//base/@href")
    return urljoin(url, base[0].strip()) if base else url


def _title(tree: lxml.html.HtmlElement, ld: dict[str, Any]) -> str | None:
    for candidate in (
        _text_value(ld.get("headline")),
        _meta(tree, "og:title", "twitter:title"),
    ):
        if candidate:
            return candidate
    h1 = tree.xpath("//h1")
    if h1 and _collapse(h1[0].text_content()):
        return _collapse(h1[0].text_content())
    title = tree.findtext(".//title")
    return _collapse(title) or None


# --------------------------------------------------------------------------- pre-cleaning

# span included: hover cards ("rollover" people boxes with their latest headlines) sit
# inline in a sentence as a span of links
_LINK_LIST_CONTAINERS = ("ul", "ol", "div", "section", "nav", "aside", "p", "dl", "span")
_PROMO_PREFIX = re.compile(
    r"^\s*(?:also on\s+\S+|also read|read more|read also|more on this( story)?|related"
    r"( stories| articles| coverage| content)?|see also|recommended|you (?:may|might) also like"
    r"|don'?t miss|trending|most read|popular|more from \S+|watch|listen)\s*[:\-–—|»>]?\s*",
    re.IGNORECASE,
)


def _link_text_length(el: lxml.html.HtmlElement) -> int:
    return sum(len(_collapse(a.text_content())) for a in el.iter("a"))


def _visible_length(text: str | None) -> int:
    """Characters a reader sees in one text node, whitespace runs counted as one."""
    return len(" ".join(text.split())) if text else 0


def _link_lists(root: lxml.html.HtmlElement) -> list[lxml.html.HtmlElement]:
    """Containers where three or more links make up almost all of the text: lists of
    other stories. Innermost first; a list found inside a container no longer counts
    towards that container's text, as if it had been removed already.

    One bottom-up walk (a tree of n nodes costs O(n), not O(n * depth)).
    """
    found: list[lxml.html.HtmlElement] = []
    # per element: (text length, link text length, links with text)
    stats: dict[lxml.html.HtmlElement, tuple[int, int, int]] = {}
    for _, el in lxml.etree.iterwalk(root, events=("end",)):
        if not isinstance(el.tag, str):
            continue
        text, link_text, links = _visible_length(el.text), 0, 0
        for child in el:
            text += _visible_length(child.tail)
            child_stats = stats.pop(child, None)
            if child_stats is not None:
                text, link_text, links = (
                    text + child_stats[0], link_text + child_stats[1], links + child_stats[2]
                )
        if el.tag == "a":
            link_text, links = text, links + (1 if text else 0)
        if (el.tag in _LINK_LIST_CONTAINERS and links >= 3 and text
                and link_text >= 0.8 * text):
            found.append(el)  # not counted in the parent: stats left out
            continue
        stats[el] = (text, link_text, links)
    return found


_CHUNK_CLASS = re.compile(r"body|chunk|content|story|article|entry|text", re.IGNORECASE)
_NOT_CHUNK_CLASS = re.compile(
    r"comment|reply|related|promo|teaser|card|recirc|sidebar|footer|header|nav|share|ad\b",
    re.IGNORECASE,
)


def _merge_body_chunks(tree: lxml.html.HtmlElement) -> None:
    """Join an article body that the template splits into sibling chunks.

    Some templates cut the story into several containers with the same class, with
    ad slots between them; an extractor picks one container and loses the rest of
    the story. The later chunks' contents are moved into the first chunk, in order.
    """
    groups: dict[str, list[lxml.html.HtmlElement]] = {}
    for el in tree.xpath("//body//div[@class] | //body//section[@class]"):
        cls = el.get("class") or ""
        if _CHUNK_CLASS.search(cls) and not _NOT_CHUNK_CLASS.search(cls):
            groups.setdefault(cls, []).append(el)
    for chunks in groups.values():
        chunks = [
            el for el in chunks
            if any(_visible_length(p.text_content()) >= 80 for p in el.iterchildren("p"))
        ]
        if len(chunks) < 2 or any(
            other in set(chunk.iterancestors()) for chunk in chunks for other in chunks
        ):
            continue
        first = chunks[0]
        for other in chunks[1:]:
            for child in list(other):
                first.append(child)
            _drop(other)


def _is_promo(el: lxml.html.HtmlElement) -> bool:
    """A one-line teaser to another story ("Also on example.com <headline>")."""
    text = _collapse(el.text_content())
    match = _PROMO_PREFIX.match(text)
    if not match or not list(el.iter("a")):
        return False
    rest = text[match.end():]
    return bool(rest) and _link_text_length(el) >= 0.6 * len(rest)


_EDITORIAL_LINE = re.compile(
    r"^(?:latest|update[sd]?|breaking|editor[’']?s note|correction|clarification)\b[^:—–]{0,40}[:—–]",
    re.IGNORECASE,
)
_ICON_CLASS = re.compile(r"(?:^|[\s_-])(?:icon|icons|glyph|glyphicon|fa|bi|svg)(?:$|[\s_-])", re.I)


def _is_icon_label(el: lxml.html.HtmlElement) -> bool:
    """Icon-font glyphs and their labels ("icon bookmark"): short inline elements."""
    if el.tag not in ("i", "span", "em", "b", "use", "button", "a"):
        return False
    return bool(_ICON_CLASS.search(el.get("class") or "")) and len(
        _collapse(el.text_content())
    ) <= 40


def _drop(el: lxml.html.HtmlElement) -> None:
    parent = el.getparent()
    if parent is not None:
        el.drop_tree()


_HIDDEN_TAGS = {"svg", "nav", "noscript", "template"}
_HIDDEN_ROLES = {"navigation", "banner", "contentinfo", "complementary", "dialog", "alertdialog"}


def _is_hidden(el: lxml.html.HtmlElement) -> bool:
    """Never prose: icon sprites, navigation, landmarks, and what is hidden from readers."""
    tag = el.tag
    if tag in _HIDDEN_TAGS or (isinstance(tag, str) and tag.endswith("}svg")):
        return True
    return (
        el.get("aria-hidden") == "true"
        or el.get("hidden") is not None
        or el.get("role") in _HIDDEN_ROLES
    )


def _leading_text(el: lxml.html.HtmlElement, size: int = 80) -> str:
    """The first ``size`` or so characters of an element's text, without reading it all."""
    pieces: list[str] = []
    length = 0
    for piece in el.itertext():
        pieces.append(piece)
        length += len(piece)
        if length >= size:
            break
    return _collapse("".join(pieces))


def _has_block_inside(el: lxml.html.HtmlElement, *tags: str) -> bool:
    return next(el.iterdescendants(*tags), None) is not None


def _preclean(tree: lxml.html.HtmlElement) -> None:
    """Remove the noise trafilatura leaks on news templates; edits the tree in place.

    Each rule first looks at an element's tag, attributes or first characters, which
    is cheap, and reads the whole text only of the few candidates that pass.
    """
    elements = [el for el in tree.iter() if isinstance(el.tag, str)]
    for el in elements:
        if _is_hidden(el):
            _drop(el)
    body = tree.find("body")
    body = body if body is not None else tree
    # Editorial lines ("LATEST: <link>", "Correction:") are often a link-dense <div>,
    # which trafilatura discards; make them plain paragraphs so they survive.
    for el in body.iter("p", "div"):
        if not _EDITORIAL_LINE.match(_leading_text(el)):
            continue
        if el.tag == "div" and _has_block_inside(el, "p", "div"):
            continue
        if _EDITORIAL_LINE.match(_collapse(el.text_content())):
            el.tag = "p"
            for link in list(el.iter("a")):
                link.drop_tag()
    for el in list(body.iter("i", "span", "em", "b", "use", "button", "a")):
        if el.get("class") and el.getparent() is not None and _is_icon_label(el):
            _drop(el)
    # A link wrapped in <span class="link"> inside a sentence: precision mode discards
    # class "link" wholesale, and the sentence would lose its words.
    for el in list(body.iter("span")):
        parent = el.getparent()
        if parent is not None and parent.tag == "p" and "link" in (el.get("class") or "").split():
            el.drop_tag()
    # Lists of other stories (rotating "related headlines"), innermost first.
    for el in _link_lists(body):
        _drop(el)
    _merge_body_chunks(tree)
    for el in list(tree.iter("p", "div", "li")):
        if el.getparent() is None or not _PROMO_PREFIX.match(_leading_text(el)):
            continue
        if el.tag == "div" and _has_block_inside(el, "p"):
            continue
        if _is_promo(el):
            _drop(el)


# --------------------------------------------------------------------------- main text

_BOILERPLATE_LINE = re.compile(
    r"^(?:"
    r"advertisement|advertising|ad|sponsored( content)?|story continues below( advertisement)?"
    r"|continue reading( below)?|scroll (?:down )?to (?:continue|leave a comment).*"
    r"|[\d.,]+\s*[km]?\s*(?:shares?|comments?|views?|reactions?)"
    r"|(?:updated|posted|published)?\s*\d+\s*(?:seconds?|minutes?|mins?|hours?|hrs?|days?)\s+ago"
    r"|(?:join|start) the (?:discussion|conversation).*|leave a (?:comment|reply).*"
    r"|(?:view |show |read )?(?:all )?\d*\s*comments?|comments? \(\d+\)"
    r"|.{0,20}what (?:are|do) you think.{0,30}|.{0,20}what are your thoughts.{0,20}"
    r"|tell us what you think.{0,30}"
    r"|share (?:this|the) (?:article|story|page|post).*|share on \w+|tweet (?:about )?this.*"
    r"|(?:like|enjoy(?:ed)?|liked) this (?:story|article|post)\?.{0,60}"
    r"|think your friends would be interested\?.*|(?:facebook|twitter|x|whatsapp|email|linkedin|print|copy link)"
    r"|sign up for (?:our|the) .{0,60}newsletters?.*|subscribe to (?:our|the) .{0,40}newsletters?.*"
    r"|we use cookies.{0,200}|.{0,60}accept (?:all )?cookies.{0,60}"
    r")[\s.!:]*$",
    re.IGNORECASE,
)


_WIDGET_WORDS = re.compile(
    r"^(?:(?:share|tweet|email|e-mail|print|save|facebook|twitter|whatsapp|telegram|linkedin"
    r"|pinterest|reddit|flipboard|copy link|copy|link copied|comments?|follow|x)\b[\s|·•/,]*)+$",
    re.IGNORECASE,
)


def _is_icon_run(line: str) -> bool:
    """Concatenated icon-sprite labels: "icon bookmark-bicon cameraicon ..."."""
    hits = line.lower().count("icon")
    return hits >= 3 and hits * 4 >= len(line.split())


def _is_boilerplate(paragraph: str) -> bool:
    if _is_icon_run(paragraph):
        return True
    if len(paragraph) > 240:
        return False
    return bool(_BOILERPLATE_LINE.match(paragraph) or _WIDGET_WORDS.match(paragraph))


def _block_text(element: lxml.etree._Element) -> str:
    """Text of one block; <lb/> lines that are boilerplate on their own are dropped."""
    pieces: list[str] = [element.text or ""]
    for node in element.iterdescendants():
        if node.tag == "lb":
            pieces.append("\n")
        else:
            pieces.append(node.text or "")
        if node.tail:
            pieces.append(node.tail)
    lines = [_collapse(line) for line in "".join(pieces).split("\n")]
    return " ".join(line for line in lines if line and not _is_boilerplate(line))


def _body_paragraphs(body: lxml.etree._Element) -> list[str]:
    """Flatten trafilatura's XML body into reader paragraphs, in document order."""
    paragraphs: list[str] = []
    for child in body:
        if child.tag == "list":
            items = child.findall(".//item") or [child]
            paragraphs.extend(_block_text(item) for item in items)
        elif child.tag == "table":
            for row in child.iter("row"):
                cells = [_block_text(cell) for cell in row]
                paragraphs.append(" | ".join(c for c in cells if c))
        else:
            paragraphs.append(_block_text(child))
    return [p for p in paragraphs if p]


_STANDFIRST_CLASSES = (
    "standfirst", "summary", "dek", "deck", "lede", "lead", "intro", "subtitle",
    "subheadline", "sub-headline", "excerpt", "teaser", "article-description",
)


_STANDFIRST_ANYWHERE = ("summary", "standfirst", "subtitle", "dek")


def _standfirst(tree: lxml.html.HtmlElement) -> str | None:
    """The summary under the headline, which trafilatura often leaves out of the body.

    Candidates, in page order: an itemprop=description block, or a block whose class
    names a standfirst, inside <article>/<main> (or anywhere for the unambiguous names).
    """
    for el in tree.iter("p", "div", "h2", "span"):
        if el.get("itemprop") != "description":
            cls = el.get("class")
            if not cls or not set(re.split(r"[\s_-]+", cls.lower())) & set(_STANDFIRST_CLASSES):
                continue
            if not any(name in cls for name in _STANDFIRST_ANYWHERE) and not any(
                a.tag in ("article", "main") for a in el.iterancestors()
            ):
                continue
        if el.xpath(".//p[.//p] | .//article") or len(el.xpath(".//p")) > 1:
            continue
        text = _collapse(el.text_content())
        if 40 <= len(text) <= 600:
            return text
    return None


def _is_byline(paragraph: str, authors: list[str]) -> bool:
    """A visible "By X and Y" line repeats the authors field; it is not body text."""
    if not authors or len(paragraph) > 200 or not _BY_PREFIX.match(paragraph):
        return False
    return set(_split_authors([paragraph])) <= set(authors)


def _trafilatura_config() -> ConfigParser:
    """trafilatura's defaults, except the size under which it distrusts its own extraction.

    With the default (250 characters) a one- or two-paragraph story falls back to a
    baseline that flattens the whole page, counters and share widgets included, into one
    paragraph: every re-fetch would then look like an edit.
    """
    config = use_config()
    config.set("DEFAULT", "MIN_EXTRACTED_SIZE", "40")
    return config


_TRAFILATURA_CONFIG = _trafilatura_config()


# A body shorter than this after the quick pass gets a second opinion.
_SECOND_OPINION_BELOW = 500


def _trafilatura_body(tree: lxml.html.HtmlElement, url: str, *, fast: bool) -> Any:
    document = trafilatura.bare_extraction(
        tree,
        url=url,
        include_comments=False,
        include_tables=True,
        include_images=False,
        include_links=False,
        deduplicate=False,
        with_metadata=False,
        # On real pages precision mode wins (public benchmark, dev split: F1 0.969 vs
        # 0.956 for the default).
        favor_precision=True,
        fast=fast,
        config=_TRAFILATURA_CONFIG,
    )
    return getattr(document, "body", None)


def _main_text(
    html: str, tree: lxml.html.HtmlElement, url: str, title: str | None, authors: list[str]
) -> tuple[list[str], str | None]:
    """Body paragraphs, and the standfirst put in front of them (None if none was added).

    trafilatura runs first without its fallback extractors (readability, jusText), which
    cost about as much as the main pass and rarely change a long result; only a short
    or empty body, the sign of a missed story, is extracted again with them, from a
    fresh parse (the first pass edits the tree).
    """
    standfirst = _standfirst(tree)
    _preclean(tree)
    body = _trafilatura_body(tree, url, fast=True)
    if body is None or len(_collapse("".join(body.itertext()))) < _SECOND_OPINION_BELOW:
        tree = _parse(html)
        _preclean(tree)
        body = _trafilatura_body(tree, url, fast=False)
    paragraphs = _body_paragraphs(body) if body is not None else []
    cleaned = [p for p in paragraphs if not _is_boilerplate(p) and not _is_byline(p, authors)]
    # The headline is metadata, not body text; drop it (and a one-word kicker
    # above it, e.g. a section label) where it leads the body.
    head = [p.casefold() for p in cleaned[:3]]
    if title and title.casefold() in head:
        position = head.index(title.casefold())
        if all(len(p.split()) <= 3 for p in cleaned[:position]):
            del cleaned[: position + 1]
    if standfirst and cleaned and _words(standfirst) not in _words(" ".join(cleaned)):
        cleaned.insert(0, standfirst)
        return cleaned, standfirst
    return cleaned, None


def _words(text: str) -> str:
    """Text reduced to its words, for "is this already there" checks."""
    return " ".join(re.findall(r"\w+", text.casefold()))


# --------------------------------------------------------------------------- entry point

def extract_article(html: str | bytes, url: str, *, encoding: str | None = None,
                    captured_at: datetime | None = None) -> dict:
    """Extract the reader-visible article and its metadata from one page.

    ``encoding`` is the charset declared by the HTTP response, used only for bytes.
    ``captured_at`` (the capture time) is the only clock extraction reads: the same bytes
    and capture give the same fields on any day. Relative dates ("3 hours ago") stay raw.
    Raises ExtractionError when the page cannot be parsed or has no main text.
    """
    if isinstance(html, bytes):
        html = decode_html(html, encoding).text
    tree = _parse(html)
    base = _base_url(tree, url)
    ld = _jsonld_article(tree)

    canonical = _link(tree, "canonical", base)
    if canonical is None:
        og_url = _meta(tree, "og:url")
        canonical = urljoin(base, og_url) if og_url else None
    title = _title(tree, ld)
    authors = _authors(tree, ld)
    dates = _dates(tree, ld, url, captured_at)
    publisher = ld.get("publisher")
    site_name = _meta(tree, "og:site_name", "application-name") or _text_value(publisher)
    description = _meta(tree, "og:description", "description", "twitter:description") or (
        _text_value(ld.get("description"))
    )
    language = _language(tree, ld)
    amphtml = _link(tree, "amphtml", base)

    paragraphs, standfirst = _main_text(html, tree, url, title, authors)
    if not paragraphs:
        raise ExtractionError(f"no main article text found in {url}")

    return {
        "url": url,
        "canonical_url": canonical,
        "amphtml_url": amphtml,
        "title": title,
        "authors": authors,
        "byline": ", ".join(authors) or None,
        "published_raw": dates["published_raw"],
        "published": dates["published"],
        "modified_raw": dates["modified_raw"],
        "modified": dates["modified"],
        "language": language,
        "description": description,
        "site_name": site_name,
        # the summary under the headline when the cleaner put it in front of the body
        # (it is then paragraphs[0]); None when the body had it already or there is none
        "standfirst": standfirst,
        "paragraphs": paragraphs,
        "text": "\n\n".join(paragraphs),
    }
