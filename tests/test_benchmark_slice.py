"""A slice of the public extraction benchmark, run in every test session as a regression guard.

The full benchmark is ``python -m bench.extraction PATH`` (docs/BENCHMARK-extraction.md).
On this slice the generic path measured F1 0.985 (plain trafilatura 0.959) on 2026-11-22;
the floor leaves room for library updates, not for regressions of our own.
"""

from __future__ import annotations

from pathlib import Path

from bench.extraction import evaluate
from bench.shingles import aggregate, page_scores

SLICE = Path(__file__).parent / "fixtures" / "benchmark_slice"
FLOOR_F1 = 0.97


def test_generic_extraction_keeps_its_quality_on_the_benchmark_slice():
    outcome = evaluate(SLICE, workers=1)
    ours = outcome["results"]["defense-news-archive (generic path)"]["metrics"]
    plain = outcome["results"]["trafilatura.extract (plain)"]["metrics"]
    assert outcome["pages"] == 12
    assert ours["f1"] >= FLOOR_F1, ours
    assert ours["f1"] > plain["f1"], (ours, plain)


def test_the_metric_is_the_benchmarks():
    # Identical texts score 1; disjoint ones 0; shingles are multisets of 4-word windows.
    assert page_scores("a b c d e", "a b c d e") == (1.0, 0.0, 0.0)
    assert page_scores("a b c d", "w x y z") == (0.0, 0.5, 0.5)
    metrics = aggregate([page_scores("a b c d e f", "a b c d"), page_scores("p q r s", "p q r s")])
    assert round(metrics["precision"], 3) == 1.0 and round(metrics["recall"], 3) == 0.667
