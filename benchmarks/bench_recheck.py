"""The cost of an unchanged re-check against a first-time capture, by kind of "unchanged".

    nice -n 10 .venv/bin/python benchmarks/bench_recheck.py [--stories 6000] [--rounds 3] [--profile tabloid,metro]
        [--real-pages /path/to/article-extraction-benchmark] [--pad-kb 100]

The site is bench_throughput's: four outlets from the four-template newsroom
(:mod:`newsarchive.demo.newsroom`) with listings, feeds and sitemaps, written to disk and
served by nginx. Each outlet stands for one kind of re-check, so that its CPU can be measured
on its own (one crawl process per outlet and pass):

- ``metro``: byte-identical, the server honours ``If-None-Match`` / ``If-Modified-Since``
  (nginx's static files): a ``304`` and a ``server-not-modified`` revisit;
- ``wire``: byte-identical, the server ignores conditional headers (``etag off;
  if_modified_since off;`` for ``/wire/``): a ``200`` with the same payload, the
  identical-payload fast path;
- ``tabloid``: every article re-rendered between the passes: same story, other related
  links, counters, "Updated N mins ago" stamp and ad tokens (boilerplate only);
- ``gazette``: re-rendered the same way, and 20 % of its articles really edited (a paragraph
  added), so that 5 % of the site's articles changed; its figure is for that mix.

Each outlet gets, in each of ``--rounds`` rounds (default 3; the figures are medians, since one
crawl's CPU time varies by a third on a shared 2-core machine), a first crawl (``scrapy crawl
news`` on a fresh SQLite archive) and then a re-check of the same archive (``scrapy crawl news -a recrawl=all``: every article again,
conditional GETs, plus the listings, feed and sitemap). CPU = user + system time of the crawl
process and its children (``wait4``). A fixed start-up cost (an ``idle`` outlet whose start
page links nothing: imports, settings, database, WARC writer) is measured in the same
invocation and subtracted from both passes for the marginal ratio; the raw ratio is shown
too. WARC bytes are read back per record with warcio (compressed length of every record whose
target URI is an article: request, response or revisit, metadata), so listings and feeds are
not counted. ``--profile tabloid,metro`` runs those outlets' re-check once more under cProfile
(the tabloid re-rendered again first) and prints the top functions by cumulative and own time.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()
ROOT = HERE.parent.parent
for entry in (str(ROOT), str(HERE.parent)):
    if entry not in sys.path:
        sys.path.insert(0, entry)

import bench_throughput as bt  # noqa: E402  (the site generator, nginx and the CPU meter)

KINDS = {
    "metro": "byte-identical, 304",
    "wire": "byte-identical, server ignores conditionals (200, identical payload)",
    "tabloid": "boilerplate only (related links, counters, stamps)",
    "gazette": "boilerplate only, 20 % of articles edited",
}
EDITED_SHARE = 0.20  # of the gazette's articles

# nginx: the wire outlet's server sends no ETag and ignores If-Modified-Since.
# No open-file cache: the tabloid and gazette files are rewritten between the passes, and a
# cached size and mtime would answer their re-check with the old ETag (a 304 for a page
# that changed).
NGINX_CONF = bt.NGINX_CONF.replace(
    "        location = /gazette/articles/view.php {{",
    "        location /wire/ {{ etag off; if_modified_since off; }}\n"
    "        location = /gazette/articles/view.php {{").replace(
    "open_file_cache max=100000 inactive=120s;", "open_file_cache off;")


@functools.lru_cache(maxsize=8)
def _padding(outlet: str, kilobytes: int) -> str:
    """An inline script of about ``kilobytes`` KB standing in for a real page's scripts, styles
    and JSON state (about as compressible as real markup); the same on every page of an outlet."""
    if kilobytes <= 0:
        return ""
    import random

    rng = random.Random(outlet)
    words = ["function", "return", "var", "window", "document", "push", "config", "slot", "true", "false",
             "null", "dataLayer", "track", "event", "page", "article", "ad", "unit", "prebid", "bidder"]
    parts, size = [], 0
    while size < kilobytes * 1024:
        part = (f"{rng.choice(words)}_{rng.randrange(10**6):x}({rng.choice(words)}:"
                f"'{rng.choice(words)}-{rng.randrange(10**4)}',{rng.randrange(10**3)});")
        parts.append(part)
        size += len(part)
    return "<script>" + "".join(parts) + "</script>"


def _pad_articles(root: Path, stories_count: int, kilobytes: int) -> None:
    from newsarchive.demo.newsroom import generate

    if kilobytes <= 0:
        return
    for story in generate(stories_count, 1, 0.0, 11):
        pad = _padding(story.template, kilobytes)
        path = root / bt._file_for(story.path(1))
        path.write_text(path.read_text(encoding="utf-8").replace("</body>", pad + "</body>"), encoding="utf-8")


#: relative links in a real page would lead the crawler to pages this site does not have
_RELATIVE_LINK = re.compile(rb"""(href|src)\s*=\s*(["'])(?!https?:|//|#|mailto:|data:|javascript:)""", re.IGNORECASE)


def _real_articles(root: Path, stories_count: int, dataset: Path, outlets: tuple[str, ...]) -> int:
    """Make ``outlets``' article pages real ones: the pages of scrapinghub's public
    article-extraction-benchmark (``html/*.html.gz``, 181 news and blog articles from many
    sites, median 115 KB), in turn. Bytes as published, except that relative links and
    sources point off-site (on this host they would be fetches of pages that do not exist)."""
    from newsarchive.demo.newsroom import generate

    pages = sorted((dataset / "html").glob("*.html.gz"))
    if not pages:
        raise SystemExit(f"--real-pages: no html/*.html.gz under {dataset}")
    written = 0
    for story in generate(stories_count, 1, 0.0, 11):
        if story.template not in outlets:
            continue
        html = gzip.decompress(pages[written % len(pages)].read_bytes())
        (root / bt._file_for(story.path(1))).write_bytes(_RELATIVE_LINK.sub(rb"\1=\2https://offsite.invalid/", html))
        written += 1
    return written


def _rerender(root: Path, stories_count: int, pad_kb: int = 0) -> dict[str, int]:
    """Rewrite the tabloid and gazette article files: new boilerplate, and edits for some."""
    from newsarchive.demo.newsroom import Newsroom, State, generate

    stories = generate(stories_count, 1, 0.0, 11)  # the same stories bench_throughput wrote
    room = Newsroom(stories, editions=1)
    counts = {"rerendered": 0, "edited": 0}
    gazette = [s for s in stories if s.template == "gazette"]
    edited = {s.number for s in gazette[:: round(1 / EDITED_SHARE)]}
    for story in stories:
        if story.template not in ("tabloid", "gazette"):
            continue
        state = story.at(1)
        if story.number in edited:
            state = State(state.title, state.authors,
                          (*state.paragraphs, f"Update: officials confirmed the figures for story {story.number}."))
            counts["edited"] += 1
        page = room._article(story, state).replace("</body>", _padding(story.template, pad_kb) + "</body>")
        (root / bt._file_for(story.path(1))).write_text(page, encoding="utf-8")
        counts["rerendered"] += 1
    return counts


def _split_outlets(base: str) -> dict[str, str]:
    blocks = bt.outlets_toml(base).split("[[outlet]]")[1:]
    out = {}
    for block in blocks:
        name = block.split('name = "')[1].split('"')[0]
        out[name] = "[[outlet]]" + block
    out["idle"] = ('[[outlet]]\nname = "idle"\ndomains = ["127.0.0.1"]\n'
                   f'start_urls = ["{base}/idle/"]\narticle_patterns = [\'^/idle/a/\']\n')
    return out


def _crawl(work: Path, outlet: str, label: str, spider_args: tuple[str, ...] = (),
           profile: Path | None = None, timeout: float = 1800, archive: str = "") -> dict[str, Any]:
    from newsarchive.demo.run import LOCAL_ADDRESS, crawl_command

    data = work / f"data-{outlet}{archive}"
    command, env = crawl_command(work / f"outlets-{outlet}.toml", data,
                                 settings=(*bt.RATE, LOCAL_ADDRESS), spider_args=spider_args)
    if profile is not None:
        command = [command[0], "-m", "cProfile", "-o", str(profile), *command[1:]]
    env["NEWSARCHIVE_ALLOW_ADDRESSES"] = "127.0.0.1"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
    before = {p.name for p in (data / "warc").glob("*.warc.gz")} if (data / "warc").exists() else set()
    reports_before = set((data / "reports").glob("crawl-*.json")) if (data / "reports").exists() else set()
    result = bt._measure(command, env, timeout)
    reports = sorted(set((data / "reports").glob("crawl-*.json")) - reports_before) \
        if (data / "reports").exists() else []
    report = json.loads(reports[-1].read_text()) if reports else {"stats": {}}
    stats = report.get("stats", {})
    if result["returncode"] not in (0,) or not stats.get("response_received_count"):
        sys.stderr.write(result["stderr"][-3000:])
        raise SystemExit(f"the {label} crawl of {outlet} failed (exit status {result['returncode']})")
    new_files = [p for p in (data / "warc").glob("*.warc.gz") if p.name not in before]
    return {"outlet": outlet, "label": label, "cpu": result["cpu"], "wall": result["wall"],
            "stats": stats, "warc": _article_bytes(new_files, outlet)}


def _article_bytes(files: list[Path], outlet: str) -> dict[str, Any]:
    """Compressed bytes of the records about article URLs, by record type."""
    from warcio.archiveiterator import ArchiveIterator

    article_prefix = {"metro": "/metro/2", "wire": "/wire/world/", "tabloid": "/tabloid/story/",
                      "gazette": "/gazette/articles/view.php"}.get(outlet)
    by_type: dict[str, int] = defaultdict(int)
    records: dict[str, int] = defaultdict(int)
    fetched = 0  # article responses and revisits: one per article fetched
    total = 0
    for path in files:
        with path.open("rb") as stream:
            iterator = ArchiveIterator(stream)
            for record in iterator:
                uri = record.rec_headers.get_header("WARC-Target-URI") or ""
                kind = record.rec_type
                if kind == "revisit":
                    kind = "revisit/" + (record.rec_headers.get_header("WARC-Profile") or "").rsplit("/", 1)[-1]
                record.content_stream().read()
                length = iterator.get_record_length()
                total += length
                path_part = uri.split("127.0.0.1", 1)[-1].split(":", 1)[-1]
                path_part = path_part[path_part.find("/"):] if "/" in path_part else path_part
                if article_prefix and path_part.startswith(article_prefix):
                    by_type[kind] += length
                    records[kind] += 1
                    fetched += kind.startswith(("response", "revisit"))
    return {"article_bytes": sum(by_type.values()), "by_type": dict(by_type), "records": dict(records),
            "article_fetches": fetched, "all_bytes": total}


def _profile_report(path: Path, outlet: str, top: int = 30) -> None:
    import pstats

    stats = pstats.Stats(str(path))
    print(f"\ncProfile of a {outlet} re-check ({KINDS[outlet]}; the reactor thread, wall time), "
          "newsarchive's functions by cumulative time:")
    stats.sort_stats("cumulative").print_stats("newsarchive", top)
    print(f"cProfile of a {outlet} re-check, own time:")
    stats.sort_stats("tottime").print_stats(top)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, default=6000, help="article pages on the site (4 outlets)")
    parser.add_argument("--profile", type=lambda v: [o for o in v.split(",") if o], default=[],
                        help="outlets whose re-check to profile once more (cProfile), e.g. tabloid,metro")
    parser.add_argument("--rounds", type=int, default=3,
                        help="first crawl + re-check rounds per outlet; the figures are medians (default 3)")
    parser.add_argument("--pad-kb", type=int, default=0,
                        help="add an inline script of this many KB to every article page (page weight)")
    parser.add_argument("--real-pages", type=Path, metavar="DATASET",
                        help="a copy of scrapinghub/article-extraction-benchmark: the byte-identical outlets "
                             "(metro, wire) serve its 181 real article pages instead of generated ones")
    parser.add_argument("--json", help="also write the figures here")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-recheck-"))
    work.chmod(0o755)
    bt.NGINX_CONF = NGINX_CONF
    try:
        run(args, work)
    finally:
        if args.keep:
            print(f"work directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def run(args: argparse.Namespace, work: Path) -> None:
    root = work / "site"

    def write_site(base: str = "") -> tuple[dict[str, int], int]:
        """The site as first captured (every round starts from it: the gazette's edits are new again)."""
        counts = bt.generate_site(root, args.stories)
        _pad_articles(root, args.stories, args.pad_kb)
        real = _real_articles(root, args.stories, args.real_pages, ("metro", "wire")) if args.real_pages else 0
        (root / "idle").mkdir(exist_ok=True)
        (root / "idle" / "index.html").write_text("<!doctype html><html><head><title>idle</title></head>"
                                                 "<body><p>Nothing here.</p></body></html>")
        if base:
            bt.set_base(root, base)
        return counts, real

    counts, real = write_site()
    # the re-check happens later than the first capture: give nginx a different mtime to report
    with bt.Server(root, work) as server:
        bt.set_base(root, server.base_url)
        for name, text in _split_outlets(server.base_url).items():
            (work / f"outlets-{name}.toml").write_text(text, encoding="utf-8")
        print(f"site: {args.stories:,} stories over 4 outlets (+{args.pad_kb} KB script per article"
              + (f"; metro and wire: {real:,} real pages from {args.real_pages}" if real else "") + "), "
              f"{counts['listings']} listing pages; served by "
              f"{server.kind} at {server.base_url}; {os.cpu_count()} CPU cores; rate: {' '.join(bt.RATE)}",
              flush=True)
        # Rounds, so that the figure is a median and not one crawl's luck on a shared machine:
        # each round a first crawl of every outlet on a fresh archive, the re-render, then the
        # re-check of that archive; an idle crawl per round for the start-up cost.
        idle, firsts, agains = [], defaultdict(list), defaultdict(list)
        for n in range(args.rounds):
            if n:
                write_site(server.base_url)
            idle.append(_crawl(work, "idle", f"idle{n}", archive=f"-{n}")["cpu"])
            first = {o: _crawl(work, o, "first", archive=f"-{n}") for o in KINDS}
            time.sleep(1.1)  # a later second for Last-Modified on the files rewritten below
            changes = _rerender(root, args.stories, args.pad_kb)
            again = {o: _crawl(work, o, "recheck", ("recrawl=all",), archive=f"-{n}") for o in KINDS}
            print(f"  round {n + 1}: re-rendered {changes['rerendered']:,} tabloid and gazette articles "
                  f"({changes['edited']} edited); CPU s first / re-check: "
                  + ", ".join(f"{o} {first[o]['cpu']:.1f} / {again[o]['cpu']:.1f}" for o in KINDS)
                  + f"; idle {idle[-1]:.1f}", flush=True)
            for o in KINDS:
                firsts[o].append(first[o])
                agains[o].append(again[o])
        for outlet in args.profile:  # one more pass, profiled; re-rendered again so it stays boilerplate-only
            _rerender(root, args.stories, args.pad_kb)
            _crawl(work, outlet, "profiled", ("recrawl=all",), profile=work / f"{outlet}.prof", archive="-0")
    overhead = statistics.median(idle)
    print(f"\nstart-up cost (idle outlet, median of {len(idle)}): {overhead:.2f} s CPU "
          f"({', '.join(f'{c:.2f}' for c in idle)}); medians of {args.rounds} round(s)\n")
    print("| kind (outlet) | articles | first: CPU ms/article | re-check: CPU ms/article | CPU ratio "
          "(raw) | first: WARC bytes/article | re-check: WARC bytes/article | bytes ratio | re-check outcome |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    rows = []
    for outlet, label in KINDS.items():
        a, b = firsts[outlet][-1], agains[outlet][-1]  # records and stats: the last round's
        n = a["warc"]["article_fetches"]
        cpu_first = statistics.median(r["cpu"] for r in firsts[outlet])
        cpu_again = statistics.median(r["cpu"] for r in agains[outlet])
        cpu_a, cpu_b = (cpu_first - overhead) / n, (cpu_again - overhead) / n
        bytes_a, bytes_b = a["warc"]["article_bytes"] / n, b["warc"]["article_bytes"] / n
        st = b["stats"]
        outcome = ", ".join(f"{k.split('/')[-1]} {v:,}" for k, v in sorted(st.items())
                            if k in ("newsarchive/conditional/not_modified", "newsarchive/identical",
                                     "newsarchive/unchanged", "newsarchive/new_version"))
        row = {"outlet": outlet, "kind": label, "articles": n, "first_cpu_ms": 1000 * cpu_a,
               "recheck_cpu_ms": 1000 * cpu_b, "cpu_ratio": cpu_b / cpu_a,
               "cpu_ratio_raw": cpu_again / cpu_first, "first_bytes": bytes_a, "recheck_bytes": bytes_b,
               "bytes_ratio": bytes_b / bytes_a, "recheck_records": b["warc"]["records"],
               "first_cpu_s": [r["cpu"] for r in firsts[outlet]], "recheck_cpu_s": [r["cpu"] for r in agains[outlet]],
               "recheck_stats": {k: v for k, v in st.items() if k.startswith("newsarchive/")}}
        rows.append(row)
        print(f"| {label} ({outlet}) | {n:,} | {row['first_cpu_ms']:.1f} | {row['recheck_cpu_ms']:.1f} | "
              f"{100 * row['cpu_ratio']:.0f} % ({100 * row['cpu_ratio_raw']:.0f} %) | {bytes_a:,.0f} | "
              f"{bytes_b:,.0f} | {100 * row['bytes_ratio']:.1f} % | {outcome or '-'} |")
    for row in rows:
        print(f"{row['outlet']}: re-check records {row['recheck_records']}; "
              + ", ".join(f"{k.removeprefix('newsarchive/')}={v}" for k, v in sorted(row["recheck_stats"].items())
                          if isinstance(v, int)))
    for outlet in args.profile:
        _profile_report(work / f"{outlet}.prof", outlet)
    if args.json:
        Path(args.json).write_text(json.dumps({"overhead_cpu": overhead, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
