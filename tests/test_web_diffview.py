"""The story page's diff arrangement: word-level runs inside edited sentences, both layouts."""

from __future__ import annotations

from datetime import UTC, datetime

from newsarchive.db.models import ArticleVersion
from newsarchive.web.diffview import diff_versions

LEDE = "The survey found corrosion in 14 of the terminal's 40 support piles."
REST = "Engineers said the building was safe for now."


def version(seq: int, title: str, *paragraphs: str) -> ArticleVersion:
    return ArticleVersion(seq=seq, title=title, byline="Mara Lindqvist", paragraphs=list(paragraphs),
                          captured_at=datetime(2026, 1, 5, tzinfo=UTC), fingerprint="x")


def test_an_edited_figure_is_a_word_level_deletion_and_insertion():
    old = version(1, "Ferry terminal to close", LEDE, REST)
    new = version(2, "Ferry terminal to close", LEDE.replace("14", "16"), REST)
    diff = diff_versions(old, new)
    assert "correction" in diff.kinds
    edited = [s for p in diff.paragraphs for s in p.sentences if s.op == "edited"]
    assert len(edited) == 1
    assert ("delete", "14") in edited[0].inline and ("insert", "16") in edited[0].inline
    assert ("insert", "16") not in edited[0].left and ("delete", "14") not in edited[0].right
    assert all(tag == "equal" for tag, _ in edited[0].inline if "corrosion" in _)
    same = [s for p in diff.paragraphs for s in p.sentences if s.op == "same"]
    assert [s.inline for s in same] == [[("equal", REST)]]


def test_headline_and_removed_paragraph_are_shown_and_stored_kinds_win():
    old = version(1, "Ferry terminal to close", LEDE, REST)
    new = version(2, "Ferry terminal may close", LEDE)
    diff = diff_versions(old, new, stored_kinds=["headline_changed", "reverted"])
    assert diff.kinds == ["headline_changed", "reverted"]
    assert ("delete", "to") in diff.headline and ("insert", "may") in diff.headline
    removed = [p for p in diff.paragraphs if p.removed]
    assert len(removed) == 1 and removed[0].sentences[0].left == [("delete", REST)]
    assert removed[0].sentences[0].right == []


def test_identical_versions_have_nothing_to_mark():
    old = version(1, "Ferry terminal to close", LEDE, REST)
    diff = diff_versions(old, version(2, "Ferry  terminal to close", LEDE, REST))
    assert not diff.changed and diff.kinds == []


def test_versions_held_for_review_stay_out_of_every_web_list(sessions):
    """A storm's versions (health review "held"/"rejected") never reach readers of the web view."""
    from datetime import timedelta

    from sqlalchemy import update

    from newsarchive.db import store
    from newsarchive.web import queries

    at = datetime(2026, 1, 5, 20, 0, tzinfo=UTC)
    url = "https://ledger.example/2026/01/05/ferry"
    base = {"title": "Ferry terminal to close", "byline": "Mara Lindqvist", "paragraphs": [LEDE, REST]}
    held = {**base, "title": "Cookie banner", "paragraphs": ["Accept all cookies to continue."]}
    with sessions.begin() as session:
        outlet = store.get_or_create_outlet(session, "ledger", {})
        for minutes, content in ((0, base), (15, held)):
            capture = store.add_capture(session, url=url, fetched_at=at + timedelta(minutes=minutes), status=200)
            store.record_article(session, outlet=outlet, canonical_url=url, content=content,
                                 fetched_at=at + timedelta(minutes=minutes), capture=capture)
    with sessions.begin() as session:
        session.execute(update(ArticleVersion).where(ArticleVersion.seq == 2).values(review="held"))
    with sessions() as session:
        article_id = queries.search(session, url).rows[0].id
        assert [v.seq for v in queries.timeline(session, article_id)] == [1]
        assert queries.latest_changes(session).rows == []
        assert queries.search(session, "cookie banner").rows == []
        assert [a.title for a in queries.outlet_articles(session, "ledger").rows] == [None]
        assert queries.outlet_articles(session, "ledger", kind="headline_changed").rows == []
    with sessions.begin() as session:
        session.execute(update(ArticleVersion).where(ArticleVersion.seq == 2).values(review="confirmed"))
    with sessions() as session:
        assert [v.seq for v in queries.timeline(session, article_id)] == [1, 2]
        assert [c.title for c in queries.latest_changes(session).rows] == ["Cookie banner"]
