"""The one rule for "same content": normalisation and the content fingerprint.

A new article version is stored only when the fingerprint changes. The fingerprint
covers what a reader reads (title, byline, paragraphs) after removing differences
that are not edits: whitespace, typographic quotes and dashes, punctuation,
Unicode compatibility forms and mojibake ("encoding artefacts").
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

import ftfy

_TYPOGRAPHY = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
        "\u00ab": '"', "\u00bb": '"', "\u2039": "'", "\u203a": "'",
        "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-",
        "\u2015": "-", "\u2212": "-", "\u00a0": " ", "\u2009": " ", "\u200a": " ",
        "\u202f": " ", "\u2026": "...", "\u00ad": None, "\u200b": None, "\u200c": None,
        "\u200d": None, "\ufeff": None,
    }
)
_SPACE = re.compile(r"\s+")
_NOT_WORD = re.compile(r"[^\w]+")


def clean_text(text: str) -> str:
    """Repair mojibake, fold typography and collapse whitespace; keeps punctuation."""
    text = ftfy.fix_text(text or "", normalization="NFKC")
    text = text.translate(_TYPOGRAPHY)
    return _SPACE.sub(" ", text).strip()


def comparable(text: str) -> str:
    """Words only, for equality tests that must ignore punctuation-only changes."""
    return _SPACE.sub(" ", _NOT_WORD.sub(" ", clean_text(text))).strip()


def fingerprint(title: str | None, byline: str | None, paragraphs: Iterable[str]) -> str:
    """A stable hex digest of the reader-visible content of an article version."""
    parts = [comparable(title or ""), comparable(byline or ""), comparable(" ".join(paragraphs))]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
