"""Faults found by trying it (issue 14): each case in the real shape that failed, and what it does now.

- a hostile sitemap index listing ``file:`` and ``ftp:`` URLs: nothing local is read or sent on;
- ``-a`` arguments naming other schemes, or malformed: one line, exit 2, nothing started;
- ``scrapy extract`` of an untrusted WARC: records whose target is not an absolute http(s) URL
  are named and left out, every good record is extracted, no local file is read, the exit code
  says some were left out;
- a sitemap index that lists itself, a cycle of two, a child listed 50 times: each fetched once;
- a bare ``scrapy crawlall`` and a rejected argument: a summary or one line, never a traceback.
"""

from __future__ import annotations

import json
from io import BytesIO
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter
from werkzeug import Response

from tests.support.run import scrapy

pytestmark = pytest.mark.slow  # starts scrapy processes

SECRET = "db_password=hunter2"
FIXTURES = Path(__file__).parent / "fixtures"


def urlset(*urls: str) -> str:
    entries = "".join(f"<url><loc>{u}</loc><lastmod>2026-11-20</lastmod></url>" for u in urls)
    return f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>'


def index(*urls: str) -> str:
    entries = "".join(f"<sitemap><loc>{u}</loc></sitemap>" for u in urls)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</sitemapindex>'
    )


@pytest.fixture()
def server():
    server = HTTPServer(host="127.0.0.1")
    server.start()
    yield server
    server.clear()
    server.stop()


def serve(server: HTTPServer, path: str, body: str, content_type: str = "application/xml") -> None:
    server.expect_request(path).respond_with_data(body, content_type=content_type)


def paths(server: HTTPServer) -> list[str]:
    return [request.path for request, _ in server.log]


def test_hostile_sitemap_index_reads_no_local_file(server, tmp_path):
    base = server.url_for("/").rstrip("/")
    local = tmp_path / "local-sitemap.xml"
    local.write_text(urlset(f"{base}/exfil/LOCAL-FILE-CONTENT-{SECRET}"), encoding="utf-8")
    serve(
        server,
        "/sitemap.xml",
        index(local.as_uri(), "file:///dev/zero", "ftp://127.0.0.1:1/sitemap.xml", f"{base}/news.xml"),
    )
    serve(server, "/news.xml", urlset(f"{base}/2026/11/20/a-real-article"))
    server.expect_request("/2026/11/20/a-real-article").respond_with_data(
        "<html><head><title>A real article</title></head><body><article><h1>A real article</h1>"
        + "<p>Body text of the real article, long enough to read.</p>" * 20
        + "</article></body></html>",
        content_type="text/html",
    )
    archive = tmp_path / "archive"
    run = scrapy("crawl", "feed", "-a", f"url={base}/sitemap.xml", archive=archive, items=tmp_path / "items.jsonl")
    assert run.returncode == 0, run.log
    assert not any(p.startswith("/exfil") for p in paths(server)), "the local file was read and its URLs requested"
    assert "/2026/11/20/a-real-article" in paths(server)  # the real child still crawled
    assert f"Refused {local.as_uri()}" in run.log and "scheme 'file' is not fetched" in run.log
    assert "Refused ftp://127.0.0.1:1/sitemap.xml" in run.log
    assert "'security/refused_scheme': 3" in run.log
    assert SECRET not in "".join(p.read_text(errors="replace") for p in archive.rglob("*") if p.is_file())


@pytest.mark.parametrize(
    ("spider", "argument", "message"),
    [
        ("moscowtimes", "site=file:///etc", "-a site='file:///etc': scheme 'file' is not fetched"),
        ("rferl", "feeds=file:///etc/passwd", "-a feeds='file:///etc/passwd': scheme 'file' is not fetched"),
        ("moscowtimes", "site=ftp://mirror.example.org", "scheme 'ftp' is not fetched"),
        ("moscowtimes", "since=notadate", "-a since='notadate': a day as YYYY-MM-DD is expected"),
        ("moscowtimes", "url=hard::site-slug.html", "-a url='hard::site-slug.html': scheme 'hard' is not fetched"),
    ],
)
def test_bad_arguments_are_one_line_and_exit_2(tmp_path, spider, argument, message):
    run = scrapy("crawl", spider, "-a", argument, archive=tmp_path)
    assert run.returncode == 2, run.log
    assert message in run.log
    assert "Traceback" not in run.log
    assert not (tmp_path / "warc").exists()  # nothing started


def test_feed_without_url_is_one_line(tmp_path):
    run = scrapy("crawl", "feed", archive=tmp_path)
    assert run.returncode == 2 and "spider 'feed' needs -a url=" in run.log and "Traceback" not in run.log


def _response(writer: WARCWriter, uri: str, body: bytes) -> None:
    http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
    record = writer.create_warc_record(uri, "response", payload=BytesIO(body), length=len(body), http_headers=http)
    writer.write_record(record)


def test_extract_of_an_untrusted_warc_reads_only_the_warc(tmp_path):
    """The first record's target is malformed (as in a published test collection), others name local
    files and an FTP server; the good page after them is still extracted."""
    page = (FIXTURES / "moscowtimes" / "pages" / "a75651.html").read_bytes()
    warc = tmp_path / "untrusted.warc.gz"
    with open(warc, "wb") as stream:
        writer = WARCWriter(stream, gzip=True)
        _response(writer, "hard::site-slug.html", page)
        _response(writer, "file:///etc/passwd", b"<html><body><p>archived, not local</p></body></html>")
        _response(writer, "ftp://127.0.0.1:1/article.html", page)
        _response(writer, "https://www.themoscowtimes.com/2021/11/24/us-russian-military-chiefs-a75651", page)
    out = tmp_path / "items.jsonl"
    run = scrapy("extract", str(warc), "-o", str(out), archive=tmp_path / "archive")
    assert run.returncode == 1, run.log  # some records were left out: said, not hidden
    items = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [i["url"] for i in items] == ["https://www.themoscowtimes.com/2021/11/24/us-russian-military-chiefs-a75651"]
    assert "left out 3 records" in run.log
    for offending in ("'hard::site-slug.html'", "'file:///etc/passwd'", "'ftp://127.0.0.1:1/article.html'"):
        assert offending in run.log
    assert "root:" not in out.read_text(encoding="utf-8")
    assert "Traceback" not in run.log


def test_sitemap_cycles_and_repeats_are_fetched_once(server, tmp_path):
    base = server.url_for("/").rstrip("/")
    serve(server, "/self.xml", index(f"{base}/self.xml", f"{base}/a.xml"))
    serve(server, "/a.xml", index(f"{base}/b.xml"))
    serve(server, "/b.xml", index(f"{base}/a.xml", *([f"{base}/child.xml"] * 50)))
    serve(server, "/child.xml", urlset())
    run = scrapy("crawl", "moscowtimes", "-a", f"sitemaps={base}/self.xml", archive=tmp_path, timeout=60)
    assert run.returncode in (0, 1), run.log  # 1: fetched no article, which is true
    seen = paths(server)
    assert {p: seen.count(p) for p in ("/self.xml", "/a.xml", "/b.xml", "/child.xml")} == {
        "/self.xml": 1,
        "/a.xml": 1,
        "/b.xml": 1,
        "/child.xml": 1,
    }
    assert "was fetched already in this run" in run.log


def test_sitemap_depth_is_bounded(server, tmp_path):
    base = server.url_for("/").rstrip("/")
    for level in range(6):
        serve(server, f"/level{level}.xml", index(f"{base}/level{level + 1}.xml"))
    run = scrapy(
        "crawl", "moscowtimes", "-a", f"sitemaps={base}/level0.xml", "-s", "SITEMAP_MAX_DEPTH=2", archive=tmp_path
    )
    assert [p for p in paths(server) if p.startswith("/level")] == ["/level0.xml", "/level1.xml", "/level2.xml"]
    assert "past SITEMAP_MAX_DEPTH" in run.log


def test_bare_crawlall_leaves_out_spiders_that_need_arguments(server, tmp_path):
    """The README's cron line: every outlet, none reachable here; a summary, never a crash."""
    run = scrapy(
        "crawlall",
        "-s",
        "DOWNLOAD_TIMEOUT=2",
        "-s",
        "RETRY_TIMES=0",
        "-s",
        "ROBOTSTXT_OBEY=False",
        "-s",
        "HTTPS_PROXY=http://127.0.0.1:1",
        archive=tmp_path,
        timeout=300,
    )
    # Download errors (no network here) are logged as Scrapy logs them; the run itself never crashes.
    assert "Crawler.stats is not set yet" not in run.log and "crawler/commands/crawlall.py" not in run.log
    assert run.returncode == 1  # nothing could be fetched: every spider failed, and the summary says so
    table = run.log[run.log.index("spider ") :]
    assert "moscowtimes" in table and "\nfeed " not in table
    assert list((tmp_path / "runs").glob("*.json"))


def test_crawlall_rejected_argument_exits_2(tmp_path):
    run = scrapy("crawlall", "-a", "since=notadate", archive=tmp_path)
    assert run.returncode == 2 and "-a since='notadate'" in run.log and "Traceback" not in run.log


def test_a_body_that_trickles_past_the_timeout_is_archived_truncated(server, tmp_path):
    """Status, headers and the bytes received are kept (WARC-Truncated: time), and the page retried."""
    import time as clock

    from tests.support.warcs import records, warc_files

    base = server.url_for("/").rstrip("/")
    article = "/2026/11/20/slow-article-a1"
    head = b"<html><head><title>Slow</title></head><body><article><h1>Slow</h1>"

    def trickle(request):
        def body():
            yield head
            for i in range(40):
                clock.sleep(0.1)
                yield f"<p>Paragraph {i} arrives slowly.</p>".encode()
            yield b"</article></body></html>"

        return Response(body(), status=200, content_type="text/html; charset=utf-8", headers={"X-Site": "slow"})

    serve(server, "/news.xml", urlset(base + article))
    server.expect_request(article).respond_with_handler(trickle)
    archive = tmp_path / "archive"
    run = scrapy(
        "crawl",
        "feed",
        "-a",
        f"url={base}/news.xml",
        "-s",
        "DOWNLOAD_TIMEOUT=2",
        "-s",
        "RETRY_TIMES=1",
        archive=archive,
        timeout=60,
    )
    assert "trickled past its download timeout" in run.log, run.log
    truncated = [
        (headers, http, payload)
        for path in warc_files(archive, "feed")
        for kind, headers, http, payload in records(path)
        if kind == "response" and headers.get_header("WARC-Target-URI", "").endswith(article)
    ]
    assert len(truncated) == 2  # the first fetch and its retry, both kept
    for headers, http, payload in truncated:
        assert headers.get_header("WARC-Truncated") == "time"
        assert http.get_statuscode() == "200" and http.get_header("X-Site") == "slow"
        assert payload.startswith(head) and b"Paragraph 3 arrives slowly" in payload


def test_extract_of_a_feed_crawl_gives_the_crawls_items(tmp_path):
    """The same capture gives the same item either way: the WARC's warcinfo names the crawl that
    wrote it (isPartOf: feed), so re-extraction reads its captures as that crawl did."""
    from tests.support.moscowtimes_site import moscowtimes_site

    server = HTTPServer(host="127.0.0.1")
    server.start()
    try:
        site = moscowtimes_site(server)
        archive = tmp_path / "archive"
        crawl = scrapy("crawl", "feed", "-a", f"url={site.base}/rss/news", archive=archive, items=tmp_path / "c.jsonl")
        assert crawl.returncode == 0 and crawl.items, crawl.log
        out = tmp_path / "extracted.jsonl"
        run = scrapy("extract", str(archive / "warc" / "feed"), "-o", str(out), archive=tmp_path / "x")
        assert run.returncode == 0, run.log
        extracted = {item["url"]: item for item in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
        assert {i["url"]: i for i in crawl.items} == extracted
        assert {item["outlet"] for item in extracted.values()} == {"feed"}
    finally:
        server.stop()


def test_text_files_follow_the_umask_like_the_warcs(tmp_path):
    """Temporary files are created 0600; a text file must be readable by whoever reads the archive."""
    import os
    import stat

    from crawler.output.text_files import write_atomically

    target = tmp_path / "text" / "a.md"
    write_atomically(target, "---\nurl: https://example.org/a\n---\n")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask
    assert stat.S_IMODE(target.stat().st_mode) != 0o600 or umask == 0o066


def test_history_after_the_demo_says_what_to_run_and_reads_the_warc(tmp_path):
    url = "https://www.themoscowtimes.com/2021/11/24/us-russian-military-chiefs-speak-on-the-phone-a75651"
    run = scrapy("history", url, archive=tmp_path)  # the demo replays: no state
    assert run.returncode == 1 and "scrapy history --warc" in run.log and "Traceback" not in run.log
    run = scrapy("history", "--warc", "samples/moscowtimes-sample.warc.gz", url, archive=tmp_path)
    assert run.returncode == 0, run.log
    assert "1 captures" in run.log and "moscowtimes-sample.warc.gz @ " in run.log
    assert " response         1  " in run.log  # its revision, from the item beside it
    # Several URLs, one of them not in the file: the others still shown, the missing one named, exit 1.
    missing = "https://www.themoscowtimes.com/2021/11/24/not-archived-a1"
    run = scrapy("history", "--warc", "samples/moscowtimes-sample.warc.gz", missing, url, url, archive=tmp_path)
    assert run.returncode == 1 and f"history: {missing} is not in" in run.log
    assert run.log.count("1 captures") == 2 and "Traceback" not in run.log


def test_an_unknown_spider_is_one_line_and_exit_2(tmp_path):
    run = scrapy("crawl", "nosuchspider", archive=tmp_path)
    assert run.returncode == 2 and "unknown spider 'nosuchspider' (known: " in run.log
    assert "Traceback" not in run.log
