"""Reader-facing names for change kinds (the stored names stay the feed's vocabulary)."""

from __future__ import annotations

LABELS = {
    "added": "sentences added",
    "article_removed": "removed (404/410)",
    "byline_changed": "byline changed",
    "correction": "correction",
    "dates_changed": "dates changed",
    "deleted": "sentences deleted",
    "edited": "sentences edited",
    "headline_changed": "headline changed",
    "latest_line": "\u201cLATEST\u201d line",
    "moved": "sentences moved",
    "paragraph_deleted": "paragraph deleted",
    "redirected": "redirected",
    "reverted": "reverted to an earlier version",
    "update_appended": "update appended",
}


def kind_label(kind: str) -> str:
    return LABELS.get(kind, kind.replace("_", " "))
