"""A slice of the fundus metadata benchmark, run in every test session as a regression guard.

14 real pages with fundus' expected values (``tests/fixtures/fundus_slice``, made by its
``make_slice.py``; MIT, flairNLP/fundus). The full benchmark is ``python -m bench.metadata PATH``
(docs/BENCHMARK-metadata.md). Measured on 2026-11-22: title 9/14, date 14/14, authors 10/14
(plain trafilatura: 8, 13, 7). The floors are those counts: a rule that breaks a page it was
written for, or any other, fails here.
"""

from __future__ import annotations

from pathlib import Path

from bench.metadata import evaluate

SLICE = Path(__file__).parent / "fixtures" / "fundus_slice"


def test_metadata_keeps_its_quality_on_the_fundus_slice():
    outcome = evaluate(SLICE, workers=1)
    assert outcome["pages"] == outcome["counted"] == 14
    ours = outcome["results"]["defense-news-archive"]
    plain = outcome["results"]["trafilatura.bare_extraction (plain)"]
    counts = {field: round(rate * 14) for field, rate in ours["rates"].items()}
    assert counts["title"] >= 9 and counts["date"] == 14 and counts["authors"] >= 10, ours["misses"]
    assert all(ours["rates"][f] >= plain["rates"][f] for f in ("title", "date", "authors"))
    # The pages today's rules were written for.
    missed = {field: {page for page, _, _ in misses} for field, misses in ours["misses"].items()}
    assert not {"de/BoersenZeitung_2024_10_23.html", "ca/OttawaCitizen_2026_05_26.html"} & missed["title"]
    assert not {"de/Correctiv_2026_05_24.html", "de/Stern_2024_11_05.html", "de/MDR_2026_07_08.html",
                "uk/Express_2024_07_18.html"} & missed["authors"]
