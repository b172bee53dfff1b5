"""The URL of record: what the site declares is stored, reported and re-fetched; the matching
key only joins variants. Outlets with trailing-slash, www.-only and AMP URLs, SQLite and PostgreSQL."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from newsarchive.db.models import Article, Change
from newsarchive.warc import read_record
from tests import variants_site as V


def fetch_through(proxy: str, url: str) -> tuple[int, str | None]:
    """GET ``url`` the way a reader's browser would reach it through the proxy: (status, Location)."""
    host, port = proxy.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    connection.request("GET", url)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response.status, response.getheader("Location")


def feed(crawl) -> list[dict]:
    env = dict(os.environ)
    args = ["--data-dir", str(crawl.data_dir)] + (["--db", crawl.db_url] if crawl.db_url else [])
    result = subprocess.run([sys.executable, "-m", "newsarchive", "changes", *args],
                            capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


@pytest.fixture
def variants(crawl_any_db, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    with V.VariantsServer() as server:
        outlets = tmp_path / "variants.toml"
        outlets.write_text(V.OUTLETS_TOML, encoding="utf-8")
        crawl_any_db.outlets = outlets
        for name in ("no_proxy", "NO_PROXY", "https_proxy", "HTTPS_PROXY"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("http_proxy", server.proxy)
        yield crawl_any_db, server


@pytest.mark.slow
def test_urls_of_record_are_stored_reported_and_refetched(variants):
    crawl, server = variants
    crawl()
    with crawl.sessions()() as session:
        articles = {a.canonical_url: a for a in session.scalars(select(Article))}
    urls = {a.url for a in articles.values()}
    assert urls == {
        f"http://slash.test{V.SLASH_OLD}", f"http://slash.test{V.SLASH_OTHER}",
        "http://www.wwwsite.test/story/1", "http://www.wwwsite.test/story/2",
        "http://amp.test/story/1", "http://amp.test/story/2",
    }  # six articles: the AMP copy and the bare-host link of a story are no articles of their own
    assert f"http://slash.test{V.SLASH_OLD.rstrip('/')}" in articles  # the key still folds
    assert "http://wwwsite.test/story/1" in articles

    rows = feed(crawl)
    assert {r["url"] for r in rows} == urls
    for row in rows:
        assert fetch_through(server.proxy, row["url"]) == (200, None), row["url"]
        if row["outlet"] != "amp":  # an AMP-only story was first captured as its AMP copy
            record = read_record(crawl.data_dir / "warc" / row["warc"]["file"], row["warc"]["offset"])
            assert record.header("WARC-Target-URI") == row["url"]

    # a re-check fetches each URL of record, with no redirect hop; a moved story is moved
    server.site.edition = 2
    server.site.requests.clear()
    crawl("recrawl=all")
    requested = dict(server.site.requests)
    for url in urls - {f"http://slash.test{V.SLASH_OLD}"}:
        assert requested.get(url) == 200, url
    assert requested[f"http://slash.test{V.SLASH_OLD}"] == 301  # the site moved this one
    assert requested[f"http://slash.test{V.SLASH_NEW}"] == 200
    folded = [u for u, status in server.site.requests if status == 404 or u.startswith("http://wwwsite.test/")]
    assert folded == []  # never a folded key, never the bare host

    with crawl.sessions()() as session:
        moved = session.scalars(select(Article).where(
            Article.canonical_url == f"http://slash.test{V.SLASH_OLD.rstrip('/')}")).one()
        kinds = session.scalars(select(Change.kinds).where(Change.article_id == moved.id)).all()
        assert len(session.scalars(select(Article)).all()) == 6
    assert (moved.status, moved.url) == ("redirected", f"http://slash.test{V.SLASH_NEW}")
    assert kinds == [["redirected"]]  # moved, not removed, and no new version
    events = [r for r in feed(crawl) if r["event"] == "redirected"]
    assert [(r["url"], r["redirected_to"]) for r in events] == [
        (f"http://slash.test{V.SLASH_NEW}", f"http://slash.test{V.SLASH_NEW}")]
    assert fetch_through(server.proxy, events[0]["redirected_to"]) == (200, None)
