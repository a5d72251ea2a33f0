"""The story page as a person sees it: a real ``scrapy serve`` on a catalogue of the seeds' pages
(tests/test_stories.py builds it from the outlets' expected items), driven in Debian's Chromium by
Playwright. The seeds' call is one story: three versions side by side in one row (000 and its print
rendering 003 one column, marked as one text), in order of publication, each outlet's own sentences
marked in a colour of their own; the article page links its story and its copy; the later call of
2024 is a story of its own. Screenshot: the test's directory (``UPDATE_SCREENSHOTS=1``: also
docs/images/reading-room-story.png).
"""

from __future__ import annotations

import os
from datetime import datetime

import pytest

from crawler.catalog.schema import connect
from crawler.stories.store import StoryIndex
from tests.support.run import PROJECT
from tests.support.serve import serving
from tests.test_replaywebpage import CHROMIUM, CHROMIUM_ARGS
from tests.test_stories import SEED_000, SEED_004, build, seed_items

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed (bin/setup installs it)"),
]


@pytest.fixture
def served(tmp_path):
    path = build(tmp_path, seed_items())
    index = StoryIndex(path)
    index.update()
    index.close()
    with serving(tmp_path) as (base, _port, _proc):
        yield base, path


def test_the_seeds_story_side_by_side_in_a_browser(served, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    base, path = served
    conn = connect(path, readonly=True)
    story = conn.execute("SELECT story_id FROM articles WHERE url = ?", (SEED_000,)).fetchone()[0]
    later = conn.execute("SELECT story_id FROM articles WHERE url = ?", (SEED_004,)).fetchone()[0]
    conn.close()
    assert story != later
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            # From the home page's list of stories to the story.
            page.goto(base + "/")
            page.click(f"a[href='/story/{story}']")
            page.wait_for_url(f"**/story/{story}")
            expect(page.locator("p.meta").first).to_contain_text("4 articles in 3 outlets")
            # In order of publication, by the instant (the dates carry different offsets).
            days = [t.get_attribute("datetime") or "" for t in page.locator(".story-order .day").all()]
            instants = [datetime.fromisoformat(d) for d in days]
            assert page.locator(".story-order .day").first.inner_text() == "2021-11-23 21:22 UTC"
            assert len(days) == 4 and instants == sorted(instants), days
            order = page.locator(".story-order .outlet").all_inner_texts()
            assert order == ["moscowtimes", "rferl", "justthenews", "moscowtimes"], order
            # Side by side: three columns in one row, left to right.
            columns = page.locator("section.version")
            expect(columns).to_have_count(3)
            boxes = [columns.nth(i).bounding_box() for i in range(3)]
            assert all(b is not None for b in boxes)
            assert len({round(b["y"]) for b in boxes}) == 1, boxes  # type: ignore[index]
            assert [b["x"] for b in boxes] == sorted(b["x"] for b in boxes)  # type: ignore[index]
            outlets = columns.locator("h3").all_inner_texts()
            assert sorted(outlets) == ["justthenews", "moscowtimes", "rferl"], outlets
            mt = columns.filter(has_text="moscowtimes")
            expect(mt.locator("p.meta")).to_contain_text("also, as one text: moscowtimes")
            # Each outlet's own sentences are marked, and the mark is visible: a colour of its own.
            only = page.locator(".version-text mark.only")
            expect(only.first).to_be_visible()
            colour = only.first.evaluate("e => getComputedStyle(e).backgroundColor")
            plain = page.locator(".version-text span").first.evaluate("e => getComputedStyle(e).backgroundColor")
            assert colour != plain, (colour, plain)
            page.screenshot(path=str(tmp_path / "story.png"), full_page=True)
            if os.environ.get("UPDATE_SCREENSHOTS") == "1":
                page.screenshot(path=str(PROJECT / "docs" / "images" / "reading-room-story.png"))
            # The article page links its story and its copy.
            mt.locator("h3 a").click()
            expect(page.locator(f"a[href='/story/{story}']").first).to_be_visible()
            expect(page.locator("body")).to_contain_text("Copies of this text")
            # The later call is a story of its own, of one article.
            page.goto(f"{base}/story/{later}")
            expect(page.locator("section.version")).to_have_count(1)
        finally:
            browser.close()
