"""What changed between two versions of an article, sentence by sentence.

The scheme follows NewsEdits (sentences are *added*, *deleted*, *edited* or *moved*,
the last being their "refactor") and adds news-specific kinds on top: appended updates,
"LATEST:" lines, corrections, headline/byline/date changes and whole deleted paragraphs.

Everything here is a pure function of two :class:`VersionContent` values, so the storage
layer can recompute a change record at any time and the renderers can re-derive the
sentence alignment. Noise that is not an edit (whitespace, typographic quotes and dashes,
punctuation, mojibake) is folded with :func:`newsarchive.content.comparable`, the same rule
the content fingerprint uses: equal fingerprints never yield title, byline or sentence
changes.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from difflib import SequenceMatcher
from typing import Literal

from newsarchive.content import clean_text, comparable
from newsarchive.dates import parse_datetime

__all__ = [
    "KINDS",
    "ChangeRecord",
    "SentenceStep",
    "VersionContent",
    "align_versions",
    "compare_versions",
    "is_factual_correction",
    "is_small_substitution",
    "split_sentences",
    "wire_prefix",
]

KINDS: tuple[str, ...] = (
    "added",
    "article_removed",
    "byline_changed",
    "correction",
    "dates_changed",
    "deleted",
    "edited",
    "headline_changed",
    "latest_line",
    "moved",
    "paragraph_deleted",
    "redirected",
    "reverted",
    "update_appended",
)
"""Every kind a change record may carry.

Sentence level (NewsEdits): ``added``, ``deleted``, ``edited``, ``moved``.
News specific, emitted by :func:`compare_versions`:

- ``update_appended``: the story was updated: a new paragraph opens with an update marker
  ("Update # 1 — 4:09 P.M.:", "UPDATE 2:", "Updated at ...", "Editor's note, Tuesday:") or a
  time stamp of a live entry ("12:17 P.M. —", "14:05 GMT:"); or new paragraphs follow the end
  of the text the reader had (a closing credit line aside), marker or not; or the headline
  gained a wire ``UPDATE n-`` prefix.
- ``latest_line``: a new paragraph opening with "LATEST:" or "BREAKING:".
- ``correction``: a "Correction:"/"Clarification:" note (or "An earlier version of this
  story ...") was added; or an edited sentence swaps a fact: a small substitution (a figure,
  a name, a single word) or a longer rewrite in which a figure, a place or a name was
  replaced by another (a rewrite that keeps its facts is only ``edited``); or the headline
  gained a wire ``CORRECTED-`` prefix.
- ``headline_changed`` (the change record's ``headline`` carries ``wire_prefix`` when a
  wire prefix such as "UPDATE 1" or "REFILE" appeared), ``byline_changed``, ``dates_changed``
  (published or modified differ).
- ``paragraph_deleted``: every sentence of an old paragraph is gone.

Crawl side, set by the storage layer and never by :func:`compare_versions`:

- ``article_removed``: the URL now answers 404/410 or no longer yields an article.
- ``redirected``: the URL now redirects to another article.
- ``reverted``: the page shows a version it showed before (an event; no new version).
"""

StepOp = Literal["same", "added", "removed", "edited", "moved"]

# Similarity (difflib ratio over word tokens) above which a deleted and an added sentence
# are one edited sentence. Within one replaced block, i.e. the same place in the text,
# a weaker resemblance is enough: an in-place rewrite is still an edit.
EDIT_SIMILARITY = 0.6
IN_PLACE_EDIT_SIMILARITY = 0.4
# A correction swaps at most this many words per changed run, in at most this many runs.
_CORRECTION_MAX_WORDS = 3
_CORRECTION_MAX_RUNS = 2


@dataclass(frozen=True)
class VersionContent:
    """The reader-visible content of one stored version of an article."""

    title: str | None
    byline: str | None
    paragraphs: tuple[str, ...]
    published: str | None = None  # ISO 8601 UTC or None
    modified: str | None = None


@dataclass
class ChangeRecord:
    """The differences between two versions; ``to_dict`` is what the database stores."""

    kinds: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    edited: list[dict] = field(default_factory=list)
    moved: list[str] = field(default_factory=list)
    headline: dict | None = None

    def to_dict(self) -> dict:
        return {
            "kinds": list(self.kinds),
            "added": list(self.added),
            "removed": list(self.removed),
            "edited": [{"old": e["old"], "new": e["new"]} for e in self.edited],
            "moved": list(self.moved),
            "headline": dict(self.headline) if self.headline is not None else None,
        }

    @classmethod
    def from_dict(cls, d: dict) -> ChangeRecord:
        headline = d.get("headline")
        return cls(
            kinds=list(d.get("kinds") or []),
            added=list(d.get("added") or []),
            removed=list(d.get("removed") or []),
            edited=[{"old": e["old"], "new": e["new"]} for e in d.get("edited") or []],
            moved=list(d.get("moved") or []),
            headline=dict(headline) if headline else None,
        )

    def __bool__(self) -> bool:
        """False when nothing changed, so callers can write ``if change:``."""
        return bool(self.kinds)


@dataclass(frozen=True)
class SentenceStep:
    """One sentence in the merged reading order of two versions (used by the renderers).

    ``old_paragraph``/``new_paragraph`` are paragraph indexes in each version, or None
    when the sentence does not exist there.
    """

    op: StepOp
    old: str | None
    new: str | None
    old_paragraph: int | None
    new_paragraph: int | None


# --------------------------------------------------------------------------- sentences

# Words after which a period does not end a sentence: titles before names, and month or
# "No." abbreviations before numbers.
_TITLES = frozenset(
    """mr mrs ms messrs dr prof gen gens lt col maj capt cpt sgt cpl pvt adm cmdr brig sen
    sens rep reps gov pres supt insp det rev fr hon st mt ft gov vs v""".split()
)
_BEFORE_NUMBER = frozenset(
    "no nos jan feb mar apr jun jul aug sep sept oct nov dec art fig vol pp p".split()
)
# Abbreviations that may also end a sentence ("... in the U.S. The vote ..."): a sentence
# break is assumed only when a typical sentence opener follows.
_MAY_END = frozenset("jr sr inc ltd co corp bros etc".split())
_OPENERS = frozenset(
    """a an the he she it they we i you but and in on at this that these those his her their
    its our there then however meanwhile after before when while if as according officials
    police authorities""".split()
)
_TERMINATOR = re.compile(r"(?:[.!?]+|\u2026)[\"'\u201d\u2019\u00bb)\]]*(?=\s)")
_OPENING = "\"'\u201c\u2018\u00ab([\u201e"
_DOTTED = re.compile(r"^(?:[A-Za-z]\.)+[A-Za-z]$")  # U.S, P.M, a.m (final period stripped)


def split_sentences(paragraph: str) -> list[str]:
    """Split one paragraph into sentences, keeping the original characters.

    Breaks only at whitespace after ., ! or ? (with closing quotes) when the next word
    starts with a capital or a digit, so decimals, "U.S.-led", "P.M.:" and quoted
    speech followed by "he said" stay whole. Titles ("Gen.", "Dr."), initials
    ("William H. Seely") and dates ("Jan. 6") never end a sentence; "U.S." and "P.M."
    do only when a typical opener ("The", "He", ...) follows.
    """
    return [chunk.strip() for chunk in _chunks(paragraph) if chunk.strip()]


def _chunks(text: str) -> list[str]:
    """Cut ``text`` into sentences that keep their surrounding whitespace.

    The pieces concatenate back to ``text``; the comparable form is computed on them
    unstripped, so mojibake spanning a sentence boundary (a garbled no-break space,
    "\u00c2\u00a0") is repaired exactly as the fingerprint repairs it.
    """
    chunks: list[str] = []
    start = 0
    for match in _TERMINATOR.finditer(text):
        rest = text[match.end() :].lstrip()
        next_word = rest.lstrip(_OPENING)
        if not next_word or not (next_word[0].isupper() or next_word[0].isdigit()):
            continue
        if not _ends_sentence(text[start : match.start()], match.group(), next_word):
            continue
        end = len(text) - len(rest)  # include the whitespace after the terminator
        chunks.append(text[start:end])
        start = end
    chunks.append(text[start:])
    return chunks


def _ends_sentence(before: str, terminator: str, next_word: str) -> bool:
    if terminator != ".":  # "?", "!", "...", or a period inside closing quotes
        return True
    words = before.split()
    if not words:
        return True
    word = words[-1].lstrip(_OPENING)
    lower = word.lower()
    if len(word) == 1 and word.isalpha():  # an initial: "William H. Seely"
        return False
    if lower in _TITLES:
        return False
    if lower in _BEFORE_NUMBER and next_word[0].isdigit():
        return False
    if lower in _MAY_END or _DOTTED.match(word):
        opener = re.match(r"\w+", next_word)
        return bool(opener) and opener.group().lower() in _OPENERS
    return True


# --------------------------------------------------------------------------- alignment


@dataclass(frozen=True)
class _Sentence:
    text: str
    key: str  # comparable form: what decides "same sentence"
    paragraph: int
    first_in_paragraph: bool


def _sentences(paragraphs: Iterable[str]) -> list[_Sentence]:
    result: list[_Sentence] = []
    for index, paragraph in enumerate(paragraphs):
        first = True
        for chunk in _chunks(paragraph or ""):
            key = comparable(chunk)
            if not key:  # whitespace, punctuation or ornaments ("***", "—"): not content
                continue
            result.append(_Sentence(chunk.strip(), key, index, first))
            first = False
    return result


def _tokens(text_key: str) -> list[str]:
    return text_key.lower().split()


@dataclass
class _Alignment:
    old: list[_Sentence]
    new: list[_Sentence]
    steps: list[SentenceStep]
    added: list[int]  # indexes into new
    removed: list[int]  # indexes into old
    edited: list[tuple[int, int]]  # (old index, new index), in new order
    moved: list[tuple[int, int]]


def _align(old_paragraphs: Sequence[str], new_paragraphs: Sequence[str]) -> _Alignment:
    old = _sentences(old_paragraphs)
    new = _sentences(new_paragraphs)
    if comparable(" ".join(old_paragraphs)) == comparable(" ".join(new_paragraphs)):
        # The fingerprint's own test: same words in the same order, so any difference is
        # noise or a different split into sentences or paragraphs.
        steps = [SentenceStep("same", None, s.text, None, s.paragraph) for s in new]
        return _Alignment(old, new, steps, [], [], [], [])

    matcher = SequenceMatcher(None, [s.key for s in old], [s.key for s in new], autojunk=False)
    opcodes = matcher.get_opcodes()
    same_new: dict[int, int] = {}  # new index -> old index
    loose_old: list[int] = []
    loose_new: list[int] = []
    block_of_old: dict[int, int] = {}
    block_of_new: dict[int, int] = {}
    for block, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        if tag == "equal":
            same_new.update({j1 + k: i1 + k for k in range(i2 - i1)})
            continue
        old_words = " ".join(s.key for s in old[i1:i2])
        new_words = " ".join(s.key for s in new[j1:j2])
        if old_words == new_words and i2 > i1:  # re-split, not edited
            same_new.update({j: i1 for j in range(j1, j2)})
            continue
        for i in range(i1, i2):
            loose_old.append(i)
            block_of_old[i] = block
        for j in range(j1, j2):
            loose_new.append(j)
            block_of_new[j] = block

    # Identical sentences outside the common subsequence were relocated.
    moved_new: dict[int, int] = {}
    waiting: dict[str, list[int]] = {}
    for i in loose_old:
        waiting.setdefault(old[i].key, []).append(i)
    for j in loose_new:
        candidates = waiting.get(new[j].key)
        if candidates:
            moved_new[j] = candidates.pop(0)
    moved_old = set(moved_new.values())

    # Pair what is left by resemblance: the best pairs first.
    rest_old = [i for i in loose_old if i not in moved_old]
    rest_new = [j for j in loose_new if j not in moved_new]
    pairs: list[tuple[float, float, int, int]] = []
    pair_matcher = SequenceMatcher(autojunk=False)
    for j in rest_new:
        pair_matcher.set_seq2(_tokens(new[j].key))  # difflib caches its analysis of seq2
        for i in rest_old:
            same_place = block_of_old[i] == block_of_new[j]
            threshold = IN_PLACE_EDIT_SIMILARITY if same_place else EDIT_SIMILARITY
            pair_matcher.set_seq1(_tokens(old[i].key))
            if pair_matcher.real_quick_ratio() < threshold:
                continue  # cheap upper bounds first: most pairs fail here
            shared_words = pair_matcher.quick_ratio()  # the same words in any order
            if shared_words < threshold:
                continue
            score = pair_matcher.ratio()
            if same_place and shared_words >= EDIT_SIMILARITY:
                score = max(score, shared_words)  # a clause moved within its sentence
            if score >= threshold:
                distance = abs(i / max(len(old), 1) - j / max(len(new), 1))
                pairs.append((-score, distance, i, j))
    edited_new: dict[int, int] = {}
    paired_old: set[int] = set()
    for _, _, i, j in sorted(pairs):
        if i not in paired_old and j not in edited_new:
            edited_new[j] = i
            paired_old.add(i)

    gone_elsewhere = moved_old | paired_old
    steps: list[SentenceStep] = []
    for tag, i1, i2, j1, j2 in opcodes:
        for i in range(i1, i2):
            if tag != "equal" and i in block_of_old and i not in gone_elsewhere:
                steps.append(SentenceStep("removed", old[i].text, None, old[i].paragraph, None))
        for j in range(j1, j2):
            s = new[j]
            if j in same_new:
                o = old[same_new[j]]
                steps.append(SentenceStep("same", o.text, s.text, o.paragraph, s.paragraph))
            elif j in moved_new:
                o = old[moved_new[j]]
                steps.append(SentenceStep("moved", o.text, s.text, o.paragraph, s.paragraph))
            elif j in edited_new:
                o = old[edited_new[j]]
                steps.append(SentenceStep("edited", o.text, s.text, o.paragraph, s.paragraph))
            else:
                steps.append(SentenceStep("added", None, s.text, None, s.paragraph))

    removed = [i for i in loose_old if i not in gone_elsewhere]
    added = [j for j in loose_new if j not in moved_new and j not in edited_new]
    return _Alignment(
        old,
        new,
        steps,
        added=added,
        removed=removed,
        edited=sorted(((i, j) for j, i in edited_new.items()), key=lambda p: p[1]),
        moved=sorted(((i, j) for j, i in moved_new.items()), key=lambda p: p[1]),
    )


def align_versions(old: VersionContent, new: VersionContent) -> list[SentenceStep]:
    """The sentences of both versions merged in reading order, each with what became of it.

    Removed sentences appear where they stood; moved and edited ones at their new place.
    """
    return _align(old.paragraphs, new.paragraphs).steps


# --------------------------------------------------------------------------- classifying

_ZONE = r"(?:GMT|UTC|BST|CES?T|EES?T|[ECMP][SD]?T|IST|JST|AES?T|AEDT|local\s+time)\b"
# "12:17 P.M.", "9.30am", "4 p.m.", "14:05 GMT"; and the wire's 24-hour "1935 GMT", which
# counts only with its time zone (a bare "2026 -" is a year, not a time).
_CLOCK = rf"""(?:(?:\d{{1,2}}[:.]\d{{2}}\s*(?:[ap]\.?\s?m\b\.?)?|\d{{1,2}}\s*[ap]\.?\s?m\b\.?)(?:\s*{_ZONE})?
    | (?:[01]\d|2[0-3])[0-5]\d\s*{_ZONE})"""
_WEEKDAY = r"(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)(?:day)?\.?"
_DASH = r"(?:\s*[:\u2014\u2013\-|]|\s+-)"
_UPDATE_MARKER = re.compile(
    rf"""^(?:
        \(?updated?\s*(?:\#\s*\d+|\d+)?\s*(?:[:(\-\u2014\u2013,]|at\b|on\b|\d{{1,2}}[:.]\d{{2}})
      | editor(?:'?s|s')?\s+note\b
      | (?:{_WEEKDAY},?\s+)?(?:\({_CLOCK}\)|{_CLOCK}{_DASH})  # "12:17 P.M. —", "(14:05 GMT)"
      | {_WEEKDAY},?\s+\w+\s+\d{{1,2}},?\s+{_CLOCK}{_DASH}  # "Tuesday, Dec 1, 3:40 p.m.:"
    )""",
    re.IGNORECASE | re.VERBOSE,
)
# A closing line that credits or sources the story: added with an update, never one itself.
_SIGNOFF = re.compile(
    r"^(?:\(|\[|(?:additional\s+)?(?:reporting|writing|editing)\s+by\b|compiled\s+by\b|"
    r"\w+(?:\s+\w+)?\s+contributed\s|copyright\b|\u00a9)",
    re.IGNORECASE,
)
# Wire services' headline prefixes (Reuters style): "UPDATE 2-", "CORRECTED-", "REFILE-".
_WIRE_PREFIX = re.compile(
    r"^\s*((?:UPDATE|WRAPUP)\s*\d+|REFILE|RPT|CORRECTED|CORRECTING|CORRECTION|EXCLUSIVE|"
    r"BREAKINGVIEWS|INSIGHT|ANALYSIS|FACTBOX|EXPLAINER|BUZZ|FOCUS)\s*(?:\d+\s*)?[-\u2013\u2014:]\s*",
)
_LATEST_MARKER = re.compile(r"^(?:latest|breaking(?:\s+news)?)\s*[:\-]", re.IGNORECASE)
_CORRECTION_NOTE = re.compile(
    r"""^(?:corrections?|clarifications?)\b\s*(?:\([^)]*\)\s*)?[:\-]
      | \b(?:an?\s+)?(?:earlier|previous)\s+version\s+of\s+this\s+(?:article|story|report|post)
      | \bthis\s+(?:article|story|report|post)\s+(?:has\s+been|was)\s+(?:corrected|amended)
    """,
    re.IGNORECASE | re.VERBOSE,
)


def _starts_with(marker: re.Pattern[str], text: str) -> bool:
    return bool(marker.search(clean_text(text)))


# A figure is one word ("1.2", "4,000", "4:09"): swapping "1.2" for "2.1" is one substitution.
_WORD = re.compile(r"\d+(?:[.,:]\d+)*|\w+")


def _words(sentence: str) -> list[str]:
    return _WORD.findall(clean_text(sentence))


def is_small_substitution(old_sentence: str, new_sentence: str) -> bool:
    """True when an edit only swaps a figure, a name or a word: a correction, not a rewrite.

    Case is significant (a misspelt name fixed by case is a correction); punctuation and
    typography are not.
    """
    a, b = _words(old_sentence), _words(new_sentence)
    opcodes = SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    runs = [op for op in opcodes if op[0] != "equal"]
    if not runs or len(runs) > _CORRECTION_MAX_RUNS:
        return False
    for tag, i1, i2, j1, j2 in runs:
        if tag != "replace" or i2 - i1 > _CORRECTION_MAX_WORDS or j2 - j1 > _CORRECTION_MAX_WORDS:
            return False
    changed = sum(max(i2 - i1, j2 - j1) for _, i1, i2, j1, j2 in runs)
    return changed * 2 < max(len(a), len(b))  # most of the sentence stays


def _instant(value: str | None) -> datetime | str | None:
    """An aware UTC datetime, so "Z" and "+00:00" spellings compare equal."""
    if not value or not value.strip():
        return None
    parsed = parse_datetime(value)
    return parsed if parsed is not None else value.strip()  # unparsable: compare the text


def _dates_differ(a: str | None, b: str | None) -> bool:
    return _instant(a) != _instant(b)


def wire_prefix(title: str | None) -> str | None:
    """The wire service's headline prefix ("UPDATE 2", "CORRECTED", "REFILE"), if any."""
    match = _WIRE_PREFIX.match(clean_text(title or ""))
    return " ".join(match.group(1).split()) if match else None


def _headline_kinds(old_title: str | None, new_title: str | None) -> tuple[set[str], dict | None]:
    """``headline_changed``, plus what a new wire prefix means: an update or a correction."""
    if comparable(old_title or "") == comparable(new_title or ""):
        return set(), None
    kinds, headline = {"headline_changed"}, {"old": old_title, "new": new_title}
    old_prefix, new_prefix = wire_prefix(old_title), wire_prefix(new_title)
    if new_prefix and new_prefix != old_prefix:
        headline["wire_prefix"] = {"old": old_prefix, "new": new_prefix}
        if new_prefix.startswith(("UPDATE", "WRAPUP")):
            kinds.add("update_appended")
        elif new_prefix.startswith("CORRECT"):
            kinds.add("correction")
    return kinds, headline


# Capitalised words that open clauses rather than name something, and time words: a story
# retold a day later moves "on Monday" to "on Tuesday" without correcting anything.
_NOT_NAMES = _OPENERS | frozenset(
    """mr mrs ms dr so yet or nor for with from by of to monday tuesday wednesday thursday
    friday saturday sunday january february march april may june july august september
    october november december today yesterday tomorrow""".split()
)


def _facts(sentence: str) -> set[str]:
    """Figures and names in a sentence: what a factual correction changes."""
    facts: set[str] = set()
    for index, word in enumerate(_words(sentence)):
        if word[0].isdigit():
            facts.add(word.replace(",", ""))
        elif index > 0 and word[0].isupper() and word.lower() not in _NOT_NAMES:
            facts.add(word)
    return facts


def is_factual_correction(old_sentence: str, new_sentence: str) -> bool:
    """True when an edit swaps a fact: a figure or name dropped and another put in its place.

    A one-word swap is always one (:func:`is_small_substitution`); a longer rewrite is one
    when it replaces a figure, a place or a name, and only ``edited`` when it keeps the same
    facts in other words, or only adds new ones.
    """
    if is_small_substitution(old_sentence, new_sentence):
        return True
    old_facts, new_facts = _facts(old_sentence), _facts(new_sentence)
    return bool(old_facts - new_facts) and bool(new_facts - old_facts)


def _appended(al: _Alignment) -> list[_Sentence]:
    """Added paragraphs after the end of the text the reader had (a closing credit aside)."""
    added = set(al.added)
    signoff = {s.paragraph for s in al.new if s.first_in_paragraph and _starts_with(_SIGNOFF, s.text)}
    kept = [j for j, s in enumerate(al.new) if j not in added and s.paragraph not in signoff]
    if not kept:
        return []  # nothing old left: a rewrite, not an addition at the end
    end = kept[-1]
    return [al.new[j] for j in al.added if j > end and al.new[j].first_in_paragraph
            and al.new[j].paragraph not in signoff and al.new[j].paragraph != al.new[end].paragraph]


def _paragraph_deleted(al: _Alignment) -> bool:
    """True when the removed sentences make up a whole old paragraph.

    Compared by text, not by position: when the deleted paragraph shares a sentence with a
    neighbour ("... told reporters that a decision was expected within weeks."), the
    alignment may keep the deleted paragraph's copy and remove the neighbour's; either way
    one whole paragraph's worth of text is gone.
    """
    removed = Counter(al.old[i].key for i in al.removed)
    by_paragraph: dict[int, Counter[str]] = {}
    for s in al.old:
        by_paragraph.setdefault(s.paragraph, Counter())[s.key] += 1
    return bool(removed) and any(not (keys - removed) for keys in by_paragraph.values())


def compare_versions(old: VersionContent, new: VersionContent) -> ChangeRecord:
    """Compute the change record from ``old`` to ``new`` (pure; never touches storage)."""
    kinds, headline = _headline_kinds(old.title, new.title)
    if comparable(old.byline or "") != comparable(new.byline or ""):
        kinds.add("byline_changed")
    if _dates_differ(old.published, new.published) or _dates_differ(old.modified, new.modified):
        kinds.add("dates_changed")

    al = _align(old.paragraphs, new.paragraphs)
    added = [al.new[j] for j in al.added]
    if added:
        kinds.add("added")
    if al.removed:
        kinds.add("deleted")
    if al.edited:
        kinds.add("edited")
    if al.moved:
        kinds.add("moved")

    for s in added:
        if s.first_in_paragraph and _starts_with(_UPDATE_MARKER, s.text):
            kinds.add("update_appended")
        if s.first_in_paragraph and _starts_with(_LATEST_MARKER, s.text):
            kinds.add("latest_line")
        if _starts_with(_CORRECTION_NOTE, s.text):
            kinds.add("correction")
    if any(not _starts_with(_CORRECTION_NOTE, s.text) and not _starts_with(_LATEST_MARKER, s.text)
           for s in _appended(al)):
        kinds.add("update_appended")  # a paragraph after the published end, marker or not
    for i, j in al.edited:
        if is_factual_correction(al.old[i].text, al.new[j].text):
            kinds.add("correction")
        if al.new[j].first_in_paragraph and _starts_with(_LATEST_MARKER, al.new[j].text):
            kinds.add("latest_line")  # a "LATEST:" line rewritten in place is a new one

    if _paragraph_deleted(al):
        kinds.add("paragraph_deleted")

    return ChangeRecord(
        kinds=sorted(kinds),
        added=[s.text for s in added],
        removed=[al.old[i].text for i in al.removed],
        edited=[{"old": al.old[i].text, "new": al.new[j].text} for i, j in al.edited],
        moved=[al.new[j].text for _, j in al.moved],
        headline=headline,
    )
