"""Near-duplicate fingerprints and syndication clusters, on the storage layer (SQLite and
PostgreSQL): copies on three outlets join one cluster, a URL variant on one outlet becomes an
alias, stories sharing a long standard paragraph stay apart, and the backfill finds what the
store-time hook finds."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from newsarchive import syndication
from newsarchive.db import store
from newsarchive.db.models import SyndicationBand, SyndicationFingerprint, SyndicationMember
from newsarchive.db.queries import change_feed
from tests import syndication_site as T

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def _store(session, outlet: str, url: str, title: str, paragraphs: list[str], at: datetime,
           *, hook: bool = True):
    recorded = store.record_article(session, outlet=store.get_or_create_outlet(session, outlet),
                                    canonical_url=url, url=url, fetched_at=at,
                                    content={"title": title, "paragraphs": paragraphs})
    if hook and recorded.outcome in ("new_article", "new_version"):
        syndication.fingerprint_version(session, recorded.version)
    return recorded


def _groups(session) -> set[frozenset[str]]:
    from newsarchive.db.models import Article

    rows = session.execute(select(SyndicationMember.cluster_id, Article.url)
                           .join(Article, Article.id == SyndicationMember.article_id)).all()
    groups: dict[int, set[str]] = {}
    for cluster, url in rows:
        groups.setdefault(cluster, set()).add(url)
    return {frozenset(g) for g in groups.values()}


def _store_corpus(session, *, hook: bool = True) -> None:
    for n, (outlet, path, story, at) in enumerate(T.PLACEMENTS):
        page = T.article(outlet, story)
        _store(session, outlet, f"http://{outlet}.test{path}", page.title, page.paragraphs,
               T0 + timedelta(minutes=10 * n + at), hook=hook)


def test_shared_standard_paragraph_is_not_enough():
    first, second = (syndication.text_of(T.article("ledger", key).paragraphs) for key in ("court-a", "court-b"))
    assert syndication.similarity(first, second) == 0.0  # one shared block never makes a pair
    wire = syndication.text_of(T.article("wire", "storm").paragraphs)
    copy = syndication.text_of(T.article("courier", "storm").paragraphs)
    assert syndication.similarity(wire, copy) >= syndication.DEFAULT_THRESHOLD


def test_clusters_copies_and_aliases_but_not_shared_paragraph_stories(sessions):
    with sessions.begin() as session:
        _store_corpus(session)
    with sessions() as session:
        assert _groups(session) == T.expected_groups("http://{outlet}.test")
        clusters = syndication.clusters(session)
        storm = next(c for c in clusters if any(m["url"].endswith(T.STORM_ALIAS) for m in c["members"]))
        alias = next(m for m in storm["members"] if m["url"].endswith(T.STORM_ALIAS))
        assert (alias["relation"], alias["alias_of"]) == ("alias", f"http://courier.test{T.PATHS['courier', 'storm']}")
        assert sum(m["relation"] == "copy" for m in storm["members"]) == 3
        # every version has one fingerprint; each clusterable one has its band rows
        versions = session.scalar(select(func.count()).select_from(SyndicationFingerprint))
        assert versions == len(T.PLACEMENTS)
        bands = session.scalar(select(func.count()).select_from(SyndicationBand))
        assert bands == syndication.BANDS * len(T.PLACEMENTS)
        feed = list(change_feed(session))
        ids = {row["url"]: row["cluster"] for row in feed}
        assert ids[f"http://wire.test{T.PATHS['wire', 'storm']}"] == storm["cluster"]
        assert ids[f"http://ledger.test{T.PATHS['ledger', 'court-a']}"] is None


def test_backfill_finds_the_same_clusters(sessions):
    with sessions.begin() as session:
        _store_corpus(session, hook=False)
    with sessions() as session:
        assert _groups(session) == set()
        for _ in syndication.backfill(session, batch=3):
            session.commit()
        assert _groups(session) == T.expected_groups("http://{outlet}.test")


def test_update_on_one_copy_is_reported_as_not_reaching_the_others(sessions):
    with sessions.begin() as session:
        _store_corpus(session)
        page = T.article("wire", "storm", edition=2)
        _store(session, "wire", f"http://wire.test{T.PATHS['wire', 'storm']}", page.title, page.paragraphs,
               T0 + timedelta(hours=3))
    with sessions() as session:
        storm = next(c for c in syndication.clusters(session) if len(c["members"]) == 4)
        (edit,) = storm["edits"]
        assert edit["outlet"] == "wire" and "update_appended" in edit["kinds"]
        assert {r["outlet"]: r["took"] for r in edit["reached"]} == {"courier": None, "gazette": None}
        assert len(edit["reached"]) == 3  # courier's copy and its alias, gazette


def test_syndication_command(sessions, db_url, tmp_path):
    with sessions.begin() as session:
        _store_corpus(session)
    result = subprocess.run([sys.executable, "-m", "newsarchive", "syndication", "--db", db_url,
                             "--format", "json", "--outlet", "gazette"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    found = [json.loads(line) for line in result.stdout.splitlines()]
    assert sorted(sorted(m["outlet"] for m in c["members"]) for c in found) == [
        ["courier", "courier", "gazette", "wire"], ["gazette", "wire"]]  # storm and bridge; no court
    text = subprocess.run([sys.executable, "-m", "newsarchive", "syndication", "--db", db_url],
                          capture_output=True, text=True, timeout=120)
    assert text.returncode == 0, text.stderr
    assert "alias of http://courier.test" in text.stdout
    bad = subprocess.run([sys.executable, "-m", "newsarchive", "syndication", "--db", db_url,
                          "--since", "yesterday"], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "not an ISO date" in bad.stderr


def test_aliases_follow_the_first_seen_article_of_each_outlet_when_clusters_join(sessions):
    """Two clusters, each with a courier article, joined by a wire version that matches an
    article of the other (not a courier one): in the merged cluster the courier article seen
    first is the story and the other, the first of its old cluster, becomes its alias."""
    with sessions.begin() as session:
        def version(outlet: str, slug: str, minutes: int):
            return _store(session, outlet, f"http://{outlet}.test/{slug}", slug, [f"{slug} text."],
                          T0 + timedelta(minutes=minutes), hook=False).version

        early, late, gazette, wire = (version("courier", "early", 0), version("courier", "late", 30),
                                      version("gazette", "copy", 40), version("wire", "joiner", 50))
        evidence = {late.article_id: (syndication.Candidate(late.id, late.article_id), 0.9),
                    gazette.article_id: (syndication.Candidate(gazette.id, gazette.article_id), 0.8)}
        first = syndication._join(session, gazette, {late.article_id: evidence[late.article_id]})
        second = syndication._join(session, wire, {early.article_id: (
            syndication.Candidate(early.id, early.article_id), 0.95)})
        assert first != second
        # wire's version now also matches gazette's copy: neither courier article is named
        merged = syndication._join(session, wire, {gazette.article_id: evidence[gazette.article_id]})
        members = {m.article_id: m for m in session.scalars(select(SyndicationMember))}
        assert {m.cluster_id for m in members.values()} == {merged} == {min(first, second)}
        assert members[early.article_id].alias_of is None
        assert members[late.article_id].alias_of == early.article_id
        assert members[gazette.article_id].alias_of is None and members[wire.article_id].alias_of is None


def test_a_match_with_an_article_folded_away_since_the_comparison_is_left_out(sessions):
    """The worker compares, then writes: an article joined into another in between (a slug
    change) is no longer there to link, and costs the version nothing."""
    with sessions.begin() as session:
        copy = _store(session, "gazette", "http://gazette.test/copy", "Copy", ["Copy text."], T0,
                      hook=False).version
        gone = syndication.Candidate(10_000, 10_000)  # no such article any more
        assert syndication._join(session, copy, {gone.article_id: (gone, 0.9)}) is None
        wire = _store(session, "wire", "http://wire.test/w", "Wire", ["Wire text."], T0, hook=False).version
        cluster = syndication._join(session, copy, {gone.article_id: (gone, 0.9), wire.article_id: (
            syndication.Candidate(wire.id, wire.article_id), 0.8)})
        assert {m.article_id for m in session.scalars(select(SyndicationMember)
                                                      .where(SyndicationMember.cluster_id == cluster))} \
            == {copy.article_id, wire.article_id}
