"""Throughput: the full archival pipeline against a bare Scrapy crawl of the same local site.

    nice -n 10 .venv/bin/python benchmarks/bench_throughput.py [--stories 6000] [--rounds 2]
    nice -n 10 .venv/bin/python benchmarks/bench_throughput.py --memory [--sizes 5000,25000]

The site: four outlets generated with the edit benchmark's four-template newsroom
(:mod:`newsarchive.demo.newsroom`: WordPress-like, wire-service, tabloid, newspaper CMS, each
with its boilerplate, related-story links and JSON-LD), plus per outlet a paginated listing
(50 stories a page, "Older stories" links), an RSS feed of the latest 50, a sitemap index
and a sitemap of every story, and a robots.txt naming the sitemaps. It is written to disk
once and served by nginx (Debian's ``nginx-light``; a generated config, 127.0.0.1, a free
port, run as a non-daemon child) so the server is never the bottleneck; without nginx a
threaded static server in a child process stands in, with a warning.

Runs, alternating a b a b (``--rounds``), each a fresh child process under the same rate
settings (32 concurrent requests, 32 per host, no delay, AutoThrottle off, robots.txt obeyed):

(a) a bare Scrapy ``CrawlSpider`` following every link on the site and doing nothing else;
(b) ``scrapy crawl news`` with the whole pipeline: WARC files, capture rows, extraction,
    versions, health check, on a fresh SQLite database.

Figures: pages = responses received (robots.txt, feeds, sitemaps, listings, articles);
pages/s over the child's whole wall time (start-up included); CPU ms per page = user +
system time of every process of the child's tree (the crawl, its forkserver, extraction and
syndication workers), sampled every 0.1 s; peak RSS = the largest sum of VmRSS over the same
tree; WARC bytes per page = size of the WARC files written / pages. Each (b) row is followed
by the split per process.

``--memory`` runs (b) alone on sites of each ``--sizes`` story count (default 5,000 and
25,000) for the memory curve: peak RSS at each size and its growth.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from email.utils import format_datetime
from html import escape
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()
ROOT = HERE.parent.parent
if str(ROOT) not in sys.path:  # run as a script from a checkout
    sys.path.insert(0, str(ROOT))

RATE = ("CONCURRENT_REQUESTS=32", "CONCURRENT_REQUESTS_PER_DOMAIN=32", "DOWNLOAD_DELAY=0",
        "AUTOTHROTTLE_ENABLED=False", "ROBOTSTXT_OBEY=True", "LOG_LEVEL=WARNING")
PER_PAGE = 50


# ----------------------------------------------------------------------------- the site

def _listing_page(outlet: str, title: str, stories: list[Any], page: int, pages: int) -> str:
    links = "".join(
        f'<li class="teaser"><a href="{escape(s.path(1))}">{escape(s.at(1).title)}</a>'
        f'<span class="dateline">{s.published[:10]}</span></li>' for s in stories)
    older = (f'<a class="next" href="/{outlet}/page/{page + 1}/">Older stories</a>'
             if page < pages else "")
    newer = "" if page == 1 else (
        f'<a class="prev" href="/{outlet}/' + ("" if page == 2 else f"page/{page - 1}/") + '">Newer</a>')
    menu = "".join(f"<li><a href='/{outlet}/'>{name}</a></li>"
                   for name in ("News", "World", "Business", "Sport", "Culture", "Opinion"))
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{escape(title)} - page {page}"
        f"</title><link rel='alternate' type='application/rss+xml' href='/{outlet}/feed.xml'>"
        "<meta name='viewport' content='width=device-width'></head><body>"
        f"<header class='site-header'><a class='logo' href='/{outlet}/'>{escape(title)}</a>"
        f"<nav><ul class='menu'>{menu}</ul></nav><form class='search'><input name='q'></form></header>"
        f"<main><h1>Latest</h1><ul class='river'>{links}</ul>"
        f"<nav class='pagination'>{newer} {older}</nav></main>"
        "<aside><h2>Newsletter</h2><p>Sign up for the morning briefing.</p></aside>"
        f"<footer><p>&copy; 2026 {escape(title)}. All rights reserved.</p>"
        "<ul><li>About us</li><li>Contact</li><li>Privacy</li><li>Terms</li></ul></footer></body></html>"
    )


def _feed(base: str, outlet: str, stories: list[Any]) -> str:
    items = "".join(
        f"<item><title>{escape(s.at(1).title)}</title><link>{base}{escape(s.path(1))}</link>"
        f"<guid>{base}{escape(s.path(1))}</guid>"
        f"<pubDate>{format_datetime(datetime.fromisoformat(s.published))}</pubDate></item>"
        for s in stories)
    return (f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>{outlet}</title>"
            f"<link>{base}/{outlet}/</link><description>{outlet} news</description>{items}</channel></rss>")


def _sitemap(base: str, stories: list[Any], lastmod: str) -> str:
    urls = "".join(f"<url><loc>{base}{escape(s.path(1))}</loc><lastmod>{lastmod}</lastmod></url>"
                   for s in stories)
    return ("<?xml version='1.0' encoding='utf-8'?>"
            f"<urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>{urls}</urlset>")


def _file_for(path: str) -> str:
    """Where a site path lives on disk (the gazette's ``view.php?id=N`` via try_files)."""
    if path.startswith("/gazette/articles/view.php?id="):
        return f"gazette/articles/view/{path.rpartition('=')[2]}.html"
    if path.endswith("/"):
        return path.lstrip("/") + "index.html"
    return path.lstrip("/")


def generate_site(root: Path, stories_count: int, base: str = "") -> dict[str, int]:
    """Write the site under ``root``; links are site-relative, feeds and sitemaps use ``base``
    (rewritten by :func:`set_base` once the port is known). Returns page counts."""
    from newsarchive.demo.newsroom import TEMPLATES, Newsroom, generate

    stories = generate(stories_count, 1, 0.0, 11)
    room = Newsroom(stories, editions=1)
    counts = {"articles": 0, "listings": 0, "feeds": 0, "sitemaps": 1}
    lastmod = "@LASTMOD@"
    for story in stories:
        target = root / _file_for(story.path(1))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(room._article(story, story.at(1)), encoding="utf-8")
        counts["articles"] += 1
    titles = {"metro": "Metro Daily", "wire": "Wire", "tabloid": "The Tabloid", "gazette": "The Gazette"}
    index = []
    for outlet in TEMPLATES:
        mine = sorted((s for s in stories if s.template == outlet), key=lambda s: s.published, reverse=True)
        pages = max(1, -(-len(mine) // PER_PAGE))
        for page in range(1, pages + 1):
            chunk = mine[(page - 1) * PER_PAGE: page * PER_PAGE]
            where = root / outlet / ("" if page == 1 else f"page/{page}") / "index.html"
            where.parent.mkdir(parents=True, exist_ok=True)
            where.write_text(_listing_page(outlet, titles[outlet], chunk, page, pages), encoding="utf-8")
            counts["listings"] += 1
        (root / outlet / "feed.xml").write_text(_feed("@BASE@", outlet, mine[:50]), encoding="utf-8")
        (root / outlet / "sitemap.xml").write_text(_sitemap("@BASE@", mine, lastmod), encoding="utf-8")
        index.append(f"<sitemap><loc>@BASE@/{outlet}/sitemap.xml</loc><lastmod>{lastmod}</lastmod></sitemap>")
        counts["feeds"] += 1
        counts["sitemaps"] += 1
    (root / "sitemap.xml").write_text(
        "<?xml version='1.0' encoding='utf-8'?><sitemapindex "
        f"xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>{''.join(index)}</sitemapindex>",
        encoding="utf-8")
    (root / "robots.txt").write_text("User-agent: *\nDisallow: /search\n\nSitemap: @BASE@/sitemap.xml\n")
    return counts


def set_base(root: Path, base: str) -> None:
    """Fill the absolute URLs (port known only now) and a recent lastmod into feeds and sitemaps."""
    lastmod = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    for path in [root / "robots.txt", *root.glob("**/*.xml")]:
        text = path.read_text(encoding="utf-8")
        if "@BASE@" in text or "@LASTMOD@" in text:
            path.write_text(text.replace("@BASE@", base).replace("@LASTMOD@", lastmod), encoding="utf-8")


def outlets_toml(base: str) -> str:
    """The four outlets, with depth and page budgets that let the listings be walked to the end
    (the bare crawler follows every page too)."""
    from newsarchive.demo.newsroom import outlets_toml as room_outlets

    text = room_outlets(base)
    out = []
    for block in text.split("[[outlet]]")[1:]:
        name = block.split('name = "')[1].split('"')[0]
        out.append("[[outlet]]" + block.rstrip("\n") + "\n"
                   f'feeds = ["{base}/{name}/feed.xml"]\nsitemaps = ["{base}/{name}/sitemap.xml"]\n'
                   "max_depth = 1000\npattern_page_budget = 1000\n")
    return "\n".join(out)


# --------------------------------------------------------------------------- the server

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


NGINX_CONF = """\
worker_processes 2;
daemon off;
master_process on;
pid {run}/nginx.pid;
error_log {run}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    types {{ text/html html; application/xml xml; text/plain txt; }}
    default_type text/html;
    charset utf-8;
    charset_types application/xml text/plain;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    keepalive_timeout 120s;
    open_file_cache max=100000 inactive=120s;
    client_body_temp_path {run}/body;
    proxy_temp_path {run}/proxy;
    fastcgi_temp_path {run}/fastcgi;
    uwsgi_temp_path {run}/uwsgi;
    scgi_temp_path {run}/scgi;
    server {{
        listen 127.0.0.1:{port};
        root {root};
        index index.html;
        location = /gazette/articles/view.php {{
            try_files /gazette/articles/view/$arg_id.html =404;
        }}
    }}
}}
"""


class Server:
    """nginx (or, without it, a threaded static server) serving ``root`` on 127.0.0.1."""

    def __init__(self, root: Path, run_dir: Path):
        self.root, self.run_dir = root, run_dir
        self.port = _free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.kind = "nginx"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Server:
        nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
        if nginx:
            conf = self.run_dir / "nginx.conf"
            conf.write_text(NGINX_CONF.format(run=self.run_dir, port=self.port, root=self.root))
            self.proc = subprocess.Popen([nginx, "-c", str(conf), "-p", str(self.run_dir), "-e",
                                          str(self.run_dir / "error.log")],
                                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        else:
            print("WARNING: nginx not found (apt-get install nginx-light); serving with a threaded "
                  "Python server, which may be the bottleneck", file=sys.stderr)
            self.kind = "python"
            self.proc = subprocess.Popen([sys.executable, str(HERE), "_serve", str(self.root), str(self.port)],
                                         stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode() if self.proc.stderr else ""
                raise SystemExit(f"the site server exited at start: {err.strip()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise SystemExit("the site server did not start")

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT if self.kind == "nginx" else signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _serve(root: str, port: int) -> None:
    """The fallback static server (same URL mapping as the nginx config)."""
    from functools import partial
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
    from urllib.parse import parse_qs, urlsplit

    class Handler(SimpleHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        extensions_map = {"": "text/html; charset=utf-8", ".html": "text/html; charset=utf-8",
                          ".xml": "application/xml; charset=utf-8", ".txt": "text/plain; charset=utf-8"}

        def translate_path(self, path: str) -> str:
            parts = urlsplit(path)
            if parts.path == "/gazette/articles/view.php":
                ident = parse_qs(parts.query).get("id", [""])[0]
                return str(Path(root) / "gazette/articles/view" / f"{os.path.basename(ident)}.html")
            return super().translate_path(path)

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", port), partial(Handler, directory=root))
    httpd.daemon_threads = True
    httpd.serve_forever()


# --------------------------------------------------------------------------- the crawls

def _bare(start_urls: list[str], stats_path: str, settings: list[str]) -> None:
    """(a): a CrawlSpider following every link, nothing else (runs in its own process)."""
    from scrapy.crawler import CrawlerProcess
    from scrapy.linkextractors import LinkExtractor
    from scrapy.spiders import CrawlSpider, Rule

    class Bare(CrawlSpider):
        name = "bare"
        allowed_domains = ["127.0.0.1"]
        rules = (Rule(LinkExtractor(), follow=True),)

    Bare.start_urls = start_urls
    values = dict(s.split("=", 1) for s in settings)
    process = CrawlerProcess(settings={**values, "TELNETCONSOLE_ENABLED": False,
                                       "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor"})
    crawler = process.create_crawler(Bare)
    process.crawl(crawler)
    process.start()
    stats = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in crawler.stats.get_stats().items()}
    Path(stats_path).write_text(json.dumps({"stats": stats, "finish_reason": stats.get("finish_reason")}))


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _tree(pid: int) -> dict[int, tuple[str | None, int, float]]:
    """``pid`` and its descendants: name (None once it has exited), VmRSS (bytes) and own CPU
    seconds (user + system, children not included, so nothing is counted twice) of each."""
    found: dict[int, tuple[str | None, int, float]] = {}
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            stat = Path(f"/proc/{p}/stat").read_text()
            fields = stat.rsplit(")", 1)[1].split()
            cpu = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime
            rss = 0
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1]) * 1024
                    break
            cmdline = Path(f"/proc/{p}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            found[p] = (_process_name(cmdline) if cmdline.strip() else None, rss, cpu)
            for task in os.listdir(f"/proc/{p}/task"):
                todo.extend(int(c) for c in Path(f"/proc/{p}/task/{task}/children").read_text().split())
        except (OSError, ValueError, IndexError):
            continue
    return found


def _process_name(cmdline: str) -> str:
    if "syndication_worker" in cmdline:
        return "syndication worker"
    if "forkserver" in cmdline:
        return "forkserver and its workers"  # forked children keep the forkserver's command line
    if "multiprocessing" in cmdline:
        return "multiprocessing helpers"
    return "crawl"


def _measure(command: list[str], env: dict[str, str], timeout: float,
             cwd: Path | None = None) -> dict[str, Any]:
    """Run ``command``; wall time, CPU seconds and peak RSS of its whole process tree.

    CPU: every process of the tree, the crawl included, sampled every 0.1 s (its own user +
    system time, not its children's, so nothing counts twice): the processes a forkserver
    starts (extraction and syndication workers) count too, which ``wait4`` would miss (they
    are not the crawl's children). Each process's last 0.1 s may go uncounted."""
    started = time.monotonic()
    proc = subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    cpu_of: dict[int, tuple[str, float]] = {}
    rss_of: dict[str, int] = {}
    stderr: list[bytes] = []
    reader = threading.Thread(target=lambda: stderr.append(proc.stderr.read()), daemon=True)
    reader.start()
    timed_out = False
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        tree = _tree(proc.pid)
        peak = max(peak, sum(rss for _, rss, _ in tree.values()))
        by_name: dict[str, int] = {}
        for p, (name, rss, cpu) in tree.items():
            if name is None:  # exited, not yet reaped: no command line; keep the name it had
                name = cpu_of.get(p, ("crawl",))[0]
            by_name[name] = by_name.get(name, 0) + rss
            cpu_of[p] = (name, max(cpu, cpu_of.get(p, (name, 0.0))[1]))
        for name, rss in by_name.items():
            rss_of[name] = max(rss_of.get(name, 0), rss)
        if time.monotonic() - started > timeout and not timed_out:
            timed_out = True
            proc.send_signal(signal.SIGINT)  # Scrapy closes cleanly on the first SIGINT
        time.sleep(0.1)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - started
    reader.join(timeout=5)
    cpu_by_name: dict[str, float] = {}
    for name, cpu in cpu_of.values():
        cpu_by_name[name] = cpu_by_name.get(name, 0.0) + cpu
    return {"wall": wall, "cpu": sum(cpu_by_name.values()), "cpu_wait4": usage.ru_utime + usage.ru_stime,
            "cpu_by_process": cpu_by_name, "peak_rss_by_process": rss_of, "peak_rss": peak,
            "returncode": proc.returncode, "timed_out": timed_out,
            "stderr": b"".join(stderr).decode("utf-8", "replace")}


def _warc_bytes(data: Path) -> int:
    return sum(p.stat().st_size for p in (data / "warc").glob("*.warc.gz*")) if (data / "warc").exists() else 0


def run_bare(server: Server, work: Path, label: str, timeout: float) -> dict[str, Any]:
    from newsarchive.demo.newsroom import TEMPLATES

    stats_path = work / f"{label}-stats.json"
    command = [sys.executable, str(HERE), "_bare", str(stats_path),
               *[f"{server.base_url}/{t}/" for t in TEMPLATES], "--", *RATE]
    result = _measure(command, dict(os.environ), timeout)
    report = json.loads(stats_path.read_text()) if stats_path.exists() else {"stats": {}}
    return _figures("a", result, report, warc_bytes=0)


def run_news(server: Server, work: Path, label: str, timeout: float,
             extra: tuple[str, ...] = (), tree: Path | None = None) -> dict[str, Any]:
    """(b); with ``tree``, the newsarchive of that checkout (a before/after in one invocation)."""
    from newsarchive.demo.run import LOCAL_ADDRESS, crawl_command

    data = work / label
    outlets = work / "outlets.toml"
    command, env = crawl_command(outlets, data, settings=(*RATE, LOCAL_ADDRESS, *extra))
    env["NEWSARCHIVE_ALLOW_ADDRESSES"] = "127.0.0.1"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(tree or ROOT), env.get("PYTHONPATH", "")]))
    # `python -m scrapy` puts its working directory first on sys.path: run it in the tree
    # measured, or a checkout's newsarchive would shadow the tree's (before/after the same code)
    result = _measure(command, env, timeout, cwd=tree or ROOT)
    reports = sorted((data / "reports").glob("crawl-*.json")) if (data / "reports").exists() else []
    report = json.loads(reports[-1].read_text()) if reports else {"stats": {}}
    figures = _figures("b" if tree is None else "base", result, report, warc_bytes=_warc_bytes(data))
    figures["items"] = sum(report["stats"].get(f"newsarchive/{k}", 0)
                           for k in ("new_article", "new_version", "unchanged", "reverted"))
    shutil.rmtree(data, ignore_errors=True)
    return figures


def _figures(run: str, result: dict[str, Any], report: dict[str, Any], warc_bytes: int) -> dict[str, Any]:
    stats = report.get("stats", {})
    pages = stats.get("response_received_count", 0)
    if result["returncode"] not in (0, 1) or not pages:
        sys.stderr.write(result["stderr"][-3000:])
    return {"run": run, "pages": pages, "wall": result["wall"], "pages_per_s": pages / result["wall"],
            "cpu_ms_per_page": 1000 * result["cpu"] / max(pages, 1), "peak_rss_mb": result["peak_rss"] / 2**20,
            "warc_bytes_per_page": warc_bytes / max(pages, 1),
            "finished": report.get("finish_reason") == "finished" and not result["timed_out"],
            "cpu_ms_per_page_by_process": {k: 1000 * v / max(pages, 1) for k, v in result["cpu_by_process"].items()},
            "peak_rss_mb_by_process": {k: v / 2**20 for k, v in result["peak_rss_by_process"].items()},
            "returncode": result["returncode"]}


def _row(r: dict[str, Any]) -> str:
    label = {"a": "(a) bare CrawlSpider", "b": "(b) scrapy crawl news",
             "base": "(b) at --baseline-tree"}.get(r["run"], f"(b) -s {r['run'][2:]}")
    warc = f"{r['warc_bytes_per_page']:,.0f}" if r["run"] != "a" else "-"
    done = f"{'yes' if r['finished'] else 'no'}, {r['pages']:,} pages in {r['wall']:.0f} s"
    return (f"| {label} | {r['pages_per_s']:.1f} | {r['cpu_ms_per_page']:.1f} | {r['peak_rss_mb']:.0f} MB | "
            f"{warc} | {done} |")


def _split(r: dict[str, Any]) -> str:
    cpu = ", ".join(f"{k} {v:.1f}" for k, v in sorted(r["cpu_ms_per_page_by_process"].items()))
    rss = ", ".join(f"{k} {v:.0f}" for k, v in sorted(r["peak_rss_mb_by_process"].items()))
    return f"    CPU ms per page by process: {cpu}; peak RSS MB by process: {rss}"


def _site(work: Path, stories: int) -> Path:
    root = work / f"site-{stories}"
    started = time.monotonic()
    counts = generate_site(root, stories)
    print(f"site: {stories:,} stories, {counts['listings']} listing pages, {counts['feeds']} feeds, "
          f"{counts['sitemaps']} sitemaps ({time.monotonic() - started:.0f} s to generate)", flush=True)
    return root


def _newsarchive_of(tree: Path) -> Path:
    """Where (b) run in ``tree`` imports newsarchive from, as run_news starts it."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(tree), os.environ.get("PYTHONPATH", "")])))
    out = subprocess.run([sys.executable, "-c", "import newsarchive; print(newsarchive.__file__)"], cwd=tree,
                         env=env, capture_output=True, text=True, check=True).stdout.strip()
    return Path(out).resolve().parent


def compare(args: argparse.Namespace, work: Path) -> None:
    if args.baseline_tree:
        tree = Path(args.baseline_tree).resolve()
        imported = _newsarchive_of(tree)
        if not imported.is_relative_to(tree):
            raise SystemExit(f"bench_throughput: (b) in {tree} would import newsarchive from {imported}")
        print(f"baseline: newsarchive from {imported}", flush=True)
    root = _site(work, args.stories)
    with Server(root, work) as server:
        set_base(root, server.base_url)
        (work / "outlets.toml").write_text(outlets_toml(server.base_url), encoding="utf-8")
        print(f"served by {server.kind} at {server.base_url}; {os.cpu_count()} CPU cores; "
              f"rate: {' '.join(RATE)}\n", flush=True)
        results = []
        for n in range(args.rounds):
            for run in ("a", "b", *(("base",) if args.baseline_tree else ()), *(("variant",) if args.set else ())):
                if run == "a":
                    r = run_bare(server, work, f"a{n}", args.timeout)
                elif run == "b":
                    r = run_news(server, work, f"b{n}", args.timeout)
                elif run == "variant":
                    r = run_news(server, work, f"variant{n}", args.timeout, extra=tuple(args.set))
                    r["run"] = "b " + " ".join(args.set)
                else:
                    r = run_news(server, work, f"base{n}", args.timeout, tree=Path(args.baseline_tree))
                results.append(r)
                print(_row(r), flush=True)
                if run != "a":
                    print(_split(r), flush=True)
    print("\n| run | pages/s | CPU ms per page | peak RSS | WARC bytes per page | finished? |\n"
          "| --- | --- | --- | --- | --- | --- |")
    for r in results:
        print(_row(r))
    a = [r for r in results if r["run"] == "a"]
    b = [r for r in results if r["run"] == "b"]
    mean = lambda rows, key: sum(r[key] for r in rows) / len(rows)  # noqa: E731
    print(f"\n(b)/(a): pages/s {mean(b, 'pages_per_s') / mean(a, 'pages_per_s'):.2f}x, "
          f"CPU per page {mean(b, 'cpu_ms_per_page') / mean(a, 'cpu_ms_per_page'):.2f}x, "
          f"peak RSS {mean(b, 'peak_rss_mb') / mean(a, 'peak_rss_mb'):.2f}x "
          f"(means over {args.rounds} alternating rounds)")
    base = [r for r in results if r["run"] == "base"]
    if base:
        print(f"(b)/(baseline tree): pages/s {mean(b, 'pages_per_s') / mean(base, 'pages_per_s'):.2f}x, "
              f"CPU per page {mean(b, 'cpu_ms_per_page') / mean(base, 'cpu_ms_per_page'):.2f}x, "
              f"peak RSS {mean(b, 'peak_rss_mb') / mean(base, 'peak_rss_mb'):.2f}x")
    variant = [r for r in results if r["run"].startswith("b ")]
    if variant:
        print(f"({variant[0]['run']})/(b): pages/s "
              f"{mean(variant, 'pages_per_s') / mean(b, 'pages_per_s'):.2f}x, "
              f"CPU per page {mean(variant, 'cpu_ms_per_page') / mean(b, 'cpu_ms_per_page'):.2f}x, "
              f"peak RSS {mean(variant, 'peak_rss_mb') / mean(b, 'peak_rss_mb'):.2f}x")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


def memory(args: argparse.Namespace, work: Path) -> None:
    results = []
    for size in [int(s) for s in args.sizes.split(",")]:
        root = _site(work, size)
        with Server(root, work) as server:
            set_base(root, server.base_url)
            (work / "outlets.toml").write_text(outlets_toml(server.base_url), encoding="utf-8")
            r = run_news(server, work, f"m{size}", args.timeout)
        r["stories"] = size
        results.append(r)
        print(_row(r), flush=True)
        print(_split(r), flush=True)
        shutil.rmtree(root, ignore_errors=True)
    print("\n| stories | pages | pages/s | CPU ms per page | peak RSS | finished? |\n| --- | --- | --- | --- | --- | --- |")
    for r in results:
        print(f"| {r['stories']:,} | {r['pages']:,} | {r['pages_per_s']:.1f} | {r['cpu_ms_per_page']:.1f} | "
              f"{r['peak_rss_mb']:.0f} MB | {'yes' if r['finished'] else 'no'} |")
    if len(results) > 1:
        print(f"\npeak RSS growth {results[0]['stories']:,} -> {results[-1]['stories']:,} stories: "
              f"{100 * (results[-1]['peak_rss_mb'] / results[0]['peak_rss_mb'] - 1):+.0f} %")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_bare":
        stats_path, rest = sys.argv[2], sys.argv[3:]
        split = rest.index("--")
        return _bare(rest[:split], stats_path, rest[split + 1:])
    if len(sys.argv) > 1 and sys.argv[1] == "_serve":
        return _serve(sys.argv[2], int(sys.argv[3]))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, default=6000, help="article pages on the site (default 6000)")
    parser.add_argument("--rounds", type=int, default=2, help="a b rounds (default 2: a b a b)")
    parser.add_argument("--timeout", type=float, default=1800, help="stop a run after this many seconds")
    parser.add_argument("--memory", action="store_true", help="run (b) alone at each of --sizes")
    parser.add_argument("--sizes", default="5000,25000")
    parser.add_argument("--json", help="also write the figures here")
    parser.add_argument("--baseline-tree", help="also run (b) from this checkout of newsarchive (e.g. "
                        "`git worktree add /tmp/old OLD_COMMIT`): a before/after in the same invocation")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="also run (b) with this Scrapy setting (repeatable): a variant beside (b) "
                        "in the same invocation")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-throughput-"))
    work.chmod(0o755)  # nginx's workers (nobody when started by root) read the site from here
    try:
        (memory if args.memory else compare)(args, work)
    finally:
        if args.keep:
            print(f"work directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
