"""One date format for everything discovery emits: ISO 8601 in UTC with a ``Z``.

Feeds and sitemaps spell dates in RFC 822, W3C datetime, bare dates or with
offsets; normalising once here means callers can compare strings and the
database stores one form.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from feedparser.datetimes import _parse_date as _feedparser_parse_date


def iso_utc(value: datetime) -> str:
    """Format an aware (or naive = UTC) datetime as ``YYYY-MM-DDTHH:MM:SSZ``."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def from_struct_time(value: time.struct_time | None) -> str | None:
    """feedparser's ``*_parsed`` fields are UTC struct_times."""
    if value is None:
        return None
    try:
        return iso_utc(datetime(*value[:6], tzinfo=UTC))
    except (TypeError, ValueError):
        return None


def parse_datetime(text: str | None) -> datetime | None:
    """Parse W3C/ISO 8601 or RFC 822 text to an aware UTC datetime; None if unreadable.

    Date-only values mean midnight UTC; values without an offset are taken as UTC.
    """
    if not text:
        return None
    text = text.strip()
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        parsed = _feedparser_parse_date(text)  # RFC 822, W3C "YYYY-MM", and friends
        if parsed is None:
            return None
        try:
            value = datetime(*parsed[:6], tzinfo=UTC)
        except (TypeError, ValueError):
            return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def normalise_date(text: str | None) -> str | None:
    """Any supported date text to ISO 8601 UTC, or None."""
    value = parse_datetime(text)
    return iso_utc(value) if value is not None else None
