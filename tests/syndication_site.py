"""Four local outlets carrying syndicated wire stories (issue 17's test site).

- ``wire.test`` publishes wire stories, each ending with the wire's standard footer.
- ``courier.test`` and ``gazette.test`` run the storm story (and gazette the bridge story)
  with small wording changes, a new headline, a trimmed last paragraph, a local line and their
  own boilerplate; courier also serves its copy at a print URL, with no redirect and no
  rel=canonical: a URL variant no URL rule folds.
- ``ledger.test`` publishes three different court reports that share one long standard legal
  notice (longer than each report's own text): they must never cluster.

From edition 2 the wire appends an update to the storm story that the copies do not take; from
edition 3 courier takes it (gazette never does).

Host names are reached through an HTTP proxy that is this same server on 127.0.0.1
(``http_proxy``), so nothing leaves the machine.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

WIRE_FOOTER = ("Copyright 2026 The Wire Service. All rights reserved. This material may not be published, "
               "broadcast, rewritten or redistributed without permission.")
LEGAL_NOTICE = (
    "This report is based on public court records and on statements made in open court. Everyone "
    "charged with an offence is presumed innocent until proven guilty, and the names of victims, "
    "witnesses under eighteen and anyone protected by a court order have been withheld in accordance "
    "with the law and with this newspaper's editorial code. A person named in one of our court reports "
    "who is later acquitted, or whose conviction is overturned on appeal, may ask the standards desk to "
    "append a note recording that outcome to the article. Write to the standards desk with the date of "
    "the hearing and the case number, and we will reply within ten working days.")

STORIES: dict[str, list[str]] = {
    "storm": [
        "A winter storm closed the coastal highway on Tuesday after waves pushed rocks and sand across "
        "both lanes near the old lighthouse, the regional roads agency said.",
        "Crews worked through the night to clear the road, but the agency warned that it could stay shut "
        "until Thursday because another high tide is expected on Wednesday evening.",
        "About 2,300 households lost power at the height of the storm, and the utility said most of them "
        "had been reconnected by the morning.",
        "The mayor of the fishing town of Porthaven said the sea wall had held but that several boats had "
        "broken loose from their moorings in the harbour.",
        "Forecasters expect the wind to ease by the weekend, although they kept a warning for heavy rain "
        "in place for the hills inland.",
        "The agency asked drivers to use the inland route through the valley and to allow an extra "
        "forty minutes for the journey.",
    ],
    "bridge": [
        "Engineers found cracks in two supports of the river bridge during a routine inspection and closed "
        "it to lorries on Monday, the city's transport department said.",
        "Cars and buses may still cross, but at a reduced speed of twenty miles an hour while the "
        "supports are examined in more detail.",
        "The bridge carries about 40,000 vehicles a day and was last repaired in 2011, when its deck was "
        "replaced.",
        "Freight companies said the detour through the northern ring road would add half an hour to "
        "deliveries in the city centre.",
    ],
    "council": [
        "The city council voted on Wednesday to double the number of public benches in the old town "
        "after a campaign by residents' associations.",
        "The benches will be made from recycled plastic and installed over the next two years, "
        "starting with the market square.",
    ],
    "court-a": [
        "A 34-year-old man was jailed for four years at the crown court on Monday for a string of "
        "burglaries at garden centres.",
        "The judge said the break-ins had been planned and that he had shown no remorse.",
    ],
    "court-b": [
        "A delivery driver was banned from the road for eighteen months after magistrates heard he had "
        "been caught speeding three times in one week.",
        "He told the court he had been under pressure to meet his targets.",
    ],
    "court-c": [
        "Two brothers admitted stealing copper cable from a railway depot and will be sentenced next "
        "month, the county court heard on Thursday.",
        "The thefts caused delays for thousands of passengers in the spring.",
    ],
}
STORM_UPDATE = ("Update, 3 p.m.: The roads agency said one lane of the coastal highway would reopen on "
                "Wednesday morning under traffic lights, with the second lane to follow once the tide has "
                "turned.")

#: Each copy's wording changes: (old, new) replacements, applied in order.
WORDING = {
    "courier": [("on Tuesday after", "after"), ("the regional roads agency said", "the roads agency said on Tuesday"),
                ("Crews worked", "Road crews worked"), ("About 2,300", "Some 2,300"),
                ("on Monday, the city's", "on Monday, the"), ("twenty miles", "20 miles")],
    "gazette": [("A winter storm closed", "A storm closed"), ("lost power", "were left without power"),
                ("broken loose from", "broken free of"), ("routine inspection", "regular inspection"),
                ("about 40,000 vehicles", "around 40,000 vehicles"), ("half an hour", "thirty minutes")],
}
HEADLINES = {
    ("wire", "storm"): "Storm closes coastal highway", ("courier", "storm"): "Highway shut as storm batters coast",
    ("gazette", "storm"): "Coast road closed by winter storm", ("wire", "bridge"): "Cracks close river bridge to lorries",
    ("gazette", "bridge"): "River bridge shut to lorries", ("wire", "council"): "Council votes for more benches",
    ("ledger", "court-a"): "Garden centre burglar jailed", ("ledger", "court-b"): "Speeding driver banned",
    ("ledger", "court-c"): "Brothers admit cable theft",
}
LOCAL_LINE = {
    "courier": "Eastgate's own coast road, the B4410, was also closed for several hours on Tuesday.",
    "gazette": "Gazette readers can send photographs of the storm to our newsdesk.",
}
BOILERPLATE = {
    "courier": "Get the Eastgate Courier morning briefing in your inbox: sign up on our website.",
    "gazette": "The Gazette is an independent newspaper. Support local journalism: subscribe today.",
}

PATHS = {
    ("wire", "storm"): "/wire/2026/03/02/storm-closes-coastal-highway",
    ("wire", "bridge"): "/wire/2026/03/02/cracks-close-river-bridge",
    ("wire", "council"): "/wire/2026/03/02/council-benches",
    ("courier", "storm"): "/news/highway-shut-as-storm-batters-coast-4411",
    ("gazette", "storm"): "/stories/coast-road-closed-by-storm.html",
    ("gazette", "bridge"): "/stories/river-bridge-shut.html",
    ("ledger", "court-a"): "/courts/garden-centre-burglar-jailed",
    ("ledger", "court-b"): "/courts/speeding-driver-banned",
    ("ledger", "court-c"): "/courts/brothers-admit-cable-theft",
}
STORM_ALIAS = "/print/4411"  # courier's print URL of its storm copy: same story, no redirect

#: (outlet, path, story, minutes after the wire) in the order a reader would see them.
PLACEMENTS = [
    ("wire", PATHS["wire", "storm"], "storm", 0),
    ("wire", PATHS["wire", "bridge"], "bridge", 0),
    ("wire", PATHS["wire", "council"], "council", 0),
    ("ledger", PATHS["ledger", "court-a"], "court-a", 0),
    ("ledger", PATHS["ledger", "court-b"], "court-b", 0),
    ("ledger", PATHS["ledger", "court-c"], "court-c", 0),
    ("courier", PATHS["courier", "storm"], "storm", 30),
    ("courier", STORM_ALIAS, "storm", 31),
    ("gazette", PATHS["gazette", "storm"], "storm", 45),
    ("gazette", PATHS["gazette", "bridge"], "bridge", 45),
]


def expected_groups(base: str) -> set[frozenset[str]]:
    """The clusters the archive must find (``base`` formats with ``outlet``)."""
    url = lambda outlet, path: base.format(outlet=outlet) + path  # noqa: E731
    return {
        frozenset({url("wire", PATHS["wire", "storm"]), url("courier", PATHS["courier", "storm"]),
                   url("courier", STORM_ALIAS), url("gazette", PATHS["gazette", "storm"])}),
        frozenset({url("wire", PATHS["wire", "bridge"]), url("gazette", PATHS["gazette", "bridge"])}),
    }


@dataclass
class Page:
    title: str
    paragraphs: list[str]


def article(outlet: str, story: str, edition: int = 1) -> Page:
    """The article text an outlet shows for a story in an edition."""
    paragraphs = list(STORIES[story])
    if story == "storm" and (outlet == "wire" and edition >= 2 or outlet == "courier" and edition >= 3):
        paragraphs.insert(0, STORM_UPDATE)
    if outlet in WORDING:
        for old, new in WORDING[outlet]:
            paragraphs = [p.replace(old, new) for p in paragraphs]
        if story == "storm":
            paragraphs = [p for p in paragraphs if p != STORIES["storm"][-1]]  # trimmed last paragraph
            paragraphs.insert(3 if paragraphs[0] != STORM_UPDATE else 4, LOCAL_LINE[outlet])
        paragraphs.append(BOILERPLATE[outlet])
    if outlet == "wire":
        paragraphs.append(WIRE_FOOTER)
    if outlet == "ledger":
        paragraphs.append(LEGAL_NOTICE)
    return Page(HEADLINES[outlet, story], paragraphs)


def _article_html(outlet: str, story: str, edition: int, url: str) -> bytes:
    page = article(outlet, story, edition)
    body = "".join(f"<p>{escape(p)}</p>" for p in page.paragraphs)
    nav = "".join(f'<li><a href="/section/{s}">{s.title()}</a></li>' for s in ("news", "sport", "weather", "opinion"))
    related = "".join(f'<li><a href="/other/{n}">Other headline number {n}</a></li>' for n in range(3))
    canonical = f'<link rel="canonical" href="{url}">' if not url.endswith(STORM_ALIAS) else ""
    template = {
        "wire": ('<div class="wire-header">THE WIRE SERVICE</div>', '<footer>Wire Service terms</footer>'),
        "courier": (f"<header><h2>Eastgate Courier</h2><ul>{nav}</ul></header>",
                    f'<aside><h3>Most read</h3><ul>{related}</ul></aside><footer>© Eastgate Courier Ltd</footer>'),
        "gazette": (f'<nav><ul>{nav}</ul></nav><div class="ad">Advertisement</div>',
                    '<footer>The Gazette, 1 Mill Lane. Contact us.</footer>'),
        "ledger": ("<header>The Ledger — courts</header>", "<footer>The Ledger</footer>"),
    }[outlet]
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{escape(page.title)}</title>'
            f'{canonical}<meta property="og:title" content="{escape(page.title)}">'
            f'<meta property="article:published_time" content="2026-03-02T08:00:00+00:00"></head>'
            f"<body>{template[0]}<article><h1>{escape(page.title)}</h1>{body}</article>{template[1]}"
            f"</body></html>").encode()


class SyndicationSite:
    def __init__(self) -> None:
        self.edition = 1

    def reply(self, host: str, path: str) -> tuple[int, dict[str, str], bytes]:
        html = {"Content-Type": "text/html; charset=utf-8"}
        if path == "/robots.txt":
            return 200, {"Content-Type": "text/plain"}, b"User-agent: *\nDisallow:\n"
        outlet = host.removesuffix(".test")
        placed = [(p, s) for o, p, s, _ in PLACEMENTS if o == outlet]
        if path == "/":
            links = "".join(f'<li><a href="{p}">{escape(p)}</a></li>' for p, _ in placed)
            return 200, html, f"<!DOCTYPE html><html><body><ul>{links}</ul></body></html>".encode()
        for p, story in placed:
            if path == p:
                return 200, html, _article_html(outlet, story, self.edition, f"http://{host}{p}")
        return 404, html, b"<html><body>Not found</body></html>"


class _ProxyHandler(BaseHTTPRequestHandler):
    site: SyndicationSite
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802
        parts = urlsplit(self.path)  # a proxy request carries the absolute URL
        host = (parts.hostname or self.headers.get("Host", "").split(":")[0]).lower()
        status, headers, body = self.site.reply(host, parts.path or "/")
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class SyndicationServer:
    """The four outlets behind one proxy port on 127.0.0.1."""

    def __init__(self) -> None:
        self.site = SyndicationSite()
        handler = type("Handler", (_ProxyHandler,), {"site": self.site})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def proxy(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> SyndicationServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


OUTLETS_TOML = """\
[[outlet]]
name = "wire"
domains = ["wire.test"]
start_urls = ["http://wire.test/"]
article_patterns = ['^/wire/']

[[outlet]]
name = "courier"
domains = ["courier.test"]
start_urls = ["http://courier.test/"]
article_patterns = ['^/news/', '^/print/']

[[outlet]]
name = "gazette"
domains = ["gazette.test"]
start_urls = ["http://gazette.test/"]
article_patterns = ['^/stories/']

[[outlet]]
name = "ledger"
domains = ["ledger.test"]
start_urls = ["http://ledger.test/"]
article_patterns = ['^/courts/']
"""
