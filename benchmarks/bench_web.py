"""Page times of ``newsarchive serve`` on a generated archive of 100,000 articles.

Builds a migrated archive (SQLite file by default, or ``--db`` PostgreSQL) with varied
outlets, stories of one to six versions, change records of every kind and captures;
starts ``newsarchive serve`` in a child process as a user would and times each page over
HTTP (median and slowest of ``--repeat`` requests after one warm-up). The baseline is the
same server on the same database with migration 0009's indexes dropped, measured in the same
run; the indexes are put back afterwards.

    .venv/bin/python benchmarks/bench_web.py --articles 100000
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, text

from newsarchive.db.engine import make_engine, upgrade
from newsarchive.db.models import Article, ArticleVersion, Capture, Change, Outlet

WORDS = ("council harbour ferry bridge minister police court budget school river tram market "
         "stadium library election storm hospital union strike report survey mayor plan vote "
         "fire flood price rent tax rail airport energy water museum festival trial").split()
FILLER = ("said on officials the a of in to and for with after before during which would could "
          "about more than least over under against between").split()
KIND_SETS = (["added", "update_appended"], ["added", "latest_line"], ["correction", "edited"],
             ["headline_changed"], ["byline_changed"], ["deleted", "paragraph_deleted"],
             ["moved"], ["dates_changed", "edited"], ["added", "deleted", "edited"])
INDEXES = (("ix_articles_outlet_first_seen", "articles", "outlet_id, first_seen_at"),
           ("ix_articles_outlet_versions", "articles", "outlet_id, version_count, first_seen_at"),
           ("ix_captures_outlet_fetched", "captures", "outlet_id, fetched_at"))
T0 = datetime(2025, 1, 1, tzinfo=UTC)


def sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS if i % 3 == 0 else FILLER) for i in range(rng.randint(8, 22))]
    words.insert(rng.randrange(len(words)), str(rng.randint(2, 9000)))
    return " ".join(words).capitalize() + "."


def paragraphs(rng: random.Random) -> list[str]:
    return [" ".join(sentence(rng) for _ in range(rng.randint(1, 3))) for _ in range(rng.randint(3, 8))]


def edit(rng: random.Random, paras: list[str], title: str, kinds: list[str]) -> tuple[list[str], str, dict]:
    paras, detail = list(paras), {"kinds": kinds, "added": [], "removed": [], "edited": [],
                                  "moved": [], "headline": None}
    if "update_appended" in kinds or "latest_line" in kinds:
        marker = "Update # 1 \u2014 4:09 P.M.: " if "update_appended" in kinds else "LATEST: "
        paras.insert(0, marker + sentence(rng))
        detail["added"].append(paras[0])
    elif "headline_changed" in kinds:
        new_title = title + " as " + rng.choice(WORDS) + " " + rng.choice(WORDS) + " responds"
        detail["headline"] = {"old": title, "new": new_title}
        title = new_title
    elif "paragraph_deleted" in kinds and len(paras) > 2:
        detail["removed"].append(paras.pop(rng.randrange(1, len(paras))))
    else:
        i = rng.randrange(len(paras))
        new = re.sub(r"\d+", lambda m: str(int(m.group()) + rng.randint(1, 9)), paras[i], count=1)
        if new == paras[i]:
            new = paras[i] + " " + sentence(rng)
        detail["edited"].append({"old": paras[i], "new": new})
        paras[i] = new
    return paras, title, detail


def build(url: str, articles: int, outlets: int, seed: int) -> dict:
    """Fill an empty, migrated archive; return a few ids and words worth requesting."""
    rng = random.Random(seed)
    engine = make_engine(url)
    upgrade(engine)
    names = [f"outlet{i:02d}" for i in range(outlets)]
    rows: dict[str, list[dict]] = {"outlets": [], "articles": [], "captures": [], "versions": [],
                                   "changes": []}
    rows["outlets"] = [{"id": i + 1, "name": n, "config": {}, "created_at": T0} for i, n in enumerate(names)]
    capture_id = version_id = change_id = 0
    most_edited, titles = None, []
    for article_id in range(1, articles + 1):
        outlet_id = rng.randint(1, outlets)
        seen = T0 + timedelta(minutes=article_id * 5 + rng.randint(0, 4))
        url_of = f"https://{names[outlet_id - 1]}.example/{seen:%Y/%m/%d}/story-{article_id}"
        title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 9))).capitalize()
        paras = paragraphs(rng)
        count = rng.choices((1, 2, 3, 4, 5, 6), (60, 22, 10, 4, 2, 2))[0]
        at, previous = seen, None
        for seq in range(1, count + 1):
            capture_id += 1
            version_id += 1
            detail = None
            if seq > 1:
                at += timedelta(minutes=rng.randint(10, 600))
                kinds = sorted(rng.choice(KIND_SETS))
                paras, title, detail = edit(rng, paras, title, kinds)
            rows["captures"].append({
                "id": capture_id, "outlet_id": outlet_id, "article_id": article_id, "url": url_of,
                "fetched_at": at, "status": 200, "kind": "article", "outcome": "new_version",
                "warc_filename": "bench.warc.gz", "warc_offset": capture_id * 4096,
                "warc_length": 4000, "warc_record_id": f"<urn:uuid:bench-{capture_id}>",
                "warc_revisit": False, "warc_lost": False})
            rows["versions"].append({
                "id": version_id, "article_id": article_id, "seq": seq, "fingerprint": f"{version_id:064x}",
                "captured_at": at, "first_capture_id": capture_id, "title": title,
                "byline": "Staff reporter", "authors": [], "paragraphs": list(paras),
                "published_at": seen})
            if detail is not None:
                change_id += 1
                rows["changes"].append({
                    "id": change_id, "article_id": article_id, "from_version_id": previous,
                    "to_version_id": version_id, "capture_id": capture_id,
                    "kinds": detail["kinds"], "detail": detail, "created_at": at})
            previous = version_id
        capture_id += 1  # an unchanged re-check
        rows["captures"].append({
            "id": capture_id, "outlet_id": outlet_id, "article_id": article_id, "url": url_of,
            "fetched_at": at + timedelta(hours=2), "status": 200, "kind": "article",
            "outcome": "unchanged", "warc_filename": "bench.warc.gz", "warc_offset": capture_id * 4096,
            "warc_length": 900, "warc_record_id": f"<urn:uuid:bench-{capture_id}>",
            "warc_revisit": True, "warc_lost": False})
        rows["articles"].append({
            "id": article_id, "outlet_id": outlet_id, "canonical_url": url_of, "status": "live",
            "first_seen_at": seen, "last_checked_at": at + timedelta(hours=2),
            "last_changed_at": at, "check_count": count + 1, "version_count": count,
            "flapping": False})
        if most_edited is None or count > most_edited[1]:
            most_edited = (article_id, count)
        if article_id % 997 == 0:
            titles.append((url_of, title))
    with engine.begin() as connection:
        for table, model in (("outlets", Outlet), ("articles", Article), ("captures", Capture),
                             ("versions", ArticleVersion), ("changes", Change)):
            for start in range(0, len(rows[table]), 5000):
                connection.execute(insert(model), rows[table][start:start + 5000])
    engine.dispose()
    url_probe, title_probe = titles[len(titles) // 2]
    return {"story": most_edited[0], "url": url_probe, "words": " ".join(title_probe.split()[:2]),
            "outlet": names[0], "counts": {k: len(v) for k, v in rows.items()}}


def probe_existing(url: str) -> dict | None:
    """Pages to request in an archive generated by an earlier run (``--db`` given twice)."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            counts = {t: connection.execute(text(f"SELECT count(*) FROM {t}")).scalar()
                      for t in ("outlets", "articles", "captures", "article_versions", "changes")}
            if not counts["articles"]:
                return None
            story = connection.execute(text("SELECT id FROM articles ORDER BY version_count DESC, id "
                                            "LIMIT 1")).scalar()
            url_probe, title = connection.execute(text(
                "SELECT a.canonical_url, v.title FROM articles a JOIN article_versions v ON "
                "v.article_id = a.id AND v.seq = 1 WHERE a.id = :i"), {"i": counts["articles"] // 2}).one()
            outlet = connection.execute(text("SELECT name FROM outlets ORDER BY name LIMIT 1")).scalar()
    except Exception:  # noqa: BLE001 - an empty database has no tables yet
        return None
    finally:
        engine.dispose()
    counts["versions"] = counts.pop("article_versions")
    return {"story": story, "url": url_probe, "words": " ".join(title.split()[:2]), "outlet": outlet,
            "counts": counts}


def start_server(db: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen([sys.executable, "-m", "newsarchive", "serve", "--db", db, "--port", "0"],
                               stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    line = process.stderr.readline()
    match = re.search(r"http://[\d.]+:\d+", line)
    if not match:
        process.kill()
        raise SystemExit(f"serve did not start: {line}")
    return process, match.group(0)


def time_pages(base: str, pages: list[tuple[str, str]], repeat: int) -> dict[str, tuple[float, float]]:
    out = {}
    for label, path in pages:
        samples = []
        for i in range(repeat + 1):
            started = time.perf_counter()
            with urllib.request.urlopen(base + path, timeout=300) as response:
                response.read()
                assert response.status == 200, (path, response.status)
            if i:  # the first request warms caches
                samples.append((time.perf_counter() - started) * 1000)
        out[label] = (statistics.median(samples), max(samples))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--outlets", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--db", help="an empty database URL (default: a SQLite file in a temporary "
                                     "folder); one an earlier run filled is reused as it is")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-web-") as tmp:
        db = args.db or f"sqlite:///{Path(tmp) / 'archive.sqlite3'}"
        started = time.perf_counter()
        probe = probe_existing(db) if args.db else None
        if probe is None:
            probe = build(db, args.articles, args.outlets, args.seed)
            print(f"built {probe['counts']} in {time.perf_counter() - started:.1f}s", flush=True)
        else:
            print(f"reusing the archive at {db}: {probe['counts']}", flush=True)
        o, s = probe["outlet"], probe["story"]
        pages = [
            ("home", "/"),
            ("changes, page 1", "/changes"),
            ("changes, page 200", "/changes?page=200"),
            ("changes, kind=correction", "/changes?kind=correction"),
            ("outlet, newest, page 1", f"/outlet/{o}"),
            ("outlet, newest, page 100", f"/outlet/{o}?page=100"),
            ("outlet, most edited", f"/outlet/{o}?sort=edited"),
            ("outlet, kind=update_appended", f"/outlet/{o}?kind=update_appended"),
            ("story (6 versions), inline diff", f"/story/{s}"),
            ("story, side by side v1..v6", f"/story/{s}?from=1&to=6&view=side"),
            ("search by URL", "/search?" + urllib.parse.urlencode({"q": probe["url"]})),
            ("search by 2 headline words", "/search?" + urllib.parse.urlencode({"q": probe["words"]})),
            ("Atom feed, all", "/feed.atom"),
            ("Atom feed, one outlet", f"/outlet/{o}/feed.atom"),
        ]
        results = {}
        for phase in ("with indexes", "baseline: 0009 indexes dropped"):
            engine = make_engine(db)
            with engine.begin() as connection:
                for name, table, columns in INDEXES:
                    if phase.startswith("baseline"):
                        connection.execute(text(f"DROP INDEX IF EXISTS {name}"))
                connection.execute(text("ANALYZE"))
            engine.dispose()
            process, base = start_server(db)
            try:
                results[phase] = time_pages(base, pages, args.repeat)
            finally:
                process.terminate()
                process.wait(timeout=30)
        engine = make_engine(db)
        with engine.begin() as connection:
            for name, table, columns in INDEXES:
                connection.execute(text(f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({columns})"))
        engine.dispose()

    indexed, baseline = results["with indexes"], results["baseline: 0009 indexes dropped"]
    print(f"\n{probe['counts']['articles']:,} articles, {probe['counts']['versions']:,} versions, "
          f"{probe['counts']['changes']:,} changes, {probe['counts']['captures']:,} captures; "
          f"{db.split(':')[0]}; median (slowest) of {args.repeat} requests, ms")
    print("| page | median ms | slowest ms | without 0009 indexes, median ms | ratio |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for label, _ in pages:
        (med, worst), (base_med, _) = indexed[label], baseline[label]
        print(f"| {label} | {med:.1f} | {worst:.1f} | {base_med:.1f} | {base_med / med:.2f} |")


if __name__ == "__main__":
    main()
