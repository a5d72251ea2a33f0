"""Replay as it was (issue 15): a crawl's WACZ in ReplayWeb.page, the replay tool most people use,
in a real browser (Debian's Chromium driven by Playwright; nothing downloads a browser).

The Moscow Times fixture site is crawled and packed (``scrapy pack``), the fixture site is then
stopped, so whatever the browser shows comes from the WACZ alone. ``replay/index.html`` with
ReplayWeb.page's ``ui.js`` and ``sw.js`` (``replay/install``) and the WACZ are served by a server
that answers Range requests. For each article the replay frame must show

- the article's title and first paragraph (the page itself is archived);
- the archived stylesheet applied: the headline's colour and the body's background, which the
  fixture CSS (``tests/fixtures/moscowtimes/make_assets.py``) sets and no browser does by default;
- the lead image decoded (``naturalWidth > 0``);
- the stylesheet's ``@import``ed web font loaded and its ``url()`` background image decoded.

All but the first need the crawl to fetch page requisites. ``UPDATE_SCREENSHOTS=1`` writes the
first article's replay to ``docs/images/replaywebpage-moscowtimes.png``.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest
from pytest_httpserver import HTTPServer

from crawler.range_server import RangeServer
from tests.fixtures.moscowtimes.make_assets import OBSERVABLE
from tests.support.moscowtimes_site import expected_items, moscowtimes_site, spider_args
from tests.support.run import PROJECT, scrapy

pytestmark = pytest.mark.slow  # crawls, packs, and runs a browser

CHROMIUM = Path("/usr/bin/chromium")
REPLAY = PROJECT / "replay"
SCREENSHOT = PROJECT / "docs" / "images" / "replaywebpage-moscowtimes.png"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: The first page waits for the service worker and the WACZ's index (about 15 s here).
FIRST_LOAD = 90.0
#: A later page's replay frame, and its load event (stylesheets and images in, or failed).
LOAD = 30.0
#: Each check once the frame has loaded (what has not come by then will not come).
CHECK = 5.0

HEADLINE = ".article__header h1"
LEAD_IMAGE = "figure.article__featured-image img"


@pytest.fixture(scope="module")
def packed(tmp_path_factory):
    """The fixture site crawled and packed; the site stopped before anything replays."""
    server = HTTPServer(host="127.0.0.1")
    server.start()
    try:
        site = moscowtimes_site(server)
        articles = expected_items(site.base)
        archive = tmp_path_factory.mktemp("replaywebpage")
        run = scrapy("crawl", "moscowtimes", *spider_args(site), archive=archive, items=archive / "items.jsonl")
        assert run.returncode == 0, run.log
        package = archive / "mt.wacz"
        run = scrapy("pack", "moscowtimes", "-o", str(package), archive=archive)
        assert run.returncode == 0, run.log
    finally:
        server.stop()
    return package, articles, archive


def replay_frame(page, url: str, deadline: float):
    """The frame ReplayWeb.page shows the archived ``url`` in, once its body holds text."""
    while time.monotonic() < deadline:
        for frame in page.frames:
            if url in frame.url and "mp_/" in frame.url:
                try:
                    if frame.evaluate("() => document.readyState !== 'loading' && !!document.querySelector('h1')"):
                        return frame
                except Exception:  # noqa: BLE001 - the frame navigated away while we looked
                    pass
        page.wait_for_timeout(250)
    frames = "\n".join(f.url for f in page.frames)
    raise AssertionError(f"no replay frame showed {url} in time; frames:\n{frames}")


def holds(frame, script: str, arg=None, timeout: float = CHECK) -> bool:
    """Whether ``script`` (a JS function of ``arg``) becomes true in ``frame`` within ``timeout`` s."""
    try:
        frame.wait_for_function(script, arg=arg, timeout=timeout * 1000, polling=250)
        return True
    except Exception:  # noqa: BLE001 - Playwright's TimeoutError: the check is recorded as failed
        return False


STYLED = """([selector, color, background]) => {
  const h1 = document.querySelector(selector);
  return !!h1 && getComputedStyle(h1).color === color
    && getComputedStyle(document.body).backgroundColor === background;
}"""
IMAGE_LOADED = """(selector) => {
  const img = document.querySelector(selector);
  return !!img && img.complete && img.naturalWidth > 0;
}"""
FONT_LOADED = """(family) => {
  let loaded = false;
  document.fonts.forEach((face) => {
    if (face.family.replace(/["']/g, "") === family && face.status === "loaded") loaded = true;
  });
  return loaded;
}"""
#: The site header's computed background-image, decoded by the browser (through the replay).
BACKGROUND_LOADED = """(name) => {
  const header = document.querySelector(".site-header");
  const found = header && getComputedStyle(header).backgroundImage.match(/url\\("?(.*?)"?\\)/);
  if (!found || !found[1].includes(name)) return false;
  if (!window.__background) {
    window.__background = new Image();
    window.__background.src = found[1];
  }
  return window.__background.complete && window.__background.naturalWidth > 0;
}"""


@pytest.fixture(scope="module")
def replayed(packed, tmp_path_factory):
    """Each article opened in ReplayWeb.page: what its replay frame showed, and a screenshot."""
    package, articles, _ = packed
    assert CHROMIUM.exists(), f"{CHROMIUM} is missing: run bin/setup (as root it installs Debian's chromium)"
    for name in ("ui.js", "sw.js"):
        assert (REPLAY / "dist" / name).exists(), f"replay/dist/{name} is missing: run replay/install"
    from playwright.sync_api import sync_playwright

    shots = tmp_path_factory.mktemp("screenshots")
    paths = {
        "/index.html": REPLAY / "index.html",
        "/replay/ui.js": REPLAY / "dist" / "ui.js",
        "/replay/sw.js": REPLAY / "dist" / "sw.js",
        "/mt.wacz": package,
    }
    seen: dict[str, dict] = {}
    with RangeServer(paths) as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(viewport={"width": 1280, "height": 1000}).new_page()
            first = True
            for path, article in articles.items():
                url = article["url"]
                page.goto(f"{server.base}/index.html?{urlencode({'source': 'mt.wacz', 'url': url})}")
                started = time.monotonic()
                frame = replay_frame(page, url, started + (FIRST_LOAD if first else LOAD))
                first = False
                holds(frame, "() => document.readyState === 'complete'", timeout=LOAD)
                frame.evaluate("() => document.fonts.ready.then(() => true)")
                observed = {
                    "text": frame.evaluate("() => document.body.innerText"),
                    "styled": holds(
                        frame, STYLED, [HEADLINE, OBSERVABLE["headline_color"], OBSERVABLE["body_background"]]
                    ),
                    "image": holds(frame, IMAGE_LOADED, LEAD_IMAGE),
                    "font": holds(frame, FONT_LOADED, OBSERVABLE["headline_font"]),
                    "background": holds(frame, BACKGROUND_LOADED, OBSERVABLE["header_background"]),
                }
                observed["style"] = frame.evaluate(
                    "(s) => [getComputedStyle(document.querySelector(s)).color, getComputedStyle(document.body).backgroundColor]",
                    HEADLINE,
                )
                observed["seconds"] = round(time.monotonic() - started, 1)
                observed["screenshot"] = shots / f"{path.rsplit('-', 1)[-1]}.png"
                page.screenshot(path=str(observed["screenshot"]))
                seen[url] = observed
        finally:
            browser.close()
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(next(iter(seen.values()))["screenshot"], SCREENSHOT)
    return articles, seen


def first_paragraph(article: dict) -> str:
    return article["text"].split("\n\n", 1)[0]


def test_every_article_replays_with_its_title_and_text(replayed):
    articles, seen = replayed
    for article in articles.values():
        text = seen[article["url"]]["text"]
        assert article["title"] in text, article["url"]
        assert first_paragraph(article) in " ".join(text.split()), article["url"]


def test_the_archived_stylesheet_applies(replayed):
    _, seen = replayed
    missing = {url: o["style"] for url, o in seen.items() if not o["styled"]}
    assert not missing, f"headline colour / body background not the fixture CSS's: {missing}"


def test_the_lead_image_loads(replayed):
    _, seen = replayed
    assert not [url for url, o in seen.items() if not o["image"]], "lead images not decoded"


def test_the_imported_font_and_the_background_image_load(replayed):
    _, seen = replayed
    assert not [url for url, o in seen.items() if not o["font"]], "web font of css/fonts.css not loaded"
    assert not [url for url, o in seen.items() if not o["background"]], "header-pattern.png not decoded"
