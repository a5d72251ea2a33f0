"""The reading room as a person uses it: a real ``scrapy serve`` (Datasette and the plugin) on an
archive of two scheduled runs of the fixture site, one article edited in between, driven in
Debian's Chromium by Playwright. It searches, opens an article, reads its diff, opens the outlet
page, and checks what a person would see. Screenshots go to the test's directory
(``UPDATE_SCREENSHOTS=1``: also to docs/images/ for the README).
"""

from __future__ import annotations

import http.client
import os
import socket
import urllib.request

import pytest

from tests.support.run import PROJECT
from tests.support.serve import serving
from tests.support.two_runs import NEW_SENTENCE, OLD_SENTENCE, two_runs
from tests.test_replaywebpage import CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.slow  # crawls twice, serves, drives a browser

IMAGES = PROJECT / "docs" / "images"
EDITED_TITLE = "Russia, U.S. Army Chiefs Hold Rare Call Amid Ukraine Escalation"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    with two_runs(tmp_path_factory.mktemp("reading-room")) as (_site, archive, first, second, *_):
        assert first.returncode == 0 and second.returncode == 0, second.stdout + second.stderr
        with serving(archive) as (base, port, proc):
            yield base, port, archive, proc


def raw_get(port: int, path: str) -> int:
    """The status of GET ``path`` sent as it is (no client normalising ``..`` away)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.putrequest("GET", path, skip_host=False, skip_accept_encoding=True)
    conn.endheaders()
    status = conn.getresponse().status
    conn.close()
    return status


def shoot(page, tmp_path, name: str) -> None:
    page.screenshot(path=str(tmp_path / f"{name}.png"), full_page=True)
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        page.screenshot(path=str(IMAGES / f"reading-room-{name}.png"))


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed (bin/setup installs it)")
def test_search_read_and_compare_in_a_browser(served, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    base, _port, _archive, _proc = served
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.goto(base + "/")
            expect(page.locator("h1")).to_have_text("Reading room")
            # Search as a person does: type, press Enter.
            page.fill("input[name=q]", "correction")
            page.press("input[name=q]", "Enter")
            page.wait_for_url("**/search?q=correction")
            expect(page.locator("p.total")).to_contain_text("1 article matches")
            expect(page.locator(".snippet mark")).to_have_text("correction")
            expect(page.locator(".facets")).to_contain_text("moscowtimes")

            # A word in most of the archive: ranked results, facets, the chart of matches per month.
            page.goto(base + "/search?q=Ukraine")
            expect(page.locator(".result").first).to_be_visible()
            assert page.locator(".result").count() >= 3
            expect(page.locator("svg.chart rect").first).to_be_visible()
            shoot(page, tmp_path, "search")

            # An inflected form finds the article too (army: "armies" is not in it).
            page.goto(base + "/search?q=armies")
            expect(page.locator(".result h3 a", has_text=EDITED_TITLE)).to_be_visible()

            # Open the edited article from its result.
            page.goto(base + "/search?q=correction")
            page.click(f".result h3 a:has-text('{EDITED_TITLE[:20]}')")
            expect(page.locator("h1")).to_have_text(EDITED_TITLE)
            text = page.locator("article.archived-text")
            expect(text).to_contain_text(NEW_SENTENCE)
            expect(text).not_to_contain_text(OLD_SENTENCE)
            expect(text.locator("mark")).to_have_text("correction")
            expect(page.locator(".revisions > ol > li")).to_have_count(2)
            # The diff: the old sentence's words struck out, the new ones marked, each on its line.
            diff = page.locator("#revision-2 .diff-lines")
            expect(diff).to_be_visible()
            removed, added = diff.locator("p.diff-removed"), diff.locator("p.diff-added")
            expect(removed).to_have_count(1)
            expect(added).to_have_count(1)
            expect(removed.locator("del")).to_contain_text("or any other topic.")
            expect(added.locator("ins")).to_contain_text("the ministry said in a later correction.")
            assert page.evaluate(
                "getComputedStyle(document.querySelector('.diff-added')).backgroundColor"
            ) != page.evaluate("getComputedStyle(document.querySelector('.diff-removed')).backgroundColor")
            page.locator("#revision-2").scroll_into_view_if_needed()
            shoot(page, tmp_path, "article")

            # Its WARC record and text file are a click away.
            with page.expect_download() as download:
                page.click("#revision-2 a:has-text('WARC record')")
            assert download.value.suggested_filename.endswith(".warc.gz")
            page.goto(page.url.split("?")[0] + "/text/2")
            expect(page.locator("body")).to_contain_text(NEW_SENTENCE)

            # The outlet page: articles per day as a chart, the two crawls and their quality.
            page.goto(base + "/outlet/moscowtimes")
            expect(page.locator("svg.chart rect").first).to_be_visible()
            expect(page.locator("table.archive-table tbody tr")).to_have_count(2)
            shoot(page, tmp_path, "outlet")

            # A bad query: a message on the page, not an error page.
            page.goto(base + '/search?q="unbalanced')
            expect(page.locator(".archive-error")).to_contain_text("unbalanced quotes")
        finally:
            browser.close()


def test_paths_that_climb_out_are_not_found(served):
    _base, port, _archive, _proc = served
    for path in ("/article/../etc/passwd", "/article/1/text/../../../catalog.sqlite3", "/nosuchpage", "/article/99999"):
        assert raw_get(port, path) == 404, path


def test_serve_listens_on_loopback_only(served):
    _base, port, _archive, _proc = served
    addresses = {info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)}
    addresses.discard("127.0.0.1")
    for address in addresses:
        with socket.socket() as s:
            s.settimeout(2)
            assert s.connect_ex((address, port)) != 0, f"scrapy serve answers on {address}"


def test_serve_memory_stays_flat_under_repeated_queries(served):
    _base, port, _archive, proc = served

    def rss_kb() -> int:
        with open(f"/proc/{proc.pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise AssertionError("no VmRSS")

    queries = ["Gerasimov", "correction", "armies", '"rare call"', "hotline OR Milley", "Ukraine NOT Crimea"]

    def burst(n: int) -> None:
        for i in range(n):
            with urllib.request.urlopen(f"{_base}/search?q={urllib.request.quote(queries[i % len(queries)])}") as r:
                r.read()

    burst(150)  # warm: templates compiled, lemma tables loaded, Datasette's caches filled
    sizes = []
    for _ in range(3):
        burst(200)
        sizes.append(rss_kb())
    # Flat: what 400 more searches add is within noise (a leak of even 20 KB a search would not be).
    assert sizes[-1] - sizes[0] < max(sizes[0] // 10, 8_000), sizes
