"""The edit benchmark's generated newsroom: its ground truth must be true of its pages.

A generated edit that changes nothing, or lands somewhere other than its kind says, is
counted by ``benchmarks/bench_edits.py`` as the classifier's miss. Stories get several edits
over many editions, which is where such slips showed (a second style rewrite of an already
rewritten sentence; text "appended" after a live entry that sat below the wire credit).
"""

from __future__ import annotations

import pytest

from newsarchive.demo.newsroom import EXPECTED, generate


@pytest.fixture(scope="module")
def stories():
    return generate(1500, 6, 0.02, 11)


def test_every_edit_that_must_make_a_version_changes_what_a_reader_sees(stories):
    edits = 0
    for story in stories:
        for edition, kind in story.edits.items():
            before, after = story.at(edition - 1), story.at(edition)
            if EXPECTED[kind] is not None:
                edits += 1
                assert (before.title, before.authors, before.paragraphs) != (
                    after.title, after.authors, after.paragraphs), (kind, story.number, edition)
    assert edits == 12 * 30 * 5  # every kind, 2 % of 1,500 stories, editions 2..6


def test_the_wire_credit_line_stays_last_whatever_is_added(stories):
    wire = [s for s in stories if s.template == "wire"]
    assert wire
    for story in wire:
        for edition in range(1, 7):
            assert story.at(edition).paragraphs[-1].startswith("(Reporting by"), (story.number, edition)


def test_no_paragraph_is_repeated_right_after_itself(stories):
    """Extractors read two identical paragraphs in a row as one (trafilatura does)."""
    for story in stories:
        for edition in range(1, 7):
            p = story.at(edition).paragraphs
            assert all(a != b for a, b in zip(p, p[1:])), (story.number, edition)
