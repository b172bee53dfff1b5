"""Three local outlets whose article URLs are not in the folded form of the matching key.

- ``slash.test``: articles live at ``/news/140003-slug/`` (the slashless form is a 404); from
  edition 2 the first story moves (301) to a new slug.
- ``wwwsite.test``: pages are served on ``www.`` only; the bare host 301s there, and the
  listing links the bare host.
- ``amp.test``: ``/story/N/amp`` copies declare ``rel=canonical`` ``/story/N``.

Host names are reached through an HTTP proxy that is this same server on 127.0.0.1
(``http_proxy``), so nothing leaves the machine and no resolver is touched.
"""

from __future__ import annotations

import threading
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

PARAGRAPHS = {
    "harbour": ("The harbour board approved a new breakwater on Tuesday after two years of talks "
                "with the fishing cooperative and the city council.",
                "Work on the breakwater is expected to start in the spring and to take eighteen months.",
                "The cooperative said the structure would protect its boats from winter storms."),
    "market": ("The covered market will open on Sundays from next month, the city said on Wednesday, "
               "after traders voted for longer hours.",
               "Stallholders will pay no extra rent for the Sunday trading day during the first year.",
               "The market has 84 stalls and opened in 1902."),
    "tram": ("Night trams will run on the river line every thirty minutes from Friday, the transit "
             "company said, ending a two-year pause.",
             "The service had been cut when the depot was rebuilt after the flood.",
             "Passengers asked for the night service in a petition signed by 6,000 people."),
}

SLASH_OLD, SLASH_NEW = "/news/140003-harbour-breakwater/", "/news/140003-breakwater-approved/"
SLASH_OTHER = "/news/140004-market-sundays/"


class VariantsSite:
    def __init__(self) -> None:
        self.edition = 1
        self.requests: list[tuple[str, str, int]] = []  # (absolute URL, status) served
        self._lock = threading.Lock()

    # -- pages ---------------------------------------------------------------------------------
    @staticmethod
    def _article(canonical: str, key: str, title: str) -> bytes:
        body = "".join(f"<p>{escape(p)}</p>" for p in PARAGRAPHS[key])
        return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
                f'<link rel="canonical" href="{canonical}"><meta property="og:title" content="{escape(title)}">'
                f'<meta property="article:published_time" content="2026-02-02T09:00:00+00:00"></head>'
                f"<body><article><h1>{escape(title)}</h1>{body}</article></body></html>").encode()

    @staticmethod
    def _listing(links: list[str]) -> bytes:
        items = "".join(f'<li><a href="{href}">{escape(href)}</a></li>' for href in links)
        return f"<!DOCTYPE html><html><body><ul>{items}</ul></body></html>".encode()

    def reply(self, host: str, path: str) -> tuple[int, dict[str, str], bytes]:
        html = {"Content-Type": "text/html; charset=utf-8"}
        if path == "/robots.txt":
            return 200, {"Content-Type": "text/plain"}, b"User-agent: *\nDisallow:\n"
        if host == "slash.test":
            if path == "/":
                return 200, html, self._listing([SLASH_OLD if self.edition == 1 else SLASH_NEW, SLASH_OTHER])
            if path == SLASH_OLD:
                if self.edition >= 2:
                    return 301, {"Location": f"http://slash.test{SLASH_NEW}", **html}, b""
                return 200, html, self._article(f"http://slash.test{SLASH_OLD}", "harbour", "Breakwater approved")
            if path == SLASH_NEW and self.edition >= 2:
                return 200, html, self._article(f"http://slash.test{SLASH_NEW}", "harbour", "Breakwater approved")
            if path == SLASH_OTHER:
                return 200, html, self._article(f"http://slash.test{SLASH_OTHER}", "market", "Market opens on Sundays")
        elif host == "wwwsite.test":
            return 301, {"Location": f"http://www.wwwsite.test{path}", **html}, b""
        elif host == "www.wwwsite.test":
            if path == "/":
                return 200, html, self._listing(["http://wwwsite.test/story/1", "http://wwwsite.test/story/2"])
            if path in ("/story/1", "/story/2"):
                key = "tram" if path.endswith("1") else "market"
                return 200, html, self._article(f"http://www.wwwsite.test{path}", key, f"Story {path[-1]}")
        elif host == "amp.test":
            if path == "/":
                return 200, html, self._listing(["/story/1/amp", "/story/2/amp", "/story/2"])
            for n, key in (("1", "tram"), ("2", "harbour")):
                if path in (f"/story/{n}", f"/story/{n}/amp"):
                    return 200, html, self._article(f"http://amp.test/story/{n}", key, f"AMP story {n}")
        return 404, html, b"<html><body>Not found</body></html>"


class _ProxyHandler(BaseHTTPRequestHandler):
    site: VariantsSite
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802
        parts = urlsplit(self.path)  # a proxy request carries the absolute URL
        host = (parts.hostname or self.headers.get("Host", "").split(":")[0]).lower()
        status, headers, body = self.site.reply(host, parts.path or "/")
        with self.site._lock:
            self.site.requests.append((f"http://{host}{parts.path}", status))
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class VariantsServer:
    """The three outlets behind one proxy port on 127.0.0.1."""

    def __init__(self) -> None:
        self.site = VariantsSite()
        handler = type("Handler", (_ProxyHandler,), {"site": self.site})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def proxy(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> VariantsServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


OUTLETS_TOML = """\
[[outlet]]
name = "slash"
domains = ["slash.test"]
start_urls = ["http://slash.test/"]
article_patterns = ['^/news/\\d+-[a-z-]+/$']

[[outlet]]
name = "www"
domains = ["wwwsite.test"]
start_urls = ["http://www.wwwsite.test/"]
article_patterns = ['^/story/\\d+$']

[[outlet]]
name = "amp"
domains = ["amp.test"]
start_urls = ["http://amp.test/"]
article_patterns = ['^/story/\\d+(/amp)?$']
"""
