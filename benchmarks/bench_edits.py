"""Edit detection quality on a generated local outlet crawled for real, edition after edition.

    PYTHONPATH=. python benchmarks/bench_edits.py [--articles 1200] [--editions 3] [--rate 0.02]

A local site of generated stories (both demo templates) changes its boilerplate on every
request (related headlines, counters, ad ids, nonces). Between editions a few percent of the
stories get one real edit of each kind, and as many get a typography-only change that must
not count. Every edition is crawled by a ``scrapy crawl news`` subprocess; the database is
then compared with what the generator did. Not a test: it takes minutes.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

import newsarchive.demo.site as demo_site
from newsarchive.db.engine import default_db_url, open_database
from newsarchive.db.models import Article, Change
from newsarchive.demo.run import FAST_LOCAL, crawl_subprocess
from newsarchive.demo.site import NewsSite, SiteServer, outlets_toml, story_path
from newsarchive.demo.stories import Story, StoryState

# What each generated edit must be classified as (typography must make no version at all).
EXPECTED_KIND = {
    "update": "update_appended",
    "latest": "latest_line",
    "correction": "correction",
    "headline": "headline_changed",
    "byline": "byline_changed",
    "paragraph_deleted": "paragraph_deleted",
    "moved": "moved",
    "typography": None,
}
SECTIONS = {"ledger": ("city", "culture", "harbour", "schools", "courts", "arts"),
            "courier": ("business", "sport", "transport", "health", "weather", "markets")}

PLACES = ("the harbour", "the old town", "Eastgate", "the river walk", "Mill Lane", "the north landing",
          "the ring road", "Hill Road", "the racecourse", "the central library", "the bus depot",
          "the market square", "the reservoir", "the industrial estate", "the university campus")
BODIES = ("The council", "The harbour authority", "The transit company", "The health board",
          "The police", "The school board", "The parks department", "The port board",
          "The environment agency", "The chamber of commerce", "The fire service", "The water company")
VERBS = ("approved", "delayed", "rejected", "announced", "reviewed", "postponed", "extended",
         "proposed", "funded", "suspended", "expanded", "questioned")
THINGS = ("a plan for new cycle lanes", "repairs to the sea wall", "a night bus service",
          "a budget for extra staff", "a new parking scheme", "the sale of a disused pier",
          "a study of flood risk", "longer opening hours", "a ban on heavy lorries",
          "a new playground", "a rise in fees", "the closure of a clinic", "a housing project",
          "a community garden", "a tram extension", "a youth centre")
PEOPLE = ("Lena Marsh", "Tom Brennan", "Priya Nandakumar", "Helen Okafor", "Daniel Osei",
          "Ruth Calder", "Jonas Feld", "Ada Mwangi", "Ben Achterberg", "Ida Borg", "Sam Petrov",
          "Grace Lindahl", "Omar Haddad", "Nora Quist")
ROLES = ("a spokesperson", "a resident", "a local trader", "a councillor", "an engineer",
         "a union official", "a head teacher", "the chief executive")
WHEN = ("on Monday", "on Tuesday", "on Wednesday", "on Thursday", "on Friday", "last week",
        "this month", "in the spring", "by the summer", "after the holidays")
REACT = ("welcomed the decision", "criticised the timing", "asked for more details",
         "called the move overdue", "warned of higher costs", "said residents had not been consulted",
         "promised a public meeting", "said the figures would be published")


def _sentence(rng: random.Random) -> str:
    shape = rng.randrange(5)
    if shape == 0:
        return f"{rng.choice(BODIES)} {rng.choice(VERBS)} {rng.choice(THINGS)} near {rng.choice(PLACES)} {rng.choice(WHEN)}."
    if shape == 1:
        return (f"The project will cost about {rng.randint(2, 90)}.{rng.randint(1, 9)} million and "
                f"take {rng.randint(3, 40)} months, according to {rng.choice(ROLES)}.")
    if shape == 2:
        return f"{rng.choice(PEOPLE)}, {rng.choice(ROLES)}, {rng.choice(REACT)} {rng.choice(WHEN)}."
    if shape == 3:
        return (f"\u201cWe have waited {rng.randint(2, 12)} years for this,\u201d said {rng.choice(PEOPLE)}, "
                f"who lives near {rng.choice(PLACES)}.")
    return (f"More than {rng.randint(2, 95)},{rng.randint(100, 999)} people signed a petition about "
            f"{rng.choice(THINGS)} {rng.choice(WHEN)}.")


def _paragraph(rng: random.Random) -> str:
    return " ".join(_sentence(rng) for _ in range(rng.randint(1, 3)))


def _figure_sentence(rng: random.Random) -> str:
    return (f"Officials said {rng.randint(12, 480)} households near {rng.choice(PLACES)} would be "
            f"affected by {rng.choice(THINGS)}.")


@dataclass
class Generated:
    """One generated story and the edit it got for each edition (if any)."""

    story: Story
    states: list[StoryState] = field(default_factory=list)
    edits: dict[int, str] = field(default_factory=dict)  # edition -> edit made for it


def _edit(kind: str, state: StoryState, edition: int, rng: random.Random) -> StoryState:
    p = list(state.paragraphs)
    title, byline = state.title, state.byline
    if kind == "update":
        p.append(f"Update # {rng.randint(1, 3)} \u2014 {rng.randint(1, 11)}:{rng.randint(10, 59)} P.M.: "
                 f"{rng.choice(BODIES)} {rng.choice(REACT)} {rng.choice(WHEN)}.")
    elif kind == "latest":
        p.insert(0, f"LATEST: {rng.choice(BODIES)} {rng.choice(VERBS)} {rng.choice(THINGS)}")
    elif kind == "correction":  # a wrong figure fixed: a decimal cost if the story has one
        costs = [i for i, text in enumerate(p) if re.search(r"about \d+\.\d million", text)]
        if costs and rng.random() < 0.5:
            i = rng.choice(costs)
            p[i] = re.sub(r"about (\d+)\.(\d) million", lambda m: f"about {m[2]}.{m[1]} million"
                          if m[1] != m[2] else f"about {m[1]}.{int(m[2]) % 9 + 1} million", p[i], count=1)
        else:
            i = next(i for i, text in enumerate(p) if text.startswith("Officials said "))
            old = p[i].split()[2]
            p[i] = p[i].replace(f" {old} ", f" {int(old) + rng.randint(1, 9)} ", 1)
    elif kind == "headline":
        title = f"{title} as {rng.choice(BODIES).lower()} {rng.choice(VERBS)} plan"
    elif kind == "byline":
        byline = f"{byline} and {rng.choice([x for x in PEOPLE if x not in byline])}"
    elif kind == "paragraph_deleted":
        deletable = [i for i in range(1, len(p) - 1) if not p[i].startswith("Officials said ")] or [
            i for i in range(len(p)) if not p[i].startswith("Officials said ")]
        del p[rng.choice(deletable)]
    elif kind == "moved":
        p.insert(0 if len(p) == 2 else 1, p.pop())
    elif kind == "typography":
        p = [text.replace("\u201c", '"').replace("\u201d", '"').replace(", ", ",  ") for text in p]
        p[-1] = p[-1].rstrip(".")
    return StoryState(edition, title, tuple(p), byline=byline)


def generate(count: int, editions: int, rate: float, seed: int,
             min_paragraphs: int = 3) -> list[Generated]:
    rng = random.Random(seed)
    articles = []
    for n in range(count):
        outlet = "ledger" if n % 2 else "courier"
        section = SECTIONS[outlet][n % len(SECTIONS[outlet])]
        paragraphs = [_paragraph(rng) for _ in range(rng.randint(min_paragraphs, max(min_paragraphs, 6)))]
        paragraphs.insert(rng.randint(1, len(paragraphs)), _figure_sentence(rng))
        title = f"{rng.choice(BODIES)} {rng.choice(VERBS)} {rng.choice(THINGS)} ({n})"
        day = 1 + n % 28
        story = Story(outlet, section, f"story-{n:05d}", f"2026-02-{day:02d}T{n % 24:02d}:{n % 60:02d}:00+00:00")
        articles.append(Generated(story, [StoryState(1, title, tuple(paragraphs), byline=rng.choice(PEOPLE))]))
    per_kind = max(1, round(count * rate))
    for edition in range(2, editions + 1):
        chosen = rng.sample(articles, per_kind * len(EXPECTED_KIND))
        for i, article in enumerate(chosen):
            kind = list(EXPECTED_KIND)[i // per_kind]
            article.states.append(_edit(kind, article.states[-1], edition, rng))
            article.edits[edition] = kind
    for article in articles:
        article.story = Story(article.story.outlet, article.story.section, article.story.slug,
                              article.story.published, tuple(article.states))
    return articles


def crawl_all(articles: list[Generated], editions: int, workdir: Path) -> tuple[list[dict], list[float]]:
    """Crawl every edition; per edition: canonical URL -> (version count, kinds of new changes)."""
    demo_site.PAGE_SIZE = 100_000  # one listing page per section: every article within reach
    site = NewsSite(tuple(a.story for a in articles), edition=1)
    observed: list[dict] = []
    durations: list[float] = []
    with SiteServer(site) as server:
        outlets = workdir / "outlets.toml"
        outlets.write_text(outlets_toml(server.base_url).replace(
            "\n[[outlet]]", "\nmax_pages = 100000\n\n[[outlet]]") + "max_pages = 100000\n")
        data = workdir / "data"
        sessions = None
        for edition in range(1, editions + 1):
            site.edition = edition
            started = time.monotonic()
            result = crawl_subprocess(outlets, data, timeout=3600, spider_args=["recrawl=all"],
                                      settings=(*FAST_LOCAL, "CONCURRENT_REQUESTS=32",
                                                "CONCURRENT_REQUESTS_PER_DOMAIN=32"))
            durations.append(time.monotonic() - started)
            if result.returncode != 0:
                sys.exit(f"crawl of edition {edition} failed:\n{result.stderr[-3000:]}")
            sessions = sessions or open_database(default_db_url(data))
            with sessions() as session:
                rows = session.execute(select(Article.id, Article.canonical_url, Article.version_count)).all()
                kinds: dict[int, list[str]] = {}
                for change in session.scalars(select(Change)):
                    kinds.setdefault(change.article_id, []).append(change.kinds)
                base = server.base_url
                observed.append({url[len(base):]: (count, kinds.get(aid, [])) for aid, url, count in rows})
            print(f"  edition {edition}: {len(rows)} articles, {durations[-1]:.1f}s", file=sys.stderr)
    return observed, durations


def report(articles: list[Generated], observed: list[dict], durations: list[float]) -> None:
    tp = fp = fn = tn = 0
    typo_versions = typo_total = 0
    boiler_versions = boiler_total = 0
    kind_hits: Counter[str] = Counter()
    kind_total: Counter[str] = Counter()
    misses: list[str] = []
    missing = 0
    for edition in range(2, len(observed) + 1):
        before, after = observed[edition - 2], observed[edition - 1]
        for article in articles:
            path = story_path(article.story)
            if path not in after or path not in before:
                missing += 1
                continue
            (n0, k0), (n1, k1) = before[path], after[path]
            new_version = n1 > n0
            kind = article.edits.get(edition)
            real = kind is not None and kind != "typography"
            tp += real and new_version
            fn += real and not new_version
            fp += (not real) and new_version
            tn += (not real) and not new_version
            if kind is None:
                boiler_total += 1
                boiler_versions += new_version
            elif kind == "typography":
                typo_total += 1
                typo_versions += new_version
            else:
                kind_total[kind] += 1
                new_kinds = k1[len(k0):]
                hit = new_version and any(EXPECTED_KIND[kind] in ks for ks in new_kinds)
                kind_hits[kind] += hit
                if not hit:
                    misses.append(f"{kind} {path}: {new_kinds}")
            if kind is None and new_version:
                misses.append(f"boilerplate-only {path}: {k1[len(k0):]}")
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    print(f"\n{len(articles)} articles, {len(observed)} editions, "
          f"{boiler_total + typo_total + sum(kind_total.values())} article-edition pairs compared"
          + (f" ({missing} not found)" if missing else ""))
    print("\n| measure | value |\n| --- | --- |")
    print(f"| precision of \"content changed\" | {precision:.4f} ({tp} TP, {fp} FP) |")
    print(f"| recall of \"content changed\" | {recall:.4f} ({fn} FN) |")
    print(f"| boilerplate-only pages given a new version | {boiler_versions}/{boiler_total} "
          f"({100 * boiler_versions / max(boiler_total, 1):.2f} %) |")
    print(f"| typography-only edits given a new version | {typo_versions}/{typo_total} |")
    print("\n| edit | expected kind | accuracy |\n| --- | --- | --- |")
    for kind, expected in EXPECTED_KIND.items():
        if expected:
            print(f"| {kind} | `{expected}` | {kind_hits[kind]}/{kind_total[kind]} "
                  f"({kind_hits[kind] / max(kind_total[kind], 1):.3f}) |")
    print("\n| edition | crawl time | relative to first |\n| --- | --- | --- |")
    for i, seconds in enumerate(durations, 1):
        print(f"| {i} | {seconds:.1f} s | {seconds / durations[0]:.2f} |")
    if misses:
        print("\nmisclassified (first 20):")
        for line in misses[:20]:
            print("  " + line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1200)
    parser.add_argument("--editions", type=int, default=3)
    parser.add_argument("--rate", type=float, default=0.02, help="share of articles per edit kind per edition")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--min-paragraphs", type=int, default=1,
                        help="shortest story, not counting the figure paragraph every story has")
    args = parser.parse_args()
    articles = generate(args.articles, args.editions, args.rate, args.seed, args.min_paragraphs)
    with tempfile.TemporaryDirectory(prefix="bench-edits-") as tmp:
        observed, durations = crawl_all(articles, args.editions, Path(tmp))
    report(articles, observed, durations)


if __name__ == "__main__":
    main()
