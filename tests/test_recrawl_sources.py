"""``-a recrawl=due`` polls listings (and feeds, sitemaps) with conditional GETs.

A 304 is archived as a ``server-not-modified`` revisit, counts as "unchanged" for the
source's adaptive interval, and the archived body it confirms is still read: a story the
listing showed but an earlier run left unfetched (here: a ``max_pages`` cut) is fetched.
A server that ignores the headers still works the same way, with full 200s.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select
from warcio.archiveiterator import ArchiveIterator

from newsarchive.db.models import Capture, PollSource
from tests.schedule_site import StaticOutlet, StaticServer
from tests.test_recrawl import T0, Run

pytestmark = pytest.mark.slow


def _listing_records(run: Run, url: str) -> list[tuple[str, str]]:
    found = []
    for path in sorted((run.data / "warc").glob("*.warc.gz")):
        with path.open("rb") as stream:
            for record in ArchiveIterator(stream):
                if record.rec_type in ("response", "revisit") and record.rec_headers["WARC-Target-URI"] == url:
                    found.append((record.rec_type, record.rec_headers.get_header("WARC-Profile") or ""))
    return found


@pytest.mark.parametrize("honour", [True, False], ids=["honours-etag", "ignores-etag"])
def test_listings_are_polled_conditionally_and_a_304_is_unchanged(tmp_path, db_url, monkeypatch, honour):
    outlet = StaticOutlet(count=3, honour_conditional=honour)
    with StaticServer(outlet) as server:
        run = Run(server, tmp_path, db_url)
        listing = f"{server.base_url}/daily/"
        run.outlets.write_text(server.outlets_toml() + "max_pages = 2\n")  # the listing and one story
        run(T0, monkeypatch=monkeypatch)
        assert len(outlet.article_requests()) == 1
        run.outlets.write_text(server.outlets_toml())

        outlet.requests.clear()
        run("2026-03-01T08:12:00Z", "recrawl=due", monkeypatch=monkeypatch)  # the listing's poll is due
        polls = [h for p, h in outlet.requests if p == "/daily/"]
        assert len(polls) == 1 and "if-none-match" in polls[0] and "if-modified-since" in polls[0]
        # the two stories the first run's budget cut are read from the confirmed listing (and
        # fetched for the first time, unconditionally); story-0 is only its own due re-check
        fetched = {p: h for p, h in outlet.article_requests()}
        assert {"/daily/news/story-1", "/daily/news/story-2"} <= set(fetched)
        assert not any("if-none-match" in fetched[f"/daily/news/story-{n}"] for n in (1, 2))
        assert len(outlet.article_requests()) == len(fetched)  # each once
        sessions = run.sessions()
        with sessions() as session:
            source = session.scalar(select(PollSource).where(PollSource.url == listing))
            assert (source.poll_count, source.change_count) == (2, 0)
            assert source.interval_seconds > 600  # unchanged: the 10 min minimum grew

        outlet.texts["story-3"] = list(outlet.texts["story-0"])  # the listing now shows a new story
        outlet.requests.clear()
        run("2026-03-01T08:40:00Z", "recrawl=due", monkeypatch=monkeypatch)
        assert "/daily/news/story-3" in [p for p, _ in outlet.article_requests()]
        with sessions() as session:
            source = session.scalar(select(PollSource).where(PollSource.url == listing))
            assert (source.poll_count, source.change_count) == (3, 1)
            statuses = session.scalars(select(Capture.status).where(Capture.url == listing)
                                       .order_by(Capture.fetched_at)).all()
    assert statuses == ([200, 304, 200] if honour else [200, 200, 200])
    records = _listing_records(run, listing)
    if honour:
        assert records[1] == ("revisit", "http://netpreserve.org/warc/1.1/revisit/server-not-modified")
    else:  # a full 200 with the same bytes: an identical-payload-digest revisit
        assert records[1][0] == "revisit" and records[1][1].endswith("identical-payload-digest")
    assert records[0][0] == records[2][0] == "response"


@pytest.mark.parametrize("honour", [True, False], ids=["honours-etag", "ignores-etag"])
def test_feeds_are_polled_conditionally_too(tmp_path, monkeypatch, honour):
    outlet = StaticOutlet(count=2, honour_conditional=honour)
    with StaticServer(outlet) as server:
        run = Run(server, tmp_path, f"sqlite:///{tmp_path / 'feed.sqlite3'}")
        feed = f"{server.base_url}/daily/feed.xml"
        run.outlets.write_text(server.outlets_toml() + f'feeds = ["{feed}"]\n')
        run(T0, monkeypatch=monkeypatch)
        outlet.requests.clear()
        run("2026-03-01T08:12:00Z", "recrawl=due", monkeypatch=monkeypatch)
        polls = [h for p, h in outlet.requests if p == "/daily/feed.xml"]
        assert len(polls) == 1 and "if-none-match" in polls[0]
        with run.sessions()() as session:
            source = session.scalar(select(PollSource).where(PollSource.url == feed))
            assert (source.kind, source.poll_count, source.change_count) == ("feed", 2, 0)
            statuses = session.scalars(select(Capture.status).where(Capture.url == feed)
                                       .order_by(Capture.fetched_at)).all()
    assert statuses == ([200, 304] if honour else [200, 200])
