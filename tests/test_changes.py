"""Change records between two versions of an (invented) news story."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from newsarchive.changes import (
    KINDS,
    ChangeRecord,
    VersionContent,
    compare_versions,
    is_small_substitution,
    split_sentences,
)
from newsarchive.content import fingerprint

LEDE = (
    "Floodwaters forced the evacuation of the riverside district of Eastbrook on Monday, "
    "after the Marlow River rose above its banks for the first time since 1998."
)
TOLL = "The storm killed 12 people across the province, according to the regional emergency office."
INJURED = "Dozens more were treated for minor injuries."
QUOTE = (
    "\u201cWe are asking every resident below the old rail bridge to leave now,\u201d "
    "Gov. Helen R. Okafor told reporters."
)
SHELTERS = "Shelters at three schools will stay open through the night."
HOSPITAL = (
    "Dr. Samuel K. Brandt, who heads the district hospital, said 40 patients had been moved "
    "to a facility in Northgate."
)
FLOOR = "The hospital\u2019s ground floor took on about 1.5 meters of water \u2014 a record."
CREST = (
    "Forecasters expect the river to crest late Tuesday, before falling slowly through the week."
)
ROUTES = "Residents can find evacuation routes on the province\u2019s website."

BASE = VersionContent(
    title="Deadly floods devastate Eastbrook, killing 12",
    byline="By Maria Lenz",
    paragraphs=(
        LEDE,
        f"{TOLL} {INJURED}",
        f"{QUOTE} {SHELTERS}",
        f"{HOSPITAL} {FLOOR}",
        f"{CREST} {ROUTES}",
    ),
    published="2024-04-22T14:05:00Z",
    modified="2024-04-22T14:05:00Z",
)


def with_paragraphs(*paragraphs: str, base: VersionContent = BASE) -> VersionContent:
    return replace(base, paragraphs=tuple(paragraphs))


def assert_no_change(old: VersionContent, new: VersionContent) -> None:
    change = compare_versions(old, new)
    assert change.kinds == []
    assert (change.added, change.removed, change.edited, change.moved) == ([], [], [], [])
    assert change.headline is None


def same_fingerprint(a: VersionContent, b: VersionContent) -> bool:
    def print_of(v: VersionContent) -> str:
        return fingerprint(v.title, v.byline, v.paragraphs)

    return print_of(a) == print_of(b)


# ----------------------------------------------------------------- noise is not an edit


def test_identical_versions_have_no_kinds():
    assert_no_change(BASE, replace(BASE))


def test_typography_differences_are_not_edits():
    def ascii_typography(text: str) -> str:
        return (
            text.replace("\u201c", '"').replace("\u201d", '"').replace("\u2019", "'")
            .replace("\u2014", "--")
        )

    new = replace(
        BASE,
        title=ascii_typography(BASE.title),
        paragraphs=tuple(ascii_typography(p) for p in BASE.paragraphs),
    )
    assert new.paragraphs != BASE.paragraphs
    assert same_fingerprint(BASE, new)
    assert_no_change(BASE, new)


def test_whitespace_differences_are_not_edits():
    new = replace(
        BASE,
        title="  Deadly floods devastate\u00a0Eastbrook,  killing 12 ",
        paragraphs=tuple("\n  " + p.replace(" ", "  ") + " \t" for p in BASE.paragraphs),
    )
    assert same_fingerprint(BASE, new)
    assert_no_change(BASE, new)


def test_punctuation_only_changes_are_not_edits_even_when_they_change_the_split():
    # "now," -> "now!" turns one sentence into two; the words are the same.
    new = with_paragraphs(
        LEDE.replace("Monday,", "Monday"),
        f"{TOLL} {INJURED}",
        f"{QUOTE.replace('now,', 'now!')} {SHELTERS}",
        HOSPITAL + " " + FLOOR.replace(" \u2014 a record.", "; a record!"),
        f"{CREST} {ROUTES}",
    )
    assert same_fingerprint(BASE, new)
    assert_no_change(BASE, new)


def garble(text: str) -> str:
    """UTF-8 read as Windows-1252: the usual mojibake ("\u00e2\u20ac\u2122" for "\u2019")."""
    return text.encode("utf-8").decode("cp1252", errors="replace")


def test_mojibake_is_not_an_edit():
    new = replace(BASE, paragraphs=tuple(garble(p) for p in BASE.paragraphs))
    assert "\u00e2\u20ac\u2122" in new.paragraphs[3]  # the classic "â€™"
    assert same_fingerprint(BASE, new)
    assert_no_change(BASE, new)


def test_mojibake_at_a_sentence_boundary_does_not_hide_behind_a_real_edit():
    # A no-break space after a full stop, garbled to "\u00c2\u00a0", straddles the
    # boundary between two sentences; only the real edit may be reported.
    old = with_paragraphs(LEDE, f"{TOLL}\u00a0{INJURED}\u00a0", *BASE.paragraphs[2:])
    garbled = [garble(p) for p in old.paragraphs]
    garbled[4] = garbled[4].replace("late Tuesday", "early Wednesday")
    change = compare_versions(old, with_paragraphs(*garbled))
    assert change.kinds == ["correction", "edited"]  # two words swapped: a small substitution
    assert [e["old"] for e in change.edited] == [CREST]
    assert (change.added, change.removed) == ([], [])


def test_paragraph_regrouping_is_not_an_edit():
    new = with_paragraphs(f"{LEDE} {TOLL}", INJURED, *BASE.paragraphs[2:])
    assert same_fingerprint(BASE, new)
    assert_no_change(BASE, new)


# ----------------------------------------------------------------- one kind at a time

UPDATE_TOP = (
    "Update # 1 \u2014 6:40 P.M.: The provincial government declared a state of emergency "
    "for Eastbrook and two neighbouring towns. Schools will remain closed on Tuesday."
)


def test_update_paragraph_at_the_top():
    new = with_paragraphs(UPDATE_TOP, *BASE.paragraphs)
    change = compare_versions(BASE, new)
    assert change.kinds == ["added", "update_appended"]
    assert change.added == [
        "Update # 1 \u2014 6:40 P.M.: The provincial government declared a state of emergency "
        "for Eastbrook and two neighbouring towns.",
        "Schools will remain closed on Tuesday.",
    ]
    assert (change.removed, change.edited, change.moved, change.headline) == ([], [], [], None)


def test_second_update_below_the_first():
    first = with_paragraphs(UPDATE_TOP, *BASE.paragraphs)
    second_update = "Update # 2 \u2014 7:15 P.M.: A second levee failed north of the rail bridge."
    new = with_paragraphs(UPDATE_TOP, second_update, *BASE.paragraphs)
    change = compare_versions(first, new)
    assert change.kinds == ["added", "update_appended"]
    assert change.added == [second_update]


@pytest.mark.parametrize(
    "note",
    [
        "UPDATE: The river crested at 6.2 meters shortly after midnight.",
        "Updated at 9:15 a.m. ET with the latest figures from the emergency office.",
        "Editor\u2019s note: This story will be updated as more information becomes available.",
    ],
)
def test_update_paragraph_at_the_bottom(note):
    new = with_paragraphs(*BASE.paragraphs, note)
    change = compare_versions(BASE, new)
    assert change.kinds == ["added", "update_appended"]
    assert change.added == [note]


def test_sentence_starting_with_updated_is_not_an_update_note():
    plain = "Updated forecasts show more rain on Thursday."
    change = compare_versions(BASE, with_paragraphs(*BASE.paragraphs[:2], plain, *BASE.paragraphs[2:]))
    assert change.kinds == ["added"]


@pytest.mark.parametrize(
    "entry",
    [
        "12:17 P.M. \u2014 The mayor arrived at the levee with two ministers.",
        "14:05 GMT: The mayor arrived at the levee with two ministers.",
        "9.30am - The mayor arrived at the levee with two ministers.",
        "Updated at 3:40 p.m. The mayor arrived at the levee with two ministers.",
        "UPDATE 2: The mayor arrived at the levee with two ministers.",
        "Editor\u2019s note, Tuesday: The mayor arrived at the levee with two ministers.",
        "Tuesday, 4 p.m. \u2014 The mayor arrived at the levee with two ministers.",
        "(10:45 a.m. ET) The mayor arrived at the levee with two ministers.",
        "1935 GMT - The mayor arrived at the levee with two ministers.",
        "(0712 BST) The mayor arrived at the levee with two ministers.",
    ],
)
def test_live_update_entries_are_updates_wherever_they_stand(entry):
    for position in (0, 2):  # above the story (live blogs) and inside it
        paragraphs = list(BASE.paragraphs)
        paragraphs.insert(position, entry)
        change = compare_versions(BASE, with_paragraphs(*paragraphs))
        assert change.kinds == ["added", "update_appended"], (position, entry)
        assert " ".join(change.added) == entry


@pytest.mark.parametrize("plain", [
    "2026 - the year the old bridge closed - is remembered by every trader in the district.",
    "1998 saw the last flood of this size in Eastbrook.",
])
def test_a_four_digit_figure_without_a_time_zone_is_not_a_time_stamp(plain):
    paragraphs = list(BASE.paragraphs)
    paragraphs.insert(2, plain)
    change = compare_versions(BASE, with_paragraphs(*paragraphs))
    assert change.kinds == ["added"]
    assert change.added == [plain]


def test_a_paragraph_appended_after_the_end_is_an_update_without_a_marker():
    extra = ("The regional water board said on Monday evening that pumping would continue "
             "through the night.")
    change = compare_versions(BASE, with_paragraphs(*BASE.paragraphs, extra))
    assert change.kinds == ["added", "update_appended"]
    assert change.added == [extra]


def test_an_update_appended_before_the_closing_credit_line_is_still_appended():
    credit = "(Reporting by Ana Ruiz; Editing by Tom Hale)"
    extra = "Rescue crews reached the last stranded farm shortly before dawn."
    old = with_paragraphs(*BASE.paragraphs, credit)
    change = compare_versions(old, with_paragraphs(*BASE.paragraphs, extra, credit))
    assert change.kinds == ["added", "update_appended"]
    assert change.added == [extra]


def test_a_paragraph_added_in_the_middle_without_a_marker_is_only_added():
    extra = "Rescue crews reached the last stranded farm shortly before dawn."
    change = compare_versions(BASE, with_paragraphs(*BASE.paragraphs[:2], extra, *BASE.paragraphs[2:]))
    assert change.kinds == ["added"]


@pytest.mark.parametrize(
    ("old_title", "new_title", "kinds", "prefix"),
    [
        ("Floods hit Eastbrook", "UPDATE 1-Floods hit Eastbrook", ["headline_changed", "update_appended"], "UPDATE 1"),
        ("UPDATE 1-Floods hit Eastbrook", "UPDATE 2-Floods hit Eastbrook, two dead",
         ["headline_changed", "update_appended"], "UPDATE 2"),
        ("Floods hit Eastbrook", "CORRECTED-Floods hit Eastbrook", ["correction", "headline_changed"], "CORRECTED"),
        ("Floods hit Eastbrook", "REFILE-Floods hit Eastbrook", ["headline_changed"], "REFILE"),
        ("Floods hit Eastbrook", "EXCLUSIVE-Floods hit Eastbrook", ["headline_changed"], "EXCLUSIVE"),
    ],
)
def test_wire_headline_prefixes(old_title, new_title, kinds, prefix):
    change = compare_versions(replace(BASE, title=old_title), replace(BASE, title=new_title))
    assert change.kinds == kinds
    assert change.headline["wire_prefix"]["new"] == prefix
    assert ChangeRecord.from_dict(change.to_dict()).headline == change.headline


def test_a_capitalised_headline_word_is_not_a_wire_prefix():
    change = compare_versions(replace(BASE, title="Floods hit Eastbrook"),
                              replace(BASE, title="UPDATED FORECAST: floods hit Eastbrook"))
    assert change.kinds == ["headline_changed"]
    assert "wire_prefix" not in change.headline


def test_a_rewritten_clause_that_changes_a_place_is_a_correction():
    rewritten = ("Forecasters said the water would peak at Millford rather than at the old bridge "
                 "late on Tuesday.")
    old = with_paragraphs(*BASE.paragraphs[:4], f"Forecasters said the water would peak at the old "
                          f"bridge in Eastbrook late on Tuesday. {ROUTES}")
    change = compare_versions(old, with_paragraphs(*BASE.paragraphs[:4], f"{rewritten} {ROUTES}"))
    assert change.kinds == ["correction", "edited"]


def test_a_style_rewrite_that_keeps_every_fact_is_only_edited():
    before = "The council said on Monday that Eastbrook would get 40 new pumps by Friday."
    after = "Eastbrook will receive 40 new pumps by Friday, the council announced on Monday."
    change = compare_versions(with_paragraphs(before, *BASE.paragraphs[1:]),
                              with_paragraphs(after, *BASE.paragraphs[1:]))
    assert change.kinds == ["edited"]


@pytest.mark.parametrize(
    "line",
    [
        "LATEST: Evacuation order extended to Northgate",
        "BREAKING: Second levee fails north of Eastbrook",
    ],
)
def test_latest_line(line):
    new = with_paragraphs(LEDE, line, *BASE.paragraphs[1:])
    change = compare_versions(BASE, new)
    assert change.kinds == ["added", "latest_line"]
    assert change.added == [line]


@pytest.mark.parametrize(
    "note",
    [
        "Correction: An earlier version of this story misstated the number of shelters.",
        "Clarification: The hospital was partly, not fully, evacuated.",
        "An earlier version of this article gave the wrong year for the last flood.",
    ],
)
def test_correction_note(note):
    change = compare_versions(BASE, with_paragraphs(*BASE.paragraphs, note))
    assert change.kinds == ["added", "correction"]
    assert change.added == [note]


def test_latest_line_replaced_in_place():
    before = "LATEST: Evacuation order extended to Northgate"
    line = "LATEST: Evacuation order extended to Northgate and Westmere"
    old = with_paragraphs(LEDE, before, *BASE.paragraphs[1:])
    change = compare_versions(old, with_paragraphs(LEDE, line, *BASE.paragraphs[1:]))
    assert change.kinds == ["edited", "latest_line"]
    assert change.edited == [{"old": before, "new": line}]


def test_added_sentence_inside_a_paragraph():
    extra = "Officials said the figure could rise."
    new = with_paragraphs(LEDE, f"{TOLL} {extra} {INJURED}", *BASE.paragraphs[2:])
    change = compare_versions(BASE, new)
    assert change.kinds == ["added"]
    assert change.added == [extra]


def test_deleted_sentence():
    new = with_paragraphs(LEDE, TOLL, *BASE.paragraphs[2:])
    change = compare_versions(BASE, new)
    assert change.kinds == ["deleted"]
    assert change.removed == [INJURED]
    assert (change.added, change.edited, change.moved) == ([], [], [])


def test_deleted_paragraph():
    paragraphs = list(BASE.paragraphs)
    del paragraphs[3]
    change = compare_versions(BASE, with_paragraphs(*paragraphs))
    assert change.kinds == ["deleted", "paragraph_deleted"]
    assert change.removed == [HOSPITAL, FLOOR]


def test_deleted_paragraph_sharing_a_sentence_with_the_one_before():
    """The aligner keeps the deleted paragraph's copy of the shared sentence and removes the
    neighbour's: by text, a whole paragraph is still gone."""
    shared = "Officials said a decision was expected within weeks."
    old = with_paragraphs(f"{TOLL} {shared}", f"{SHELTERS} {shared}", *BASE.paragraphs[2:])
    change = compare_versions(old, with_paragraphs(f"{TOLL} {shared}", *BASE.paragraphs[2:]))
    assert change.kinds == ["deleted", "paragraph_deleted"]
    assert sorted(change.removed) == sorted([shared, SHELTERS])
    assert (change.added, change.edited, change.moved) == ([], [], [])


def test_a_sentence_also_found_elsewhere_removed_alone_is_not_a_paragraph_deleted():
    shared = "Officials said a decision was expected within weeks."
    old = with_paragraphs(f"{TOLL} {shared}", f"{SHELTERS} {shared}", *BASE.paragraphs[2:])
    change = compare_versions(old, with_paragraphs(f"{TOLL} {shared}", SHELTERS, *BASE.paragraphs[2:]))
    assert change.kinds == ["deleted"]
    assert change.removed == [shared]


def test_moved_paragraph_is_moved_only():
    p = BASE.paragraphs
    change = compare_versions(BASE, with_paragraphs(p[0], p[1], p[4], p[2], p[3]))
    assert change.kinds == ["moved"]
    assert change.moved == [CREST, ROUTES]
    assert (change.added, change.removed, change.edited) == ([], [], [])


def test_headline_softened():
    new = replace(BASE, title="Floods hit Eastbrook")
    change = compare_versions(BASE, new)
    assert change.kinds == ["headline_changed"]
    assert change.headline == {
        "old": "Deadly floods devastate Eastbrook, killing 12",
        "new": "Floods hit Eastbrook",
    }
    assert (change.added, change.removed, change.edited, change.moved) == ([], [], [], [])


def test_headline_typography_only_is_no_change():
    assert_no_change(
        replace(BASE, title="Eastbrook\u2019s flood"), replace(BASE, title="Eastbrook's flood")
    )


def test_changed_figure_is_an_edit_and_a_correction():
    new_toll = TOLL.replace("killed 12", "killed 14")
    new = with_paragraphs(LEDE, f"{new_toll} {INJURED}", *BASE.paragraphs[2:])
    change = compare_versions(BASE, new)
    assert change.kinds == ["correction", "edited"]
    assert change.edited == [{"old": TOLL, "new": new_toll}]
    assert (change.added, change.removed, change.moved) == ([], [], [])


def test_corrected_name_is_a_correction():
    fixed = HOSPITAL.replace("Brandt", "Brant")
    new = with_paragraphs(*BASE.paragraphs[:3], f"{fixed} {FLOOR}", BASE.paragraphs[4])
    change = compare_versions(BASE, new)
    assert change.kinds == ["correction", "edited"]
    assert change.edited == [{"old": HOSPITAL, "new": fixed}]


def test_rewritten_sentence_is_edited_without_correction():
    rewritten = (
        "Forecasters now expect the river to crest early on Wednesday and to stay high "
        "through the weekend."
    )
    new = with_paragraphs(*BASE.paragraphs[:4], f"{rewritten} {ROUTES}")
    change = compare_versions(BASE, new)
    assert change.kinds == ["edited"]
    assert change.edited == [{"old": CREST, "new": rewritten}]


def test_unrelated_replacement_is_deleted_and_added_not_edited():
    other = "Volunteers loaded sandbags onto trucks at the fairground."
    new = with_paragraphs(LEDE, f"{TOLL} {other}", *BASE.paragraphs[2:])
    change = compare_versions(BASE, new)
    assert change.kinds == ["added", "deleted"]
    assert change.added == [other]
    assert change.removed == [INJURED]


def test_byline_changed():
    change = compare_versions(BASE, replace(BASE, byline="By Maria Lenz and Tom Ashby"))
    assert change.kinds == ["byline_changed"]


def test_dates_changed():
    change = compare_versions(BASE, replace(BASE, modified="2024-04-22T18:40:00Z"))
    assert change.kinds == ["dates_changed"]


@pytest.mark.parametrize(
    "published", ["2024-04-22T14:05:00+00:00", "2024-04-22T16:05:00+02:00", "2024-04-22T14:05:00"]
)
def test_same_instant_written_differently_is_not_a_date_change(published):
    assert_no_change(BASE, replace(BASE, published=published))


def test_date_appearing_is_a_date_change():
    no_modified = replace(BASE, modified=None)
    assert compare_versions(no_modified, BASE).kinds == ["dates_changed"]


def test_several_kinds_together():
    new_toll = TOLL.replace("killed 12", "killed 14")
    new = replace(
        BASE,
        title="Floods hit Eastbrook",
        paragraphs=(UPDATE_TOP, LEDE, f"{new_toll} {INJURED}", *BASE.paragraphs[2:4]),
        modified="2024-04-22T18:40:00Z",
    )
    change = compare_versions(BASE, new)
    assert change.kinds == [
        "added", "correction", "dates_changed", "deleted", "edited", "headline_changed",
        "paragraph_deleted", "update_appended",
    ]
    assert change.removed == [CREST, ROUTES]
    assert set(change.kinds) <= set(KINDS)


# ----------------------------------------------------------------- vocabulary and storage


def test_kinds_vocabulary_includes_crawl_side_kinds():
    assert {"article_removed", "redirected", "reverted"} <= set(KINDS)
    assert list(KINDS) == sorted(set(KINDS))


def test_change_record_round_trips_through_json():
    new_toll = TOLL.replace("killed 12", "killed 14")
    new = replace(
        BASE,
        title="Floods hit Eastbrook",
        paragraphs=(
            UPDATE_TOP, LEDE, f"{new_toll} {INJURED}", BASE.paragraphs[4], BASE.paragraphs[2]
        ),
    )
    change = compare_versions(BASE, new)
    assert change.added and change.removed and change.edited and change.moved and change.headline
    restored = ChangeRecord.from_dict(json.loads(json.dumps(change.to_dict())))
    assert restored == change
    assert restored.to_dict() == change.to_dict()


def test_empty_record_round_trips():
    restored = ChangeRecord.from_dict(json.loads(json.dumps(ChangeRecord().to_dict())))
    assert restored == ChangeRecord() and not restored


# ----------------------------------------------------------------- sentence splitting


@pytest.mark.parametrize(
    ("paragraph", "expected"),
    [
        (
            "Marine Gen. William H. Seely III wrote to the ministry. "
            "The U.S. Army declined to comment.",
            ["Marine Gen. William H. Seely III wrote to the ministry.",
             "The U.S. Army declined to comment."],
        ),
        (
            "Troops arrived in the U.S. The vote was held on Jan. 6 at 4 p.m. on a Monday.",
            ["Troops arrived in the U.S.", "The vote was held on Jan. 6 at 4 p.m. on a Monday."],
        ),
        (
            "Update # 2 \u2014 4:34 P.M.: Dr. Lee said output fell 3.5 percent. No. 7 is next.",
            [
                "Update # 2 \u2014 4:34 P.M.: Dr. Lee said output fell 3.5 percent.",
                "No. 7 is next.",
            ],
        ),
        (
            "\u201cIs it over?\u201d he asked. She said \u201cIt is.\u201d Then she left!",
            ["\u201cIs it over?\u201d he asked.", "She said \u201cIt is.\u201d", "Then she left!"],
        ),
        ("  One sentence without a full stop  ", ["One sentence without a full stop"]),
        ("", []),
    ],
)
def test_split_sentences(paragraph, expected):
    assert split_sentences(paragraph) == expected


@pytest.mark.parametrize(
    ("old", "new", "small"),
    [
        ("The storm killed 12 people.", "The storm killed 14 people.", True),
        ("Mayor John Smith spoke on Monday.", "Mayor Jane Doe spoke on Monday.", True),
        ("The storm killed 12 people.", "The storm killed at least 12 people.", False),
        ("Ten died.", "Many were hurt.", False),
    ],
)
def test_small_substitution(old, new, small):
    assert is_small_substitution(old, new) is small


def test_a_swapped_decimal_figure_is_a_correction():
    old = "The extra work would add about 1.2 million to the cost of the project."
    new = "The extra work would add about 2.1 million to the cost of the project."
    assert is_small_substitution(old, new)


def test_a_clause_moved_and_a_place_swapped_is_one_edited_sentence_and_a_correction():
    before = "About 2,400 people in Kilmory lost power, according to the grid operator."
    after = "The grid operator said 2,400 people in Dunmere lost power."
    change = compare_versions(with_paragraphs(*BASE.paragraphs, before),
                              with_paragraphs(*BASE.paragraphs, after))
    assert change.kinds == ["correction", "edited"]
    assert change.edited == [{"old": before, "new": after}]
