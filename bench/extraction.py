"""Body text on the public article-extraction benchmark, beside plain trafilatura in the same run.

    python -m bench.extraction ../shared/corpus/article-extraction-benchmark [--limit N]

Measures our generic path (``extract_article`` without outlet rules) and plain
``trafilatura.extract(html, include_comments=False)`` (the benchmark's own
trafilatura runner) on the same pages, with the benchmark's metric
(``bench/shingles.py``), and writes ``docs/BENCHMARK-extraction.md``.
"""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

from bench.common import header, quality_benchmark_main, run_pool
from bench.shingles import _precision, _recall, aggregate, page_scores

TARGET_F1 = 0.970


def load_page(root: Path, key: str) -> str:
    with gzip.open(root / "html" / f"{key}.html.gz", "rt", encoding="utf8") as handle:
        return handle.read()


def plain_trafilatura(job: tuple[Path, str, str]) -> str | None:
    import trafilatura

    root, key, _ = job
    return trafilatura.extract(load_page(root, key), include_comments=False)


def ours(job: tuple[Path, str, str]) -> str | None:
    from crawler.extraction import extract_article

    root, key, url = job
    result = extract_article(load_page(root, key), url=url)
    return result.fields.text if result.fields is not None else None


def evaluate(root: Path, limit: int | None = None, workers: int = 2) -> dict:
    truth = json.loads((root / "ground-truth.json").read_text(encoding="utf-8"))
    keys = sorted(truth)[:limit] if limit else sorted(truth)
    jobs = [(root, key, truth[key]["url"]) for key in keys]
    results = {}
    for name, function in (
        ("trafilatura.extract (plain)", plain_trafilatura),
        ("defense-news-archive (generic path)", ours),
    ):
        texts = run_pool(function, jobs, workers, name)
        scores = [page_scores(truth[k]["articleBody"], t) for k, t in zip(keys, texts, strict=True)]
        results[name] = {"metrics": aggregate(scores), "pages": {k: s for k, s in zip(keys, scores, strict=True)}}
    return {"pages": len(keys), "results": results}


def report(outcome: dict, command: str) -> str:
    lines = header("Body text: article-extraction benchmark", command)
    lines += [
        f"{outcome['pages']} real article pages with ground truth (scrapinghub/article-extraction-benchmark).",
        "Metric: precision and recall over word 4-shingles averaged over pages, F1 of the averages (the benchmark's own).",
        "",
        "| extractor | precision | recall | F1 |",
        "|---|---|---|---|",
    ]
    for name, result in outcome["results"].items():
        m = result["metrics"]
        lines.append(f"| {name} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} |")
    ours_f1 = list(outcome["results"].values())[-1]["metrics"]["f1"]
    verdict = "met" if ours_f1 >= TARGET_F1 else "NOT met"
    lines += ["", f"Target F1 ≥ {TARGET_F1:.3f} on the generic path: **{verdict}** ({ours_f1:.4f})."]
    worst = sorted(
        list(outcome["results"].values())[-1]["pages"].items(), key=lambda kv: _precision(*kv[1]) + _recall(*kv[1])
    )[:10]
    lines += ["", "Weakest pages of the generic path (precision / recall):", ""]
    lines += [f"- `{key[:12]}…` {_precision(*s):.2f} / {_recall(*s):.2f}" for key, s in worst]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    return quality_benchmark_main(
        "bench.extraction",
        __doc__,
        "the benchmark folder (ground-truth.json and html/)",
        "docs/BENCHMARK-extraction.md",
        evaluate,
        report,
        argv,
    )


if __name__ == "__main__":
    sys.exit(main())
