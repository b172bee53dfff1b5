"""``newsarchive export --format jsonl``: versions, changes and a NewsEdits-style sentence table.

One JSON object per line, each with a ``record`` key:

* ``feed``: exactly a ``newsarchive changes`` object (versions with their change records,
  flips, removals, redirects; README "Change feed"), plus ``cluster_id``;
* ``sentence``: one sentence of a version pair in reading order, labelled the NewsEdits way
  (``Addition``, ``Deletion``, ``Edit``, ``Refactor`` for a moved sentence, ``Unchanged``).

``cluster_id`` is the syndication cluster of the version's story (``newsarchive.syndication``;
the feed's ``cluster``), null when the story has no syndicated copy or alias.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from newsarchive.archivist.selection import Selection
from newsarchive.changes import align_versions
from newsarchive.db import store
from newsarchive.db.models import Article, ArticleVersion, Change, Outlet
from newsarchive.db.queries import FEED_CHUNK, change_feed

LABELS = {"added": "Addition", "removed": "Deletion", "edited": "Edit", "moved": "Refactor",
          "same": "Unchanged"}


def cluster_id(row: dict[str, Any]) -> str | None:
    """The syndication cluster of a feed object's story (null: no copy or alias known)."""
    return row.get("cluster")


def export_jsonl(session: Session, selection: Selection, out: IO[str], *,
                 progress: Callable[[int], None] | None = None) -> tuple[int, int]:
    """Write the selection's feed objects, then its sentence rows; returns both counts."""
    feed = sentences = 0
    for row in change_feed(session, since=selection.since, outlet=selection.outlet):
        if not selection.admits_feed_row(row):
            continue
        out.write(json.dumps({"record": "feed", **row, "cluster_id": cluster_id(row)},
                             ensure_ascii=False) + "\n")
        feed += 1
        if progress is not None:
            progress(1)
    old, new = aliased(ArticleVersion), aliased(ArticleVersion)
    pairs = (select(Change, old, new, Article, Outlet.name)
             .join(old, Change.from_version_id == old.id).join(new, Change.to_version_id == new.id)
             .join(Article, Change.article_id == Article.id).join(Outlet, Article.outlet_id == Outlet.id)
             .where(new.in_feed, old.in_feed).order_by(new.captured_at, Change.article_id, new.seq))
    pairs = selection.where_versions(pairs, version=new, article=Article)  # by the newer version
    for _change, before, after, article, outlet in session.execute(pairs.execution_options(yield_per=FEED_CHUNK)):
        steps = align_versions(store.version_content(before), store.version_content(after))
        for position, step in enumerate(steps):
            out.write(json.dumps({
                "record": "sentence", "url": article.record_url, "outlet": outlet,
                "old_version": before.seq, "new_version": after.seq,
                "captured_at": after.captured_at.isoformat(), "position": position,
                "label": LABELS[step.op], "old_sentence": step.old, "new_sentence": step.new,
                "old_paragraph": step.old_paragraph, "new_paragraph": step.new_paragraph,
            }, ensure_ascii=False) + "\n")
            sentences += 1
        if progress is not None:
            progress(1)
    return feed, sentences
