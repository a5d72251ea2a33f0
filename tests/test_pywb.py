"""Replay in pywb, the tool archivists use: a real pywb 2.10 (its own environment, bin/setup) on
127.0.0.1 over the archive's WARCs.

- A crawl's WARCs added with pywb's own indexer (``wb-manager add``): every article URL form
  returns the archived page, byte for byte in ``id_`` mode, never the item JSON (which now sits
  under ``urn:item:<url>``).
- WARCs written before that (the bundled sample holds its items under the page's URL): through
  ``scrapy pywb`` (cdxj-indexer, which leaves conversion records out) they replay right too.
"""

from __future__ import annotations

import gzip
import os
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from tests.support.moscowtimes_site import expected_items, moscowtimes_site, spider_args
from tests.support.pywb_server import Wayback, wb_manager
from tests.support.run import ENV, PROJECT, scrapy
from tests.support.warcs import records, warc_files

pytestmark = pytest.mark.slow  # crawls, and runs pywb

#: The bundled sample as version 0.1.0 wrote it: its items under the pages' own URLs.
SAMPLE = PROJECT / "tests" / "fixtures" / "warc" / "moscowtimes-0.1.0-sample.warc.gz"
SAMPLE_ARTICLES = [
    "https://www.themoscowtimes.com/2021/11/24/us-russian-military-chiefs-speak-on-the-phone-a75651",
    "https://www.themoscowtimes.com/2024/12/05/russia-us-army-chiefs-hold-rare-call-amid-ukraine-escalation-a87242",
    "https://www.themoscowtimes.com/2025/03/14/why-the-military-hotline-still-matters-a90011",
]


def get(url: str) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers={"Accept-Encoding": "identity"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def payload(headers: dict[str, str], body: bytes) -> bytes:
    """The body as the site meant it (pywb's id_ mode hands back the archived coding)."""
    coding = {k.lower(): v for k, v in headers.items()}.get("content-encoding", "")
    return gzip.decompress(body) if "gzip" in coding else body


def captures_of(warcs: list[Path]) -> dict[str, tuple[str, bytes]]:
    """Article URL -> (14-digit timestamp, payload) of its response record."""
    found = {}
    for path in warcs:
        for kind, headers, http, body in records(path):
            if kind == "response" and http is not None and "text/html" in (http.get_header("Content-Type") or ""):
                stamp = "".join(c for c in headers.get_header("WARC-Date") if c.isdigit())[:14]
                found[headers.get_header("WARC-Target-URI")] = (stamp, payload(dict(http.headers), body))
    return found


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    server = HTTPServer(host="127.0.0.1")
    server.start()
    site = moscowtimes_site(server)
    archive = tmp_path_factory.mktemp("pywb-crawl")
    run = scrapy("crawl", "moscowtimes", *spider_args(site), archive=archive, items=archive / "items.jsonl")
    assert run.returncode == 0, run.log
    articles = [entry["url"] for entry in expected_items(site.base).values()]
    yield site, archive, articles
    server.stop()


def test_a_crawl_added_with_pywbs_own_indexer_replays_every_article(crawled, tmp_path):
    site, archive, articles = crawled
    warcs = warc_files(archive, "moscowtimes")
    items = [h.get_header("WARC-Target-URI") for p in warcs for k, h, _, _ in records(p) if k == "conversion"]
    assert items and all(uri.startswith("urn:item:") for uri in items)
    wb_manager(tmp_path, "init", "crawl")
    wb_manager(tmp_path, "add", "crawl", *map(str, warcs))
    captures = captures_of(warcs)
    pywb = Wayback(tmp_path)
    try:
        for url in articles:
            stamp, archived = captures[url]
            for form in (f"/crawl/id_/{url}", f"/crawl/{stamp}id_/{url}"):
                status, headers, body = get(pywb.base + form)
                assert status == 200, form
                assert payload(headers, body) == archived, f"{form}: not the archived page"
            for form in (f"/crawl/mp_/{url}", f"/crawl/{stamp}mp_/{url}"):
                status, _, body = get(pywb.base + form)
                assert status == 200 and b"<html" in body[:2000].lower(), form
            for form in (f"/crawl/{url}", f"/crawl/{stamp}/{url}"):  # pywb's frame around the page
                status, _, body = get(pywb.base + form)
                assert status == 200 and url.encode() in body, form
    finally:
        pywb.stop()


def test_warcs_from_before_urn_item_replay_through_scrapy_pywb(tmp_path):
    archive = tmp_path / "archive"
    scrapy_bin = PROJECT / ".venv" / "bin" / "scrapy"
    command = [str(scrapy_bin), "pywb", str(SAMPLE), "--index-only", "-s", f"ARCHIVE_DIR={archive}"]
    run = subprocess.run(command, cwd=PROJECT, env=ENV, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    pywb = Wayback(archive / "pywb")
    try:
        for url in SAMPLE_ARTICLES:
            status, headers, body = get(f"{pywb.base}/archive/id_/{url}")
            assert status == 200
            page = payload(headers, body)
            assert page.lstrip().startswith(b"<!DOCTYPE html>"), f"{url}: {page[:80]!r}"
    finally:
        pywb.stop()


def test_the_sample_through_pywbs_own_indexer_shows_why(tmp_path):
    """The bundled sample's items sit under the page's URL: pywb's indexer takes them for captures
    of the page (this is what scrapy pywb is for, and why new items go under urn:item:)."""
    wb_manager(tmp_path, "init", "old")
    wb_manager(tmp_path, "add", "old", str(SAMPLE))
    index = (tmp_path / "collections" / "old" / "indexes" / "index.cdxj").read_text(encoding="utf-8")
    json_lines = [line for line in index.splitlines() if '"mime": "application/json"' in line]
    assert len(json_lines) == len(SAMPLE_ARTICLES)


def test_pywb_shows_every_article_styled_with_its_images_in_chromium(crawled, tmp_path):
    """What a reader sees in pywb: the archived stylesheet applied, the lead image and web font loaded
    (Debian's Chromium, driven by Playwright; no browser is downloaded)."""
    from playwright.sync_api import sync_playwright

    from tests.fixtures.moscowtimes.make_assets import OBSERVABLE
    from tests.test_replaywebpage import (
        CHROMIUM,
        CHROMIUM_ARGS,
        FONT_LOADED,
        HEADLINE,
        IMAGE_LOADED,
        LEAD_IMAGE,
        STYLED,
        holds,
    )

    site, archive, articles = crawled
    warcs = warc_files(archive, "moscowtimes")
    wb_manager(tmp_path, "init", "styled")
    wb_manager(tmp_path, "add", "styled", *map(str, warcs))
    captures = captures_of(warcs)
    pywb = Wayback(tmp_path)  # pywb serves archived collections only: nothing comes from the site
    seen = {}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 1000})
                for url in articles:
                    # pywb's frame around the capture (a content URL opened on its own redirects to it)
                    page.goto(f"{pywb.base}/styled/{captures[url][0]}/{url}", wait_until="load", timeout=60_000)
                    frame = replay_frame(page)
                    style = [HEADLINE, OBSERVABLE["headline_color"], OBSERVABLE["body_background"]]
                    seen[url] = {
                        "framed": frame is not None,
                        "styled": frame is not None and holds(frame, STYLED, style),
                        "image": frame is not None and holds(frame, IMAGE_LOADED, LEAD_IMAGE),
                        "font": frame is not None and holds(frame, FONT_LOADED, OBSERVABLE["headline_font"]),
                    }
                    page.screenshot(path=str(tmp_path / f"pywb-{url.rsplit('-', 1)[-1]}.png"))
                    if os.environ.get("UPDATE_SCREENSHOTS") == "1" and url == articles[0]:
                        page.screenshot(path=str(PROJECT / "docs" / "images" / "pywb-moscowtimes.png"))
            finally:
                browser.close()
    finally:
        pywb.stop()
    assert seen and all(all(checks.values()) for checks in seen.values()), seen


def replay_frame(page, timeout: float = 30.0):
    """pywb's replay frame (its URL holds ``mp_/``), once loaded, or None."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        frame = next((f for f in page.frames if "mp_/" in f.url), None)
        if frame is not None:
            frame.wait_for_load_state("load", timeout=timeout * 1000)
            return frame
        time.sleep(0.2)
    return None


def test_a_wacz_from_scrapy_pack_replays_in_pywb(crawled, tmp_path):
    """pywb opens the package too (``wb-manager add --unpack-wacz`` uses the WACZ's own index)."""
    site, archive, articles = crawled
    package = tmp_path / "mt.wacz"
    assert scrapy("pack", "moscowtimes", "-o", str(package), archive=archive).returncode == 0
    captures = captures_of(warc_files(archive, "moscowtimes"))
    wb_manager(tmp_path, "init", "packed")
    wb_manager(tmp_path, "add", "--unpack-wacz", "packed", str(package))
    pywb = Wayback(tmp_path)
    try:
        for url in articles:
            status, headers, body = get(f"{pywb.base}/packed/id_/{url}")
            assert status == 200 and payload(headers, body) == captures[url][1], url
    finally:
        pywb.stop()
