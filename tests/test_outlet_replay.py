"""Every outlet with HTML fixture pages, crawled and replayed in pywb in Chromium: styled, with its images.

The fixture sites serve the requisites their pages reference (``tests/fixtures/<outlet>/assets``,
written by ``tests/fixtures/outlets/make_assets.py``). The crawl's WARCs go into pywb with its
own indexer (``wb-manager add``); each article opened in pywb's frame must show the outlet's own
stylesheet applied (its headline colour and body background, ``OBSERVABLE``) and its image
decoded (the lead image; Pangea's is on gdb.rferl.org, off the fixture site: there the logo).
pywb serves the archive only, so what the crawl did not fetch is not there. One Chromium for all.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from tests.fixtures.outlets.make_assets import OBSERVABLE
from tests.support.run import scrapy
from tests.support.site import manifest_site
from tests.support.warcs import warc_files
from tests.test_pywb import Wayback, captures_of, replay_frame, wb_manager
from tests.test_replaywebpage import CHROMIUM, CHROMIUM_ARGS, IMAGE_LOADED, STYLED, holds

pytestmark = pytest.mark.slow  # crawls, runs pywb and a browser

FIXTURES = Path(__file__).parent / "fixtures"
OUTLETS = sorted(OBSERVABLE)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def crawled(request, tmp_path):
    """The outlet's fixture site crawled; the site stopped before anything replays."""
    name = request.param
    server = HTTPServer(host="127.0.0.1")
    server.start()
    try:
        site, args = manifest_site(server, FIXTURES / name)
        archive = tmp_path / "archive"
        if name == "isw":  # its robots.txt asks for a 600 s Crawl-delay (tests/test_isw_crawl_delay.py)
            robots = tmp_path / "robots.txt"
            robots.write_text("User-agent: *\nDisallow: /wp-admin/\n", encoding="utf-8")
            site.add("/robots.txt", robots, "text/plain; charset=utf-8")
        run = scrapy("crawl", name, *args, archive=archive, items=archive / "items.jsonl")
        assert run.returncode == 0, run.log
        assert run.items, f"{name}: no items"
    finally:
        server.stop()
    return name, warc_files(archive, name), [item["url"] for item in run.items]


@pytest.mark.parametrize("crawled", OUTLETS, indirect=True)
def test_every_article_replays_in_pywb_styled_with_its_image(crawled, browser, tmp_path):
    name, warcs, articles = crawled
    wb_manager(tmp_path, "init", name)
    wb_manager(tmp_path, "add", name, *map(str, warcs))
    captures = captures_of(warcs)
    want = OBSERVABLE[name]
    seen = {}
    pywb = Wayback(tmp_path)
    try:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        try:
            for url in articles:
                page.goto(f"{pywb.base}/{name}/{captures[url][0]}/{url}", wait_until="load", timeout=30_000)
                frame = replay_frame(page)
                style = ["h1", want["headline_color"], want["body_background"]]
                seen[url] = {
                    "framed": frame is not None,
                    "styled": frame is not None and holds(frame, STYLED, style),
                    "image": frame is not None and holds(frame, IMAGE_LOADED, want["lead_image"]),
                }
                page.screenshot(path=str(tmp_path / f"{name}-{len(seen)}.png"))
        finally:
            page.close()
    finally:
        pywb.stop()
    assert seen and all(all(checks.values()) for checks in seen.values()), seen
