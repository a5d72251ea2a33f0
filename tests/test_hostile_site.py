"""Hostile and broken input: every case logs clearly, the crawl carries on, nothing fetched is lost."""

from __future__ import annotations

import gzip
import os
import time
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from tests.support.run import scrapy
from tests.support.warcs import records, warcio_check

GOOD = gzip.decompress(sorted((Path(__file__).parent / "fixtures" / "benchmark_slice" / "html").glob("*.gz"))[0].read_bytes())
LONG_SLUG = "/" + "очень-длинный-заголовок-" * 12 + "статьи"


def handlers() -> dict:
    busy = {"count": 0}

    def busy_then_fine(request):
        busy["count"] += 1
        if busy["count"] == 1:
            return Response("slow down", status=429, headers={"Retry-After": "1"})
        return Response(GOOD, content_type="text/html; charset=utf-8")

    def slow(request):
        time.sleep(3)
        return Response(GOOD, content_type="text/html")

    bomb = gzip.compress(b"\0" * (60 * 2**20), compresslevel=9)
    return {
        "/empty": lambda r: Response(b"", content_type="text/html"),
        "/binary": lambda r: Response(os.urandom(20_000), content_type="text/html"),
        "/mixed-encoding": lambda r: Response(
            GOOD.decode("utf-8", "replace").encode("cp1251", "replace") + "Ещё текст".encode("utf-8"),
            content_type="text/html; charset=utf-8"),
        "/huge": lambda r: Response(b"<html><body>" + b"<p>word </p>" * 120_000 + b"</body></html>", content_type="text/html"),
        "/bomb": lambda r: Response(bomb, headers={"Content-Encoding": "gzip"}, content_type="text/html"),
        "/truncated-gzip": lambda r: Response(gzip.compress(GOOD)[:5000], headers={"Content-Encoding": "gzip"}, content_type="text/html"),
        "/malformed": lambda r: Response(GOOD.replace(b"</p>", b"").replace(b"</div>", b"<div>", 3) + b"<<<>>", content_type="text/html"),
        "/loop-a": lambda r: Response("", status=302, headers={"Location": "/loop-b"}),
        "/loop-b": lambda r: Response("", status=302, headers={"Location": "/loop-a"}),
        "/busy": busy_then_fine,
        "/unavailable": lambda r: Response("maintenance", status=503, headers={"Retry-After": "1"}),
        "/slow": slow,
        "/elsewhere": lambda r: Response("", status=302, headers={"Location": "http://other.invalid/story"}),
        "/ftp": lambda r: Response("", status=302, headers={"Location": "ftp://files.invalid/story.txt"}),
        "/good": lambda r: Response(GOOD, content_type="text/html; charset=utf-8"),
        "/dots/%2e%2e/%2e%2e/escape": lambda r: Response(GOOD, content_type="text/html"),
        LONG_SLUG: lambda r: Response(GOOD, content_type="text/html"),
    }


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    server = HTTPServer(host="127.0.0.1", threaded=True)  # a slow page must not hold up the others
    server.start()
    routes = handlers()
    seen = []

    def dispatch(request):
        seen.append((request.path, time.monotonic()))
        handler = routes.get(request.path) or routes.get(request.full_path.split("?")[0])
        return handler(request) if handler else Response("not found", status=404)

    server.expect_request("").respond_with_handler(dispatch)
    base = server.url_for("").rstrip("/")
    links = [p for p in routes if not p.startswith("/loop-b")]
    feed = "".join(f"<item><title>{p}</title><link>{base}{p}</link></item>" for p in links)
    routes["/feed.xml"] = lambda r: Response(f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{feed}</channel></rss>',
                                             content_type="application/rss+xml")
    archive = tmp_path_factory.mktemp("hostile")
    run = scrapy("crawl", "feed", "-a", f"url={base}/feed.xml", "-s", "DOWNLOAD_MAXSIZE=1000000", "-s", "DOWNLOAD_TIMEOUT=1",
                 "-s", "RETRY_TIMES=1", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8", archive=archive, items=archive / "items.jsonl")
    (archive / "crawl.log").write_text(run.log, encoding="utf-8")
    yield base, seen, archive, run
    server.stop()


def archived(archive: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in sorted((archive / "warc" / "feed").glob("*.warc.gz")):
        assert warcio_check(path).returncode == 0
        for kind, headers, http, _ in records(path):
            if kind == "response":
                found.setdefault(headers.get_header("WARC-Target-URI"), []).append(http.get_statuscode())
    return found


def test_the_crawl_carries_on_and_extracts_what_is_good(hostile):
    base, seen, archive, run = hostile
    assert run.returncode == 0, run.log[-3000:]
    urls = {item["url"] for item in run.items}
    assert {base + "/good", base + "/malformed", base + "/busy"} <= urls
    assert base + "/empty" not in urls and base + "/binary" not in urls


def test_broken_pages_get_a_clear_log_line(hostile):
    base, seen, archive, run = hostile
    log = run.log
    assert f"No article at {base}/empty: empty page (archived)" in log
    assert f"No article at {base}/binary: binary content, not HTML (archived)" in log
    assert "Gave up retrying" in log and "/unavailable" in log
    assert "answered 429 with Retry-After 1: waiting 1 s before its next request" in log
    assert "/slow" in log and ("TimeoutError" in log or "took longer than" in log)
    assert "/huge" in log and ("maxsize" in log.lower() or "max size" in log.lower() or "DOWNLOAD_MAXSIZE" in log)


def test_every_response_received_is_in_the_warc(hostile):
    base, seen, archive, run = hostile
    found = archived(archive)
    for path in ("/empty", "/binary", "/mixed-encoding", "/bomb", "/truncated-gzip", "/malformed", "/loop-a", "/loop-b",
                 "/unavailable", "/elsewhere", "/ftp", "/good"):
        assert base + path in found, path
    assert found[base + "/busy"] == ["429", "200"]
    busy = [t for path, t in seen if path == "/busy"]
    assert busy[1] - busy[0] >= 0.9, "the retry waited for Retry-After"
    assert "302" in found[base + "/loop-a"]
    # The bomb is archived as sent (small), never inflated into memory or onto disk.
    assert sum(p.stat().st_size for p in (archive / "warc").rglob("*.warc.gz")) < 5 * 2**20


def test_no_request_leaves_for_other_sites_or_schemes(hostile):
    base, seen, archive, run = hostile
    assert all(path.startswith("/") for path, _ in seen)
    assert "other.invalid" not in "".join(archived(archive)) and "files.invalid" not in "".join(archived(archive))
    assert "Filtered offsite request" in run.log or "offsite" in run.log.lower()


def test_odd_urls_never_lead_outside_the_archive(hostile):
    base, seen, archive, run = hostile
    for path in (archive / "text").rglob("*"):
        assert archive.resolve() in path.resolve().parents
    names = [p.name for p in (archive / "text").rglob("*.md")]
    assert all(len(n.encode()) <= 140 for n in names)
