"""One clock for every "now" that decides something: schedules, sitemap windows, capture times.

``NEWSARCHIVE_NOW`` (an ISO 8601 time, UTC when no zone is given) sets the clock to that
moment when the process starts; from there it runs at real speed, so captures of one run
still get distinct, increasing times. Tests and simulations run on it. It moves capture
times too (WARC-Date), so never set it on an archive of record.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta

ENV = "NEWSARCHIVE_NOW"


class ClockError(ValueError):
    """``NEWSARCHIVE_NOW`` is not an ISO 8601 time."""


def parse_now(text: str) -> datetime:
    """The moment ``NEWSARCHIVE_NOW`` names; naive means UTC, like the archive."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ClockError(f"{ENV}={text!r} is not an ISO 8601 time (e.g. 2026-01-05T21:00:00Z)") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


_base: tuple[str, datetime, float] | None = None  # (env text, its moment, monotonic time read)


def now() -> datetime:
    """The current UTC time, or the overridden one (``NEWSARCHIVE_NOW``) plus time elapsed since."""
    global _base
    text = os.environ.get(ENV, "").strip()
    if not text:
        return datetime.now(UTC)
    if _base is None or _base[0] != text:
        _base = (text, parse_now(text), time.monotonic())
    return _base[1] + timedelta(seconds=time.monotonic() - _base[2])


def check() -> None:
    """Raise :class:`ClockError` now (before any request) if the override is malformed."""
    text = os.environ.get(ENV, "").strip()
    if text:
        parse_now(text)
