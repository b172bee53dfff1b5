"""A small outlet whose article pages are static and honour ETag / Last-Modified (or not)."""

from __future__ import annotations

import hashlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class StaticOutlet:
    def __init__(self, count: int = 3, honour_conditional: bool = True):
        self.honour = honour_conditional
        self.texts = {f"story-{n}": [f"Paragraph one of story {n}, long enough to count as article text "
                                      "for the extractor, with a few more words in it."] * 3
                      for n in range(count)}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.lock = threading.Lock()
        #: Set to a number: article pages past that many (counted from then) wait for ``gate``.
        self.hold_after: int | None = None
        self.gate = threading.Event()
        self.served = 0
        self.host = ""  # host:port, set by the server (feed links are absolute)

    def edit(self, slug: str, paragraph: str) -> None:
        self.texts[slug] = [*self.texts[slug], paragraph]

    def page(self, path: str) -> bytes | None:
        if path == "/daily/feed.xml":
            items = "".join(f"<item><title>{s}</title><link>http://{self.host}/daily/news/{s}</link></item>"
                            for s in sorted(self.texts))
            return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>Daily</title>'
                    f"<link>http://{self.host}/daily/</link>{items}</channel></rss>").encode()
        if path == "/daily/":
            links = "".join(f'<li><a href="/daily/news/{s}">{s}</a></li>' for s in sorted(self.texts))
            return f"<html><body><h1>Daily</h1><ul>{links}</ul></body></html>".encode()
        slug = path.removeprefix("/daily/news/")
        if slug not in self.texts:
            return None
        body = "".join(f"<p>{p}</p>" for p in self.texts[slug])
        return (f'<!DOCTYPE html><html><head><title>{slug}</title><link rel="canonical" href="{path}">'
                f'<meta property="article:published_time" content="2026-03-01T07:00:00Z"></head>'
                f"<body><article><h1>Headline of {slug}</h1>{body}</article></body></html>").encode()

    def handler(self) -> type[BaseHTTPRequestHandler]:
        outlet = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802
                with outlet.lock:
                    outlet.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
                if self.path == "/robots.txt":
                    return self._send(200, b"User-agent: *\nAllow: /\n", {})
                if self.path.startswith("/daily/news/") and outlet.hold_after is not None:
                    with outlet.lock:
                        outlet.served += 1
                        held = outlet.served > outlet.hold_after
                    if held:
                        outlet.gate.wait(120)
                body = outlet.page(self.path)
                if body is None:
                    return self._send(404, b"not found", {})
                etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
                kind = "application/rss+xml" if self.path.endswith(".xml") else "text/html; charset=utf-8"
                headers = {"ETag": etag, "Last-Modified": "Sun, 01 Mar 2026 07:00:00 GMT", "Content-Type": kind}
                if outlet.honour and self.headers.get("If-None-Match") == etag:
                    return self._send(304, b"", {"ETag": etag})
                self._send(200, body, headers)

            def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                if status != 304:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if status != 304:
                    self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        return Handler

    def article_requests(self) -> list[tuple[str, dict[str, str]]]:
        return [(p, h) for p, h in self.requests if p.startswith("/daily/news/")]


class StaticServer:
    def __init__(self, outlet: StaticOutlet):
        self.outlet = outlet
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), outlet.handler())
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        outlet.host = f"127.0.0.1:{self.httpd.server_address[1]}"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def outlets_toml(self) -> str:
        return f"""
[[outlet]]
name = "daily"
domains = ["127.0.0.1"]
start_urls = ["{self.base_url}/daily/"]
article_patterns = ['^/daily/news/[a-z0-9-]+$']
auto_feeds = false
check_jitter = 0
"""

    def __enter__(self) -> StaticServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
