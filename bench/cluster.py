"""Pages per second of 1, 2 and 3 workers sharing one frontier, side by side in one run.

    python -m bench.cluster [--pages 600] [--polite-pages 300] [--output docs/BENCHMARK-cluster.md]

A real Redis (Debian's redis-server) and a loopback Moscow Times site of N articles
(``tests/support/cluster_site.py``: the fixture's page template under N URLs, a threaded
server that counts how many requests it answered at once). Each configuration is a fresh run
under its own key prefix; the rate is the site's: requests answered divided by the time from the
first to the last (start-up, which differs by worker count, left out). Capture only (WARC files;
extraction, text files, catalogue, stories, state and requisites off), so the figures are the
crawl's and the frontier's, not the extraction's (bench.speed and bench.reextract measure that).

- **alone**: one ``scrapy crawl``, no frontier: Scrapy's own scheduler, the baseline;
- **politeness off**: ``FRONTIER_URL`` with ``FRONTIER_SITE_SLOTS=False`` and 8 requests per
  site per worker: what the shared queue, duplicate filter and leases cost, and what more
  workers buy when the site does not limit them;
- **politeness on**: the cluster's site slot with a 0.05 s delay per site: the rate must stay
  flat as workers are added (one request at a time for the whole cluster).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.common import header
from tests.support.cluster_site import ClusterSite
from tests.support.redis_server import redis_server
from tests.support.run import ENV, PROJECT, command

CAPTURE_ONLY = [
    f"{name}={value}"
    for name, value in {
        "EXTRACTION_ENABLED": False,
        "TEXT_FILES_ENABLED": False,
        "CATALOG_ENABLED": False,
        "STORIES_ENABLED": False,
        "INCREMENTAL_ENABLED": False,
        "REQUISITES": "off",
        "AUTOTHROTTLE_ENABLED": False,
        "LOGSTATS_INTERVAL": 0,
    }.items()
]
OFF = ["FRONTIER_SITE_SLOTS=False", "CONCURRENT_REQUESTS_PER_DOMAIN=8", "DOWNLOAD_DELAY=0"]
ON = ["FRONTIER_SITE_SLOTS=True", "DOWNLOAD_DELAY=0.05", "RANDOMIZE_DOWNLOAD_DELAY=False"]
#: Flat within this (total rate of 2 and 3 workers against 1, politeness on).
FLAT = 0.15


def one_run(pages: int, workers: int, settings: list[str], redis_url: str | None, prefix: str, work: Path) -> dict:
    with ClusterSite(pages, latency=0.005) as site:
        procs = []
        for n in range(workers):
            extra = [f"WORKER_ID={prefix}-{n}", f"FRONTIER_PREFIX={prefix}", *CAPTURE_ONLY, *settings]
            if redis_url:
                extra.append(f"FRONTIER_URL={redis_url}")
            # The tests' loopback settings first (politeness off, loopback resolver), then these:
            # a later -s wins.
            line = command("crawl", "moscowtimes", "-a", f"site={site.base}", archive=work / f"{prefix}-{n}")
            line += [arg for setting in extra for arg in ("-s", setting)]
            with open(work / f"{prefix}-{n}.log", "w") as log:
                procs.append(subprocess.Popen(line, cwd=PROJECT, env=ENV, stdout=log, stderr=subprocess.STDOUT))
        codes = [proc.wait(timeout=900) for proc in procs]
        arrivals = sorted(t for t, _ in site.arrivals)
        articles = set(site.article_paths())
        fetched = sum(n for path, n in site.hits.items() if path in articles)
    if codes != [0] * workers:
        raise SystemExit(f"{prefix}: exit codes {codes}; see {work}/{prefix}-*.log")
    span = arrivals[-1] - arrivals[0]
    return {
        "workers": workers,
        "requests": len(arrivals),
        "articles": fetched,
        "seconds": round(span, 2),
        "rate": (len(arrivals) - 1) / span,
        "max_active": site.max_active,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=600)
    parser.add_argument("--polite-pages", type=int, default=300)
    parser.add_argument("--output", type=Path, default=PROJECT / "docs" / "BENCHMARK-cluster.md")
    args = parser.parse_args(argv)
    results: dict[str, list[dict]] = {"alone": [], "off": [], "on": []}
    with tempfile.TemporaryDirectory(prefix="bench-cluster-") as tmp:
        work = Path(tmp)
        with redis_server(work / "redis") as url:
            print("alone ...", file=sys.stderr)
            results["alone"].append(one_run(args.pages, 1, OFF[1:], None, "alone", work))
            for mode, pages, settings in (("off", args.pages, OFF), ("on", args.polite_pages, ON)):
                for workers in (1, 2, 3):
                    print(f"politeness {mode}, {workers} workers ...", file=sys.stderr)
                    results[mode].append(one_run(pages, workers, settings, url, f"{mode}{workers}", work))
    lines = report(results, args)
    args.output.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return 0


def report(results: dict[str, list[dict]], args) -> list[str]:
    lines = header(
        "Several workers, one frontier",
        f"python -m bench.cluster --pages {args.pages} --polite-pages {args.polite_pages}",
    )
    lines += [
        "Capture only, one loopback site (5 ms per answer), one real Redis, all on these 2 cores; rates are"
        " the site's (requests answered / time from first to last).",
        "",
        "| configuration | workers | requests | articles fetched | seconds | requests/s | vs one worker | most at once at the site |",
        "|---|---|---|---|---|---|---|---|",
    ]
    alone = results["alone"][0]
    for name, label in (
        ("alone", "alone (no frontier)"),
        ("off", "frontier, politeness off"),
        ("on", "frontier, politeness on (0.05 s)"),
    ):
        base = results[name][0]["rate"]
        for r in results[name]:
            lines.append(
                f"| {label} | {r['workers']} | {r['requests']} | {r['articles']} | {r['seconds']} | {r['rate']:.1f}"
                f" | {r['rate'] / base:.2f}× | {r['max_active']} |"
            )
    off1, on = results["off"][0], results["on"]
    overhead = off1["rate"] / alone["rate"]
    spread = max(abs(r["rate"] / on[0]["rate"] - 1) for r in on[1:])
    flat = spread <= FLAT and all(r["max_active"] == 1 for r in on)
    lines += [
        "",
        f"The frontier's own cost (one worker, politeness off, against Scrapy's own scheduler): {overhead:.2f}× the rate.",
        f"Politeness on, total rate flat from 1 to 3 workers (within {FLAT:.0%}) with one request at a time at the site:"
        f" **{'met' if flat else 'not met'}** (largest difference {spread:.0%};"
        f" most at once {max(r['max_active'] for r in on)}).",
        "Every article fetched once in every configuration: "
        f"**{'yes' if all(r['articles'] == (args.pages if n != 'on' else args.polite_pages) for n in results for r in results[n]) else 'no'}**.",
    ]
    return lines


if __name__ == "__main__":
    raise SystemExit(main())
