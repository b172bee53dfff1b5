"""The fast capture path stores what the plain one stores, and survives kill -9.

The throughput work (issue 11) moved extraction into worker processes, WARC writes and
database work into one storage thread, and fsyncs once per fetch instead of once per record.
Here the same crawls of the local site run through the reference path (everything on the
reactor thread, as before: ``NEWSARCHIVE_EXTRACTION_WORKERS=0``,
``NEWSARCHIVE_STORAGE_THREAD=False``) and the fast one (a pool of two, the storage thread),
and everything the archive holds is compared.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from conftest import Crawler
from sqlalchemy import select

from newsarchive.db.models import Article, ArticleVersion, Capture, Change
from newsarchive.demo.run import FAST_LOCAL, crawl_command
from newsarchive.demo.site import NewsSite, SiteServer, outlets_toml
from tests.warc_support.fixtures import read_all_fastwarc, read_all_warcio

pytestmark = pytest.mark.slow


def _archive(crawl: Crawler, base: str) -> dict:
    """What a crawl stored, without what differs between two honest runs (times, ids, the
    server's port, and the payload of pages whose boilerplate rotates on every request)."""

    def rel(url: str | None) -> str | None:
        return url.replace(base, "") if url else url

    with crawl.sessions()() as session:
        articles = {a.id: rel(a.canonical_url) for a in session.scalars(select(Article))}
        versions = sorted((articles[v.article_id], v.seq, v.fingerprint, v.title, v.byline,
                           tuple(v.paragraphs)) for v in session.scalars(select(ArticleVersion)))
        seqs = {v.id: v.seq for v in session.scalars(select(ArticleVersion))}
        changes = sorted((articles[c.article_id], tuple(c.kinds), seqs.get(c.from_version_id),
                          seqs.get(c.to_version_id)) for c in session.scalars(select(Change)))
        captures = sorted((rel(c.url), c.status, c.kind, c.outcome or "", seqs.get(c.version_id) or 0,
                           bool(c.warc_revisit)) for c in session.scalars(select(Capture)))
    records: Counter = Counter()
    for path in sorted((crawl.data_dir / "warc").glob("*.warc.gz")):
        for record in read_all_warcio(path):  # digests checked while reading
            records[(record.rec_type, rel(record.headers.get("WARC-Target-URI")),
                     record.headers.get("WARC-Profile"))] += 1
        assert read_all_fastwarc(path)  # and FastWARC reads the same file, digests verified
    return {"versions": versions, "changes": changes, "captures": captures, "records": records}


def _crawl_editions(tmp_path: Path, label: str, workers: str, storage_thread: bool) -> dict:
    news = NewsSite(edition=1)
    with SiteServer(news) as server:
        outlets = tmp_path / f"{label}.toml"
        outlets.write_text(outlets_toml(server.base_url), encoding="utf-8")
        crawl = Crawler(tmp_path / label, outlets)
        settings = (f"NEWSARCHIVE_EXTRACTION_WORKERS={workers}",
                    f"NEWSARCHIVE_STORAGE_THREAD={storage_thread}")
        crawl(settings=settings)
        crawl("recrawl=all", settings=settings)  # the same edition: boilerplate churn only
        news.edition = 2  # the newsroom edits its stories
        crawl("recrawl=all", settings=settings)
        return _archive(crawl, server.base_url)


def test_the_fast_path_stores_exactly_what_the_reference_path_stores(tmp_path: Path) -> None:
    inline = _crawl_editions(tmp_path, "inline", "0", storage_thread=False)  # all on the reactor
    pooled = _crawl_editions(tmp_path, "pool", "2", storage_thread=True)
    assert inline["versions"] and any(seq == 2 for _, seq, *_ in inline["versions"])
    assert pooled["versions"] == inline["versions"]
    assert pooled["changes"] == inline["changes"]
    assert pooled["captures"] == inline["captures"]
    assert pooled["records"] == inline["records"]
    assert {rec_type for rec_type, *_ in inline["records"]} >= {"warcinfo", "request", "response", "metadata"}


def _children_of(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(entry.name))
    return found


def _descendants(pid: int) -> set[int]:
    out, todo = set(), [pid]
    while todo:
        for child in _children_of(todo.pop()):
            if child not in out:
                out.add(child)
                todo.append(child)
    return out


def test_kill_9_mid_crawl_leaves_valid_warcs_no_dangling_capture_and_no_orphan_worker(tmp_path: Path) -> None:
    news = NewsSite(edition=1)
    with SiteServer(news) as server:
        outlets = tmp_path / "outlets.toml"
        outlets.write_text(outlets_toml(server.base_url), encoding="utf-8")
        data = tmp_path / "data"
        # slow enough that the kill lands while pages are being fetched and extracted
        command, env = crawl_command(outlets, data, settings=(*FAST_LOCAL, "DOWNLOAD_DELAY=0.3",
                                                               "NEWSARCHIVE_EXTRACTION_WORKERS=2"))
        proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 120
            pool: set[int] = set()
            while time.monotonic() < deadline and proc.poll() is None:
                pool |= _descendants(proc.pid)
                if len(list((data / "warc").glob("*.open"))) and len(pool) >= 2:
                    time.sleep(1.5)  # a few articles into the crawl
                    break
                time.sleep(0.2)
            assert proc.poll() is None, "the crawl ended before it could be killed"
            pool |= _descendants(proc.pid)
            assert pool, "no extraction worker was started"
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and any(Path(f"/proc/{p}").exists() for p in pool):
            time.sleep(0.5)
        alive = [p for p in pool if Path(f"/proc/{p}").exists()
                 and "Z" not in Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()[0]]
        assert not alive, f"extraction workers outlived the killed crawl: {alive}"

        crawl = Crawler(data, outlets)
        crawl("recrawl=all")  # repairs the torn file on start, then finishes the work
        archive = _archive(crawl, server.base_url)  # every WARC reads with warcio and FastWARC, digests checked
        assert len({url for url, *_ in archive["versions"]}) == 6
        assert all(seq == 1 for _, seq, *_ in archive["versions"])  # no duplicate versions
        verify = subprocess.run([sys.executable, "-m", "newsarchive", "verify", "--data-dir", str(data)],
                                env=env, capture_output=True, text=True, timeout=300)
        assert verify.returncode == 0, verify.stdout[-3000:] + verify.stderr[-2000:]
