"""Speed and memory, measured side by side in one run on this machine.

    python -m bench.speed ../shared/corpus/article-extraction-benchmark [--n 1000] [--rss 1000,5000]

A loopback server (its own process) serves N outlet-like pages built from the real
benchmark pages (cycled, each under its own URL, gzip-encoded like a real site) behind
a feed and a sitemap. The same crawl is then run in configurations that add one cost at a
time, and the archive it wrote is replayed and re-extracted:

- bare Scrapy crawl (no capture, no extraction)
- capture only (WARC files)
- full pipeline (capture, extraction, items, text files)
- ``scrapy extract`` over the full run's WARC, beside a plain single-process loop of
  ``trafilatura.extract`` over the same pages
- replay of that WARC, extraction off and on
- peak RSS of the full pipeline's process tree (crawler and extraction workers) at each N of --rss

Ratios, not absolute speeds, are the result (the machine is shared); the table goes to
``docs/BENCHMARKS.md`` with the versions, machine and date.
"""

from __future__ import annotations

import argparse
import gzip
import http.server
import json
import multiprocessing
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from tqdm import tqdm

from bench.common import header, proc_bytes, process_tree

PROJECT = Path(__file__).resolve().parents[1]
TARGETS = {
    "full_vs_trafilatura": 1.5,
    "capture_vs_bare": 0.85,
    "extract_vs_trafilatura": 1.7,
    "replay_off_vs_bare": 1.0,
}
RSS_LIMIT_MB = 300
COMMON = [
    "-s",
    "CONCURRENT_REQUESTS=32",
    "-s",
    "CONCURRENT_REQUESTS_PER_DOMAIN=32",
    "-s",
    "DOWNLOAD_DELAY=0",
    "-s",
    "AUTOTHROTTLE_ENABLED=False",
    "-s",
    "ROBOTSTXT_OBEY=False",
    "-s",
    "INCREMENTAL_ENABLED=False",
    "-s",
    "LOG_LEVEL=INFO",
    "-s",
    "LOGSTATS_INTERVAL=0",
    "-s",
    "WARC_MAX_SIZE=2000000000",
    # Pages alone, as in every earlier run of this benchmark (their stylesheets and images would be
    # 404s on this loopback site): what requisites cost is measured by bench.requisites.
    "-s",
    "REQUISITES=off",
]


# --------------------------------------------------------------------------- the site
def build_site(source: Path, count: int) -> tuple[dict[str, tuple[bytes, str]], list[str]]:
    """N pages cycled from the benchmark, a sitemap and a feed listing them, gzip bodies."""
    pages = sorted((source / "html").glob("*.html.gz"))
    routes: dict[str, tuple[bytes, str]] = {}
    paths = []
    for index in range(count):
        page = pages[index % len(pages)]
        path = f"/news/{index:06d}/{page.name[:16]}.html"
        routes[path] = (page.read_bytes(), "text/html; charset=utf-8")  # already gzip: served as Content-Encoding
        paths.append(path)
    return routes, paths


def serve(routes: dict, paths: list[str], ready, stop) -> None:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out in separate writes: no 40 ms stalls

        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:
            host = f"http://{self.headers.get('Host')}"
            if self.path == "/sitemap.xml":
                rows = "".join(f"<url><loc>{host}{p}</loc></url>" for p in paths)
                body = (
                    f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{rows}</urlset>'
                )
                return self._send(body.encode(), "application/xml", gzipped=False)
            if self.path == "/feed.xml":
                items = "".join(f"<item><title>{p}</title><link>{host}{p}</link></item>" for p in paths[:50])
                body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>bench</title>{items}</channel></rss>'
                return self._send(body.encode(), "application/rss+xml", gzipped=False)
            route = routes.get(self.path)
            if route is None:
                return self._send(b"not found", "text/plain", status=404, gzipped=False)
            self._send(route[0], route[1], gzipped=True)

        def _send(self, body: bytes, content_type: str, status: int = 200, gzipped: bool = False) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            if gzipped:
                self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    ready.put(server.server_address[1])
    threading.Thread(target=server.serve_forever, daemon=True).start()
    stop.wait()
    server.shutdown()


class LoopbackSite:
    def __init__(self, source: Path, count: int) -> None:
        routes, self.paths = build_site(source, count)
        context = multiprocessing.get_context("spawn")
        self.ready, self.stop = context.Queue(), context.Event()
        self.process = context.Process(target=serve, args=(routes, self.paths, self.ready, self.stop), daemon=True)

    def __enter__(self) -> LoopbackSite:
        self.process.start()
        self.base = f"http://127.0.0.1:{self.ready.get(timeout=60)}"
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.process.join(timeout=10)


# --------------------------------------------------------------------------- measuring
def tree_rss(pid: int) -> int:
    """Memory of a process and all its descendants, in bytes: the sum of their PSS.

    Extraction workers are forked from one preloaded fork server and share most of their
    pages; summing plain RSS would count those pages once per worker. PSS charges each
    shared page to its sharers in proportion, so the sum is the memory the tree really holds
    (RSS where PSS is not available)."""
    total = 0
    for current in process_tree(pid):
        pss = proc_bytes(current, "smaps_rollup", "Pss:")
        total += pss if pss is not None else proc_bytes(current, "status", "VmRSS:") or 0
    return total


def run(args: list[str], watch_rss: bool = False) -> dict:
    """One scrapy command; its wall time, the crawl's own elapsed time, and peak RSS of its tree."""
    env = {**os.environ, "PYTHONPATH": str(PROJECT)}
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "scrapy", *args],
        cwd=PROJECT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    peak = 0
    output: list[str] = []
    reader = threading.Thread(target=lambda: output.extend(process.stdout), daemon=True)
    reader.start()
    while process.poll() is None:
        if watch_rss:
            peak = max(peak, tree_rss(process.pid))
        time.sleep(0.2)
    reader.join(timeout=10)
    process.stdout.close()
    wall = time.perf_counter() - start
    log = "".join(output)
    if process.returncode != 0:
        raise RuntimeError(f"scrapy {' '.join(args[:3])} failed:\n{log[-3000:]}")
    elapsed = re.search(r"'elapsed_time_seconds': ([\d.]+)", log)
    items = re.search(r"'item_scraped_count': (\d+)", log)
    responses = re.search(r"'response_received_count': (\d+)", log)
    return {
        "wall": wall,
        "elapsed": float(elapsed.group(1)) if elapsed else wall,
        "items": int(items.group(1)) if items else 0,
        "responses": int(responses.group(1)) if responses else 0,
        "peak_rss": peak,
        "log": log,
    }


def trafilatura_loop(source: Path, count: int) -> float:
    """Plain single-process trafilatura over the same N pages: seconds."""
    import trafilatura

    pages = sorted((source / "html").glob("*.html.gz"))
    texts = [gzip.decompress(pages[i % len(pages)].read_bytes()).decode("utf-8", "replace") for i in range(count)]
    start = time.perf_counter()
    for html in tqdm(texts, desc="trafilatura loop", unit="page"):
        trafilatura.extract(html, include_comments=False)
    return time.perf_counter() - start


def _loop_part(source: Path, count: int, part: int, parts: int, ready, results) -> None:
    """One process of ``parallel_loop``: every ``parts``-th page from ``part``, timed from the barrier."""
    import trafilatura

    pages = sorted((source / "html").glob("*.html.gz"))
    texts = [
        gzip.decompress(pages[i % len(pages)].read_bytes()).decode("utf-8", "replace")
        for i in range(part, count, parts)
    ]
    ready.wait()
    start = time.perf_counter()
    for html in texts:
        trafilatura.extract(html, include_comments=False)
    results.put((start, time.perf_counter()))


def parallel_loop(source: Path, count: int, processes: int = 2) -> float:
    """The same loop split over ``processes`` processes started together (pages interleaved, so
    each has the same mix): seconds from the first start to the last end. Against
    ``trafilatura_loop`` it is what this machine's cores give plain trafilatura, the ceiling of
    any parallel extraction here."""
    context = multiprocessing.get_context("fork")
    ready = context.Barrier(processes + 1)
    results = context.Queue()
    workers = [
        context.Process(target=_loop_part, args=(source, count, k, processes, ready, results)) for k in range(processes)
    ]
    for worker in workers:
        worker.start()
    ready.wait()
    spans = [results.get() for _ in workers]
    for worker in workers:
        worker.join()
    return max(end for _, end in spans) - min(start for start, _ in spans)


def fastest(runs: list[dict], key: str = "elapsed") -> dict:
    """The fastest of a configuration's runs (the machine is shared: the minimum is the least disturbed)."""
    best = dict(min(runs, key=lambda r: r[key]))
    best["all_elapsed"] = [round(r[key], 2) for r in runs]
    return best


def measure(source: Path, count: int, rss_counts: list[int], workdir: Path, repeat: int = 3) -> dict:
    """Every configuration once per round, rounds repeated: a machine that slows down or speeds
    up during the run weighs on every configuration alike, not on whichever ran last."""
    results: dict = {"n": count, "repeat": repeat}
    runs: dict[str, list[dict]] = {}
    with LoopbackSite(source, count) as site:
        discovery = ["-a", f"url={site.base}/sitemap.xml,{site.base}/feed.xml"]
        configs = {
            "bare": ["-s", "WARC_ENABLED=False", "-s", "EXTRACTION_ENABLED=False", "-s", "TEXT_FILES_ENABLED=False"],
            "capture": ["-s", "EXTRACTION_ENABLED=False", "-s", "TEXT_FILES_ENABLED=False"],
            "full": [],
        }
        warcs = workdir / "full-0" / "warc"
        # A warm-up crawl first, so the first measured configuration pays no cold start.
        run(["crawl", "feed", *discovery, *COMMON, *configs["bare"], "-s", f"ARCHIVE_DIR={workdir / 'warm-up'}"])
        for i in tqdm(range(repeat), desc="rounds", unit="round"):
            for name, extra in configs.items():
                archive = workdir / f"{name}-{i}"
                runs.setdefault(name, []).append(
                    run(["crawl", "feed", *discovery, *COMMON, *extra, "-s", f"ARCHIVE_DIR={archive}"])
                )
                if name != "full" or i > 0:
                    shutil.rmtree(archive, ignore_errors=True)
            out = workdir / "extracted.jsonl"
            outcome = run(["extract", str(warcs), "-o", str(out), "-s", "LOG_LEVEL=WARNING"])
            outcome["elapsed"] = outcome["wall"]
            with open(out, encoding="utf-8") as handle:
                outcome["items"] = sum(1 for _ in handle)
            runs.setdefault("extract", []).append(outcome)
            for name, extra in (("replay_off", ["-s", "EXTRACTION_ENABLED=False"]), ("replay_on", [])):
                archive = workdir / f"{name}-{i}"
                runs.setdefault(name, []).append(
                    run(
                        [
                            "crawl",
                            "feed",
                            *discovery,
                            *COMMON,
                            *extra,
                            "-s",
                            f"REPLAY_WARC={warcs}",
                            "-s",
                            "TEXT_FILES_ENABLED=False",
                            "-s",
                            f"ARCHIVE_DIR={archive}",
                        ]
                    )
                )
                shutil.rmtree(archive, ignore_errors=True)
            loop = trafilatura_loop(source, count)
            runs.setdefault("trafilatura_loop", []).append({"wall": loop, "elapsed": loop})
    for name, outcomes in runs.items():
        results[name] = fastest(outcomes)
    results["rss"] = {}
    for n in rss_counts:
        with LoopbackSite(source, n) as site:
            discovery = ["-a", f"url={site.base}/sitemap.xml"]
            archive = workdir / f"rss-{n}"
            outcome = run(["crawl", "feed", *discovery, *COMMON, "-s", f"ARCHIVE_DIR={archive}"], watch_rss=True)
            results["rss"][n] = {
                "peak_rss": outcome["peak_rss"],
                "items": outcome["items"],
                "elapsed": outcome["elapsed"],
            }
            shutil.rmtree(archive, ignore_errors=True)
    for value in results.values():
        if isinstance(value, dict):
            value.pop("log", None)
    return results


def ratios(results: dict) -> dict[str, float]:
    n = results["n"]
    rate = lambda key: n / results[key]["elapsed"]  # noqa: E731 - pages per second of a crawl
    loop = n / results["trafilatura_loop"]["wall"]
    return {
        "full_vs_trafilatura": rate("full") / loop,
        "capture_vs_bare": rate("capture") / rate("bare"),
        "extract_vs_trafilatura": (n / results["extract"]["wall"]) / loop,
        "replay_off_vs_bare": rate("replay_off") / rate("bare"),
        "replay_on_vs_full": rate("replay_on") / rate("full"),
    }


def report(results: dict, command: str) -> str:
    n = results["n"]
    r = ratios(results)
    lines = header("Speed and memory", command)
    lines += [
        f"N = {n} pages (cycled from the 181 real pages of the article-extraction benchmark, gzip-encoded),",
        "served by a loopback HTTP server in its own process, discovered through a sitemap and a feed.",
        "Crawls: 32 concurrent requests, no politeness delays (the server is ours). Times are the crawl's",
        "own elapsed time (Scrapy's stats); `scrapy extract` and the trafilatura loop are wall-clock.",
        f"After a warm-up crawl, every configuration ran once per round, in {results.get('repeat', 1)} rounds (so a machine "
        "that slows down weighs on all of them alike); the fastest run of each counts.",
        "",
        "| run | seconds | pages/s | items |",
        "|---|---|---|---|",
    ]
    for key, label in (
        ("bare", "bare crawl (no capture, no extraction)"),
        ("capture", "capture only (WARC)"),
        ("full", "full pipeline (capture, extraction, items, text files)"),
        ("extract", "`scrapy extract` over the full run's WARC (wall, incl. start-up)"),
        ("replay_off", "replay of the WARC, extraction off"),
        ("replay_on", "replay of the WARC, extraction on"),
    ):
        seconds = results[key]["wall"] if key == "extract" else results[key]["elapsed"]
        lines.append(f"| {label} | {seconds:.1f} | {n / seconds:.1f} | {results[key].get('items', '')} |")
    loop = results["trafilatura_loop"]["wall"]
    lines.append(f"| plain `trafilatura.extract` loop, one process | {loop:.1f} | {n / loop:.1f} | |")
    lines += ["", "| ratio (same run) | measured | target | |", "|---|---|---|---|"]
    for key, label in (
        ("full_vs_trafilatura", "full pipeline / trafilatura loop"),
        ("capture_vs_bare", "capture only / bare crawl"),
        ("extract_vs_trafilatura", "`scrapy extract` / trafilatura loop"),
        ("replay_off_vs_bare", "replay (extraction off) / bare crawl"),
        ("replay_on_vs_full", "replay (extraction on) / full pipeline"),
    ):
        target = TARGETS.get(key)
        verdict = "" if target is None else ("met" if r[key] >= target else "**NOT met**")
        lines.append(f"| {label} | {r[key]:.2f}× | {f'≥ {target:.2f}×' if target else '–'} | {verdict} |")
    if results["rss"]:
        lines += [
            "",
            "| peak memory (PSS) of the full pipeline's process tree: crawler, fork server, extraction workers | MB | items |",
            "|---|---|---|",
        ]
        by_n = sorted(results["rss"].items(), key=lambda kv: int(kv[0]))
        for n_rss, value in by_n:
            lines.append(f"| N = {n_rss} | {value['peak_rss'] / 2**20:.0f} | {value['items']} |")
        sizes = [v["peak_rss"] / 2**20 for _, v in by_n]
        if len(sizes) >= 2:
            growth = sizes[-1] / sizes[0] - 1
            ok = sizes[-1] <= RSS_LIMIT_MB and growth <= 0.2
            lines.append(
                f"\nTarget: ≤ {RSS_LIMIT_MB} MB at the largest N and within 20% of the smallest: "
                f"{'met' if ok else '**NOT met**'} ({sizes[-1]:.0f} MB, {growth:+.0%})."
            )
    lines += [
        "",
        "What the figures mean, how they vary from run to run on this shared machine, and what was",
        "changed to get them: [`docs/SPEED-NOTES.md`](SPEED-NOTES.md) (kept by hand; this file is regenerated).",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("path", type=Path, help="the article-extraction benchmark folder (its html/ pages)")
    parser.add_argument("--n", type=int, default=1000, help="pages per crawl")
    parser.add_argument(
        "--rss", default="1000,5000", help="N values for the peak-RSS runs (comma-separated; '' for none)"
    )
    parser.add_argument("--output", type=Path, default=Path("docs/BENCHMARKS.md"))
    parser.add_argument("--json", type=Path, help="also write the raw figures as JSON")
    parser.add_argument("--repeat", type=int, default=3, help="runs per configuration; the fastest counts")
    args = parser.parse_args(argv)
    rss_counts = [int(x) for x in args.rss.split(",") if x.strip()]
    with tempfile.TemporaryDirectory(prefix="bench-speed-") as workdir:
        results = measure(args.path, args.n, rss_counts, Path(workdir), args.repeat)
    text = report(results, "python -m bench.speed " + " ".join(argv if argv is not None else sys.argv[1:]))
    print(text)
    if args.output and args.output.name:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text, encoding="utf-8")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
