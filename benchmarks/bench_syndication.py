"""Syndication clusters: pair precision/recall on generated newsrooms, and assignment time
against 10,000 and 1,000,000 stored versions.

Quality. A generator writes stories (a topic vocabulary over common English and news words)
and places them on outlets the way wire copy travels: a new headline, wording changes (words
replaced, dropped or added, 0-6 % of them), the last paragraphs trimmed, a local line added,
each outlet's own boilerplate, the wire's footer, now and then a print URL of the same copy
on the same outlet (an alias). Next to them, near-misses that must stay apart:

- *template* stories (results, prices, weather, earnings): one skeleton, other names and figures;
- *follow-ups*: a new story on the same topic that reuses one or two background paragraphs;
- *court reports* that end with one long standard legal notice, longer than their own text;
- stories of the same topic (shared vocabulary), and singletons.

Each article goes through the real path (``store.record_article`` then
``syndication.fingerprint_version``) into a fresh SQLite database; a pair of articles is
positive when they carry the same story. The threshold is chosen on a *tuning* newsroom
(seed 1) and reported on a *held-out* one (seed 2, other outlets, other topics), never tuned.

Time. 10,000 new versions (copies of stored stories, new stories, near-misses) are assigned
against an archive of N stored versions, for N = 10,000 (the baseline) and N = 1,000,000, in
the same invocation: the stored versions are real rows (articles, versions with their text,
fingerprints, band keys, paragraph counts, made by the same functions), bulk-loaded; the new
ones are stored by ``store.record_article`` and then timed through
``syndication.fingerprint_version`` and the commit, batch by batch.

    nice -n 10 .venv/bin/python benchmarks/bench_syndication.py            # quality + 10k vs 1M
    nice -n 10 .venv/bin/python benchmarks/bench_syndication.py --sizes 10000,100000
    .venv/bin/python benchmarks/bench_syndication.py --quality-only
"""

from __future__ import annotations

import argparse
import itertools
import random
import sqlite3
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, select  # noqa: E402

from newsarchive import syndication  # noqa: E402
from newsarchive.content import fingerprint  # noqa: E402
from newsarchive.db import store  # noqa: E402
from newsarchive.db.engine import open_database  # noqa: E402
from newsarchive.db.models import Article, ArticleVersion, Outlet, SyndicationMember  # noqa: E402

FUNCTION = ("the a an of to in and for on at by with from that this is was were has have had be been "
            "will would could should may can it its their they he she his her we our who which as but "
            "not or after before over under about than more most into out up down also only new last "
            "first one two three said says told there when while where because since until during").split()
NEWS = ("council city government police minister president company market court school hospital "
        "officials residents week month year people report plan vote election budget workers "
        "union price prices rise fall percent million billion spokesman statement agency board "
        "river road bridge town village region county state national local public service "
        "health water power energy train bus airport port weather storm rain flood fire team "
        "match season club players coach league win lost final cup scored goals").split()
SYLLABLES = ("ba be bi bo bu ka ke ki ko ku la le li lo lu ma me mi mo mu na ne ni no nu ra re ri ro "
             "ru sa se si so su ta te ti to tu va ve vi vo vu dra gre pli sto tri wen yor zal").split()
WEEKDAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()


def _words(rng: random.Random, n: int) -> list[str]:
    return ["".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))) for _ in range(n)]


@dataclass
class Newsroom:
    """Vocabulary, topics and outlets of one generated newsroom (one seed)."""

    seed: int
    rng: random.Random = field(init=False)
    topics: list[list[str]] = field(init=False)
    names: list[str] = field(init=False)
    outlets: list[str] = field(init=False)
    boilerplate: dict[str, list[str]] = field(init=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        lexicon = _words(self.rng, 30000)
        self.topics = [self.rng.sample(lexicon, 250) for _ in range(60)]
        self.names = [w.title() for w in self.rng.sample(lexicon, 3000)]
        self.outlets = [f"s{self.seed}o{i}" for i in range(24)]
        self.boilerplate = {o: [self.sentence(self.rng.randrange(60), 14) + " Subscribe today."
                                for _ in range(self.rng.randint(0, 2))] for o in self.outlets}
        self.wire_footer = ("Copyright 2026 The Wire. All rights reserved. This material may not be "
                            "published, broadcast, rewritten or redistributed.")
        self.legal_notice = " ".join(self.sentence(0, 16) for _ in range(6))

    def sentence(self, topic: int, length: int | None = None) -> str:
        rng = self.rng
        words = []
        for _ in range(length or rng.randint(12, 30)):
            roll = rng.random()
            if roll < 0.42:
                words.append(rng.choice(FUNCTION))
            elif roll < 0.58:
                words.append(rng.choice(NEWS))
            elif roll < 0.66:
                words.append(rng.choice(self.names))
            elif roll < 0.70:
                words.append(str(rng.randint(2, 9999)))
            else:  # Zipf-ish over the topic's words
                words.append(self.topics[topic][min(int(rng.paretovariate(1.1)) - 1, 249)])
        words[0] = words[0].capitalize()
        return " ".join(words) + "."

    def paragraph(self, topic: int) -> str:
        return " ".join(self.sentence(topic) for _ in range(self.rng.randint(1, 3)))

    def story(self, topic: int, paragraphs: int | None = None) -> list[str]:
        return [self.paragraph(topic) for _ in range(paragraphs or self.rng.randint(3, 12))]

    def reword(self, paragraphs: list[str], rate: float) -> list[str]:
        out = []
        for p in paragraphs:
            words = p.split()
            for i in range(len(words)):
                if self.rng.random() < rate:
                    op = self.rng.random()
                    if op < 0.5:
                        words[i] = self.rng.choice(FUNCTION + NEWS)
                    elif op < 0.75:
                        words[i] = ""
                    else:
                        words[i] = words[i] + " " + self.rng.choice(FUNCTION)
            out.append(" ".join(w for w in words if w))
        return out

    def copy(self, original: list[str], outlet: str, *, wire: bool) -> list[str]:
        """An outlet's copy of a wire story."""
        rng = self.rng
        text = self.reword(original, rng.choice((0.0, 0.01, 0.02, 0.03, 0.04, 0.06)))
        if len(text) > 3 and rng.random() < 0.5:  # trimmed
            text = text[:max(2, len(text) - rng.randint(1, len(text) // 2))]
        if rng.random() < 0.4:  # a local line
            text.insert(rng.randint(1, len(text)), self.sentence(rng.randrange(60), 18))
        if rng.random() < 0.3:  # another lead
            text[0] = self.reword([text[0]], 0.15)[0]
        if wire:
            text.append(self.wire_footer)
        return text + self.boilerplate[outlet]

    def template(self, family: int) -> list[str]:
        """A skeleton shared by a family of template stories, with slots for names and figures."""
        rng = random.Random(self.seed * 1000 + family)
        skeleton = []
        for _ in range(rng.randint(3, 6)):
            words = self.sentence(family % 60, rng.randint(16, 30)).split()
            for _ in range(rng.randint(2, 4)):
                words[rng.randrange(len(words))] = "{slot}"
            skeleton.append(" ".join(words))
        return skeleton

    def fill(self, skeleton: list[str]) -> list[str]:
        return [" ".join(self.rng.choice(self.names) if w == "{slot}" and self.rng.random() < 0.5
                         else str(self.rng.randint(1, 999)) if w == "{slot}" else w for w in p.split())
                for p in skeleton]


@dataclass
class Placed:
    outlet: str
    url: str
    paragraphs: list[str]
    story: str  # ground truth: same story id = same cluster
    at: int  # minutes


def newsroom_corpus(seed: int, stories: int) -> list[Placed]:
    """A newsroom's articles with their true story ids (see the module docstring)."""
    room = Newsroom(seed)
    rng = room.rng
    out: list[Placed] = []
    serial = itertools.count()

    def place(outlet: str, paragraphs: list[str], story: str, at: int) -> None:
        out.append(Placed(outlet, f"https://{outlet}.example/a/{next(serial)}", paragraphs, story, at))

    families = [room.template(f) for f in range(40)]
    for n in range(stories):
        topic = rng.randrange(60)
        at = n * 3
        kind = rng.random()
        if kind < 0.45:  # a wire story on 2-6 outlets (the wire itself among them half the time)
            original = room.story(topic)
            outlets = rng.sample(room.outlets, rng.randint(2, 6))
            wire = rng.random() < 0.5
            for i, outlet in enumerate(outlets):
                text = original + [room.wire_footer] + room.boilerplate[outlet] if (wire and i == 0) \
                    else room.copy(original, outlet, wire=wire)
                place(outlet, text, f"s{n}", at + 20 * i)
                if rng.random() < 0.08:  # the same copy at a print URL, maybe one line more
                    extra = [room.sentence(topic, 8)] if rng.random() < 0.5 else []
                    place(outlet, text + extra, f"s{n}", at + 20 * i + 1)
        elif kind < 0.60:  # template stories: one skeleton, other figures and names (near-misses)
            outlet = rng.choice(room.outlets)
            place(outlet, room.fill(rng.choice(families)) + room.boilerplate[outlet], f"s{n}", at)
        elif kind < 0.70:  # a follow-up reusing background paragraphs of an earlier story
            earlier = [p for p in out if p.story.startswith("s") and len(p.paragraphs) > 3]
            if earlier:
                source = rng.choice(earlier)
                reused = rng.sample(source.paragraphs[:-1], rng.randint(1, 2))
                text = room.story(topic, rng.randint(3, 7))
                text[1:1] = reused
                place(source.outlet, text + room.boilerplate[source.outlet], f"s{n}", at)
        elif kind < 0.78:  # a court report ending with the long standard legal notice
            outlet = room.outlets[rng.randrange(3)]
            place(outlet, room.story(topic, rng.randint(1, 3)) + [room.legal_notice], f"s{n}", at)
        else:  # a story of its own
            outlet = rng.choice(room.outlets)
            place(outlet, room.story(topic) + room.boilerplate[outlet], f"s{n}", at)
    out.sort(key=lambda p: p.at)
    return out


# -- quality ------------------------------------------------------------------------------------


T0 = datetime(2026, 3, 1, tzinfo=UTC)


def store_corpus(sessions, corpus: list[Placed], config: syndication.Config) -> dict[str, int]:
    """Store every article through the real path; returns url -> article id."""
    ids = {}
    with sessions() as session:
        for n, placed in enumerate(corpus):
            recorded = store.record_article(session, outlet=store.get_or_create_outlet(session, placed.outlet),
                                            canonical_url=placed.url, url=placed.url,
                                            fetched_at=T0 + timedelta(minutes=placed.at),
                                            content={"title": f"story {placed.story}", "paragraphs": placed.paragraphs})
            syndication.fingerprint_version(session, recorded.version, config)
            ids[placed.url] = recorded.article.id
            if n % 500 == 499:
                session.commit()
        session.commit()
    return ids


def pairs(groups: dict[object, list[int]]) -> set[tuple[int, int]]:
    out = set()
    for members in groups.values():
        out.update(itertools.combinations(sorted(members), 2))
    return out


def quality(corpus: list[Placed], threshold: float, workdir: Path) -> dict[str, float]:
    path = workdir / f"quality-{id(corpus)}-{threshold}.sqlite3"
    path.unlink(missing_ok=True)
    sessions = open_database(f"sqlite:///{path}")
    ids = store_corpus(sessions, corpus, syndication.Config(threshold=threshold))
    truth: dict[object, list[int]] = defaultdict(list)
    for placed in corpus:
        truth[placed.story].append(ids[placed.url])
    found: dict[object, list[int]] = defaultdict(list)
    with sessions() as session:
        for article_id, cluster in session.execute(
                select(SyndicationMember.article_id, SyndicationMember.cluster_id)):
            found[cluster].append(article_id)
    true_pairs, found_pairs = pairs(truth), pairs(found)
    hit = len(true_pairs & found_pairs)
    path.unlink(missing_ok=True)
    return {"threshold": threshold, "articles": len(corpus), "true_pairs": len(true_pairs),
            "found_pairs": len(found_pairs), "precision": hit / len(found_pairs) if found_pairs else 1.0,
            "recall": hit / len(true_pairs) if true_pairs else 1.0}


# -- time -------------------------------------------------------------------------------------------


def bulk_archive(url: str, background: int, anchors: list[Placed], seed: int) -> None:
    """An archive of ``background`` unrelated stored versions plus ``anchors`` (real path)."""
    sessions = open_database(url)
    room = Newsroom(seed)
    with sessions.begin() as session:
        outlet_ids = {}
        for name in room.outlets:
            outlet_ids[name] = store.get_or_create_outlet(session, name).id
    path = url.removeprefix("sqlite:///")
    engine = sessions.kw["bind"]
    bands: list[tuple[int, int]] = []
    para: dict[int, list[int]] = {}  # key -> [first article, seen, common]
    chunk = 20000
    article_id = version_id = 0
    families = [room.template(f) for f in range(40)]
    for start in range(0, background, chunk):
        articles, versions, prints = [], [], []
        for _ in range(min(chunk, background - start)):
            article_id += 1
            version_id += 1
            outlet = room.outlets[article_id % len(room.outlets)]
            roll = room.rng.random()
            if roll < 0.15:
                paragraphs = room.fill(room.rng.choice(families))
            elif roll < 0.2:
                paragraphs = room.story(room.rng.randrange(60), 2) + [room.legal_notice]
            else:
                paragraphs = room.story(room.rng.randrange(60), room.rng.randint(3, 8))
            paragraphs += room.boilerplate[outlet]
            at = T0 - timedelta(days=400) + timedelta(seconds=article_id * 30)
            url_ = f"https://{outlet}.example/archive/{article_id}"
            articles.append({"id": article_id, "outlet_id": outlet_ids[outlet], "canonical_url": url_, "url": url_,
                             "status": "live", "first_seen_at": at, "check_count": 1, "version_count": 1,
                             "flapping": False})
            versions.append({"id": version_id, "article_id": article_id, "seq": 1, "captured_at": at,
                             "fingerprint": fingerprint(None, None, paragraphs), "title": "archived",
                             "authors": [], "paragraphs": paragraphs, "visible_at": at})
            text = syndication.text_of(paragraphs)
            common = {k for k in text.keys if k in para and para[k][2]}
            shingles = syndication._union(text.distinctive(common))
            if len(shingles) >= syndication.MIN_SHINGLES:
                bands.extend((k, version_id) for k in dict.fromkeys(syndication.band_keys(shingles)))
            prints.append({"version_id": version_id, "scheme": syndication.SCHEME, "shingles": len(shingles),
                           "matched": True, "created_at": at})
            for k in dict.fromkeys(text.keys):
                row = para.get(k)
                if row is None:
                    para[k] = [article_id, 1, False]
                else:
                    row[1] += 1
                    row[2] = True  # every background article is its own story
        with engine.begin() as connection:
            connection.execute(insert(Article), articles)
            connection.execute(insert(ArticleVersion), versions)
            connection.execute(insert(syndication.SyndicationFingerprint), prints)
            connection.execute(Article.__table__.update().where(Article.id.in_([a["id"] for a in articles]))
                               .values(current_version_id=Article.id))
        print(f"  stored {start + len(articles):,} background versions", file=sys.stderr, flush=True)
    engine.dispose()
    raw = sqlite3.connect(path)
    raw.execute("PRAGMA journal_mode=WAL")
    raw.execute("PRAGMA synchronous=OFF")
    raw.execute("PRAGMA cache_size=-1000000")
    bands.sort()
    for start in range(0, len(bands), 200000):
        raw.executemany("INSERT INTO syndication_bands (key, version_id) VALUES (?, ?)", bands[start:start + 200000])
    raw.executemany("INSERT INTO syndication_paragraphs (key, first_article_id, seen, common) VALUES (?, ?, ?, ?)",
                    sorted((k, v[0], v[1], v[2]) for k, v in para.items()))
    raw.commit()
    raw.execute("ANALYZE")
    raw.close()
    print(f"  {len(bands):,} band keys, {len(para):,} paragraphs", file=sys.stderr, flush=True)
    store_corpus(open_database(url), anchors, syndication.Config())


def assign_time(url: str, new: list[Placed], config: syndication.Config) -> dict[str, float]:
    sessions = open_database(url)
    timed = 0.0
    candidates = matched = 0
    with sessions() as session:
        for start in range(0, len(new), 500):
            batch = []
            for placed in new[start:start + 500]:
                recorded = store.record_article(
                    session, outlet=store.get_or_create_outlet(session, placed.outlet), canonical_url=placed.url,
                    url=placed.url, fetched_at=T0 + timedelta(days=1, minutes=placed.at),
                    content={"title": "new", "paragraphs": placed.paragraphs})
                batch.append(recorded.version)
            session.flush()
            began = time.perf_counter()
            for version in batch:
                done = syndication.fingerprint_version(session, version, config)
                candidates += done.candidates
                matched += bool(done.matched)
            session.commit()
            timed += time.perf_counter() - began
    return {"seconds": timed, "ms_per_version": 1000 * timed / len(new), "candidates": candidates / len(new),
            "matched": matched}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, default=1500, help="stories per quality newsroom")
    parser.add_argument("--thresholds", default="0.4,0.5,0.55,0.6,0.65,0.7,0.8")
    parser.add_argument("--sizes", default="10000,1000000", help="stored versions; the first is the baseline")
    parser.add_argument("--new", type=int, default=10000, help="new versions to assign")
    parser.add_argument("--workdir", help="keep the archives here (default: a temporary directory)")
    parser.add_argument("--reuse", action="store_true", help="reuse archives left in --workdir")
    parser.add_argument("--quality-only", action="store_true")
    parser.add_argument("--time-only", action="store_true")
    args = parser.parse_args()
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="bench-syndication-"))
    workdir.mkdir(parents=True, exist_ok=True)
    threshold = syndication.DEFAULT_THRESHOLD

    if not args.time_only:
        tuning = newsroom_corpus(1, args.stories)
        print(f"tuning newsroom (seed 1): {len(tuning)} articles", flush=True)
        print("| threshold | precision | recall |\n| ---: | ---: | ---: |")
        best = None
        for t in (float(x) for x in args.thresholds.split(",")):
            q = quality(tuning, t, workdir)
            print(f"| {t:.2f} | {q['precision']:.3f} | {q['recall']:.3f} |", flush=True)
            if q["precision"] >= 0.98 and (best is None or q["recall"] > best[1]):
                best = (t, q["recall"])
        threshold = best[0] if best else threshold
        held = newsroom_corpus(2, args.stories * 2)
        q = quality(held, threshold, workdir)
        print(f"\nheld-out newsroom (seed 2): {q['articles']} articles, {q['true_pairs']} true pairs, "
              f"threshold {threshold} (chosen on seed 1): precision {q['precision']:.3f}, "
              f"recall {q['recall']:.3f} ({q['found_pairs']} pairs found)", flush=True)
        default = quality(held, syndication.DEFAULT_THRESHOLD, workdir) \
            if threshold != syndication.DEFAULT_THRESHOLD else q
        print(f"held-out at the default threshold {syndication.DEFAULT_THRESHOLD}: precision "
              f"{default['precision']:.3f}, recall {default['recall']:.3f}", flush=True)
    if args.quality_only:
        return 0

    corpus = newsroom_corpus(3, args.new)  # seed 3: the time runs' own newsroom
    anchors, new = corpus[: len(corpus) // 5], corpus[len(corpus) // 5:][: args.new]
    print(f"\nassigning {len(new):,} new versions ({len(anchors):,} anchor versions stored first, "
          f"the rest of each archive unrelated stories); sqlite", flush=True)
    print("| stored versions | ms per new version | candidates per version | matched | ratio to baseline |")
    print("| ---: | ---: | ---: | ---: | ---: |")
    base = None
    for size in (int(x) for x in args.sizes.split(",")):
        path = workdir / f"time-{size}.sqlite3"
        fresh = workdir / f"time-{size}-run.sqlite3"
        if not (args.reuse and path.exists()):
            path.unlink(missing_ok=True)
            bulk_archive(f"sqlite:///{path}", size - len(anchors), anchors, seed=4)
        fresh.unlink(missing_ok=True)
        raw = sqlite3.connect(path)
        raw.execute("VACUUM INTO ?", (str(fresh),))  # every run starts from the same stored archive
        raw.close()
        result = assign_time(f"sqlite:///{fresh}", new, syndication.Config(threshold=threshold))
        base = base or result["ms_per_version"]
        print(f"| {size:,} | {result['ms_per_version']:.2f} | {result['candidates']:.2f} | {result['matched']:,} "
              f"| {result['ms_per_version'] / base:.2f} |", flush=True)
        fresh.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
