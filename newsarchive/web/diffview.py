"""Two versions as the story page shows them: inline and side by side, word level.

The sentence alignment and word diff are :mod:`newsarchive.changes` and
:mod:`newsarchive.diffrender`'s; this module only arranges them as runs the templates
escape and mark up (``equal``, ``insert``, ``delete``, ``moved``), never as HTML.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from newsarchive import changes
from newsarchive.changes import SentenceStep
from newsarchive.content import comparable
from newsarchive.db.models import ArticleVersion
from newsarchive.db.store import version_content
from newsarchive.diffrender import group_paragraphs, word_diff

Run = tuple[str, str]  # (equal | insert | delete | moved, text)


@dataclass
class Sentence:
    op: str  # same | added | removed | edited | moved
    inline: list[Run]
    left: list[Run]  # as the older version had it (empty when it did not)
    right: list[Run]  # as the newer version has it (empty when it does not)


@dataclass
class Paragraph:
    removed: bool  # a paragraph of the older version that is gone entirely
    sentences: list[Sentence]

    @property
    def changed(self) -> bool:
        return any(s.op != "same" for s in self.sentences)


@dataclass
class VersionDiff:
    kinds: list[str]
    headline: list[Run] | None  # word diff of the headline when it changed
    fields: list[tuple[str, str, str]] = field(default_factory=list)  # (label, old, new)
    paragraphs: list[Paragraph] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.headline or self.fields or any(p.changed for p in self.paragraphs))


def _runs(old: str, new: str) -> tuple[list[Run], list[Run], list[Run]]:
    inline = word_diff(old, new)
    return (inline, [r for r in inline if r[0] != "insert"], [r for r in inline if r[0] != "delete"])


def _sentence(step: SentenceStep) -> Sentence:
    old, new = step.old or "", step.new or ""
    if step.op == "same":
        return Sentence("same", [("equal", new)], [("equal", old)], [("equal", new)])
    if step.op == "added":
        return Sentence("added", [("insert", new)], [], [("insert", new)])
    if step.op == "removed":
        return Sentence("removed", [("delete", old)], [("delete", old)], [])
    if step.op == "moved":
        return Sentence("moved", [("moved", new)], [("moved", old)], [("moved", new)])
    inline, left, right = _runs(old, new)
    return Sentence("edited", inline, left, right)


def diff_versions(old: ArticleVersion, new: ArticleVersion,
                  stored_kinds: list[str] | None = None) -> VersionDiff:
    """Compare any two versions; ``stored_kinds`` (the crawl's record, which also knows
    ``reverted``) replaces the recomputed kinds for consecutive versions."""
    before, after = version_content(old), version_content(new)
    record = changes.compare_versions(before, after)
    kinds = list(stored_kinds) if stored_kinds is not None else list(record.kinds)
    headline = None
    if comparable(old.title or "") != comparable(new.title or ""):
        headline = word_diff(old.title or "", new.title or "")
    fields = []
    if comparable(old.byline or "") != comparable(new.byline or ""):
        fields.append(("Byline", old.byline or "-", new.byline or "-"))
    for label, a, b in (("Published", before.published, after.published),
                        ("Modified", before.modified, after.modified)):
        if a != b:
            fields.append((label, a or "-", b or "-"))
    paragraphs = [Paragraph(css == "removed-paragraph", [_sentence(s) for s in steps])
                  for css, steps in group_paragraphs(changes.align_versions(before, after))]
    return VersionDiff(kinds, headline, fields, paragraphs)
