"""The one date parser: page, feed, sitemap and command-line dates to aware UTC datetimes.

Dates are evidence, so parsing must not depend on the day it runs: the same text gives the
same instant on any day, or nothing. Text that names no calendar date by itself ("Updated 3
hours ago", "Monday 4:09 PM", "yesterday") is not resolved: the caller keeps it raw. Missing
parts are never filled from today (``dateutil`` does that unless told otherwise): text is
parsed against two different defaults, and kept only when both agree. Values without an
offset are UTC; date-only values mean midnight UTC.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from dateutil import parser as _dateutil

__all__ = ["from_struct_time", "iso_utc", "normalise_date", "parse_datetime", "to_iso"]

_RELATIVE = re.compile(r"\b(ago|just now|yesterday|today|tomorrow|tonight|last|next)\b", re.IGNORECASE)
_YEAR_MONTH = re.compile(r"^(\d{4})(?:-(\d{2}))?$")  # W3C datetime's "YYYY" and "YYYY-MM"
# Two defaults differing in every field: a part missing from the text shows as a disagreement.
_DEFAULTS = (datetime(2000, 1, 1, 0, 0, 0), datetime(2001, 2, 3, 0, 0, 0))


def _aware_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _fuzzy(text: str) -> datetime | None:
    try:
        first, second = (_dateutil.parse(text, fuzzy=True, default=d) for d in _DEFAULTS)
    except (ValueError, OverflowError, TypeError):
        return None
    if (first.year, first.month, first.day) != (second.year, second.month, second.day):
        return None  # the text lacks a calendar date: "3 hours ago", "Monday 4:09 PM"
    return first


def parse_datetime(text: str | None) -> datetime | None:
    """``text`` (ISO 8601/W3C, RFC 822, or a written date) as an aware UTC datetime, or None.

    None also for relative or incomplete dates: they mean nothing without a reference time.
    """
    if not text or not text.strip():
        return None
    text = " ".join(text.split())
    try:
        return _aware_utc(datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00")))
    except ValueError:
        pass
    match = _YEAR_MONTH.match(text)
    if match:
        return datetime(int(match.group(1)), int(match.group(2) or 1), 1, tzinfo=UTC)
    try:
        return _aware_utc(parsedate_to_datetime(text))  # RFC 822 / 2822, as feeds spell dates
    except (TypeError, ValueError, IndexError):
        pass
    if _RELATIVE.search(text):
        return None
    parsed = _fuzzy(text)
    return _aware_utc(parsed) if parsed is not None else None


def to_iso(text: str | None) -> str | None:
    """``text`` as ISO 8601 UTC (``2026-01-05T20:04:00+00:00``), the form versions store."""
    value = parse_datetime(text)
    return value.isoformat() if value is not None else None


def iso_utc(value: datetime) -> str:
    """Format an aware (or naive = UTC) datetime as ``YYYY-MM-DDTHH:MM:SSZ`` (discovery's form)."""
    return _aware_utc(value).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def normalise_date(text: str | None) -> str | None:
    """Any supported date text as ``YYYY-MM-DDTHH:MM:SSZ``, or None."""
    value = parse_datetime(text)
    return iso_utc(value) if value is not None else None


def from_struct_time(value: time.struct_time | None) -> str | None:
    """feedparser's ``*_parsed`` fields are UTC struct_times."""
    if value is None:
        return None
    try:
        return iso_utc(datetime(*value[:6], tzinfo=UTC))
    except (TypeError, ValueError):
        return None
