"""Versioned storage rules, on SQLite and (when given) PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from newsarchive.db import store
from newsarchive.db.models import Article, ArticleVersion, Capture, Change

T0 = datetime(2026, 1, 5, 20, 0, tzinfo=UTC)
URL = "https://ledger.example/2026/01/05/ferry"
BASE = {
    "title": "Harbour authority to close old ferry terminal",
    "byline": "Mara Lindqvist",
    "paragraphs": ["The terminal will close at the end of the month.",
                   "Commuters reacted with frustration."],
    "published": "2026-01-05T20:04:00+00:00",
}
UPDATE = "Update # 1 \u2014 4:09 P.M.: The mayor said no final decision had been taken."


def fetch(sessions, content, minutes, url=URL):
    """Store one fetch like the pipeline does: a capture, then the article."""
    at = T0 + timedelta(minutes=minutes)
    with sessions.begin() as session:
        outlet = store.get_or_create_outlet(session, "ledger", {})
        capture = store.add_capture(session, url=url, fetched_at=at, status=200)
        recorded = store.record_article(session, outlet=outlet, canonical_url=URL, content=content,
                                        fetched_at=at, capture=capture)
        return recorded.outcome, recorded.version.seq


def counts(sessions):
    with sessions() as session:
        return (session.scalar(select(func.count()).select_from(ArticleVersion)),
                session.scalar(select(func.count()).select_from(Capture)))


def test_first_fetch_creates_article_and_version_1(sessions):
    assert fetch(sessions, BASE, 0) == ("new_article", 1)
    with sessions() as session:
        article = session.scalars(select(Article)).one()
        assert article.canonical_url == URL and article.version_count == 1
        version = article.versions[0]
        assert version.paragraphs == BASE["paragraphs"]
        assert version.published_at == datetime(2026, 1, 5, 20, 4, tzinfo=UTC)
        assert version.first_capture.url == URL


def test_unchanged_refetch_adds_a_capture_only(sessions):
    fetch(sessions, BASE, 0)
    assert fetch(sessions, dict(BASE), 15) == ("unchanged", 1)
    assert counts(sessions) == (1, 2)


def test_typography_whitespace_and_punctuation_are_not_edits(sessions):
    fetch(sessions, BASE, 0)
    noisy = dict(BASE, paragraphs=["The  terminal will close at the end of the month",
                                   "Commuters reacted with frustration!"],
                 title="Harbour authority to close old ferry terminal ")
    assert fetch(sessions, noisy, 15) == ("unchanged", 1)


def test_appended_update_creates_version_2_with_a_change_record(sessions):
    fetch(sessions, BASE, 0)
    edited = dict(BASE, paragraphs=[UPDATE, *BASE["paragraphs"]])
    assert fetch(sessions, edited, 15) == ("new_version", 2)
    with sessions() as session:
        change = session.scalars(select(Change)).one()
        assert change.from_version.seq == 1 and change.to_version.seq == 2
        assert change.kinds  # classified by newsarchive.changes
        assert session.get(Capture, 2).outcome == "new_version"


def test_headline_change_is_a_new_version(sessions):
    fetch(sessions, BASE, 0)
    assert fetch(sessions, dict(BASE, title="Ferry terminal may close"), 15) == ("new_version", 2)


def test_every_flip_between_known_versions_is_an_event_not_a_version(sessions):
    other = dict(BASE, title="Ferry terminal may close")
    assert fetch(sessions, BASE, 0) == ("new_article", 1)
    assert fetch(sessions, other, 10) == ("new_version", 2)
    assert fetch(sessions, BASE, 20) == ("reverted", 1)  # back to A: an event, no version 3
    assert fetch(sessions, BASE, 30) == ("unchanged", 1)
    assert fetch(sessions, other, 40) == ("reverted", 2)  # and B again
    with sessions() as session:
        article = session.scalars(select(Article)).one()
        assert article.version_count == 2 and article.flapping  # the chain stays bounded
        assert article.current_version_id == article.versions[1].id  # the page shows B now
        flips = session.scalars(select(Change).order_by(Change.id)).all()
        assert [(c.from_version_id, c.to_version_id, c.reverted_to_id) for c in flips] == [
            (1, 2, None), (2, None, 1), (1, None, 2)]
        assert [c.kinds for c in flips] == [["headline_changed"], ["headline_changed", "reverted"],
                                            ["headline_changed", "reverted"]]
        assert [c.created_at for c in flips[1:]] == [T0 + timedelta(minutes=20), T0 + timedelta(minutes=40)]
    assert counts(sessions) == (2, 5)


def test_new_content_after_a_flip_is_compared_with_what_the_page_showed(sessions):
    other = dict(BASE, title="Ferry terminal may close")
    fetch(sessions, BASE, 0)
    fetch(sessions, other, 10)
    fetch(sessions, BASE, 20)  # back to version 1
    edited = dict(BASE, paragraphs=[*BASE["paragraphs"], UPDATE])
    assert fetch(sessions, edited, 30) == ("new_version", 3)
    with sessions() as session:
        change = session.scalars(select(Change).where(Change.to_version_id.is_not(None))
                                 .order_by(Change.id.desc())).first()
        assert change.from_version.seq == 1 and "headline_changed" not in change.kinds


def test_a_version_of_another_extractor_is_reextracted_before_comparing(sessions):
    """An upgrade alone makes no version; the old version's stored text stays as it was."""
    old_rules, new_rules = {"rules": 1}, {"rules": 2}
    shorter = dict(BASE, paragraphs=BASE["paragraphs"][:1])  # what the new rules make of it

    def store_with(content, minutes, extractor, reextract):
        at = T0 + timedelta(minutes=minutes)
        with sessions.begin() as session:
            outlet = store.get_or_create_outlet(session, "ledger", {})
            capture = store.add_capture(session, url=URL, fetched_at=at, status=200)
            recorded = store.record_article(session, outlet=outlet, canonical_url=URL, content=content,
                                            fetched_at=at, capture=capture, extractor=extractor,
                                            reextract=reextract)
            return recorded.outcome, recorded.version.seq

    asked = []

    def reextract(version):
        asked.append(version.seq)
        return shorter

    assert store_with(BASE, 0, old_rules, None) == ("new_article", 1)
    assert store_with(shorter, 10, new_rules, reextract) == ("unchanged", 1)
    edited = dict(shorter, paragraphs=[*shorter["paragraphs"], UPDATE])
    assert store_with(edited, 20, new_rules, reextract) == ("new_version", 2)
    with sessions() as session:
        v1, v2 = session.scalars(select(Article)).one().versions
        assert v1.paragraphs == BASE["paragraphs"] and v1.extractor == old_rules  # never rewritten
        assert v2.extractor == new_rules
        change = session.scalars(select(Change)).one()
        assert change.detail["added"] == [UPDATE] and change.detail["removed"] == []  # vs re-extracted
    assert asked == [1, 1]  # once per stored fetch that compared with it


def test_removed_article_is_noted_once(sessions):
    fetch(sessions, BASE, 0)
    for minutes in (10, 20):
        with sessions.begin() as session:
            capture = store.add_capture(session, url=URL, fetched_at=T0 + timedelta(minutes=minutes),
                                        status=404)
            store.record_gone(session, canonical_url=URL, capture=capture,
                              fetched_at=T0 + timedelta(minutes=minutes))
    with sessions() as session:
        assert session.scalars(select(Article)).one().status == "removed"
        assert session.scalars(select(Change.kinds)).all() == [["article_removed"]]


def test_schema_comes_from_alembic_and_sqlite_uses_wal(db_url):
    from alembic.script import ScriptDirectory
    from sqlalchemy import text

    from newsarchive.db.engine import alembic_config, make_engine, upgrade

    engine = make_engine(db_url)
    upgrade(engine)
    upgrade(engine)  # idempotent: every entry point calls it
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == head
        if engine.dialect.name == "sqlite":
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert connection.execute(text("PRAGMA busy_timeout")).scalar() >= 5000
    engine.dispose()


def test_migrations_build_exactly_the_models_schema(db_url):
    """A model change without its Alembic migration fails here, not in production."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from newsarchive.db.engine import make_engine, upgrade
    from newsarchive.db.models import Base

    engine = make_engine(db_url)
    upgrade(engine)
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    engine.dispose()
