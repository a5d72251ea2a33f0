"""What page requisites cost a crawl: requests per article, and pages/s beside requisites off.

    python -m bench.requisites [--articles 200] [--rounds 2]

A loopback site of N article pages that share one stylesheet set (a stylesheet importing a
second one, a web font, a background image, a logo, a script, a favicon), each with its own lead
image, announced by one feed. The same crawl (``scrapy crawl feed``, politeness off: the site is
ours) runs with ``REQUISITES=articles`` and ``REQUISITES=off``, interleaved in rounds on this
shared machine, and the figures are read from the crawl's own stats. Writes
``docs/BENCHMARK-requisites.md``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from pathlib import Path

from bench.common import header

SHARED = {
    "/css/main.css": ("text/css", b"@import url('fonts.css');\nh1 { color: #a00; }\n"),
    "/css/fonts.css": (
        "text/css",
        b"@font-face { font-family: A; src: url(../fonts/a.woff2) format('woff2'); }\n"
        b"body { background: url(../img/paper.png); }\n",
    ),
    "/fonts/a.woff2": ("font/woff2", b"wOF2" + bytes(20_000)),
    "/img/paper.png": ("image/png", bytes(2_000)),
    "/img/logo.svg": ("image/svg+xml", b"<svg xmlns='http://www.w3.org/2000/svg' width='10' height='10'/>"),
    "/js/main.js": ("application/javascript", b"void 0;\n" * 500),
    "/favicon.ico": ("image/x-icon", bytes(1_000)),
}


def page(i: int) -> str:
    body = "".join(
        f"<p>Paragraph {n} of article {i} about the exercise near the border, in full.</p>" for n in range(15)
    )
    return (
        f"<!DOCTYPE html><html><head><title>Article {i}</title><link rel='stylesheet' href='/css/main.css'>"
        f"<link rel='icon' href='/favicon.ico'></head><body><img src='/img/logo.svg'><article><h1>Article {i}</h1>"
        f"<img src='/img/lead-{i}.jpg'>{body}</article><script src='/js/main.js'></script></body></html>"
    )


def serve(articles: int):
    from pytest_httpserver import HTTPServer
    from werkzeug import Request, Response

    server = HTTPServer(host="127.0.0.1")
    server.start()
    base = server.url_for("/").rstrip("/")

    def handler(request: Request) -> Response:
        path = request.path
        if path == "/feed.xml":
            items = "".join(f"<item><title>A {i}</title><link>{base}/news/{i}</link></item>" for i in range(articles))
            return Response(
                f"<rss version='2.0'><channel><title>B</title>{items}</channel></rss>",
                content_type="application/rss+xml",
            )
        if path.startswith("/news/"):
            return Response(page(int(path.rsplit("/", 1)[1])), content_type="text/html; charset=utf-8")
        if path.startswith("/img/lead-"):
            return Response(bytes(30_000), content_type="image/jpeg")
        if path in SHARED:
            content_type, data = SHARED[path]
            return Response(data, content_type=content_type)
        return Response("", status=404)

    server.expect_request("").respond_with_handler(handler)
    return server, base


def crawl(base: str, requisites: str, work: Path) -> dict:
    from tests.support.run import scrapy

    archive = Path(tempfile.mkdtemp(dir=work))
    started = time.monotonic()
    run = scrapy(
        "crawl",
        "feed",
        "-a",
        f"url={base}/feed.xml",
        "-s",
        f"REQUISITES={requisites}",
        "-s",
        "LOGSTATS_INTERVAL=0",
        archive=archive,
        timeout=1800,
    )
    elapsed = time.monotonic() - started
    if run.returncode != 0:
        raise SystemExit(f"crawl failed ({requisites}):\n{run.log[-3000:]}")

    def stat(name: str) -> int:
        match = re.search(rf"'{re.escape(name)}': (\d+)", run.log)
        return int(match.group(1)) if match else 0

    return {
        "seconds": elapsed,
        "requests": stat("downloader/request_count"),
        "articles": stat("item_scraped_count"),
        "requisites": stat("requisites/requested"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--output", type=Path, default=Path("docs/BENCHMARK-requisites.md"))
    args = parser.parse_args(argv)
    server, base = serve(args.articles)
    runs: dict[str, list[dict]] = {"articles": [], "off": []}
    try:
        with tempfile.TemporaryDirectory() as work:
            for _ in range(args.rounds):
                for mode in ("off", "articles"):
                    runs[mode].append(crawl(base, mode, Path(work)))
                    print(mode, runs[mode][-1], file=sys.stderr)
    finally:
        server.stop()
    n = args.articles
    on, off = runs["articles"], runs["off"]
    best_on, best_off = min(r["seconds"] for r in on), min(r["seconds"] for r in off)
    shared = len(SHARED)
    extra = on[0]["requests"] - off[0]["requests"]
    lines = header(
        "Page requisites: requests and speed", "python -m bench.requisites " + " ".join(argv or sys.argv[1:])
    )
    lines += [
        f"{n} article pages sharing one stylesheet set ({shared} files: 2 stylesheets, a font, a background "
        "image, a logo, a script, a favicon), each with its own lead image; one feed; `scrapy crawl feed`, "
        f"politeness off (loopback); {args.rounds} rounds, requisites off and on interleaved.",
        "",
        "| | requisites off | requisites on |",
        "|---|---|---|",
        f"| requests (all) | {off[0]['requests']} | {on[0]['requests']} |",
        f"| requisite requests sent | 0 | {extra} |",
        f"| requisite requests yielded (before Scrapy's duplicate filter) | 0 | {on[0]['requisites']} |",
        f"| requests per article | {off[0]['requests'] / n:.2f} | {on[0]['requests'] / n:.2f} |",
        f"| best crawl time (s) | {best_off:.1f} | {best_on:.1f} |",
        f"| pages/s (articles) | {n / best_off:.1f} | {n / best_on:.1f} |",
        "",
        f"- Requisites add {extra / n:.2f} requests per article: the shared set ({shared} files) is fetched once, "
        f"for the first page ({(extra - n) / n:.3f} per article over the crawl); after it, each article adds only "
        "its own lead image.",
        f"- Crawl time with requisites / without: {best_on / best_off:.2f}x (best of {args.rounds} each) for "
        f"{on[0]['requests'] / off[0]['requests']:.2f}x the requests: every requisite is a request through the "
        "same downloader and capture as a page, so the time follows the request count.",
        "",
        "All runs: " + json.dumps(runs),
        "",
    ]
    text = "\n".join(lines)
    print(text)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
