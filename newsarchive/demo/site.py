"""A small local news site with two outlet templates, rotating boilerplate and editions.

It is the demo outlet behind ``newsarchive demo`` and the fixture site of the tests.
Everything that a real site changes on every request — related-headline lists,
"updated N minutes ago" counters, ad slot ids, script nonces — changes here too, so the
archive's "no new version unless the article changed" rule is exercised for real.
"""

from __future__ import annotations

import random
import secrets
import threading
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from newsarchive.demo.stories import DEMO_STORIES, OTHER_HEADLINES, Story, StoryState

OUTLET_NAMES = {"ledger": "The Harbour Ledger", "courier": "Eastgate Courier"}
PAGE_SIZE = 2


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "text/html; charset=utf-8"})


Route = Callable[["NewsSite", dict[str, list[str]]], Reply]


def story_path(story: Story) -> str:
    if story.outlet == "ledger":
        return f"/ledger/{story.published[:10].replace('-', '/')}/{story.slug}"
    return f"/courier/news/{story.section}/{story.slug}-{zlib.crc32(story.slug.encode()) % 900000 + 100000}.html"


class NewsSite:
    """Renders the site for the current ``edition``; ``routes`` adds or overrides paths."""

    def __init__(self, stories: tuple[Story, ...] = DEMO_STORIES, edition: int = 1):
        self.stories = stories
        self.edition = edition
        self.routes: dict[str, Route] = {}
        self.extra_links: dict[str, list[str]] = {}  # outlet -> more paths linked from its homepage
        self.robots_txt = "User-agent: *\nDisallow: /private/\n"
        self.requests: list[str] = []  # every path requested, in order (tests assert on it)
        self._lock = threading.Lock()
        self._counter = 0
        self.paths = {story_path(s): s for s in stories}

    # -- helpers ---------------------------------------------------------------------------

    def _rng(self) -> random.Random:
        with self._lock:
            self._counter += 1
            return random.Random(self._counter * 7919 + self.edition)

    def live(self, outlet: str, section: str | None = None) -> list[tuple[Story, StoryState]]:
        shown = [(s, s.at(self.edition)) for s in self.stories if s.outlet == outlet
                 and (section is None or s.section == section)]
        return sorted([(s, st) for s, st in shown if st], key=lambda p: p[0].published, reverse=True)

    def handle(self, path: str, query: dict[str, list[str]]) -> Reply:
        with self._lock:
            self.requests.append(path + ("?" + "&".join(f"{k}={v[0]}" for k, v in query.items()) if query else ""))
        if path in self.routes:
            return self.routes[path](self, query)
        if path == "/robots.txt":
            return Reply(body=self.robots_txt.encode(), headers={"Content-Type": "text/plain"})
        if path in ("/", ""):
            links = "".join(f'<li><a href="/{o}/">{escape(n)}</a></li>' for o, n in OUTLET_NAMES.items())
            return self._page("Demo news", f"<ul>{links}</ul>")
        for outlet in OUTLET_NAMES:
            if path == f"/{outlet}/":
                return self.listing(outlet, None, query)
            if path.startswith(f"/{outlet}/section/"):
                return self.listing(outlet, path.split("/")[3], query)
        story = self.paths.get(path)
        state = story.at(self.edition) if story else None
        if story is None or state is None:
            return Reply(404, b"<html><body><h1>Not found</h1></body></html>")
        return self.article(story, state)

    def _page(self, title: str, body: str, head: str = "") -> Reply:
        nonce = secrets.token_hex(8)
        html = (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{escape(title)}</title>"
                f"{head}<script nonce=\"{nonce}\">window.__cfg={{build:'{nonce}'}}</script></head>"
                f"<body>{body}</body></html>")
        return Reply(body=html.encode("utf-8"))

    # -- listings ------------------------------------------------------------------------

    def listing(self, outlet: str, section: str | None, query: dict[str, list[str]]) -> Reply:
        page = int(query.get("page", ["1"])[0] or 1)
        stories = self.live(outlet, section)
        chunk = stories[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
        items = "".join(
            f'<li><a href="{story_path(s)}?utm_source=home&utm_medium=list">{escape(st.title)}</a>'
            f' <a href="{story_path(s)}#comments">comments</a></li>' for s, st in chunk)
        if section is None and page == 1:
            items += "".join(f'<li><a href="{p}">More: {escape(p)}</a></li>'
                             for p in self.extra_links.get(outlet, []))
        base = f"/{outlet}/section/{section}/" if section else f"/{outlet}/"
        pager = (f'<a rel="next" href="{base}?page={page + 1}">Next page</a>'
                 if page * PAGE_SIZE < len(stories) else "")
        sections = sorted({s.section for s in self.stories if s.outlet == outlet})
        nav = "".join(f'<li><a href="/{outlet}/section/{s}/">{s.title()}</a></li>' for s in sections)
        body = (f"<header><nav><ul>{nav}</ul></nav></header><main><h1>{OUTLET_NAMES[outlet]}</h1>"
                f"<ul class=\"stories\">{items}</ul>{pager}</main>")
        return self._page(OUTLET_NAMES[outlet], body)

    # -- articles --------------------------------------------------------------------------

    def _related(self, count: int) -> str:
        picks = self._rng().sample(OTHER_HEADLINES, count)
        return "".join(f'<li><a href="/{"x" if i % 2 else "y"}/{i}">{escape(h)}</a></li>'
                       for i, h in enumerate(picks))

    def article(self, story: Story, state: StoryState) -> Reply:
        rng = self._rng()
        path = story_path(story)
        head = (f'<link rel="canonical" href="{path}">'
                f'<meta property="og:title" content="{escape(state.title)}">'
                f'<meta name="author" content="{escape(state.byline)}">'
                f'<meta property="article:published_time" content="{story.published}">'
                + (f'<meta property="article:modified_time" content="{state.modified}">' if state.modified else ""))
        render = self._ledger if story.outlet == "ledger" else self._courier
        return self._page(f"{state.title} | {OUTLET_NAMES[story.outlet]}", render(story, state, rng), head)

    def _ledger(self, story: Story, state: StoryState, rng: random.Random) -> str:
        icons = " ".join(f'<span class="icon">icon {n}</span>' for n in
                         ("bookmark", "camera", "chevron down", "close", "share", "search", "mail"))
        paragraphs = [f"<p>{escape(p)}</p>" for p in state.paragraphs]
        promo = (f'<div class="read-more"><p>Also on ledger.example <a href="/ledger/other/{rng.randint(1, 99)}">'
                 f"{escape(rng.choice(OTHER_HEADLINES))}</a></p></div>")
        paragraphs.insert(min(3, len(paragraphs)), promo)
        return (
            f'<div class="icons" aria-hidden="true">{icons}</div>'
            '<header><nav><a href="/ledger/">Home</a> <a href="/ledger/section/city/">City</a> '
            '<a href="/ledger/section/culture/">Culture</a></nav></header>'
            f'<main><article><div class="meta"><time datetime="{story.published}">'
            f"{story.published[:10]} {story.published[11:16]}</time> "
            f'<span class="updated">updated {rng.randint(2, 59)} minutes ago</span></div>'
            f"<h1>{escape(state.title)}</h1><p class=\"byline\">By {escape(state.byline)}</p>"
            f"{''.join(paragraphs)}"
            f'<div class="share"><a href="#">Share on social</a> <a href="#">Email</a> '
            f'<span class="count">{rng.randint(10, 999)} shares</span></div></article>'
            f'<div class="ad" data-ad-id="ad-{rng.getrandbits(40):x}">Advertisement</div>'
            f'<aside class="related"><h2>Trending</h2><ul>{self._related(5)}</ul></aside></main>'
            '<footer><a href="/ledger/about">About us</a> &copy; The Harbour Ledger</footer>'
        )

    def _courier(self, story: Story, state: StoryState, rng: random.Random) -> str:
        half = max(1, len(state.paragraphs) // 2)
        first = "".join(f"<p>{escape(p)}</p>" for p in state.paragraphs[:half])
        rest = "".join(f"<p>{escape(p)}</p>" for p in state.paragraphs[half:])
        return (
            '<div class="topbar"><a href="/courier/">Eastgate Courier</a> '
            '<a href="/courier/section/business/">Business</a> <a href="/courier/section/sport/">Sport</a> '
            '<a href="/courier/section/transport/">Transport</a></div>'
            f'<div class="kicker">{escape(story.section.title())} News</div>'
            f'<article><h1 class="headline">{escape(state.title)}</h1>'
            f'<div class="author">{escape(state.byline)} &middot; '
            f'<time datetime="{story.published}">{story.published[:10]}</time></div>'
            f'<div class="body">{first}'
            f'<div class="more-headlines"><ul>{self._related(8)}</ul></div>{rest}</div>'
            f'<div class="comments-cta">Join the discussion: {rng.randint(0, 400)} comments</div>'
            f'</article><div class="ad-slot" id="slot-{rng.getrandbits(32):x}">Sponsored content</div>'
            f'<div class="more-headlines"><ul>{self._related(10)}</ul></div>'
        )


class _Handler(BaseHTTPRequestHandler):
    site: NewsSite
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        parts = urlsplit(self.path)
        reply = self.site.handle(parts.path, parse_qs(parts.query))
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if "Content-Length" not in reply.headers:
            self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
        pass


class SiteServer:
    """Serve a :class:`NewsSite` on 127.0.0.1 in a background thread."""

    def __init__(self, site: NewsSite, port: int = 0):
        handler = type("Handler", (_Handler,), {"site": site})
        self.site = site
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def __enter__(self) -> SiteServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def outlets_toml(base_url: str) -> str:
    """The outlets configuration for the demo site served at ``base_url``."""
    return f"""\
[[outlet]]
name = "ledger"
domains = ["127.0.0.1"]
start_urls = ["{base_url}/ledger/"]
listing_patterns = ['^/ledger/section/[a-z]+/$']
article_patterns = ['^/ledger/\\d{{4}}/\\d{{2}}/\\d{{2}}/[a-z0-9-]+$']
deny_patterns = ['/private/']

[[outlet]]
name = "courier"
domains = ["127.0.0.1"]
start_urls = ["{base_url}/courier/"]
listing_patterns = ['^/courier/section/[a-z]+/$']
article_patterns = ['^/courier/news/[a-z]+/[a-z0-9-]+-\\d+\\.html$']
"""
