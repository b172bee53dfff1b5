"""The story page's diff arrangement: word-level runs inside edited sentences, both layouts."""

from __future__ import annotations

from datetime import UTC, datetime

from newsarchive.db.models import ArticleVersion
from newsarchive.web.diffview import diff_versions

LEDE = "The survey found corrosion in 14 of the terminal's 40 support piles."
REST = "Engineers said the building was safe for now."


def version(seq: int, title: str, *paragraphs: str) -> ArticleVersion:
    return ArticleVersion(seq=seq, title=title, byline="Mara Lindqvist", paragraphs=list(paragraphs),
                          captured_at=datetime(2026, 1, 5, tzinfo=UTC), fingerprint="x")


def test_an_edited_figure_is_a_word_level_deletion_and_insertion():
    old = version(1, "Ferry terminal to close", LEDE, REST)
    new = version(2, "Ferry terminal to close", LEDE.replace("14", "16"), REST)
    diff = diff_versions(old, new)
    assert "correction" in diff.kinds
    edited = [s for p in diff.paragraphs for s in p.sentences if s.op == "edited"]
    assert len(edited) == 1
    assert ("delete", "14") in edited[0].inline and ("insert", "16") in edited[0].inline
    assert ("insert", "16") not in edited[0].left and ("delete", "14") not in edited[0].right
    assert all(tag == "equal" for tag, _ in edited[0].inline if "corrosion" in _)
    same = [s for p in diff.paragraphs for s in p.sentences if s.op == "same"]
    assert [s.inline for s in same] == [[("equal", REST)]]


def test_headline_and_removed_paragraph_are_shown_and_stored_kinds_win():
    old = version(1, "Ferry terminal to close", LEDE, REST)
    new = version(2, "Ferry terminal may close", LEDE)
    diff = diff_versions(old, new, stored_kinds=["headline_changed", "reverted"])
    assert diff.kinds == ["headline_changed", "reverted"]
    assert ("delete", "to") in diff.headline and ("insert", "may") in diff.headline
    removed = [p for p in diff.paragraphs if p.removed]
    assert len(removed) == 1 and removed[0].sentences[0].left == [("delete", REST)]
    assert removed[0].sentences[0].right == []


def test_identical_versions_have_nothing_to_mark():
    old = version(1, "Ferry terminal to close", LEDE, REST)
    diff = diff_versions(old, version(2, "Ferry  terminal to close", LEDE, REST))
    assert not diff.changed and diff.kinds == []
