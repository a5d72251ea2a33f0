"""A fast, non-timed run of the speed benchmark on a dozen pages, so the command cannot rot.

The real run is ``python -m bench.speed PATH`` (docs/BENCHMARKS.md); no speed is asserted here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.speed import measure, ratios, report

pytestmark = pytest.mark.slow  # starts scrapy crawl processes

SLICE = Path(__file__).parent / "fixtures" / "benchmark_slice"


def test_speed_benchmark_runs_end_to_end(tmp_path):
    results = measure(SLICE, 12, [12], tmp_path, repeat=1)
    assert results["full"]["items"] == 12 and results["extract"]["items"] == 12
    assert results["replay_on"]["items"] == 12 and results["replay_off"]["items"] == 0
    assert results["bare"]["responses"] >= 12 and results["rss"][12]["peak_rss"] > 10 * 2**20
    assert set(ratios(results)) >= {
        "full_vs_trafilatura",
        "capture_vs_bare",
        "extract_vs_trafilatura",
        "replay_off_vs_bare",
    }
    text = report(results, "python -m bench.speed (smoke)")
    assert "| full pipeline / trafilatura loop |" in text and "peak memory (PSS)" in text
