"""Page requisites end to end: a crawl fetches what its article pages need to render, once.

The loopback site's three articles share one stylesheet set (a stylesheet that imports a second
one, which imports the first again, with a web font and a background image), and each carries
the bad input the issue lists: a srcset of 300 candidates, a ``javascript:`` and a ``data:``
URL, a 404, a requisite that redirects off-site, an image far over the per-file limit, and a
tracker's script. The pages are still archived and extracted; every requisite is fetched once,
with the page as Referer; a second run fetches none of them again, and a re-check after the
interval is conditional (304 → a revisit record).
"""

from __future__ import annotations

import struct
import zlib

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.support.run import scrapy
from tests.support.warcs import records, warc_files

pytestmark = pytest.mark.slow  # crawls

ARTICLES = [f"/2026/11/2{i}/story-{i}" for i in range(3)]


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A real PNG (8-bit RGB), as a browser decodes it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def article(i: int) -> str:
    srcset = ", ".join(f"/img/lead-{i}-{w}.png {w}w" for w in range(10, 3010, 10))
    paragraphs = "".join(
        f"<p>Paragraph {n} of story {i}: the ministry described the exercise near the border.</p>" for n in range(12)
    )
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Story {i}</title>
<link rel="stylesheet" href="/css/main.css?v=1"><link rel="icon" href="/favicon.png">
<script async src="https://www.googletagmanager.com/gtm.js?id=GTM-X"></script></head>
<body><header><img src="/img/logo.png" alt="logo"></header><article><h1>Story {i}</h1>
<img src="/img/lead-{i}.png" srcset="{srcset}" alt="lead">
<img src="javascript:alert(1)"><img src="data:image/png;base64,iVBORw0KGgo=">
<img src="/img/missing.png"><img src="/img/moved.png"><img src="/img/huge.png">
{paragraphs}</article><script src="/js/main.js"></script></body></html>"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    server = HTTPServer(host="127.0.0.1")
    server.start()
    base = server.url_for("/").rstrip("/")
    seen: list[Request] = []
    files = {
        "/css/main.css": ("text/css", b"@import url('fonts.css');\nh1 { color: rgb(170, 0, 0); }\n"),
        "/css/fonts.css": (
            "text/css",
            b"@import 'main.css?v=1';\n@font-face { font-family: Archive; src: url(../fonts/archive.woff2) format('woff2'); }\n"
            b"body { background-image: url(../img/paper.png); }\n",
        ),
        "/fonts/archive.woff2": ("font/woff2", b"wOF2" + bytes(200)),
        "/img/paper.png": ("image/png", png(4, 4, (250, 245, 230))),
        "/img/logo.png": ("image/png", png(8, 2, (0, 0, 0))),
        "/favicon.png": ("image/png", png(1, 1, (200, 0, 0))),
        "/js/main.js": ("application/javascript", b"document.documentElement.className += ' js';\n"),
        **{f"/img/lead-{i}.png": ("image/png", png(6, 4, (0, 90, 160))) for i in range(3)},
        **{f"/img/lead-{i}-3000.png": ("image/png", png(30, 20, (0, 90, 160))) for i in range(3)},
        "/img/huge.png": ("image/png", png(2, 2, (0, 0, 0)) + bytes(3_000_000)),
    }

    def handler(request: Request) -> Response:
        seen.append(request)
        if request.path == "/feed.xml":
            items = "".join(
                f"<item><title>Story {i}</title><link>{base}{p}</link></item>" for i, p in enumerate(ARTICLES)
            )
            body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{items}</channel></rss>'
            return Response(body, content_type="application/rss+xml")
        if request.path in ARTICLES:
            return Response(article(ARTICLES.index(request.path)), content_type="text/html; charset=utf-8")
        if request.path == "/img/moved.png":
            return Response("", status=302, headers={"Location": "http://elsewhere.invalid/moved.png"})
        if request.path in files:
            content_type, body = files[request.path]
            etag = f'"{zlib.crc32(body):x}"'
            if request.headers.get("If-None-Match") == etag:
                return Response(status=304, headers={"ETag": etag})
            return Response(body, content_type=content_type, headers={"ETag": etag})
        return Response("not found", status=404)

    server.expect_request("").respond_with_handler(handler)
    yield server, base, seen
    server.stop()


def crawl(base: str, archive, *settings: str):
    extra = [item for setting in settings for item in ("-s", setting)]
    return scrapy(
        "crawl",
        "feed",
        "-a",
        f"url={base}/feed.xml",
        "-s",
        "REQUISITES_MAX_BYTES=1000000",
        *extra,
        archive=archive,
        items=archive / "items.jsonl",
        timeout=120,
    )


def test_requisites_are_fetched_once_with_the_page_as_referer_and_bad_ones_bounded(site, tmp_path):
    server, base, seen = site
    seen.clear()
    archive = tmp_path / "archive"
    run = crawl(base, archive)
    assert run.returncode == 0, run.log
    assert sorted(item["url"] for item in run.items) == sorted(base + p for p in ARTICLES)
    paths = [r.path for r in seen]
    for shared in (
        "/css/main.css",
        "/css/fonts.css",
        "/fonts/archive.woff2",
        "/img/paper.png",
        "/img/logo.png",
        "/favicon.png",
        "/js/main.js",
    ):
        assert paths.count(shared) == 1, shared  # once per crawl, however many pages need it
    for i in range(3):
        assert paths.count(f"/img/lead-{i}.png") == 1 and paths.count(f"/img/lead-{i}-3000.png") == 1
        assert not any(p.startswith(f"/img/lead-{i}-") and p != f"/img/lead-{i}-3000.png" for p in paths)
    referers = {r.path: r.headers.get("Referer") for r in seen}
    assert referers["/img/logo.png"] in {base + p for p in ARTICLES}
    assert referers["/css/fonts.css"] == base + "/css/main.css?v=1"  # an import: its stylesheet refers
    assert "'requisites/skipped_tracker': 3" in run.log and "'requisites/skipped_scheme': 6" in run.log
    responses = {
        h.get_header("WARC-Target-URI"): h
        for p in warc_files(archive, "feed")
        for k, h, _, _ in records(p)
        if k == "response"
    }
    assert responses[base + "/img/huge.png"].get_header("WARC-Truncated") == "length"
    assert base + "/img/missing.png" in responses and base + "/img/moved.png" in responses  # 404 and 302 archived
    assert not any("elsewhere.invalid" in uri for uri in responses)


def test_a_second_run_fetches_no_requisite_and_a_recheck_is_conditional(site, tmp_path):
    server, base, seen = site
    archive = tmp_path / "archive"
    assert crawl(base, archive).returncode == 0
    seen.clear()
    again = crawl(base, archive)
    assert again.returncode == 0, again.log
    assert not any(r.path.startswith(("/css/", "/img/", "/fonts/", "/js/")) for r in seen)
    seen.clear()
    recheck = crawl(base, archive, "REQUISITES_RECHECK_HOURS=0", "RECHECK_INTERVAL_HOURS=0")
    assert recheck.returncode == 0, recheck.log
    css = [r for r in seen if r.path == "/css/main.css"]
    assert len(css) == 1 and css[0].headers.get("If-None-Match")
    revisits = [
        h
        for p in warc_files(archive, "feed")
        for k, h, _, _ in records(p)
        if k == "revisit" and h.get_header("WARC-Target-URI") == base + "/css/main.css?v=1"
    ]
    assert revisits and revisits[-1].get_header("WARC-Profile").endswith("server-not-modified")


def test_a_pages_requisites_together_stay_within_their_budget(site, tmp_path):
    """REQUISITES_MAX_PAGE_BYTES: the requisite that crosses the page's budget is archived truncated at
    what was left of it (here far below the per-file limit of 1 MB)."""
    server, base, seen = site
    archive = tmp_path / "archive"
    run = crawl(base, archive, "REQUISITES_MAX_PAGE_BYTES=200000")
    assert run.returncode == 0, run.log
    huge = [
        (h, body)
        for p in warc_files(archive, "feed")
        for k, h, _, body in records(p)
        if k == "response" and h.get_header("WARC-Target-URI") == base + "/img/huge.png"
    ]
    assert len(huge) == 1 and huge[0][0].get_header("WARC-Truncated") == "length"
    assert len(huge[0][1]) < 200_000 + 70_000  # the budget, and at most one more chunk of the wire
    assert sorted(item["url"] for item in run.items) == sorted(base + p for p in ARTICLES)
