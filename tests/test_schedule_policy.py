"""The re-crawl policy as pure functions, and the due query on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta

import pytest

from newsarchive.config import ConfigError, parse_outlets
from newsarchive.db import store
from newsarchive.recheck import DatabaseRecheckSource, KeySet
from newsarchive.schedule import due
from newsarchive.schedule.policy import (
    History,
    Policy,
    PollPolicy,
    backoff_interval,
    change_rate,
    parse_duration,
    plan_next_check,
    plan_next_poll,
    table_interval,
)

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
NO_JITTER = Policy(jitter=0)


def _simulate(policy: Policy, edits: list[timedelta], until: timedelta) -> list[datetime]:
    """Check times of one story first seen at T0 whose content changes at ``edits``."""
    checks, changes, last_changed, seen_version = 1, 0, None, 0
    at, times = T0, [T0]
    while True:
        plan = plan_next_check(policy, History(T0, checks, changes, at, last_changed), at)
        if plan.next_check_at is None or plan.next_check_at - T0 > until:
            return times
        at = plan.next_check_at
        version = sum(1 for e in edits if T0 + e <= at)
        checks += 1
        if version != seen_version:
            changes, last_changed, seen_version = changes + 1, at, version
        times.append(at)


def _gaps(times: list[datetime]) -> list[timedelta]:
    return [b - a for a, b in zip(times, times[1:], strict=False)]


def test_a_new_article_is_checked_often_then_less_often():
    times = _simulate(NO_JITTER, [], timedelta(days=29))
    gaps = _gaps(times)
    assert gaps[0] == timedelta(minutes=6)  # first_interval
    assert all(b >= a for a, b in zip(gaps, gaps[1:], strict=False)), "intervals only grow for a quiet story"
    assert gaps[-1] >= timedelta(days=1)
    first_day = [t for t in times if t - T0 < timedelta(days=1)]
    last_week = [t for t in times if t - T0 >= timedelta(days=22)]
    assert len(first_day) > 3 * len(last_week)


def test_an_article_that_keeps_changing_is_checked_sooner_than_one_that_never_does():
    busy = [timedelta(hours=h) for h in range(1, 24 * 6, 5)]  # an edit every five hours for six days
    changing = _simulate(NO_JITTER, busy, timedelta(days=5))
    quiet = _simulate(NO_JITTER, [], timedelta(days=5))
    assert len(changing) > 2 * len(quiet)
    day4 = lambda ts: [g for t, g in zip(ts[1:], _gaps(ts), strict=False) if timedelta(days=3) < t - T0 < timedelta(days=4)]  # noqa: E731
    assert max(day4(changing)) < min(day4(quiet))


def test_the_estimate_shortens_the_backoff_for_a_story_that_changes_at_every_check():
    now = T0 + timedelta(days=3)
    history = History(T0, checks=10, changes=9, last_checked_at=now, last_changed_at=now - timedelta(hours=1))
    plan = plan_next_check(NO_JITTER, history, now)
    assert plan.interval < backoff_interval(NO_JITTER, timedelta(days=3), timedelta(hours=1))
    assert "changes/day" in plan.reason
    # only while the story changed recently: an old burst does not keep it on short intervals
    stale = History(T0, checks=10, changes=9, last_checked_at=now, last_changed_at=now - timedelta(hours=20))
    plan = plan_next_check(NO_JITTER, stale, now)
    assert plan.interval == backoff_interval(NO_JITTER, timedelta(days=3), timedelta(hours=20))
    assert plan.interval == table_interval(NO_JITTER, timedelta(days=3)) == timedelta(days=1)


def test_an_article_past_the_maximum_age_is_no_longer_checked():
    policy = Policy(jitter=0, max_age=timedelta(days=2))
    times = _simulate(policy, [], timedelta(days=10))
    assert times[-1] - T0 <= timedelta(days=2)
    last = plan_next_check(policy, History(T0, 50, 0, times[-1]), times[-1])
    assert last.next_check_at is None and "max_age" in last.reason
    # the publication date counts, not when the archive first saw the story
    old = History(T0, 1, 0, T0, published_at=T0 - timedelta(days=3))
    assert plan_next_check(policy, old, T0).next_check_at is None


def test_the_outlet_clamps_and_jitter_apply():
    policy = Policy(min_interval=timedelta(hours=1), max_interval=timedelta(hours=4), jitter=0.2)
    rng = random.Random(1)
    young = plan_next_check(policy, History(T0, 1, 0, T0), T0, rng)
    assert timedelta(minutes=48) <= young.interval <= timedelta(minutes=72)
    intervals = {plan_next_check(policy, History(T0, 1, 0, T0), T0, random.Random(s)).interval for s in range(20)}
    assert len(intervals) > 10  # spread, not one burst
    old = plan_next_check(policy, History(T0, 40, 0, T0 + timedelta(days=20)), T0 + timedelta(days=20), rng)
    assert old.interval <= timedelta(hours=4.8)


def test_a_cron_period_centres_the_check_on_its_aimed_time():
    """From cron a due check waits for the next run: planned half a period early, it lands on
    average on time instead of always late (never in the past, never past max_age)."""
    period = timedelta(minutes=5)
    on_time = plan_next_check(NO_JITTER, History(T0, 1, 0, T0), T0)
    cron = Policy(jitter=0, run_period=period)
    planned = plan_next_check(cron, History(T0, 1, 0, T0), T0)
    assert planned.interval == on_time.interval == timedelta(minutes=6)
    assert planned.next_check_at == on_time.next_check_at - period / 2
    assert "early for runs every 5min" in planned.reason
    # the run that does it: the first cron tick at or after next_check_at, over many start times
    late = []
    for second in range(0, 300, 7):
        now = T0 + timedelta(seconds=second)
        plan = plan_next_check(cron, History(now, 1, 0, now), now)
        ticks = -(-(plan.next_check_at - T0) // period)  # ceil: cron ticks every period from T0
        late.append((T0 + ticks * period - (now + plan.interval)).total_seconds())
    assert abs(sum(late) / len(late)) < 30 and max(abs(x) for x in late) <= 150
    short = Policy(jitter=0, run_period=timedelta(hours=1), min_interval=timedelta(minutes=3))
    assert plan_next_check(short, History(T0, 1, 0, T0), T0).next_check_at == T0 + timedelta(seconds=1)
    ending = plan_next_check(cron, History(T0, 1, 0, T0 + timedelta(days=29, hours=23, minutes=58)),
                             T0 + timedelta(days=29, hours=23, minutes=58))
    assert ending.next_check_at <= T0 + timedelta(days=30)


def test_change_rate_is_cho_garcia_molina():
    assert change_rate(1, 0, timedelta(hours=1)) is None
    assert change_rate(11, 0, timedelta(hours=10)) == 0
    # 10 hourly intervals, 5 with a change: -ln(5.5/10.5) per hour
    assert change_rate(11, 5, timedelta(hours=10)) * 3600 == pytest.approx(0.6466, abs=1e-3)
    assert change_rate(11, 10, timedelta(hours=10)) < float("inf")


def test_sources_follow_their_own_intervals():
    policy = PollPolicy(min_interval=timedelta(minutes=10), max_interval=timedelta(hours=2), jitter=0)
    at, interval = plan_next_poll(policy, None, False, T0)
    assert interval == timedelta(minutes=10)
    for _ in range(10):
        at, interval = plan_next_poll(policy, interval, False, at)
    assert interval == timedelta(hours=2)
    _, shorter = plan_next_poll(policy, interval, True, at)
    assert shorter == timedelta(hours=1)


def test_durations_and_outlet_keys():
    assert parse_duration("15m") == timedelta(minutes=15) and parse_duration("2h") == timedelta(hours=2)
    assert parse_duration(90) == timedelta(seconds=90) and parse_duration("1w") == timedelta(days=7)
    base = ('[[outlet]]\nname = "x"\ndomains = ["example.com"]\nstart_urls = ["https://example.com/"]\n'
            "article_patterns = ['^/a/']\n")
    outlet = parse_outlets(base + 'min_interval = "30m"\nmax_age = "10d"\nrecrawl_budget = 50\n')[0]
    assert outlet.policy().min_interval == timedelta(minutes=30) and outlet.policy().max_age == timedelta(days=10)
    assert outlet.recrawl_budget == 50
    snapshot = json.loads(json.dumps(outlet.snapshot()))  # stored with the outlet row: the schedule too
    assert (snapshot["min_interval"], snapshot["max_age"], snapshot["recrawl_budget"]) == (1800, 864000, 50)
    assert snapshot["poll_max_interval"] == 6 * 3600 and snapshot["check_jitter"] == outlet.check_jitter
    with pytest.raises(ConfigError, match="outlet 'x': field 'max_age'"):
        parse_outlets(base + 'max_age = "soon"\n')
    with pytest.raises(ConfigError, match="field 'min_interval': is longer than max_interval"):
        parse_outlets(base + 'min_interval = "8d"\n')
    # the cron period: the README's */5 crontab by default, 0 for checks run when due
    assert outlet.policy().run_period == timedelta(minutes=5) and snapshot["recrawl_period"] == 300
    assert parse_outlets(base + 'recrawl_period = "15m"\n')[0].policy().run_period == timedelta(minutes=15)
    assert parse_outlets(base + "recrawl_period = 0\n")[0].policy().run_period == timedelta(0)
    with pytest.raises(ConfigError, match="field 'recrawl_period'"):
        parse_outlets(base + 'recrawl_period = "often"\n')


# -- the due query, on the archive ---------------------------------------------------------------


def _article(session, outlet, n, *, next_check_at, stopped=False):
    article = store.get_or_create_article(session, outlet, f"https://example.com/a/{n}", seen_at=T0)
    article.url = f"https://example.com/a/{n}"
    article.next_check_at = next_check_at
    article.checks_stopped_at = T0 if stopped else None
    return article


def test_due_query_most_overdue_first_with_budgets(sessions):
    now = T0 + timedelta(days=1)
    with sessions.begin() as session:
        one = store.get_or_create_outlet(session, "one")
        two = store.get_or_create_outlet(session, "two")
        session.flush()
        for n in range(5):  # one: due 5h, 4h, ... 1h ago
            _article(session, one, n, next_check_at=now - timedelta(hours=5 - n))
        _article(session, one, 10, next_check_at=now + timedelta(hours=1))  # not yet
        _article(session, one, 11, next_check_at=None, stopped=True)  # past max age
        _article(session, one, 12, next_check_at=None)  # never scheduled: most overdue
        for n in range(20, 23):
            _article(session, two, n, next_check_at=now - timedelta(minutes=30 * (n - 19)))
    with sessions() as session:
        found = due.due_articles(session, ["one", "two"], now=now)
        assert [d.url.rsplit("/", 1)[1] for d in found[:3]] == ["12", "0", "1"]
        assert len(found) == 9 and {d.outlet for d in found} == {"one", "two"}
        assert found[0].as_recheck() == ("one", "https://example.com/a/12", "https://example.com/a/12")
        capped = due.due_articles(session, ["one", "two"], now=now, per_outlet={"one": 2}, limit=4)
        assert [d.url.rsplit("/", 1)[1] for d in capped] == ["12", "0", "22", "21"]
        assert due.due_counts(session, ["one", "two"], now=now) == {"one": 6, "two": 3}


def test_a_stored_check_schedules_the_next_one(sessions):
    policy = Policy(jitter=0)
    with sessions.begin() as session:
        outlet = store.get_or_create_outlet(session, "one")
        session.flush()
        recorded = store.record_article(session, outlet=outlet, canonical_url="https://example.com/a/1",
                                        content={"title": "T", "paragraphs": ["p"]}, fetched_at=T0)
        plan = due.schedule_article(session, recorded.article, policy, now=T0)
        assert recorded.article.next_check_at == T0 + timedelta(minutes=6) == plan.next_check_at
        recorded = store.record_article(session, outlet=outlet, canonical_url="https://example.com/a/1",
                                        content={"title": "T", "paragraphs": ["p", "update"]},
                                        fetched_at=T0 + timedelta(minutes=15))
        assert recorded.article.change_count == 1 and recorded.article.check_count == 2
        article = store.record_unchanged_fetch(session, canonical_url="https://example.com/a/1", capture=None,
                                               fetched_at=T0 + timedelta(days=31), outcome="not_modified")
        assert article.check_count == 3
        due.schedule_article(session, article, policy, now=T0 + timedelta(days=31))
        assert article.next_check_at is None and article.checks_stopped_at == T0 + timedelta(days=31)


def test_known_keys_stream_into_a_compact_set(sessions, db_url):
    with sessions.begin() as session:
        one = store.get_or_create_outlet(session, "one")
        two = store.get_or_create_outlet(session, "two")
        session.flush()
        for n in range(50):
            _article(session, one, n, next_check_at=None, stopped=n % 2 == 0)
        moved = _article(session, one, 99, next_check_at=None)
        moved.redirected_to = "https://example.com/a/new-99"
        _article(session, two, 200, next_check_at=None)
    keys = DatabaseRecheckSource(db_url).known_keys(["one"])
    assert isinstance(keys, KeySet) and len(keys) == 52
    assert "https://example.com/a/8" in keys and "https://example.com/a/new-99" in keys  # stopped ones too
    assert "https://example.com/a/200" not in keys and "https://example.com/a/1000" not in keys
    big = KeySet(f"https://example.com/news/story-{n}" for n in range(100_000))
    assert big.nbytes == 8 * 100_000  # a set of the strings would hold ~15x that
    assert all(f"https://example.com/news/story-{n}" in big for n in range(0, 100_000, 997))
    assert "https://example.com/news/story-100000" not in big
