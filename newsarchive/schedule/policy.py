"""When to check an article again: pure functions of its history, a policy and "now".

News edits come in bursts that fade with the story's age, so the interval is a backoff
from the last change (from publication while the story never changed): ``first_interval``
(6 minutes) doubling every ``doubling`` (1 hour) of quiet, the first interval itself
growing with the story's age (``age_scale``: +100 % per day, so an edit on day 3 restarts at
24 minutes, not 6). The age table (``DEFAULT_TABLE``) caps it: at most a day apart in the
first 4 days, a week after. Checks stop once the story is older than ``max_age`` (30 days),
with one last look at the end of the window.

While the story changed recently (within ``rate_window``), its own change rate may shorten
the interval further, estimated from its check/change history with Cho & Garcia-Molina's
estimator (*Estimating frequency of change*, ACM TOIT 2003): after ``n`` checks, ``X`` of
which saw a change, over a mean interval ``I``,

    r = -ln((n - X + 0.5) / (n + 0.5)) / I

(the 0.5 terms remove the bias of the naive X/T and keep r finite when every check saw a
change). The interval aimed at is ``target_changes / r``, so a live story updated every
half hour is checked every few minutes. Only recently: the counts span the story's whole
life, and an old burst would otherwise keep a quiet story on short intervals for days.
Then the outlet's ``min_interval`` / ``max_interval`` clamp it, and jitter spreads the
checks of stories published together. From cron a due check waits for the next run, on
average half the cron period late, so with ``run_period`` set the check is planned half a
period early: centred on the time aimed at, not always after it. The defaults come from the simulated month in
``benchmarks/bench_schedule.py`` (tuned on seeds 1-3, reported on a held-out seed).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

#: (story age below which, longest check interval), in order; the last row applies after.
DEFAULT_TABLE: tuple[tuple[timedelta, timedelta], ...] = (
    (timedelta(days=4), timedelta(days=1)),
    (timedelta.max, timedelta(days=7)),
)


@dataclass(frozen=True)
class Policy:
    """One outlet's schedule settings (``outlets.toml`` keys ``min_interval``, ``max_interval``,
    ``max_age``, ``check_jitter``, ``recrawl_period``; the rest are the simulated month's defaults)."""

    table: tuple[tuple[timedelta, timedelta], ...] = DEFAULT_TABLE
    #: no checks once the story is older than this (since published, else first seen)
    max_age: timedelta = timedelta(days=30)
    min_interval: timedelta = timedelta(minutes=3)
    max_interval: timedelta = timedelta(days=7)
    #: +/- this share of the interval, at random
    jitter: float = 0.1
    #: the interval right after a change (or publication) ...
    first_interval: timedelta = timedelta(minutes=6)
    #: ... doubles every this much time without a change ...
    doubling: timedelta = timedelta(hours=1)
    #: ... and starts this much longer per day of the story's age
    age_scale: float = 1.0
    #: the change-rate estimate is used from this many checks on ...
    min_checks: int = 4
    #: ... while the last change is at most this old ...
    rate_window: timedelta = timedelta(hours=3)
    #: ... aiming at this many expected changes per check interval
    target_changes: float = 0.1
    #: how often ``newsarchive recrawl`` runs (cron's period; 0: checks run when due)
    run_period: timedelta = timedelta(0)


@dataclass(frozen=True)
class History:
    """What the archive knows about one article's checks (the ``articles`` row)."""

    first_seen_at: datetime
    checks: int = 0  # fetches that reached the page (check_count)
    changes: int = 0  # of those, how many saw content different from the one before
    last_checked_at: datetime | None = None
    last_changed_at: datetime | None = None
    published_at: datetime | None = None


@dataclass(frozen=True)
class Plan:
    """The decision: the next check (None: stop checking) and why."""

    next_check_at: datetime | None
    interval: timedelta | None
    reason: str
    rate_per_day: float | None = field(default=None)


def table_interval(policy: Policy, age: timedelta) -> timedelta:
    """The age table's longest interval for a story of ``age``."""
    for below, interval in policy.table:
        if age < below:
            return interval
    return policy.table[-1][1]


def backoff_interval(policy: Policy, age: timedelta, since_change: timedelta) -> timedelta:
    """The interval for a story of ``age`` unchanged for ``since_change``, before the rate estimate."""
    start = policy.first_interval * (1 + policy.age_scale * max(age, timedelta(0)) / timedelta(days=1))
    doublings = min(max(since_change, timedelta(0)) / policy.doubling, 40.0)
    cap = table_interval(policy, age)
    return timedelta(seconds=min(start.total_seconds() * 2 ** doublings, cap.total_seconds()))


def change_rate(checks: int, changes: int, observed: timedelta) -> float | None:
    """Changes per second by Cho & Garcia-Molina's estimator; None without data.

    ``checks`` fetches over ``observed`` (first to last) make ``checks - 1`` intervals,
    ``changes`` of which saw a change.
    """
    intervals = checks - 1
    seconds = observed.total_seconds()
    if intervals < 1 or seconds <= 0:
        return None
    changed = min(max(changes, 0), intervals)
    mean_interval = seconds / intervals
    return -math.log((intervals - changed + 0.5) / (intervals + 0.5)) / mean_interval


def plan_next_check(policy: Policy, history: History, now: datetime,
                    rng: random.Random | None = None) -> Plan:
    """When to check the story next, given everything known after a check at ``now``."""
    born = history.published_at or history.first_seen_at
    if born > now:  # a future publication date is a typo or a time zone: trust first sight
        born = history.first_seen_at
    if now - born >= policy.max_age:
        return Plan(None, None, f"older than max_age ({_span(policy.max_age)})")
    age = now - born
    since_change = now - (history.last_changed_at or born)
    interval = backoff_interval(policy, age, since_change)
    reason = f"{_span(age)} old, unchanged for {_span(since_change)}: backoff {_span(interval)}"
    rate = None
    if history.checks >= policy.min_checks and history.last_checked_at is not None:
        rate = change_rate(history.checks, history.changes, history.last_checked_at - history.first_seen_at)
    if rate:
        reason += f"; {rate * 86400:.2f} changes/day over {history.checks} checks"
        aimed = timedelta(seconds=policy.target_changes / rate)
        if history.last_changed_at is not None and since_change < policy.rate_window and aimed < interval:
            interval = aimed
            reason += f": {_span(interval)}"
    interval = min(max(interval, policy.min_interval), policy.max_interval)
    if policy.jitter and rng is not None:
        interval *= 1 + rng.uniform(-policy.jitter, policy.jitter)
    next_at = now + interval
    if policy.run_period:  # the next run after next_at does the check: centre it on next_at
        next_at = max(next_at - policy.run_period / 2, now + timedelta(seconds=1))
        reason += f"; due {_span(policy.run_period / 2)} early for runs every {_span(policy.run_period)}"
    if next_at - born >= policy.max_age:  # one last look right at the end of the window
        next_at = born + policy.max_age
    return Plan(next_at, interval, reason, rate * 86400 if rate is not None else None)


def _span(value: timedelta) -> str:
    seconds = value.total_seconds()
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            amount = seconds / size
            return f"{amount:.0f}{unit}" if amount >= 10 or amount == int(amount) else f"{amount:.1f}{unit}"
    return f"{seconds:.0f}s"


# -- feeds, sitemaps and section pages --------------------------------------------------------


@dataclass(frozen=True)
class PollPolicy:
    """How often a listing, feed or sitemap is read again (``poll_min_interval`` / ``poll_max_interval``)."""

    min_interval: timedelta = timedelta(minutes=10)
    max_interval: timedelta = timedelta(hours=6)
    jitter: float = 0.1


def plan_next_poll(policy: PollPolicy, previous: timedelta | None, changed: bool, now: datetime,
                   rng: random.Random | None = None) -> tuple[datetime, timedelta]:
    """Halve the interval when the source showed something new, else grow it by half."""
    if previous is None:
        interval = policy.min_interval
    elif changed:
        interval = previous / 2
    else:
        interval = previous * 1.5
    interval = min(max(interval, policy.min_interval), policy.max_interval)
    actual = interval * (1 + rng.uniform(-policy.jitter, policy.jitter)) if rng and policy.jitter else interval
    return now + actual, interval


def parse_duration(value: object) -> timedelta:
    """``"15m"``, ``"2h"``, ``"30d"``, ``"1w"``, ``"90s"`` or a number of seconds."""
    if isinstance(value, bool):
        raise ValueError("must be a duration such as \"15m\", \"2h\" or \"30d\"")
    if isinstance(value, int | float):
        if value <= 0:
            raise ValueError("must be positive")
        return timedelta(seconds=value)
    if isinstance(value, str):
        text = value.strip().lower()
        units = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
        number = text.rstrip("abcdefghijklmnopqrstuvwxyz")
        unit = text[len(number):].strip()
        try:
            amount = float(number)
        except ValueError:
            amount = -1
        if unit in units and amount > 0:
            return timedelta(seconds=amount * units[unit])
    raise ValueError(f"{value!r} is not a duration such as \"15m\", \"2h\" or \"30d\"")
