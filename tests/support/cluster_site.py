"""A Moscow Times site of many articles on loopback, for the cluster tests and benchmark.

Every page is the fixture article ``pages/a87242.html`` (the outlet's template: header,
navigation, sidebar, related articles, footer, its stylesheet, fonts and images) under its own
URL, headline and id, with a paragraph of its own so that no two texts are the same; the
sitemap index lists two monthly sitemaps of them, the eight feeds the newest twenty (as the real
feeds overlap the sitemaps), robots.txt and the static files are the fixture's.

The server is threaded, so requests sent together are answered together, and it counts: how
many requests were being answered at once at most (per site: the whole server is one host), and
how many times each path was asked for, and when each request came. It can ask for a
Crawl-delay in robots.txt, answer a path once with 429 and a Retry-After, or once torn
(half its body, then the connection closed).
"""

from __future__ import annotations

import gzip
import threading
import time
from collections import Counter
from datetime import date, timedelta
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.support.moscowtimes_site import FEEDS, FIXTURES, static_assets

TEMPLATE_PATH = "/2024/12/05/russia-us-army-chiefs-hold-rare-call-amid-ukraine-escalation-a87242"
TEMPLATE_TITLE = "Russia, U.S. Army Chiefs Hold Rare Call Amid Ukraine Escalation"
ORIGINS = ("https://www.themoscowtimes.com", "https://static.themoscowtimes.com")
FIRST_PARAGRAPH = "<p>The Russian and U.S. army chiefs held a rare phone call last week"


class ClusterSite:
    def __init__(self, count: int = 500, latency: float = 0.0, crawl_delay: float | None = None) -> None:
        self.count = count
        #: Seconds each answer takes (a site farther away than loopback).
        self.latency = latency
        #: robots.txt's Crawl-delay for every user agent (None: the fixture's robots.txt as it is).
        self.crawl_delay = crawl_delay
        #: path -> seconds: answered once with 429 and that Retry-After, then as usual.
        self.busy_once: dict[str, int] = {}
        #: paths answered once with half their body and the connection closed (a torn transfer).
        self.torn_once: set[str] = set()
        #: (monotonic time, path) of every request as it came in.
        self.arrivals: list[tuple[float, str]] = []
        self.template = (FIXTURES / "pages" / "a87242.html").read_text(encoding="utf-8")
        self.static = {path: (file.read_bytes(), kind) for path, file, kind in static_assets()}
        self.lock = threading.Lock()
        self.active = 0
        self.max_active = 0
        self.hits: Counter[str] = Counter()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> ClusterSite:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- the site -----------------------------------------------------------------
    def article_path(self, n: int) -> str:
        day = date(2024, 11, 1) + timedelta(days=n % 60)
        return f"/{day:%Y/%m/%d}/cluster-report-number-{n}-on-the-front-a{90000 + n}"

    def article_paths(self) -> list[str]:
        return [self.article_path(n) for n in range(self.count)]

    def _article(self, n: int) -> bytes:
        title = f"Cluster Report Number {n} on the Front"
        page = self.template.replace(TEMPLATE_PATH, self.article_path(n)).replace(TEMPLATE_TITLE, title)
        page = page.replace(
            FIRST_PARAGRAPH,
            f"<p>Report {n}: the {n}th dispatch of this series, filed from the front line.</p>\n{FIRST_PARAGRAPH}",
            1,
        )
        return self._local(page.encode("utf-8"))

    def _local(self, data: bytes) -> bytes:
        for origin in ORIGINS:
            data = data.replace(origin.encode(), self.base.encode())
        return data

    def _sitemap(self, month: str) -> bytes:
        urls = "".join(f"<url><loc>{self.base}{p}</loc></url>\n" for p in self.article_paths() if p[1:8] == month)
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
            f"{urls}</urlset>\n"
        ).encode()

    def _index(self) -> bytes:
        months = sorted({p[1:8] for p in self.article_paths()})
        entries = "".join(
            f"<sitemap><loc>{self.base}/sitemap/{m.replace('/', '-')}.xml</loc></sitemap>\n" for m in months
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
            f"{entries}</sitemapindex>\n"
        ).encode()

    def _feed(self, name: str) -> bytes:
        items = "".join(
            f"<item><title>Cluster Report Number {n} on the Front</title><link>{self.base}{self.article_path(n)}</link>"
            f"<pubDate>{formatdate(1733400000 + n * 60)}</pubDate></item>\n"
            for n in range(max(0, self.count - 20), self.count)
        )
        return (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel><title>The Moscow Times - {name}</title>'
            f"<link>{self.base}</link>\n{items}</channel></rss>\n"
        ).encode()

    def answer(self, path: str) -> tuple[int, bytes, str]:
        html = "text/html; charset=UTF-8"
        if path == "/robots.txt":
            robots = self._local((FIXTURES / "robots.txt").read_bytes())
            if self.crawl_delay is not None:
                robots = robots.replace(
                    b"User-agent: *\n", f"User-agent: *\nCrawl-delay: {self.crawl_delay}\n".encode(), 1
                )
            return 200, robots, "text/plain; charset=UTF-8"
        if path == "/sitemap/sitemap.xml":
            return 200, self._index(), "application/xml; charset=UTF-8"
        if path.startswith("/sitemap/") and path.endswith(".xml"):
            return 200, self._sitemap(path[9:-4].replace("-", "/")), "application/xml; charset=UTF-8"
        if path.startswith("/rss/") and path[5:] in FEEDS:
            return 200, self._feed(path[5:]), "application/rss+xml; charset=UTF-8"
        if path in self.static:
            data, kind = self.static[path]
            return 200, data, kind
        tail = path.rsplit("-a", 1)[-1]
        if tail.isdigit():
            number = int(tail) - 90000
            if 0 <= number < self.count and path == self.article_path(number):
                return 200, self._article(number), html
        return 404, b"<html><body><h1>404 Not Found</h1></body></html>", html

    def _handler(self):
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                with site.lock:
                    site.active += 1
                    site.max_active = max(site.max_active, site.active)
                    site.hits[path] += 1
                    site.arrivals.append((time.monotonic(), path))
                    retry_after = site.busy_once.pop(path, None)
                    torn = path in site.torn_once
                    site.torn_once.discard(path)
                try:
                    if site.latency:
                        time.sleep(site.latency)
                    if retry_after is not None:
                        status, body, kind = 429, b"<html><body>Too many requests</body></html>", "text/html"
                    else:
                        status, body, kind = site.answer(path)
                    if "gzip" in self.headers.get("Accept-Encoding", "") and kind.startswith(("text/", "application/")):
                        body = gzip.compress(body, 6)
                        encoded = True
                    else:
                        encoded = False
                    if torn:  # promise the whole body, send half, hang up
                        self.send_response(status)
                        self.send_header("Content-Type", kind)
                        self.send_header("Content-Length", str(len(body)))
                        self.end_headers()
                        self.wfile.write(body[: len(body) // 2])
                        self.wfile.flush()
                        self.close_connection = True
                        return
                    self.send_response(status)
                    self.send_header("Content-Type", kind)
                    self.send_header("Content-Length", str(len(body)))
                    self.send_header("Date", formatdate(usegmt=True))
                    if encoded:
                        self.send_header("Content-Encoding", "gzip")
                    if retry_after is not None:
                        self.send_header("Retry-After", str(retry_after))
                    self.end_headers()
                    self.wfile.write(body)
                finally:
                    with site.lock:
                        site.active -= 1

        return Handler


def main(argv: list[str] | None = None) -> int:
    """``python -m tests.support.cluster_site [--pages N] [--port P]``: serve the site until
    interrupted (docs/CLUSTER.md walks through a cluster against it), then say what it saw."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--pages", type=int, default=500)
    parser.add_argument("--port", type=int, default=8099)
    args = parser.parse_args(argv)
    site = ClusterSite(args.pages)
    site.server.server_close()
    site.server = ThreadingHTTPServer(("127.0.0.1", args.port), site._handler())
    site.server.daemon_threads = True
    site.base = f"http://127.0.0.1:{args.port}"
    print(f"{args.pages} articles at {site.base} (Ctrl-C to stop)", flush=True)
    try:
        site.server.serve_forever()
    except KeyboardInterrupt:
        pass
    twice = sum(1 for n in site.hits.values() if n > 1)
    print(
        f"{sum(site.hits.values())} requests, {len(site.hits)} paths, {twice} asked for twice, at most {site.max_active} at once"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
