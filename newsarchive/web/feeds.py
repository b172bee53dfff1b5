"""Atom feeds of changes (overall and per outlet), built with feedgen.

Entry ids are ``urn:newsarchive:change:<id>``: stable across hosts and restarts, so a
reader that saw an entry once never shows it as new again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from feedgen.feed import FeedGenerator

from newsarchive import __version__
from newsarchive.web.labels import kind_label


def _summary(row: Any) -> str:
    detail = row.detail or {}
    lines = ["Changes: " + (", ".join(kind_label(k) for k in row.kinds) or "none")]
    headline = detail.get("headline")
    if headline:
        lines.append(f"Headline: {headline.get('old') or '-'} -> {headline.get('new') or '-'}")
    lines += [f"+ {s}" for s in detail.get("added") or []]
    lines += [f"- {s}" for s in detail.get("removed") or []]
    lines += [f"~ {e['old']} -> {e['new']}" for e in detail.get("edited") or []]
    if detail.get("redirected_to"):
        lines.append(f"Now at {detail['redirected_to']}")
    return "\n".join(lines)


def changes_feed(rows: Iterable[Any], *, title: str, feed_id: str, self_url: str, home_url: str,
                 story_url: Callable[[Any], str]) -> bytes:
    """An Atom document: one entry per change row (from :func:`queries.latest_changes`)."""
    feed = FeedGenerator()
    feed.id(feed_id)
    feed.title(title)
    feed.author({"name": "newsarchive"})
    feed.link(href=self_url, rel="self", type="application/atom+xml")
    feed.link(href=home_url, rel="alternate", type="text/html")
    feed.generator("newsarchive", version=__version__)
    rows = list(rows)
    updated = None
    for row in rows:
        entry = feed.add_entry(order="append")
        entry.id(f"urn:newsarchive:change:{row.id}")
        headline = row.title or row.canonical_url
        version = f"version {row.seq}" if row.to_version_id else ", ".join(row.kinds)
        entry.title(f"{headline} ({version}: {', '.join(kind_label(k) for k in row.kinds)})")
        entry.link(href=story_url(row), rel="alternate", type="text/html")
        entry.updated(row.created_at)
        entry.published(row.created_at)
        entry.summary(_summary(row))
        for kind in row.kinds:
            entry.category(term=kind, label=kind_label(kind))
        updated = max(updated, row.created_at) if updated else row.created_at
    if updated is not None:
        feed.updated(updated)
    return feed.atom_str(pretty=True)
