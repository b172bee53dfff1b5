"""Text and HTML views of a change between two invented versions of a story."""

from __future__ import annotations

import re
from dataclasses import replace

from newsarchive.changes import VersionContent, compare_versions
from newsarchive.diffrender import render_html, render_text, word_diff

SENTENCES = [
    "A fire broke out at the Harlow textile mill before dawn on Friday.",
    "The blaze killed 3 workers, the fire service said.",
    "Crews from four towns fought the flames for six hours.",
    "The mill employed about 400 people.",
    "It opened in 1911 and was the last of its kind in the valley.",
    "Investigators have not said what caused the fire.",
    "The owners said they would rebuild.",
]
OLD = VersionContent(
    title="Fire destroys Harlow mill",
    byline="By Ines Carvalho",
    paragraphs=(" ".join(SENTENCES[:3]), " ".join(SENTENCES[3:5]), " ".join(SENTENCES[5:])),
)
UPDATE = (
    "Update # 1 \u2014 5:02 P.M.: The fire service said a fourth worker had died in hospital. "
    "The owners\u2019 statement was withdrawn."
)
ANSI = re.compile(r"\x1b\[")
META = {
    "url": "https://news.example/harlow-mill-fire",
    "versions": "1 \u2192 2",
    "captured": ["2024-05-03T06:10:00Z", "2024-05-03T17:05:00Z"],
    "warc_record_ids": ["<urn:uuid:1111>", "<urn:uuid:2222>"],
    "to": {"version": 2, "warc": {"file": "a.warc.gz", "record_id": "<urn:uuid:2222>"}},
}


def updated() -> VersionContent:
    return replace(OLD, paragraphs=(*OLD.paragraphs, UPDATE))


def test_text_shows_appended_update_verbatim():
    new = updated()
    text = render_text(OLD, new, compare_versions(OLD, new), color=False)
    assert text.splitlines()[0] == "Changes: added, update_appended"
    first_sentence = (
        "Update # 1 \u2014 5:02 P.M.: The fire service said a fourth worker had died in hospital."
    )
    assert "+ " + first_sentence in text.splitlines()
    assert "+ The owners\u2019 statement was withdrawn." in text.splitlines()


def test_text_without_color_has_no_ansi_codes_and_with_color_does():
    new = replace(updated(), title="Fire guts Harlow mill")
    change = compare_versions(OLD, new)
    assert not ANSI.search(render_text(OLD, new, change, color=False))
    coloured = render_text(OLD, new, change, color=True)
    assert "\x1b[32m+ Update # 1" in coloured
    assert ANSI.search(coloured)


def test_text_collapses_unchanged_runs_and_keeps_one_sentence_of_context():
    new_sentence = SENTENCES[1].replace("killed 3", "killed 4")
    paragraphs = (" ".join([SENTENCES[0], new_sentence, SENTENCES[2]]), *OLD.paragraphs[1:])
    new = replace(OLD, paragraphs=paragraphs)
    change = compare_versions(OLD, new)
    body = render_text(OLD, new, change, color=False).split("\n\n", 1)[1].splitlines()
    assert body == [
        "  " + SENTENCES[0],
        "- " + SENTENCES[1],
        "+ " + new_sentence,
        "  " + SENTENCES[2],
        "  ...",
    ]


def test_text_shows_headline_and_removed_sentences():
    new = replace(OLD, title="Fire at Harlow mill", paragraphs=OLD.paragraphs[:2])
    text = render_text(OLD, new, compare_versions(OLD, new), color=False)
    lines = text.splitlines()
    assert lines[0] == "Changes: deleted, headline_changed, paragraph_deleted"
    assert lines[1:4] == ["Headline:", "- Fire destroys Harlow mill", "+ Fire at Harlow mill"]
    assert "- " + SENTENCES[5] in lines and "- " + SENTENCES[6] in lines


def test_text_for_noise_only_change_says_so():
    new = replace(OLD, title="Fire  destroys Harlow mill.")
    text = render_text(OLD, new, compare_versions(OLD, new), color=False)
    assert text.splitlines()[0] == "Changes: none"
    assert "(no sentence changes)" in text


def test_colour_marks_changed_words_only():
    new_sentence = SENTENCES[1].replace("killed 3", "killed 4")
    first = " ".join([SENTENCES[0], new_sentence, SENTENCES[2]])
    new = replace(OLD, paragraphs=(first, *OLD.paragraphs[1:]))
    coloured = render_text(OLD, new, compare_versions(OLD, new), color=True)
    assert "killed \x1b[7m3\x1b[27m workers" in coloured
    assert "killed \x1b[7m4\x1b[27m workers" in coloured


def test_word_diff_ignores_typography():
    assert word_diff("the owner\u2019s mill", "the owner's mill") == [("equal", "the owner's mill")]
    assert word_diff("killed 3 workers", "killed 4 workers") == [
        ("equal", "killed "), ("delete", "3"), ("insert", "4"), ("equal", " workers"),
    ]


def test_html_escapes_text_title_and_meta():
    hostile = 'Police found a note reading <script>alert("x")</script> & fled.'
    new = replace(OLD, paragraphs=(*OLD.paragraphs, hostile))
    page = render_html(
        OLD, new, compare_versions(OLD, new),
        title="Mill <b>fire</b>", meta={**META, "note": "<img src=x>"},
    )
    assert "<script>" not in page and "<img" not in page and "<b>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; fled." in page
    assert "<title>Mill &lt;b&gt;fire&lt;/b&gt;</title>" in page


def test_html_is_standalone_with_meta_kinds_and_word_level_marks():
    new_sentence = SENTENCES[1].replace("killed 3", "killed 4")
    new = replace(
        OLD,
        title="Fire guts Harlow mill",
        paragraphs=(
            " ".join([SENTENCES[0], new_sentence, SENTENCES[2]]), OLD.paragraphs[1], UPDATE
        ),
    )
    change = compare_versions(OLD, new)
    page = render_html(OLD, new, change, title="Harlow mill fire", meta=META)
    assert page.startswith("<!DOCTYPE html>")
    assert "<style>" in page
    assert not re.search(r"""(?:src|href)\s*=|<link|<script""", page)
    assert "killed <del>3</del><ins>4</ins> workers" in page
    assert "Fire <del>destroys</del><ins>guts</ins> Harlow mill" in page
    for kind in change.kinds:
        assert f"<li>{kind}</li>" in page
    assert "<th>url</th><td>https://news.example/harlow-mill-fire</td>" in page
    assert "&lt;urn:uuid:1111&gt;<br>&lt;urn:uuid:2222&gt;" in page
    assert "version: 2<br>warc: file: a.warc.gz<br>record_id: &lt;urn:uuid:2222&gt;" in page
    assert f"<del>{SENTENCES[5]}</del>" in page  # the removed last paragraph is still shown
    assert "<ins>Update # 1 \u2014 5:02 P.M.: The fire service said" in page
