"""Syndication from a real crawl: four local outlets (tests/syndication_site.py), SQLite and
PostgreSQL. The exact groups are found, the court reports sharing a long legal notice stay
apart, courier's print URL is an alias of its copy, the change feed carries the cluster ids,
and the wire's update is reported as reaching courier later and gazette never."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from newsarchive.db.models import Article, SyndicationMember
from tests import syndication_site as T


def _run(crawl, *args: str) -> subprocess.CompletedProcess[str]:
    db = ["--data-dir", str(crawl.data_dir)] + (["--db", crawl.db_url] if crawl.db_url else [])
    return subprocess.run([sys.executable, "-m", "newsarchive", *args, *db], capture_output=True, text=True,
                          env=dict(os.environ), timeout=120)


@pytest.fixture
def outlets(crawl_any_db, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    with T.SyndicationServer() as server:
        toml = tmp_path / "syndication.toml"
        toml.write_text(T.OUTLETS_TOML, encoding="utf-8")
        crawl_any_db.outlets = toml
        for name in ("no_proxy", "NO_PROXY", "https_proxy", "HTTPS_PROXY"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("http_proxy", server.proxy)
        yield crawl_any_db, server


@pytest.mark.slow
def test_crawled_copies_cluster_and_edits_are_traced(outlets):
    crawl, server = outlets
    crawl()
    with crawl.sessions()() as session:
        rows = session.execute(select(SyndicationMember.cluster_id, Article.url)
                               .join(Article, Article.id == SyndicationMember.article_id)).all()
        assert len(session.scalars(select(Article)).all()) == len(T.PLACEMENTS)  # every copy its own article
    groups: dict[int, set[str]] = {}
    for cluster, url in rows:
        groups.setdefault(cluster, set()).add(url)
    assert {frozenset(g) for g in groups.values()} == T.expected_groups("http://{outlet}.test")

    feed = [json.loads(line) for line in _run(crawl, "changes").stdout.splitlines()]
    by_url = {row["url"]: row["cluster"] for row in feed}
    for cluster, urls in groups.items():
        assert {by_url[u] for u in urls} == {cluster}
    assert all(by_url[f"http://ledger.test{p}"] is None for o, p, _, _ in T.PLACEMENTS if o == "ledger")

    server.site.edition = 2  # the wire appends an update; no copy takes it yet
    crawl()
    server.site.edition = 3  # courier takes it; gazette never does
    crawl()
    result = _run(crawl, "syndication", "--format", "json", "--outlet", "courier")
    assert result.returncode == 0, result.stderr
    (storm,) = [json.loads(line) for line in result.stdout.splitlines()]
    (edit,) = [e for e in storm["edits"] if e["outlet"] == "wire"]
    assert "update_appended" in edit["kinds"] and T.STORM_UPDATE in edit["added"]
    reached = {r["url"]: r for r in edit["reached"]}
    courier = reached[f"http://courier.test{T.PATHS['courier', 'storm']}"]
    assert courier["version"] == 2 and courier["after_seconds"] > 0  # later, on the next crawl
    assert reached[f"http://gazette.test{T.PATHS['gazette', 'storm']}"]["took"] is None
    assert reached[f"http://courier.test{T.STORM_ALIAS}"]["version"] == 2  # the print URL shows it too

    text = _run(crawl, "syndication")
    assert text.returncode == 0, text.stderr
    assert "never taken by gazette" in text.stdout
    # one courier URL is an alias of the other (the one first seen is the story; a crawl fetches
    # both from one listing, in either order)
    aliases = [m for m in storm["members"] if m["relation"] == "alias"]
    assert [m["outlet"] for m in aliases] == ["courier"]
    assert {aliases[0]["url"], aliases[0]["alias_of"]} == {
        f"http://courier.test{T.PATHS['courier', 'storm']}", f"http://courier.test{T.STORM_ALIAS}"}
    assert f"(alias of {aliases[0]['alias_of']})" in text.stdout


def _syndication_state(crawl) -> dict:
    """The syndication tables of an archive, by URL (ids differ between archives)."""
    from newsarchive.db.models import ArticleVersion, SyndicationFingerprint, SyndicationParagraph

    with crawl.sessions()() as session:
        urls = dict(session.execute(select(Article.id, Article.url)).all())
        versions = {v.id: (urls[v.article_id], v.seq) for v in session.scalars(select(ArticleVersion))}
        members = session.scalars(select(SyndicationMember)).all()
        groups: dict[int, set[str]] = {}
        for m in members:
            groups.setdefault(m.cluster_id, set()).add(urls[m.article_id])
        return {
            "groups": {frozenset(g) for g in groups.values()},
            "aliases": {(urls[m.article_id], urls.get(m.alias_of)) for m in members},
            # not the shingle counts: they leave out the paragraphs known as common when the
            # version was fingerprinted, which follows the order the crawl happened to store them
            "fingerprints": sorted((versions[f.version_id], f.matched)
                                   for f in session.scalars(select(SyndicationFingerprint))),
            "paragraphs": sorted((p.key, p.seen, p.common) for p in session.scalars(select(SyndicationParagraph))),
            "versions": len(versions),
        }


@pytest.mark.slow
def test_the_syndication_worker_stores_what_inline_fingerprinting_stores(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Fingerprints, common paragraphs, clusters and aliases after two crawls (the second one
    compares what the first run's health check released) are the same whether the versions
    are fingerprinted in the storing transaction or by the worker process beside the crawl."""
    from conftest import Crawler

    with T.SyndicationServer() as server:
        toml = tmp_path / "syndication.toml"
        toml.write_text(T.OUTLETS_TOML, encoding="utf-8")
        for name in ("no_proxy", "NO_PROXY", "https_proxy", "HTTPS_PROXY"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("http_proxy", server.proxy)
        states = {}
        for label, worker in (("inline", False), ("worker", True)):
            server.site.edition = 1
            crawl = Crawler(tmp_path / label, toml)
            settings = (f"NEWSARCHIVE_SYNDICATION_WORKER={worker}",)
            crawl(settings=settings)
            server.site.edition = 2
            result = crawl(settings=settings)
            assert ("the syndication worker finished" in result.stderr) is worker
            states[label] = _syndication_state(crawl)
    assert states["inline"]["groups"] == T.expected_groups("http://{outlet}.test")
    assert len(states["inline"]["fingerprints"]) == states["inline"]["versions"]
    assert states["worker"] == states["inline"]


@pytest.mark.slow
def test_versions_left_without_a_fingerprint_are_fingerprinted_by_the_next_crawls_worker(outlets) -> None:
    """What a dead worker (or a crawl killed before it handed a version over) left undone is
    the next crawl's worker's first job: here a whole crawl stored without syndication."""
    from newsarchive.db.models import ArticleVersion, SyndicationFingerprint

    crawl, _ = outlets
    crawl(settings=("NEWSARCHIVE_SYNDICATION_ENABLED=False",))
    with crawl.sessions()() as session:
        assert session.scalars(select(ArticleVersion)).all()
        assert not session.scalars(select(SyndicationFingerprint)).all()
    result = crawl()
    assert "fingerprinting" in result.stderr and "versions stored without one" in result.stderr
    state = _syndication_state(crawl)
    assert len(state["fingerprints"]) == state["versions"]
    assert state["groups"] == T.expected_groups("http://{outlet}.test")
