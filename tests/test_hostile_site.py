"""Hostile and broken input: every case logs clearly, the crawl carries on, nothing fetched is lost."""

from __future__ import annotations

import gzip
import os
import re
import socket
import struct
import subprocess
import time
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from crawler.warc.index import ReplayIndex
from tests.support.run import scrapy
from tests.support.warcs import records, warcio_check

pytestmark = pytest.mark.slow  # starts scrapy crawl processes

GOOD = gzip.decompress(
    sorted((Path(__file__).parent / "fixtures" / "benchmark_slice" / "html").glob("*.gz"))[0].read_bytes()
)
HUGE = b"<html><body>" + b"<p>word </p>" * 120_000 + b"</body></html>"  # 1.4 MB, over the test's 1 MB limit
LONG_SLUG = "/" + "очень-длинный-заголовок-" * 12 + "статьи"


def reset(request, sent: bytes = b"", declared: int | None = None) -> Response:
    """Send ``sent`` (maybe nothing), then reset the connection: a real RST, not a clean close.

    With SO_LINGER 0, closing the socket sends RST at once. The descriptor is detached first so
    werkzeug can never touch it (or a reused number) again; it then logs an error about the
    vanished socket, which is the test site's problem, not the crawler's.
    """
    connection = request.environ["werkzeug.socket"]

    def body():
        if sent:
            yield sent
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        os.close(connection.detach())
        raise ConnectionResetError("reset by the test site")

    headers = {"Content-Length": str(declared)} if declared else {}
    return Response(body(), content_type="text/html; charset=utf-8", headers=headers)


def handlers() -> dict:
    busy = {"count": 0}
    flaky = {"count": 0}

    def torn_then_whole(request):
        flaky["count"] += 1
        if flaky["count"] == 1:
            return reset(request, GOOD[: len(GOOD) // 3], declared=len(GOOD))
        return Response(GOOD, content_type="text/html; charset=utf-8")

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
            GOOD.decode("utf-8", "replace").encode("cp1251", "replace") + "Ещё текст".encode(),
            content_type="text/html; charset=utf-8",
        ),
        "/huge": lambda r: Response(HUGE, content_type="text/html"),
        # No Content-Length: the size shows only as the bytes come.
        "/huge-streamed": lambda r: Response(
            (HUGE[i : i + 65536] for i in range(0, len(HUGE), 65536)), content_type="text/html"
        ),
        "/bomb": lambda r: Response(bomb, headers={"Content-Encoding": "gzip"}, content_type="text/html"),
        "/truncated-gzip": lambda r: Response(
            gzip.compress(GOOD)[:5000], headers={"Content-Encoding": "gzip"}, content_type="text/html"
        ),
        "/malformed": lambda r: Response(
            GOOD.replace(b"</p>", b"").replace(b"</div>", b"<div>", 3) + b"<<<>>", content_type="text/html"
        ),
        "/loop-a": lambda r: Response("", status=302, headers={"Location": "/loop-b"}),
        "/loop-b": lambda r: Response("", status=302, headers={"Location": "/loop-a"}),
        "/busy": busy_then_fine,
        "/unavailable": lambda r: Response("maintenance", status=503, headers={"Retry-After": "1"}),
        "/slow": slow,
        "/elsewhere": lambda r: Response("", status=302, headers={"Location": "http://other.invalid/story"}),
        "/ftp": lambda r: Response("", status=302, headers={"Location": "ftp://files.invalid/story.txt"}),
        "/good": lambda r: Response(GOOD, content_type="text/html; charset=utf-8"),
        # A site that hands out a session cookie and asks for credentials: never sent back.
        "/sets-cookie": lambda r: Response(
            GOOD, content_type="text/html; charset=utf-8", headers={"Set-Cookie": "session=s3cr3t; Path=/"}
        ),
        "/login-required": lambda r: Response("login", status=401, headers={"WWW-Authenticate": 'Basic realm="x"'}),
        "/reset": lambda r: reset(r),
        "/reset-mid-body": lambda r: reset(r, GOOD[:20_000], declared=len(GOOD)),
        "/torn-then-whole": torn_then_whole,
        "/dots/%2e%2e/%2e%2e/escape": lambda r: Response(GOOD, content_type="text/html"),
        LONG_SLUG: lambda r: Response(GOOD, content_type="text/html"),
    }


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    server = HTTPServer(host="127.0.0.1", threaded=True)  # a slow page must not hold up the others
    server.start()
    routes = handlers()
    seen = []
    received_headers: list[dict] = []

    def dispatch(request):
        seen.append((request.path, time.monotonic()))
        received_headers.append(dict(request.headers))
        handler = routes.get(request.path) or routes.get(request.full_path.split("?")[0])
        return handler(request) if handler else Response("not found", status=404)

    server.expect_request("").respond_with_handler(dispatch)
    base = server.url_for("").rstrip("/")
    links = [p for p in routes if not p.startswith("/loop-b")]
    feed = "".join(f"<item><title>{p}</title><link>{base}{p}</link></item>" for p in links)
    routes["/feed.xml"] = lambda r: Response(
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{feed}</channel></rss>',
        content_type="application/rss+xml",
    )
    archive = tmp_path_factory.mktemp("hostile")
    run = scrapy(
        "crawl",
        "feed",
        "-a",
        f"url={base}/feed.xml",
        "-s",
        "DOWNLOAD_MAXSIZE=1000000",
        "-s",
        "DOWNLOAD_TIMEOUT=1",
        "-s",
        "RETRY_TIMES=1",
        "-s",
        "CONCURRENT_REQUESTS_PER_DOMAIN=8",
        archive=archive,
        items=archive / "items.jsonl",
    )
    (archive / "crawl.log").write_text(run.log, encoding="utf-8")
    run.received_headers = received_headers
    yield base, seen, archive, run
    server.stop()


def archive_records(archive: Path) -> list:
    """(type, WARC headers, HTTP headers, payload) of every record the crawl wrote, in file order."""
    return [record for path in sorted((archive / "warc" / "feed").glob("*.warc.gz")) for record in records(path)]


def archived(archive: Path) -> dict[str, list[str]]:
    for path in sorted((archive / "warc" / "feed").glob("*.warc.gz")):
        assert warcio_check(path).returncode == 0
    found: dict[str, list[str]] = {}
    for kind, headers, http, _ in archive_records(archive):
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
    for huge in ("/huge", "/huge-streamed"):
        assert re.search(
            rf"Response of {base}{huge} is over DOWNLOAD_MAXSIZE \(.*\): its first \d+ bytes archived as "
            r"truncated \(WARC-Truncated: length",
            log,
        ), huge


def test_every_response_received_is_in_the_warc(hostile):
    base, seen, archive, run = hostile
    found = archived(archive)
    for path in (
        "/empty",
        "/binary",
        "/mixed-encoding",
        "/bomb",
        "/truncated-gzip",
        "/malformed",
        "/loop-a",
        "/loop-b",
        "/unavailable",
        "/elsewhere",
        "/ftp",
        "/good",
    ):
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


def test_a_page_over_download_maxsize_keeps_its_first_bytes(hostile):
    base, seen, archive, run = hostile
    kept = {}
    for kind, headers, _http, payload in archive_records(archive):
        if kind == "response" and "/huge" in headers.get_header("WARC-Target-URI"):
            kept[headers.get_header("WARC-Target-URI")] = (headers.get_header("WARC-Truncated"), payload)
    for huge in ("/huge", "/huge-streamed"):
        mark, payload = kept[base + huge]
        assert mark == "length"
        assert 1_000_000 < len(payload) < 1_000_000 + 70_000 and HUGE.startswith(payload), huge
        assert base + huge not in {item["url"] for item in run.items}
    assert "Cancelling download" not in run.log  # stopped by the capture at the limit, not dropped by Scrapy


def test_a_lost_connection_keeps_what_came_and_tries_again(hostile):
    base, seen, archive, run = hostile
    log = run.log
    # Reset before any byte: nothing to archive; retried, then given up, with a log line.
    assert "Gave up retrying" in log and f"{base}/reset>" in log
    # Reset mid-body: the bytes that came are archived as a truncated record, and retried.
    assert re.search(rf"Connection lost after \d+ bytes of {base}/reset-mid-body: archived as truncated", log)
    torn: dict[str, list[tuple[str | None, int]]] = {}
    for kind, headers, _http, payload in archive_records(archive):
        url = headers.get_header("WARC-Target-URI")
        if kind == "response" and ("/reset" in url or "/torn" in url):
            torn.setdefault(url, []).append((headers.get_header("WARC-Truncated"), len(payload)))
    # What came before the reset (a reset may discard bytes still in flight, never add any).
    mid = torn[base + "/reset-mid-body"]
    assert [mark for mark, _ in mid] == ["disconnect"] * 2  # first try and one retry
    assert all(size <= 20_000 for _, size in mid)
    (first_mark, first_size), (second_mark, second_size) = torn[base + "/torn-then-whole"]
    assert first_mark == "disconnect" and first_size <= len(GOOD) // 3
    assert second_mark is None and second_size == len(GOOD)
    assert base + "/reset" not in torn
    # The retry's whole page is what the spider saw; the torn one never reached extraction.
    assert base + "/torn-then-whole" in {item["url"] for item in run.items}
    assert base + "/reset-mid-body" not in {item["url"] for item in run.items}
    assert "'warc/truncated': 5" in log  # 3 lost connections, 2 over DOWNLOAD_MAXSIZE (stats dump)


def test_replay_prefers_the_whole_capture_to_a_truncated_one(hostile):
    base, seen, archive, run = hostile
    index = ReplayIndex(archive / "warc")
    whole = index.lookup(base + "/torn-then-whole")
    assert whole is not None and whole.truncated is None
    assert len(index.load(whole).body) == len(GOOD)
    # Nothing whole: the truncated record is all there is, and it says so.
    assert index.lookup(base + "/reset-mid-body").truncated == "disconnect"
    assert all(c.truncated is None for c in index.captures())
    assert len(index.truncated()) == 5


def test_no_cookie_or_credential_is_ever_sent_or_archived(hostile):
    base, seen, archive, run = hostile
    assert any(path == "/sets-cookie" for path, _ in seen) and any(path == "/login-required" for path, _ in seen)
    # The server set a cookie early in the crawl; no later request carried it, nor any credentials.
    for headers in run.received_headers:
        assert not {"Cookie", "Authorization", "Proxy-Authorization"} & set(headers), headers
    for kind, _headers, http, payload in archive_records(archive):
        if kind == "request":
            assert http.get_header("Cookie") is None and http.get_header("Authorization") is None
        if kind == "warcinfo":
            info = payload.decode("utf-8").lower()
            assert "cookie" not in info and "password" not in info and "authorization" not in info
    # What the server sent is archived as sent, Set-Cookie included: it is part of the response.
    cookies = [
        http.get_header("Set-Cookie")
        for kind, headers, http, _ in archive_records(archive)
        if kind == "response" and headers.get_header("WARC-Target-URI") == base + "/sets-cookie"
    ]
    assert cookies == ["session=s3cr3t; Path=/"]


def test_the_crawl_opens_no_port_that_runs_code(hostile):
    """Scrapy's telnet console and its remote control (2.19, on by default: an HTTP server that
    runs Python sent to it) would let anything on the machine drive a crawl of hostile sites."""
    _base, _seen, _archive, run = hostile
    assert run.returncode == 0, run.log[-3000:]
    enabled = run.log.split("Enabled extensions:", 1)[1].split("]", 1)[0]
    assert "CoreStats" in enabled  # the list was found
    assert "RemoteControl" not in enabled and "TelnetConsole" not in enabled
    assert "Remote control HTTP server listening" not in run.log and "Telnet console listening" not in run.log


@pytest.mark.parametrize("action", ["crawl", "extract"])
def test_no_command_even_imports_the_remote_control(action, tmp_path):
    """Turned off is not enough: a ``None`` for it in EXTENSIONS still has Scrapy import it
    (aiohttp's web server, ~0.24 s at every start), so it is out of EXTENSIONS_BASE."""
    from tests.support.run import ENV, PROJECT, command

    sample = PROJECT / "samples" / "moscowtimes-sample.warc.gz"
    args = (
        ["crawl", "moscowtimes", "-s", f"REPLAY_WARC={sample}"]
        if action == "crawl"
        else ["extract", str(sample), "-o", str(tmp_path / "items.jsonl")]
    )
    line = command(*args, archive=tmp_path)
    line[1:1] = ["-X", "importtime"]
    proc = subprocess.run(line, cwd=PROJECT, env=ENV, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    imported = {row.rsplit("|", 1)[1].strip() for row in proc.stderr.splitlines() if row.startswith("import time:")}
    assert "scrapy.utils.defer" in imported  # the list was read
    assert "scrapy.extensions.remote_control" not in imported and "aiohttp.web" not in imported
