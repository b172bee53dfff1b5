"""The batched reference look-up of conditional re-checks picks what the per-URL queries pick.

``ConditionalRequestMiddleware`` looks up the captures of all the re-checks of one reactor
turn in one query (``reference_captures``); it must choose, for every URL, the capture that
one query per URL would: the last kept 200, and for a revisit the earliest full record of the
same payload (``store.find_earlier_payload``), never a lost record or a 304.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from newsarchive.db import store
from newsarchive.db.models import Capture
from newsarchive.middlewares.conditional import reference_captures

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def _capture(session, url, minutes, status=200, digest="sha1:A", revisit=False, lost=False, etag=None):
    return store.add_capture(session, url=url, fetched_at=T0 + timedelta(minutes=minutes), status=status,
                             payload_digest=digest, warc_filename="f.warc.gz", warc_offset=minutes * 100,
                             warc_record_id=f"<urn:uuid:{url[-1]}-{minutes}>", warc_revisit=revisit,
                             warc_lost=lost, etag=etag)


def _per_url(sessions, url):
    """The reference as the per-URL queries define it (capture ids only)."""
    with sessions() as session:
        last = session.scalar(
            select(Capture)
            .where(Capture.url == url, Capture.status == 200, Capture.warc_record_id.is_not(None),
                   Capture.warc_lost.is_(False))
            .order_by(Capture.fetched_at.desc(), Capture.id.desc()).limit(1))
        if last is None:
            return None
        original = store.find_earlier_payload(session, url, last.payload_digest) if last.warc_revisit else last
        return (last.id, original.warc_record_id) if original is not None else None


def test_one_query_for_many_urls_picks_what_the_per_url_queries_pick(sessions):
    with sessions.begin() as session:
        # a: full A, revisits of A (one 304), then a full B, then an identical-payload revisit of B
        _capture(session, "https://e/a", 0, digest="sha1:A", etag='"1"')
        _capture(session, "https://e/a", 10, digest="sha1:A", revisit=True)
        _capture(session, "https://e/a", 20, status=304, digest="sha1:A", revisit=True)
        _capture(session, "https://e/a", 30, digest="sha1:B", etag='"2"')
        _capture(session, "https://e/a", 40, digest="sha1:B", revisit=True, etag='"2"')
        # b: the last 200 lost in a crash: the one before it counts
        _capture(session, "https://e/b", 0, digest="sha1:C")
        _capture(session, "https://e/b", 10, digest="sha1:D", lost=True)
        # c: flips back to an earlier payload: the revisit's original is the earliest full record
        _capture(session, "https://e/c", 0, digest="sha1:E")
        _capture(session, "https://e/c", 10, digest="sha1:F")
        _capture(session, "https://e/c", 20, digest="sha1:E", revisit=True)
        # d: only errors; e: never captured
        _capture(session, "https://e/d", 0, status=500, digest=None)
    urls = ["https://e/a", "https://e/b", "https://e/c", "https://e/d", "https://e/e"]
    found = reference_captures(sessions, urls)
    for url in urls:
        expected = _per_url(sessions, url)
        got = (found[url]["capture_id"], found[url]["record_id"]) if url in found else None
        assert got == expected, url
    a = found["https://e/a"]
    assert a["etag"] == '"2"' and a["payload_digest"] == "sha1:B" and a["record_id"] == "<urn:uuid:a-30>"
    assert datetime.fromisoformat(a["date"]) == T0 + timedelta(minutes=30)  # the record holding the bytes
    assert found["https://e/b"]["record_id"] == "<urn:uuid:b-0>"
    assert found["https://e/c"]["record_id"] == "<urn:uuid:c-0>"
    assert set(found) == {"https://e/a", "https://e/b", "https://e/c"}
    assert reference_captures(sessions, []) == {}
