"""Dates: one parser, and extraction that reads no clock but the capture time it is given."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from freezegun import freeze_time

from newsarchive.dates import normalise_date, parse_datetime
from newsarchive.extract import extract_article

CAPTURED = datetime(2026, 2, 2, 12, 0, tzinfo=UTC)
PAGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>Council approves new depot</title>
<meta property="og:title" content="Council approves new depot">
<meta property="article:modified_time" content="Updated 3 hours ago">
<meta name="date" content="Monday 4:09 PM">
</head><body><article><h1>Council approves new depot</h1>
<p class="meta">Updated 3 hours ago</p>
<p>The council approved the new bus depot on Monday evening after a debate of four hours.</p>
<p>Construction is planned to start in the summer and to last until the end of next year.</p>
<p>Residents near the site asked for a noise barrier along the access road.</p>
</article></body></html>"""


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-01-05T20:04:00Z", "2026-01-05T20:04:00Z"),
    ("2026-01-05T21:04:00+01:00", "2026-01-05T20:04:00Z"),
    ("2026-01-05", "2026-01-05T00:00:00Z"),
    ("2026-01", "2026-01-01T00:00:00Z"),
    ("Mon, 05 Jan 2026 20:04:00 GMT", "2026-01-05T20:04:00Z"),
    ("5 January 2026", "2026-01-05T00:00:00Z"),
    ("Updated 3 hours ago", None),
    ("Monday 4:09 PM", None),  # no calendar date in it: nothing to fill from today
    ("yesterday", None),
    ("not a date", None),
    ("", None),
])
def test_one_parser_reads_every_date_form_and_refuses_relative_ones(text, expected):
    assert normalise_date(text) == expected


@pytest.mark.parametrize("today", ["2026-02-02 13:00", "2027-07-19 02:00"])
def test_relative_dates_never_come_from_the_clock(today):
    with freeze_time(today):
        assert parse_datetime("Updated 3 hours ago") is None
        assert parse_datetime("4:09 PM") is None


def test_the_same_page_extracts_to_the_same_fields_on_any_day():
    results = []
    for today in ("2026-02-02 14:00:00", "2026-09-30 23:30:00"):
        with freeze_time(today):
            results.append(extract_article(PAGE, "https://courier.example/news/depot", captured_at=CAPTURED))
    assert results[0] == results[1]
    assert results[0]["modified_raw"] == "Updated 3 hours ago" and results[0]["modified"] is None  # kept raw
    assert results[0]["published"] is None or results[0]["published"].startswith("20")


def test_updated_hours_ago_fetched_a_day_apart_makes_no_dates_changed(sessions):
    from datetime import timedelta

    from sqlalchemy import select

    from newsarchive.db import store
    from newsarchive.db.models import Change

    edited = PAGE.replace("<p>Residents", "<p>Update: the depot will also house electric buses.</p><p>Residents")
    outcomes = []
    for day, page in ((0, PAGE), (1, PAGE), (2, edited)):
        captured = CAPTURED + timedelta(days=day)
        with freeze_time(captured.replace(tzinfo=None)):
            data = extract_article(page, "https://courier.example/news/depot", captured_at=captured)
        with sessions.begin() as session:
            outlet = store.get_or_create_outlet(session, "courier", {})
            outcomes.append(store.record_article(session, outlet=outlet, canonical_url="https://courier.example/news/depot",
                                                 content=data, fetched_at=captured).outcome)
    assert outcomes == ["new_article", "unchanged", "new_version"]
    with sessions() as session:
        (change,) = session.scalars(select(Change)).all()
    assert "dates_changed" not in change.kinds and "added" in change.kinds
