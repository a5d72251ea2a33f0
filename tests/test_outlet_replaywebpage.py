"""Every outlet with HTML fixture pages, crawled, packed and replayed in ReplayWeb.page: styled, with
its image (the pywb side of the same check is tests/test_outlet_replay.py, whose crawl it reuses).

``scrapy pack`` makes the WACZ; the pinned ReplayWeb.page (``replay/dist``, bin/setup) is served with
it by ``crawler.range_server`` and opened in Debian's Chromium; each article's replay frame must show
the outlet's stylesheet applied and its image decoded (``OBSERVABLE``).
"""

from __future__ import annotations

import time
from urllib.parse import urlencode

import pytest

from crawler.range_server import RangeServer
from tests.fixtures.outlets.make_assets import OBSERVABLE
from tests.support.run import scrapy
from tests.test_outlet_replay import OUTLETS, browser, crawled  # noqa: F401 - fixtures used below
from tests.test_replaywebpage import FIRST_LOAD, IMAGE_LOADED, LOAD, REPLAY, STYLED, holds, replay_frame

pytestmark = pytest.mark.slow  # crawls, packs, runs a browser


@pytest.mark.parametrize("crawled", OUTLETS, indirect=True)
def test_every_article_replays_in_replaywebpage_styled_with_its_image(crawled, browser, tmp_path):  # noqa: F811
    name, warcs, articles = crawled
    archive = warcs[0].parents[2]
    package = tmp_path / f"{name}.wacz"
    run = scrapy("pack", name, "-o", str(package), archive=archive)
    assert run.returncode == 0, run.log
    paths = {
        "/index.html": REPLAY / "index.html",
        "/replay/ui.js": REPLAY / "dist" / "ui.js",
        "/replay/sw.js": REPLAY / "dist" / "sw.js",
        "/archive.wacz": package,
    }
    want = OBSERVABLE[name]
    seen = {}
    with RangeServer(paths) as server:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        try:
            page = context.new_page()
            first = True
            for url in articles:
                page.goto(f"{server.base}/index.html?{urlencode({'source': 'archive.wacz', 'url': url})}")
                frame = replay_frame(page, url, time.monotonic() + (FIRST_LOAD if first else LOAD))
                first = False
                holds(frame, "() => document.readyState === 'complete'", timeout=LOAD)
                seen[url] = {
                    "styled": holds(frame, STYLED, ["h1", want["headline_color"], want["body_background"]]),
                    "image": holds(frame, IMAGE_LOADED, want["lead_image"]),
                }
                page.screenshot(path=str(tmp_path / f"{name}-{len(seen)}.png"))
        finally:
            context.close()
    assert seen and all(all(checks.values()) for checks in seen.values()), seen
