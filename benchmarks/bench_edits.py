"""Edit detection quality on a generated newsroom, crawled for real edition after edition.

    .venv/bin/python benchmarks/bench_edits.py [--articles 1200] [--editions 4] [--rate 0.01]

The newsroom (``newsarchive/demo/newsroom.py``) has four outlet templates with their own URL
schemes (slugs that follow the headline and 301 when it changes, stable ids, query ids),
bylines in page markup only, in JSON-LD only, and in both disagreeing, and boilerplate that
changes on every request. Between editions a share of the stories get one edit of each kind
(live entries in several time formats, wire headline prefixes, paragraphs appended without a
marker, factual fixes inside rewritten clauses, style-only rewrites, ...), and as many get a
typography-only change that must make no version. A change counts as detected when it
made a new version, or a ``reverted`` event when the page went back to a text it showed
before (the archive stores that as a change record on the old version, never a new one).
Every edition is crawled by a
``scrapy crawl news -a recrawl=all`` subprocess; the database is then compared with what the
generator did. Not a test: it takes minutes.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

from sqlalchemy import select

from newsarchive.db.engine import default_db_url, open_database
from newsarchive.db.models import Article, ArticleVersion, Capture, Change
from newsarchive.demo.newsroom import EXPECTED, FORBIDDEN, Newsroom, Story, generate, outlets_toml
from newsarchive.demo.run import FAST_LOCAL, crawl_subprocess
from newsarchive.demo.site import SiteServer

Snapshot = dict[int, tuple[int, list[list[str]]]]  # article id -> (versions, kinds of each change)


def _snapshot(sessions, base: str) -> tuple[Snapshot, dict[str, set[int]], int]:
    """Versions and change kinds per article, the article ids each fetched URL led to, and
    how many stored versions after the first carry no kind."""
    with sessions() as session:
        counts = dict(session.execute(select(Article.id, Article.version_count)).all())
        kinds: dict[int, list[list[str]]] = defaultdict(list)
        with_change: set[int] = set()
        for article_id, to_version, change_kinds in session.execute(
                select(Change.article_id, Change.to_version_id, Change.kinds).order_by(Change.id)):
            kinds[article_id].append(list(change_kinds))
            if to_version is not None and change_kinds:
                with_change.add(to_version)
        later = session.scalars(select(ArticleVersion.id).where(ArticleVersion.seq > 1)).all()
        unlabelled = sum(1 for v in later if v not in with_change)
        by_url: dict[str, set[int]] = defaultdict(set)
        for url, article_id in session.execute(
                select(Capture.url, Capture.article_id).where(Capture.article_id.is_not(None))):
            by_url[url.removeprefix(base)].add(article_id)
    return {a: (n, kinds.get(a, [])) for a, n in counts.items()}, by_url, unlabelled


def crawl_all(stories: list[Story], editions: int, workdir: Path):
    site = Newsroom(stories, editions)
    snapshots: list[Snapshot] = []
    durations: list[float] = []
    with SiteServer(site) as server:
        outlets = workdir / "outlets.toml"
        outlets.write_text(outlets_toml(server.base_url), encoding="utf-8")
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
            snapshot, by_url, unlabelled = _snapshot(sessions, server.base_url)
            snapshots.append(snapshot)
            print(f"  edition {edition}: {len(snapshot)} articles, {durations[-1]:.1f}s", file=sys.stderr)
    return snapshots, by_url, unlabelled, durations


def _visible(state) -> tuple:
    return state.title, state.authors, state.paragraphs


def report(stories: list[Story], editions: int, snapshots: list[Snapshot], by_url: dict[str, set[int]],
           unlabelled: int, durations: list[float], show_misses: int = 25, seed: int | None = None) -> dict:
    tp = fp = fn = 0
    boiler_versions = boiler_total = typo_versions = typo_total = 0
    hits: Counter[str] = Counter()
    totals: Counter[str] = Counter()
    misses: list[str] = []
    split = missing = 0
    reverted_events = back_to_earlier = 0
    for story in stories:
        ids = set().union(*(by_url.get(path, set()) for path in story.paths(editions)))
        if len(ids) != 1:
            split += len(ids) > 1
            missing += not ids
            misses.append(f"{'split' if ids else 'missing'} {story.template} {story.paths(editions)}: {sorted(ids)}")
            continue
        (article,) = ids
        for edition in range(2, editions + 1):
            before, after = snapshots[edition - 2].get(article), snapshots[edition - 1].get(article)
            if before is None or after is None:
                missing += 1
                continue
            new_kinds = {k for ks in after[1][len(before[1]):] for k in ks}
            # Detected: a new version, or a "reverted" event when the page went back to a
            # version it showed before (stored as a change record, by design no new version).
            changed = after[0] > before[0] or "reverted" in new_kinds
            reverted_events += "reverted" in new_kinds
            kind = story.edits.get(edition)
            real = kind is not None and EXPECTED[kind] is not None
            back_to_earlier += real and _visible(story.at(edition)) in {
                _visible(story.at(e)) for e in range(1, edition - 1)}
            tp += real and changed
            fn += real and not changed
            fp += (not real) and changed
            if kind is None:
                boiler_total += 1
                boiler_versions += changed
            elif not real:
                typo_total += 1
                typo_versions += changed
            else:
                totals[kind] += 1
                hit = changed and EXPECTED[kind] in new_kinds and FORBIDDEN.get(kind) not in new_kinds
                hits[kind] += hit
                if not hit:
                    misses.append(f"{kind} {story.template} {story.path(edition)}: {sorted(new_kinds)}")
            if not real and changed:
                misses.append(f"{kind or 'boilerplate-only'} {story.template} {story.path(edition)}: "
                              f"{sorted(new_kinds)}")
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    print(f"\n{len(stories)} stories on 4 templates, {editions} editions, seed {seed}")
    print("\n| measure | value |\n| --- | --- |")
    print(f"| precision of \"content changed\" | {precision:.4f} ({tp} TP, {fp} FP) |")
    print(f"| recall of \"content changed\" | {recall:.4f} ({fn} FN) |")
    print(f"| boilerplate-only pages given a version | {boiler_versions}/{boiler_total} "
          f"({100 * boiler_versions / max(boiler_total, 1):.3f} %) |")
    print(f"| typography-only edits given a version | {typo_versions}/{typo_total} |")
    print(f"| edits that bring back an earlier text / stored as `reverted` events | "
          f"{back_to_earlier} / {reverted_events} |")
    print(f"| stories split into several articles | {split} (missing: {missing}) |")
    print(f"| versions after the first with no kind | {unlabelled} |")
    print("\n| edit | expected kind | label accuracy |\n| --- | --- | --- |")
    for kind, expected in EXPECTED.items():
        if expected:
            extra = f", never `{FORBIDDEN[kind]}`" if kind in FORBIDDEN else ""
            print(f"| {kind} | `{expected}`{extra} | {hits[kind]}/{totals[kind]} "
                  f"({hits[kind] / max(totals[kind], 1):.3f}) |")
    print("\n| edition | crawl time | relative to first |\n| --- | --- | --- |")
    for i, seconds in enumerate(durations, 1):
        print(f"| {i} | {seconds:.1f} s | {seconds / durations[0]:.2f} |")
    if misses:
        print(f"\nmisses ({len(misses)}, first {show_misses}):")
        for line in misses[:show_misses]:
            print("  " + line)
    return {"precision": precision, "recall": recall, "split": split, "unlabelled": unlabelled,
            "accuracy": {k: hits[k] / max(totals[k], 1) for k in totals}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1200)
    parser.add_argument("--editions", type=int, default=4)
    parser.add_argument("--rate", type=float, default=0.01, help="share of stories per edit kind per edition")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--show-misses", type=int, default=25, help="how many misses to list")
    args = parser.parse_args()
    stories = generate(args.articles, args.editions, args.rate, args.seed)
    with tempfile.TemporaryDirectory(prefix="bench-edits-") as tmp:
        snapshots, by_url, unlabelled, durations = crawl_all(stories, args.editions, Path(tmp))
    report(stories, args.editions, snapshots, by_url, unlabelled, durations, args.show_misses, args.seed)


if __name__ == "__main__":
    main()
