"""ISW's robots.txt asks for a Crawl-delay: Scrapy reads it but does not apply it; the archive does."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from pytest_httpserver import HTTPServer

from crawler.requisites import css_requisites, html_requisites
from tests.support.run import ENV, PROJECT, command, scrapy
from tests.support.site import manifest_site

pytestmark = pytest.mark.slow  # starts scrapy crawl processes

FIXTURES = Path(__file__).parent / "fixtures"
ARTICLE = "/research/russia-ukraine/russian-offensive-campaign-assessment-march-21-2025/"


@pytest.fixture
def isw_site(tmp_path):
    server = HTTPServer(host="127.0.0.1")
    server.start()
    site, args = manifest_site(server, FIXTURES / "isw")
    yield site, args
    server.stop()


def test_a_600_second_crawl_delay_holds_the_next_request_back(isw_site, tmp_path):
    site, args = isw_site
    assert "Crawl-delay: 600" in (FIXTURES / "isw" / "site" / "robots.txt").read_text()
    proc = subprocess.Popen(
        command("crawl", "isw", *args, archive=tmp_path),
        cwd=PROJECT,
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    time.sleep(6)  # a crawl that ignored the delay would have fetched the sitemaps and the article by now
    proc.kill()
    log, _ = proc.communicate(timeout=30)
    assert "Honouring robots.txt Crawl-delay of 600" in log
    paths = [r.path for r in site.requests]
    assert paths[0] == "/robots.txt" and len(paths) <= 2, paths  # robots.txt, then at most one request


def test_the_whole_crawl_with_a_short_crawl_delay_is_spaced_and_complete(isw_site, tmp_path):
    site, args = isw_site
    short = tmp_path / "robots.txt"
    short.write_text("User-agent: *\nCrawl-delay: 1\nDisallow: /wp-admin/\n", encoding="utf-8")
    site.add("/robots.txt", short, "text/plain; charset=utf-8")
    stamps = []
    original = site._handle

    def timed(request):
        stamps.append(time.monotonic())
        return original(request)

    site.server.clear()
    site.server.expect_request("").respond_with_handler(timed)
    run = scrapy("crawl", "isw", *args, archive=tmp_path, items=tmp_path / "items.jsonl")
    assert run.returncode == 0, run.log
    paths = [r.path for r in site.requests]
    assert paths[:4] == ["/robots.txt", "/sitemap_index.xml", "/post-sitemap.xml", ARTICLE]
    # Then the article's requisites (its stylesheet and images), under the same Crawl-delay.
    page = site.body_of(ARTICLE).decode("utf-8")
    found = html_requisites(page, site.base + ARTICLE)
    for sheet in [r for r in found if r.kind == "stylesheet" and urlsplit(r.url).path in site.routes]:
        found += css_requisites(site.body_of(urlsplit(sheet.url).path).decode("utf-8"), sheet.url)  # url()s
    requisites = {urlsplit(r.url).path for r in found}
    assert paths[4:] and set(paths[4:]) <= requisites, paths
    gaps = [b - a for a, b in zip(stamps[1:], stamps[2:], strict=False)]  # between requests after robots.txt
    assert all(gap >= 0.9 for gap in gaps), gaps
    (item,) = run.items
    expected = json.loads((FIXTURES / "isw" / "expected.json").read_text())[ARTICLE]
    assert item["text"] == expected["text"] and item["authors"] == expected["authors"]
