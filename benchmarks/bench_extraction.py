"""Main-text extraction quality: newsarchive.extract vs trafilatura baselines.

Corpus: benchmarks/extraction/<name>.html with the hand-written expected main text
in <name>.txt. Scores are token-level precision/recall/F1 over bags of word tokens,
micro-averaged over the corpus and as a mean per page. Run:

    python benchmarks/bench_extraction.py [-v]
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import trafilatura

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from newsarchive.extract import ExtractionError, extract_article  # noqa: E402

CORPUS = Path(__file__).parent / "extraction"
TOKEN = re.compile(r"\w+", re.UNICODE)


def tokens(text: str) -> Counter[str]:
    return Counter(t.casefold() for t in TOKEN.findall(text))


def ours(html: bytes, url: str) -> str:
    try:
        return extract_article(html, url)["text"]
    except ExtractionError:
        return ""


def trafilatura_with(**options: bool) -> Callable[[bytes, str], str]:
    def run(html: bytes, url: str) -> str:
        return trafilatura.extract(html, url=url, include_comments=False, **options) or ""

    return run


SYSTEMS: dict[str, Callable[[bytes, str], str]] = {
    "newsarchive.extract": ours,
    "trafilatura default": trafilatura_with(),
    "trafilatura favor_precision": trafilatura_with(favor_precision=True),
    "trafilatura favor_recall": trafilatura_with(favor_recall=True),
}


def prf(tp: int, predicted: int, expected: int) -> tuple[float, float, float]:
    precision = tp / predicted if predicted else 0.0
    recall = tp / expected if expected else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def evaluate(system: Callable[[bytes, str], str], verbose: bool = False) -> dict[str, float]:
    tp_sum = pred_sum = gold_sum = 0
    per_page: list[tuple[float, float, float]] = []
    for html_path in sorted(CORPUS.glob("*.html")):
        gold = tokens(html_path.with_suffix(".txt").read_text(encoding="utf-8"))
        predicted = tokens(system(html_path.read_bytes(), f"https://bench.example/{html_path.stem}"))
        tp = sum((gold & predicted).values())
        scores = prf(tp, sum(predicted.values()), sum(gold.values()))
        per_page.append(scores)
        tp_sum, pred_sum, gold_sum = (
            tp_sum + tp, pred_sum + sum(predicted.values()), gold_sum + sum(gold.values())
        )
        if verbose:
            print(f"    {html_path.stem:28} P={scores[0]:.3f} R={scores[1]:.3f} F1={scores[2]:.3f}")
    micro = prf(tp_sum, pred_sum, gold_sum)
    mean = tuple(sum(s[i] for s in per_page) / len(per_page) for i in range(3))
    return dict(zip(("P", "R", "F1", "mean P", "mean R", "mean F1"), (*micro, *mean), strict=True))


def main() -> None:
    verbose = "-v" in sys.argv
    pages = len(list(CORPUS.glob("*.html")))
    results = {}
    for name, system in SYSTEMS.items():
        if verbose:
            print(name)
        results[name] = evaluate(system, verbose)
    print(f"\nToken-level scores on {pages} pages (micro = pooled tokens; mean = per-page average)\n")
    columns = ("P", "R", "F1", "mean P", "mean R", "mean F1")
    print(f"{'system':30}" + "".join(f"{c:>9}" for c in columns))
    for name, scores in results.items():
        print(f"{name:30}" + "".join(f"{scores[c]:9.3f}" for c in columns))
    best_name = max((n for n in results if n.startswith("trafilatura")), key=lambda n: results[n]["F1"])
    ratio = results["newsarchive.extract"]["F1"] / results[best_name]["F1"]
    mean_ratio = results["newsarchive.extract"]["mean F1"] / max(
        r["mean F1"] for n, r in results.items() if n.startswith("trafilatura")
    )
    print(f"\nours / best trafilatura ({best_name}): micro F1 ratio {ratio:.3f}, "
          f"mean F1 ratio {mean_ratio:.3f}")


if __name__ == "__main__":
    main()
