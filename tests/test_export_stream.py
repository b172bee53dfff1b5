"""The change feed and ``export --format jsonl`` stream (issue 14): rows come sorted from the
database, a chunk at a time, and are merged and written as they come. On SQLite and PostgreSQL."""

from __future__ import annotations

import gc
import json
import tracemalloc
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from newsarchive.archivist.export_jsonl import export_jsonl
from newsarchive.archivist.selection import Selection
from newsarchive.db import store
from newsarchive.db.queries import FEED_CHUNK, change_feed

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
BASE = "https://ledger.example/2026/01/05/"


def _content(slug: str, n: int, *, paragraphs: int = 2, words: int = 12) -> dict:
    """Distinct text per story and version: version n has n - 1 appended updates."""
    body = [" ".join(f"{slug}{p}w{w}" for w in range(words)).capitalize() + "." for p in range(paragraphs)]
    updates = [f"Update # {u} \u2014 {u}:00 P.M.: The {slug} story moved on, step {u}." for u in range(1, n)]
    return {"title": f"Story {slug}", "byline": "Mara Lindqvist", "paragraphs": [*body, *updates]}


def _fetch(session, slug: str, n: int, at: datetime, **kw) -> None:
    outlet = store.get_or_create_outlet(session, "ledger", {})
    capture = store.add_capture(session, url=BASE + slug, fetched_at=at, status=200)
    store.record_article(session, outlet=outlet, canonical_url=BASE + slug, content=_content(slug, n, **kw),
                         fetched_at=at, capture=capture)
    session.flush()


def _gone(session, slug: str, at: datetime) -> None:
    capture = store.add_capture(session, url=BASE + slug, fetched_at=at, status=404)
    store.record_gone(session, canonical_url=BASE + slug, capture=capture, fetched_at=at)
    session.flush()


def test_versions_and_events_interleave_in_feed_order(sessions):
    """Two sorted streams merged: by instant, then article, then version, a version before
    the event that followed it at the same instant."""
    t = [T0 + timedelta(minutes=m) for m in range(5)]
    with sessions.begin() as session:
        _fetch(session, "alpha", 1, t[0])
        _fetch(session, "bravo", 1, t[0])
        _fetch(session, "alpha", 2, t[1])
        _gone(session, "bravo", t[1])        # an event at the same instant as alpha's version
        _fetch(session, "charlie", 1, t[2])
        _gone(session, "charlie", t[2])      # same instant, same article, same version: after it
        _fetch(session, "alpha", 1, t[3])    # a flip back to version 1
        _fetch(session, "delta", 1, t[3])
        _fetch(session, "alpha", 2, t[4])    # and forward again
    with sessions() as session:
        feed = [(r["url"].rsplit("/", 1)[1], r["event"], r["version"], r["captured_at"])
                for r in change_feed(session)]
    assert [f[:3] for f in feed] == [
        ("alpha", "version", 1), ("bravo", "version", 1),
        ("alpha", "version", 2), ("bravo", "article_removed", 1),
        ("charlie", "version", 1), ("charlie", "article_removed", 1),
        ("alpha", "reverted", 1), ("delta", "version", 1),
        ("alpha", "reverted", 2),
    ]
    assert [f[3] for f in feed] == sorted(f[3] for f in feed)
    with sessions() as session:  # the kind filter and --since keep that order
        assert [(r["url"].rsplit("/", 1)[1], r["version"]) for r in change_feed(session, kinds=["reverted"])] \
            == [("alpha", 1), ("alpha", 2)]
        assert [r["event"] for r in change_feed(session, since=t[2])] \
            == ["version", "article_removed", "reverted", "version", "reverted"]


STORIES, EDITED = 2000, 20  # 2,020 versions of ~8 kB each; 20 version pairs for the sentence table


def build_large(sessions) -> None:
    with sessions.begin() as session:
        for s in range(STORIES):
            _fetch(session, f"s{s:04d}x", 1, T0 + timedelta(seconds=s), paragraphs=8, words=100)
        for s in range(EDITED):
            _fetch(session, f"s{s:04d}x", 2, T0 + timedelta(hours=1, seconds=s), paragraphs=8, words=100)


@pytest.mark.slow
def test_jsonl_export_of_a_large_archive_holds_a_chunk_not_the_archive(sessions, db_url, tmp_path):
    """Peak Python memory during the export stays far below the size of the text it writes
    (the in-memory sort held every feed object at once: more than the whole text); on
    PostgreSQL the feed is read through server-side cursors."""
    build_large(sessions)
    assert STORIES > 10 * FEED_CHUNK  # many chunks
    cursors: list[int] = []
    postgres = db_url.startswith("postgresql")
    out_path = tmp_path / "all.jsonl"
    with sessions() as session:

        def progress(_n: int) -> None:
            if postgres and not cursors:  # mid-feed: the queries are open as server-side cursors
                cursors.append(session.connection().scalar(text("SELECT count(*) FROM pg_cursors")))

        gc.collect()
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            with open(out_path, "w", encoding="utf-8") as out:
                feed, sentences = export_jsonl(session, Selection().resolve(session), out, progress=progress)
            peak = tracemalloc.get_traced_memory()[1] - before
        finally:
            tracemalloc.stop()
    assert feed == STORIES + EDITED and sentences > 0
    rows = [json.loads(line) for line in out_path.read_text(encoding="utf-8").splitlines()]
    feed_rows = [r for r in rows if r["record"] == "feed"]
    text_size = sum(len(p) for r in feed_rows for p in r["paragraphs"])
    keys = [(r["captured_at"], r["url"]) for r in feed_rows]
    assert keys == sorted(keys) and len(set(keys)) == STORIES + EDITED  # in order, each once
    assert text_size > 10_000_000
    assert peak < text_size / 2, (peak, text_size)  # the in-memory sort peaked above 2.5x
    if postgres:
        assert cursors and cursors[0] >= 1, cursors  # the versions query (this archive has no events)
