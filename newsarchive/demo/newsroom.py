"""A generated multi-outlet newsroom for the edit-detection benchmark and the slug tests.

Written apart from :mod:`newsarchive.changes` and :mod:`newsarchive.demo`: four templates
modelled on common publishing systems, each with its own URL scheme, byline placement and
boilerplate, and edits written the way newsrooms write them (live entries in several time
formats, wire headline prefixes, slug changes answered by 301, paragraphs appended without
any marker). Its vocabulary of markers comes from outlets' pages, not from the classifier's
patterns, so the benchmark can fail where the classifier has a blind spot.

Templates (outlet name: URL scheme; where the byline is):

- ``metro`` (WordPress-like): ``/2026/11/30/<slug>/``, slug follows the headline, old slugs
  301 to the new one; byline only in the page (``rel=author``).
- ``wire`` (wire-service-like): ``/world/<slug>-id<NNNNNN>``, stable id, slug follows the
  headline with a 301; byline only in JSON-LD; "(Reporting by ...)" credit at the end.
- ``tabloid`` (liveblog-heavy): ``/story/<slug>.html``, slug follows the headline with a 301;
  the page shows every author, JSON-LD names only the first.
- ``gazette`` (newspaper CMS): ``/articles/view.php?id=NNNNN``; byline in ``itemprop=author``
  and JSON-LD, agreeing.
"""

from __future__ import annotations

import json
import random
import re
import secrets
import threading
from dataclasses import dataclass, field
from html import escape

from newsarchive.demo.site import Reply

TEMPLATES = ("metro", "wire", "tabloid", "gazette")
SLUGGED = {"metro", "wire", "tabloid"}

# What each generated edit must be labelled with; None: it must make no version at all.
EXPECTED = {
    "live_entry": "update_appended",
    "appended": "update_appended",
    "latest": "latest_line",
    "correction_note": "correction",
    "fact_fix": "correction",
    "style_rewrite": "edited",
    "headline": "headline_changed",
    "wire_update": "update_appended",
    "wire_corrected": "correction",
    "byline": "byline_changed",
    "paragraph_deleted": "paragraph_deleted",
    "moved": "moved",
    "typography": None,
}
# A style rewrite must not be called a correction.
FORBIDDEN = {"style_rewrite": "correction"}

TOWNS = ("Castlebridge", "Wrenford", "Port Avalon", "Kilmory", "Ashgrove", "Dunmere", "Holloway",
         "Saltmarsh", "Brackenridge", "Ferncastle", "Lowmoor", "Thornbury", "Redcliff", "Glenhaven")
GROUPS = ("The transport ministry", "Union leaders", "The regional health authority",
          "Prosecutors", "The central bank", "Fire crews", "The football club", "Teachers",
          "The energy regulator", "Hospital managers", "Farmers' groups", "The airport operator")
ACTIONS = ("warned of delays to", "agreed to review", "threatened to block", "pledged money for",
           "opened an inquiry into", "voted against", "raised concerns about", "backed",
           "asked for a delay to", "set a deadline for")
TOPICS = ("the rail strike", "winter flu cases", "the stadium sale", "a pay offer",
          "interest rates", "the wildfire response", "a new runway", "school meals",
          "the harbour dredging", "power prices", "the border checks", "a wind farm")
NAMES = ("Aoife Brennan", "Marco Ruiz", "Yusuf Demir", "Hanna Kowalska", "Chidi Okeke",
         "Elin Sandberg", "Rafael Costa", "Mei Tanaka", "Oskar Lund", "Fatima Zahra",
         "Liam O'Connell", "Sofia Greco", "Arjun Mehta", "Greta Vogel", "Tariq Aziz", "Nell Harper")
TITLES = ("a spokeswoman for the ministry", "the union's general secretary", "a local councillor",
          "the chief inspector", "an economist at Halden Bank", "the club's chairman",
          "a nurse at the city hospital", "the airport's director")
SAID = ("said on Tuesday", "told reporters", "said in a statement", "wrote on social media",
        "said late on Monday", "told a news conference")
HEADLINE_TAIL = ("as talks stall", "after late vote", "amid protests", "in surprise move",
                 "as costs climb", "after review")


def _sentence(rng: random.Random) -> str:
    shape = rng.randrange(6)
    town = rng.choice(TOWNS)
    if shape == 0:
        return f"{rng.choice(GROUPS)} {rng.choice(ACTIONS)} {rng.choice(TOPICS)} in {town}."
    if shape == 1:
        return (f"\u201cWe cannot accept this,\u201d {rng.choice(NAMES)}, {rng.choice(TITLES)}, "
                f"{rng.choice(SAID)}.")
    if shape == 2:
        return (f"About {rng.randint(120, 9800):,} people in {town} were affected, according to "
                f"figures released this week.")
    if shape == 3:
        return (f"The plan would cost {rng.randint(2, 80)}.{rng.randint(1, 9)} billion crowns over "
                f"{rng.randint(2, 12)} years.")
    if shape == 4:
        return f"{rng.choice(NAMES)} {rng.choice(SAID)} that a decision was expected within weeks."
    return f"Officials in {town} declined to comment on {rng.choice(TOPICS)}."


def _paragraph(rng: random.Random) -> str:
    return " ".join(_sentence(rng) for _ in range(rng.randint(1, 3)))


def slugify(title: str, number: int | None = None) -> str:
    """Up to eight words of the headline; the story number keeps two stories' slugs apart."""
    words = re.sub(r"[^a-z0-9]+", "-", re.sub(r"\(\d+\)", "", title.lower())).strip("-").split("-")
    return "-".join(words[:8] + ([str(number)] if number is not None else []))


@dataclass
class State:
    title: str
    authors: tuple[str, ...]
    paragraphs: tuple[str, ...]
    modified: str | None = None


@dataclass
class Story:
    """One story: its template, id, and the state shown from each edition on."""

    template: str
    number: int
    published: str
    states: dict[int, State] = field(default_factory=dict)
    edits: dict[int, str] = field(default_factory=dict)  # edition -> edit made for it

    def at(self, edition: int) -> State:
        return self.states[max(e for e in self.states if e <= edition)]

    def path(self, edition: int) -> str:
        state = self.at(edition)
        slug = slugify(state.title, self.number)
        if self.template == "metro":
            return f"/metro/{self.published[:10].replace('-', '/')}/{slug}/"
        if self.template == "wire":
            return f"/wire/world/{slug}-id{self.number + 300000}"
        if self.template == "tabloid":
            return f"/tabloid/story/{slug}.html"
        return f"/gazette/articles/view.php?id={self.number + 50000}"

    def paths(self, editions: int) -> list[str]:
        return list(dict.fromkeys(self.path(e) for e in range(1, editions + 1)))


# ----------------------------------------------------------------------------- edits

def _clock(rng: random.Random) -> str:
    hour, minute = rng.randint(1, 12), rng.randint(0, 59)
    return rng.choice([
        f"{hour}:{minute:02d} P.M. \u2014",
        f"{hour}:{minute:02d} p.m. ET \u2014",
        f"{hour + 8:02d}:{minute:02d} GMT:",
        f"{hour + 8:02d}{minute:02d} GMT -",
        f"Updated at {hour}:{minute:02d} a.m.",
        f"UPDATE {rng.randint(1, 4)}:",
        "Editor\u2019s note, Wednesday:",
        f"Update, {hour} p.m.:",
        f"({hour}.{minute:02d}am BST)",
        f"Thursday, {hour}:{minute:02d} p.m. \u2013",
    ])


# The sentence that factual fixes and style rewrites work on, in its original wording only: a
# paragraph rewritten by an earlier edition no longer matches, so it is never picked again.
_AFFECTED = re.compile(r"About ([\d,]+) people in (\w[\w ]*?) were affected, according to figures "
                       r"released this week\.")


def _end(story: Story, paragraphs: list[str]) -> int:
    """Where text added at the end goes: before the wire's closing credit line, which stays last."""
    return len(paragraphs) - 1 if story.template == "wire" else len(paragraphs)


def _edit(kind: str, story: Story, state: State, rng: random.Random) -> State:
    title, authors, p = state.title, state.authors, list(state.paragraphs)
    town = rng.choice(TOWNS)
    if kind == "live_entry":
        entry = f"{_clock(rng)} {rng.choice(GROUPS)} {rng.choice(ACTIONS)} {rng.choice(TOPICS)} in {town}."
        p.insert(0 if story.template == "tabloid" else _end(story, p), entry)
    elif kind == "appended":
        extra = (f"{rng.choice(NAMES)}, {rng.choice(TITLES)}, {rng.choice(SAID)} that talks would "
                 f"resume in {town} next week.")
        p.insert(_end(story, p), extra)
    elif kind == "latest":
        p.insert(0, f"LATEST: {rng.choice(GROUPS)} {rng.choice(ACTIONS)} {rng.choice(TOPICS)}")
    elif kind == "correction_note":
        notes = [
            f"Correction: An earlier version of this story misspelt the name of {rng.choice(NAMES)}.",
            "This article was amended on 2 December 2026 to correct the date of the vote.",
            "Clarification: The figures cover the whole region, not only the city.",
        ]
        p.insert(_end(story, p), rng.choice([n for n in notes if n not in p]))  # a new note
    elif kind == "fact_fix":  # a place or a figure replaced inside a rewritten clause
        i = next(i for i, text in enumerate(p) if _AFFECTED.search(text))  # not one rewritten before
        other = rng.choice([t for t in TOWNS if t not in p[i]])
        p[i] = _AFFECTED.sub(lambda m: (f"Figures released this week show that {m[1]} people in {other} "
                                        "were affected, officials said."), p[i], count=1)
    elif kind == "style_rewrite":  # same facts, other words
        i = next(i for i, text in enumerate(p) if _AFFECTED.search(text))
        p[i] = _AFFECTED.sub(lambda m: f"Figures released this week show that about {m[1]} people in {m[2]} "
                                       "were affected.", p[i], count=1)
    elif kind == "headline":
        title = f"{title.split(' (')[0]} {rng.choice(HEADLINE_TAIL)} ({story.number})"
    elif kind == "wire_update":
        bare = re.sub(r"^UPDATE \d+-", "", title)
        title = f"UPDATE {rng.randint(1, 3)}-{bare}"
        p.insert(_end(story, p), f"{rng.choice(GROUPS)} {rng.choice(ACTIONS)} {rng.choice(TOPICS)} later on Tuesday.")
    elif kind == "wire_corrected":
        title = f"CORRECTED-{title}"
    elif kind == "byline":
        authors = (*authors, rng.choice([n for n in NAMES if n not in authors]))
    elif kind == "paragraph_deleted":
        keep_last = story.template == "wire"
        candidates = [i for i in range(1, len(p) - (1 if keep_last else 0))
                      if " were affected" not in p[i]] or [0]
        del p[rng.choice(candidates)]
    elif kind == "moved":
        last = len(p) - (2 if story.template == "wire" else 1)
        p.insert(0, p.pop(last))
    elif kind == "typography":
        p = [t.replace("\u201c", '"').replace("\u201d", '"').replace(" \u2014 ", " - ") + " " for t in p]
    return State(title, authors, tuple(p), modified=f"2026-12-0{min(9, len(story.states) + 1)}T10:00:00Z")


# Kinds that need something in the story to work on.
def _applicable(kind: str, story: Story, state: State) -> bool:
    if kind in ("fact_fix", "style_rewrite"):
        return any(_AFFECTED.search(t) for t in state.paragraphs)
    if kind in ("paragraph_deleted", "moved"):
        return len(state.paragraphs) >= 4
    if kind in ("wire_update", "wire_corrected"):
        return not state.title.startswith(("UPDATE", "CORRECTED"))
    return True


def _visible(state: State) -> tuple:
    return state.title, state.authors, state.paragraphs


def generate(count: int, editions: int, rate: float, seed: int) -> list[Story]:
    """Stories and their edits; every edit of a kind that must make a version changes what a
    reader sees (the benchmark's ground truth would otherwise count a no-op as a miss)."""
    rng = random.Random(seed)
    stories = []
    for n in range(count):
        template = TEMPLATES[n % len(TEMPLATES)]
        paragraphs = [_paragraph(rng) for _ in range(rng.randint(2, 7))]
        town = rng.choice(TOWNS)
        paragraphs.insert(rng.randint(0, len(paragraphs)),
                          f"About {rng.randint(120, 9800):,} people in {town} were affected, according "
                          "to figures released this week.")
        if template == "wire":
            paragraphs.append(f"(Reporting by {rng.choice(NAMES)}; Editing by {rng.choice(NAMES)})")
        title = f"{rng.choice(GROUPS)} {rng.choice(ACTIONS)} {rng.choice(TOPICS)} ({n})"
        authors = tuple(rng.sample(NAMES, 2 if template == "tabloid" else 1))
        published = f"2026-11-{1 + n % 28:02d}T{n % 24:02d}:{n % 60:02d}:00Z"
        stories.append(Story(template, n, published, {1: State(title, authors, tuple(paragraphs))}))
    kinds = list(EXPECTED)
    per_kind = max(1, round(count * rate))
    for edition in range(2, editions + 1):
        pool = stories[:]
        rng.shuffle(pool)
        for kind in kinds:
            done = 0
            while pool and done < per_kind:
                story = pool.pop()
                state = story.at(edition)
                if not _applicable(kind, story, state):
                    continue
                edited = _edit(kind, story, state, rng)
                if EXPECTED[kind] is not None and _visible(edited) == _visible(state):
                    raise AssertionError(f"{kind} edit of story {story.number} changed nothing")
                story.states[edition] = edited
                story.edits[edition] = kind
                done += 1
    return stories


# ----------------------------------------------------------------------------- pages

class Newsroom:
    """Serves the stories of the current ``edition`` (duck-types ``demo.site.NewsSite``)."""

    def __init__(self, stories: list[Story], editions: int, *, redirect_old_slugs: bool = True):
        self.stories = stories
        self.edition = 1
        self.editions = editions
        self.redirect_old_slugs = redirect_old_slugs  # False: an old slug answers 404
        self._lock = threading.Lock()
        self._counter = 0
        self._index: dict[str, Story] = {}
        for story in stories:
            for path in story.paths(editions):
                self._index[path] = story

    def _rng(self) -> random.Random:
        with self._lock:
            self._counter += 1
            return random.Random(self._counter)

    def handle(self, path: str, query: dict[str, list[str]]) -> Reply:
        if query.get("id"):
            path = f"{path}?id={query['id'][0]}"
        if path == "/robots.txt":
            return Reply(body=b"User-agent: *\nAllow: /\n", headers={"Content-Type": "text/plain"})
        for template in TEMPLATES:
            if path == f"/{template}/":
                return self._listing(template)
        story = self._index.get(path)
        if story is None:
            return Reply(404, b"<html><body><h1>Not found</h1></body></html>")
        current = story.path(self.edition)
        if path != current:
            if path not in story.paths(self.edition) or not self.redirect_old_slugs:
                return Reply(404, b"<html><body><h1>Not found</h1></body></html>")
            return Reply(301, b"", headers={"Location": current, "Content-Type": "text/html"})
        return Reply(body=self._article(story, story.at(self.edition)).encode("utf-8"),
                     headers={"Content-Type": "text/html; charset=utf-8"})

    def _listing(self, template: str) -> Reply:
        rng = self._rng()
        items = [s for s in self.stories if s.template == template]
        rng.shuffle(items)  # listings reorder on every request
        links = "".join(f'<li><a href="{escape(s.path(self.edition))}">{escape(s.at(self.edition).title)}'
                        "</a></li>" for s in items)
        return Reply(body=(f"<!doctype html><html><head><title>{template}</title></head><body>"
                           f"<nav><a href='/{template}/'>Home</a></nav><ul>{links}</ul></body></html>"
                           ).encode())

    def _related(self, rng: random.Random, count: int) -> str:
        picks = rng.sample(self.stories, min(count, len(self.stories)))
        return "".join(f'<li><a href="{escape(s.path(1))}">{escape(s.at(1).title)}</a></li>' for s in picks)

    def _article(self, story: Story, state: State) -> str:
        rng = self._rng()
        render = getattr(self, f"_{story.template}")
        return render(story, state, rng)

    @staticmethod
    def _jsonld(story: Story, state: State, authors: tuple[str, ...] | None) -> str:
        data = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": state.title,
                "datePublished": story.published}
        if state.modified:
            data["dateModified"] = state.modified
        if authors:
            data["author"] = [{"@type": "Person", "name": a} for a in authors]
        return f'<script type="application/ld+json">{json.dumps(data)}</script>'

    def _metro(self, story: Story, state: State, rng: random.Random) -> str:
        paragraphs = [f"<p>{escape(p)}</p>" for p in state.paragraphs]
        paragraphs.insert(min(2, len(paragraphs)),
                          f'<div class="jp-relatedposts"><h3>Related</h3><ul>{self._related(rng, 3)}</ul></div>')
        authors = " and ".join(f'<a rel="author" href="/metro/author/{slugify(a)}/">{escape(a)}</a>'
                               for a in state.authors)
        return (
            f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{escape(state.title)} "
            f"&#8211; Metro Daily</title><link rel='canonical' href='{escape(story.path(self.edition))}'>"
            f"<meta property='article:published_time' content='{story.published}'></head><body>"
            "<div id='masthead'><a href='/metro/'>Metro Daily</a><ul class='menu'><li>News</li><li>Sport</li>"
            f"<li>Opinion</li></ul></div><div id='primary'><article class='post type-post'>"
            f"<header class='entry-header'><h1 class='entry-title'>{escape(state.title)}</h1>"
            f"<div class='entry-meta'>Posted on <time class='entry-date' datetime='{story.published}'>"
            f"{story.published[:10]}</time> by <span class='author vcard'>{authors}</span></div></header>"
            f"<div class='entry-content'>{''.join(paragraphs)}"
            f"<div class='sharedaddy'><h3>Share this:</h3><a href='#'>Twitter</a> <a href='#'>Facebook</a> "
            f"<span>{rng.randint(3, 900)} shares</span></div></div></article>"
            f"<div id='comments'>{rng.randint(0, 80)} thoughts on this</div></div>"
            f"<aside id='secondary'><h2>Popular</h2><ul>{self._related(rng, 6)}</ul></aside>"
            f"<footer>&copy; Metro Daily &middot; ad {secrets.token_hex(6)}</footer></body></html>"
        )

    def _wire(self, story: Story, state: State, rng: random.Random) -> str:
        paragraphs = "".join(f'<p data-testid="paragraph-{i}">{escape(p)}</p>'
                             for i, p in enumerate(state.paragraphs))
        return (
            f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(state.title)} | Wire</title>"
            f"<link rel='canonical' href='{escape(story.path(self.edition))}'>"
            f"{self._jsonld(story, state, state.authors)}</head><body>"
            "<header><a href='/wire/'>WIRE</a> <a href='/wire/world/'>World</a> <a href='/wire/markets/'>Markets</a>"
            f"</header><main><article><h1 data-testid='Heading'>{escape(state.title)}</h1>"
            f"<time datetime='{story.published}'>{story.published[:16].replace('T', ' ')} UTC</time>"
            f"<div class='article-body'>{paragraphs}</div>"
            "<p class='trust'>Our Standards: The Trust Principles.</p></article>"
            f"<section class='read-next'><h2>Read Next</h2><ul>{self._related(rng, 4)}</ul></section>"
            f"<div class='ad' data-slot='{secrets.token_hex(5)}'>Advertisement &middot; Scroll to continue</div>"
            "</main></body></html>"
        )

    def _tabloid(self, story: Story, state: State, rng: random.Random) -> str:
        paragraphs = [f"<p>{escape(p)}</p>" for p in state.paragraphs]
        paragraphs.insert(min(3, len(paragraphs)),
                          f"<div class='more-on-this'><strong>MORE ON THIS</strong><ul>{self._related(rng, 2)}"
                          "</ul></div>")
        shown = " and ".join(state.authors)
        return (
            f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(state.title)}</title>"
            f"<link rel='canonical' href='{escape(story.path(self.edition))}'>"
            f"{self._jsonld(story, state, state.authors[:1])}</head><body>"
            "<div class='top-nav'><a href='/tabloid/'>THE TABLOID</a> <span>Showbiz</span> <span>TV</span></div>"
            f"<div class='article'><h1 class='headline'>{escape(state.title)}</h1>"
            f"<div class='article-meta'><span class='author'>By {escape(shown)}</span> "
            f"<span class='stamp'>Published {story.published[:10]} | Updated {rng.randint(1, 59)} mins ago</span>"
            f"</div><div class='share-bar'>Share Tweet Email {rng.randint(10, 9000)}</div>"
            f"<div class='article-body'>{''.join(paragraphs)}</div>"
            f"<div class='comments'>Comments ({rng.randint(0, 500)})</div></div>"
            f"<div class='sidebar'><h3>Most read</h3><ol>{self._related(rng, 8)}</ol></div></body></html>"
        )

    def _gazette(self, story: Story, state: State, rng: random.Random) -> str:
        paragraphs = "".join(f"<p>{escape(p)}</p>" for p in state.paragraphs)
        authors = ", ".join(f"<span itemprop='author'>{escape(a)}</span>" for a in state.authors)
        return (
            f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(state.title)} - The Gazette"
            f"</title><link rel='canonical' href='{escape(story.path(self.edition))}'>"
            f"{self._jsonld(story, state, state.authors)}</head><body>"
            "<table class='layout'><tr><td class='nav'><a href='/gazette/'>Front page</a><br>Letters<br>"
            "Obituaries</td><td class='content'>"
            f"<div itemscope itemtype='https://schema.org/NewsArticle'><h2 class='title' itemprop='headline'>"
            f"{escape(state.title)}</h2><div class='byline'>{authors}</div>"
            f"<div class='story' itemprop='articleBody'>{paragraphs}</div></div>"
            f"<div class='print'>Print this story | Email | Visitors today: {rng.randint(100, 99999)}</div>"
            f"</td><td class='ads'>Sponsored links {secrets.token_hex(4)}<ul>{self._related(rng, 5)}</ul></td>"
            "</tr></table></body></html>"
        )


def outlets_toml(base_url: str, id_patterns: bool = True) -> str:
    """Outlets configuration for the newsroom served at ``base_url``."""
    wire_id = "\nid_pattern = '-id(\\d+)$'" if id_patterns else ""
    return f"""\
[[outlet]]
name = "metro"
domains = ["127.0.0.1"]
start_urls = ["{base_url}/metro/"]
article_patterns = ['^/metro/\\d{{4}}/\\d{{2}}/\\d{{2}}/[a-z0-9-]+/$']
max_pages = 100000

[[outlet]]
name = "wire"
domains = ["127.0.0.1"]
start_urls = ["{base_url}/wire/"]
article_patterns = ['^/wire/world/[a-z0-9-]+-id\\d+$']{wire_id}
max_pages = 100000

[[outlet]]
name = "tabloid"
domains = ["127.0.0.1"]
start_urls = ["{base_url}/tabloid/"]
article_patterns = ['^/tabloid/story/[a-z0-9-]+\\.html$']
max_pages = 100000

[[outlet]]
name = "gazette"
domains = ["127.0.0.1"]
start_urls = ["{base_url}/gazette/"]
article_patterns = ['^/gazette/articles/view\\.php\\?id=\\d+$']
max_pages = 100000
"""
