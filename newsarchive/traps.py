"""Crawler-trap tests: URLs that generate more URLs without ever reaching new articles.

Calendars, relative links that nest a path inside itself and endless "next" pages all
look like listings; these pure functions let the spider recognise and bound them before
a request exists.
"""

from __future__ import annotations

import re

from newsarchive.config import Outlet

_DIGITS = re.compile(r"\d+")


def repeated_segments(path: str) -> bool:
    """True for paths that repeat themselves: ``/a/b/a/b/`` or one segment three times.

    A relative link such as ``href="world/"`` on ``/section/world/`` nests the section in
    itself on every hop. A single doubled segment stays allowed (``/2026/01/01/``,
    ``/news/news/`` exist on real sites); a doubled *run* of two or more does not.
    """
    segments = [s for s in path.split("?", 1)[0].split("/") if s]
    if not segments:
        return False
    counts: dict[str, int] = {}
    for segment in segments:
        counts[segment] = counts.get(segment, 0) + 1
        if counts[segment] >= 3:
            return True
    for size in range(2, len(segments) // 2 + 1):
        for start in range(len(segments) - 2 * size + 1):
            if segments[start:start + size] == segments[start + size:start + 2 * size]:
                return True
    return False


def listing_family(outlet: Outlet, path: str) -> str:
    """The budget a listing page counts against: its listing pattern, or its page family.

    Pages matched by a configured ``listing_patterns`` regex share that pattern's budget
    (a calendar pattern gets one budget for all its months). Other listing pages
    (pagination links) are grouped by their path with every number masked, so
    ``?page=2`` … ``?page=900`` of one section are one family.
    """
    for pattern in outlet.listing_patterns:
        if outlet.matches(pattern, path):
            return f"pattern:{pattern.pattern}"
    return "pages:" + _DIGITS.sub("N", path)
