"""A 1,000,000-URL sitemap and a 50,000-item feed do not freeze the crawl (issue 14, item 7).

Both are read on a thread of their own, incrementally, a batch of entries at a time
(``crawler.spiders.discovering.ParsingThread``), while a small feed of the same crawl is
fetched, extracted and written. A heartbeat on the reactor (``Heartbeat``, loaded into the
crawl process as an extension) measures the longest time the reactor did not run; the crawl's
peak memory is its largest process' maximum RSS, read by a parent that ran nothing else.
Before the fix the sitemap alone held the reactor for a minute and took over a gigabyte.
"""

from __future__ import annotations

import gzip
import io
import json
import logging
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from twisted.internet import task
from werkzeug import Response

from crawler import settings as project_settings
from tests.support.run import ENV, PROJECT

pytestmark = pytest.mark.slow  # starts a scrapy crawl process

SLICE = Path(__file__).parent / "fixtures" / "benchmark_slice"
SITEMAP_URLS = 1_000_000
FEED_ITEMS = 50_000
#: The longest the reactor may go without running the heartbeat (it ticks every 50 ms).
MAX_STALL = 1.0
#: The crawl's largest process, at most (before the fix: the crawler alone passed 1.3 GB).
MAX_RSS_MB = 600

logger = logging.getLogger(__name__)


class Heartbeat:
    """Test-only extension: ticks on the reactor every 50 ms and logs the longest gap between
    two ticks; logs each scraped item, so the log's order shows what happened during what."""

    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self.loop = task.LoopingCall(self.tick)
        self.last = 0.0
        self.worst = 0.0
        self.beats = 0
        from scrapy import signals

        crawler.signals.connect(self.started, signals.engine_started)
        crawler.signals.connect(self.item_scraped, signals.item_scraped)
        crawler.signals.connect(self.closed, signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def started(self) -> None:
        self.last = time.monotonic()
        self.loop.start(0.05, now=False)

    def tick(self) -> None:
        now = time.monotonic()
        self.worst = max(self.worst, now - self.last)
        self.last = now
        self.beats += 1

    def item_scraped(self, item) -> None:
        logger.info("Heartbeat: item %s", item.url)

    def closed(self) -> None:
        if self.loop.running:
            self.loop.stop()
        self.tick()
        logger.info("Heartbeat: longest stall %.3f s over %d beats", self.worst, self.beats)


def big_sitemap(base: str) -> bytes:
    """A sitemaps.org urlset of SITEMAP_URLS old articles, gzipped (as sitemap.xml.gz is served)."""
    head = '<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
    out = io.BytesIO()
    compressor = gzip.GzipFile(fileobj=out, mode="wb", compresslevel=6, mtime=0)
    compressor.write(head.encode())
    for start in range(0, SITEMAP_URLS, 10_000):
        rows = "".join(
            f"<url><loc>{base}/archive/{i}</loc><lastmod>2019-01-01</lastmod></url>\n"
            for i in range(start, start + 10_000)
        )
        compressor.write(rows.encode())
    compressor.write(b"</urlset>\n")
    compressor.close()
    return out.getvalue()


def big_feed(base: str) -> bytes:
    """An RSS 2.0 feed of FEED_ITEMS old items, with the usual title, link, guid, date, description."""
    items = "".join(
        f"<item><title>Old story {i}</title><link>{base}/old/{i}</link>"
        f'<guid isPermaLink="true">{base}/old/{i}</guid><pubDate>Tue, 01 Jan 2019 00:00:00 +0000</pubDate>'
        f"<description><![CDATA[<p>The lead of old story {i}, a sentence or two.</p>]]></description></item>\n"
        for i in range(FEED_ITEMS)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel><title>Big</title>'
        f"<link>{base}/</link><language>en</language>{items}</channel></rss>\n"
    ).encode()


@pytest.fixture(scope="module")
def big_site():
    server = HTTPServer(host="127.0.0.1")
    server.start()
    base = server.url_for("/").rstrip("/")
    pages = [gzip.decompress(p.read_bytes()) for p in sorted(SLICE.glob("html/*.html.gz"))[:3]]
    small = "".join(
        f"<item><title>Fresh {i}</title><link>{base}/fresh/{i}</link>"
        f"<pubDate>Mon, 02 Nov 2026 10:00:00 +0000</pubDate></item>"
        for i in range(len(pages))
    )
    bodies = {
        "/sitemap-all.xml.gz": (big_sitemap(base), "application/gzip"),
        "/all.rss": (big_feed(base), "application/rss+xml; charset=UTF-8"),
        "/small.rss": (
            f'<?xml version="1.0"?><rss version="2.0"><channel><title>Small</title>{small}</channel></rss>'.encode(),
            "application/rss+xml; charset=UTF-8",
        ),
        **{f"/fresh/{i}": (page, "text/html; charset=UTF-8") for i, page in enumerate(pages)},
    }

    def handle(request):
        if request.path not in bodies:
            return Response(b"", status=404)
        body, content_type = bodies[request.path]
        return Response(body, content_type=content_type)

    server.no_handler_status_code = 404
    server.expect_request("").respond_with_handler(handle)
    yield base
    server.stop()


#: Two crawls in one process and one reactor, as ``scrapy crawlall`` runs its spiders: the big
#: sources in one, the small feed in the other (each its own archive). The parent runs nothing
#: but this child, so its RUSAGE_CHILDREN is the crawl process' peak alone.
TWO_CRAWLS = """
import json, sys
from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.spiderloader import SpiderLoader
from scrapy.utils.project import get_project_settings
from scrapy.utils.reactor import install_reactor

conf = json.loads(sys.argv[1])
settings = get_project_settings()
settings.setdict(conf["settings"], priority="cmdline")
install_reactor(settings["TWISTED_REACTOR"])
process = CrawlerProcess(settings)
spider = SpiderLoader.from_settings(settings).load("feed")
for run in conf["crawls"]:
    own = settings.copy()
    own.setdict(run["settings"], priority="cmdline")
    process.crawl(Crawler(spider, own), **run["arguments"])
process.start()
"""
WRAPPER = (
    "import json, resource, subprocess, sys;"
    "p = subprocess.run([sys.executable, '-c', sys.argv[1], sys.argv[2]]);"
    "print('MAXRSS_KB', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, flush=True);"
    "sys.exit(p.returncode)"
)


def test_big_sitemap_and_feed_neither_freeze_the_reactor_nor_fill_memory(big_site, tmp_path):
    base = big_site
    extensions = {**project_settings.EXTENSIONS, "tests.test_big_sources.Heartbeat": 900}
    fast = {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_START_DELAY": 0, "LOG_LEVEL": "INFO", "EXTRACTION_WORKERS": 1}
    conf = {
        "settings": {**fast, "EXTENSIONS": extensions},
        "crawls": [
            {
                "arguments": {"url": f"{base}/sitemap-all.xml.gz,{base}/all.rss", "since": "2026-01-01"},
                "settings": {"ARCHIVE_DIR": str(tmp_path / "big")},
            },
            {
                "arguments": {"url": f"{base}/small.rss", "since": "2026-01-01"},
                "settings": {
                    "ARCHIVE_DIR": str(tmp_path / "small"),
                    "FEEDS": {str(tmp_path / "items.jsonl"): {"format": "jsonlines"}},
                },
            },
        ],
    }
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-c", WRAPPER, TWO_CRAWLS, json.dumps(conf)],
        cwd=PROJECT,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=300,
    )
    took = time.monotonic() - started
    log = proc.stdout + proc.stderr
    (tmp_path / "crawl.log").write_text(log)
    assert proc.returncode == 0, log[-5000:]
    stall = max(float(s) for s in re.findall(r"Heartbeat: longest stall ([\d.]+) s", log))
    max_rss_mb = int(re.search(r"MAXRSS_KB (\d+)", log).group(1)) / 1024
    print(f"crawl {took:.1f} s, longest reactor stall {stall:.3f} s, max RSS {max_rss_mb:.0f} MB")

    # Both big sources were read to the end, every entry weighed (all older than -a since).
    sitemap_done = log.index(f"Sitemap {base}/sitemap-all.xml.gz: urlset of {SITEMAP_URLS} entries")
    assert f"Feed {base}/all.rss: {FEED_ITEMS} entries" in log
    assert f"'discovery/older_than_since': {SITEMAP_URLS + FEED_ITEMS}," in log
    # The small feed's articles were fetched, extracted and written while the sitemap was read.
    items = [json.loads(row) for row in (tmp_path / "items.jsonl").read_text().splitlines()]
    assert {i["url"] for i in items} == {f"{base}/fresh/{n}" for n in range(3)}
    assert all(log.index(f"Heartbeat: item {base}/fresh/{n}") < sitemap_done for n in range(3))
    # The reactor never stood still, and memory stayed bounded.
    assert stall < MAX_STALL, f"the reactor stalled {stall:.3f} s"
    assert max_rss_mb < MAX_RSS_MB, f"max RSS {max_rss_mb:.0f} MB"
