"""The adaptive re-crawl schedule, measured: a simulated month against ``recrawl=all``.

    nice -n 10 .venv/bin/python benchmarks/bench_schedule.py [--articles 10000] [--seed 1]

A simulated clock (the policy functions of ``newsarchive.schedule.policy`` called directly,
no network): ``--articles`` stories arrive at a steady rate over the month (and, with
``--backlog``, as many were archived over the month before). Each story is discovered a few
minutes after publication (the next listing or feed poll) and then re-checked either by
the adaptive schedule or by ``recrawl=all`` every 6 hours.

The edit process is fixed here, from what newsroom studies describe, and was not tuned to
the policy: 45 % of stories are edited at all; an edited story gets 1 + Geometric(0.5)
edits (mean 2); each edit lands in the first hours (75 %, exponential with a 2 h mean),
a few days later (20 %, uniform over days 1-4) or late (5 %, uniform over days 4-30); 3 %
of stories are live stories, edited every ~30 minutes (exponential) through their first
6 hours. An edit is *caught* when a check sees that state of the page before the next
edit replaces it (the version is archived); its delay is the time to that check.
"""

from __future__ import annotations

import argparse
import heapq
import random
from bisect import bisect_right
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from newsarchive.schedule.policy import History, Policy, plan_next_check

MONTH = timedelta(days=30)
START = datetime(2026, 3, 1, tzinfo=UTC)


@dataclass
class Story:
    published: datetime
    edits: list[datetime]


def make_stories(count: int, rng: random.Random, *, backlog: bool) -> list[Story]:
    stories = []
    first = START - MONTH if backlog else START
    total = count * 2 if backlog else count
    for i in range(total):
        published = first + (START + MONTH - first) * (i + rng.random()) / total
        edits: list[datetime] = []
        if rng.random() < 0.03:  # a live story
            t = 0.0
            while True:
                t += rng.expovariate(1 / 1800)
                if t > 6 * 3600:
                    break
                edits.append(published + timedelta(seconds=t))
        elif rng.random() < 0.45:
            n = 1
            while rng.random() < 0.5:
                n += 1
            for _ in range(n):
                u = rng.random()
                if u < 0.75:
                    delay = timedelta(seconds=rng.expovariate(1 / 7200))
                elif u < 0.95:
                    delay = timedelta(days=rng.uniform(1, 4))
                else:
                    delay = timedelta(days=rng.uniform(4, 30))
                edits.append(published + delay)
        stories.append(Story(published, sorted(edits)))
    return stories


def _observe(story: Story, checks: list[datetime], window_end: datetime, stats: dict) -> None:
    """Caught edits and delays for one story's checks (only edits made inside the month)."""
    for i, edit in enumerate(story.edits):
        if not START <= edit < window_end:
            continue
        stats["edits"] += 1
        after = bisect_right(checks, edit)
        if after == len(checks):
            stats["pending"] += 1  # made too late in the month for any check to see it yet
            continue
        seen = checks[after]
        nxt = story.edits[i + 1] if i + 1 < len(story.edits) else None
        if nxt is None or nxt > seen:
            stats["caught"] += 1
            delay = seen - edit
            stats["within_1h"] += delay <= timedelta(hours=1)
            stats["delays"].append(delay.total_seconds())


def _new_stats() -> dict:
    return {"requests": 0, "edits": 0, "caught": 0, "within_1h": 0, "pending": 0, "delays": []}


def simulate_adaptive(stories: list[Story], policy: Policy, rng: random.Random) -> dict:
    stats = _new_stats()
    end = START + MONTH
    for story in stories:
        seen_at = story.published + timedelta(minutes=rng.uniform(0, 10))
        checks, n, changes, version, last_changed = [seen_at], 1, 0, bisect_right(story.edits, seen_at), None
        at = seen_at
        while True:
            plan = plan_next_check(policy, History(seen_at, n, changes, at, last_changed, story.published), at, rng)
            if plan.next_check_at is None or plan.next_check_at >= end:
                break
            at = plan.next_check_at
            n += 1
            now_version = bisect_right(story.edits, at)
            if now_version != version:
                changes, last_changed, version = changes + 1, at, now_version
            checks.append(at)
            if at >= START:
                stats["requests"] += 1
        _observe(story, checks, end, stats)
    return stats


def simulate_all(stories: list[Story], every: timedelta, rng: random.Random) -> dict:
    stats = _new_stats()
    end = START + MONTH
    runs = []
    t = START - MONTH
    while t < end:
        runs.append(t)
        t += every
    for story in stories:
        seen_at = story.published + timedelta(minutes=rng.uniform(0, 10))
        checks = [seen_at] + [r for r in runs if r > seen_at]
        stats["requests"] += sum(1 for r in checks[1:] if r >= START)
        _observe(story, checks, end, stats)
    return stats


def summary(name: str, stats: dict, days: float) -> str:
    delays = sorted(stats["delays"])
    median = delays[len(delays) // 2] / 60 if delays else 0
    seen = stats["edits"] - stats["pending"]
    return (f"| {name} | {stats['requests'] / days:,.0f} | {stats['edits']:,} | "
            f"{100 * stats['caught'] / seen:.1f} % | {100 * stats['within_1h'] / seen:.1f} % | {median:.0f} min |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--backlog", action="store_true",
                        help="as many stories archived over the month before (a steady-state archive)")
    args = parser.parse_args()
    stories = make_stories(args.articles, random.Random(args.seed), backlog=args.backlog)
    adaptive = simulate_adaptive(stories, Policy(), random.Random(args.seed + 1))
    every6h = simulate_all(stories, timedelta(hours=6), random.Random(args.seed + 1))
    days = MONTH.total_seconds() / 86400
    print(f"{args.articles:,} stories arriving over the month"
          + (f" (+{args.articles:,} archived over the month before)" if args.backlog else "")
          + f"; seed {args.seed}; re-check requests only (the first fetch of a story is the same in both)")
    print("| schedule | requests/day | edits made | edits caught (own version archived) | caught within 1 h | median delay |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    print(summary("adaptive (defaults)", adaptive, days))
    print(summary("recrawl=all every 6 h", every6h, days))
    print(f"requests: adaptive / recrawl=all = {adaptive['requests'] / every6h['requests']:.2f}")


if __name__ == "__main__":
    main()
