"""The 15-page extraction corpus (benchmarks/extraction) as a regression test.

Each page must keep the token F1 it has today (within 0.01): a change that helps the
public benchmark must not quietly cost the hand-written news templates.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import bench_extraction  # noqa: E402

FLOORS = {  # token F1 per page when this test was written
    "amp_article": 1.0, "bignews_jsonld": 0.994, "breaking_short": 1.0,
    "comments_section": 1.0, "correction_table": 1.0, "explainer_lists": 1.0,
    "german_article": 1.0, "icon_counters_latest": 1.0, "liveblog_updates": 0.946,
    "opinion_column": 0.952, "paywall_teaser": 1.0, "sidebar_related_inside": 1.0,
    "spanish_article": 0.959, "wire_syndicated": 0.928, "wp_local_news": 1.0,
}


def test_corpus_is_complete() -> None:
    assert {p.stem for p in bench_extraction.CORPUS.glob("*.html")} == set(FLOORS)


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_page_keeps_its_score(name: str) -> None:
    page = bench_extraction.CORPUS / f"{name}.html"
    gold = bench_extraction.tokens(page.with_suffix(".txt").read_text(encoding="utf-8"))
    got = bench_extraction.tokens(
        bench_extraction.ours(page.read_bytes(), f"https://bench.example/{name}"))
    tp = sum((gold & got).values())
    f1 = bench_extraction.prf(tp, sum(got.values()), sum(gold.values()))[2]
    assert f1 >= FLOORS[name] - 0.01
