"""``scrapy crawl feed -a url=...``: any outlet from its feed or sitemap, no code; crawl and replay."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from tests.support.run import scrapy
from tests.support.site import FixtureSite

pytestmark = pytest.mark.slow  # starts scrapy crawl processes

CORPUS = Path(__file__).parent / "fixtures" / "corpus"
SLICE = Path(__file__).parent / "fixtures" / "benchmark_slice"


@pytest.fixture(scope="module")
def feed_site(tmp_path_factory):
    """Real feeds and sitemaps from the corpus, their links answered by real article pages."""
    work = tmp_path_factory.mktemp("feed-site")
    server = HTTPServer(host="127.0.0.1")
    server.start()
    site = FixtureSite(server, ("http://www.example.com", "http://example.org"))
    pages = sorted(SLICE.glob("html/*.html.gz"))
    for index, page in enumerate(pages[:4]):
        target = work / f"page{index}.html"
        target.write_bytes(gzip.decompress(page.read_bytes()))
        pages[index] = target
    site.add("/robots.txt", CORPUS / "SOURCES.md", "text/plain")  # no rules: everything allowed
    site.add("/feed.rss", CORPUS / "trafilatura_feed2.rss", "application/rss+xml")
    site.add("/blog/post/1", pages[0])
    site.add("/feed.atom", CORPUS / "trafilatura_feed1.atom", "application/atom+xml")
    site.add("/2003/12/13/atom03", pages[1])
    site.add("/sitemap-news.xml", CORPUS / "newscrawl_sitemap-news.xml", "application/xml")
    site.add("/business/article55.html", pages[2])
    broken = work / "broken.rss"
    broken.write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
        "<item><title>no link at all</title></item>"
        "<item><title>fine</title><link>http://www.example.com/fine</link></item>"
        "<item><title>cut off",
        encoding="utf-8",
    )
    site.add("/broken.rss", broken, "application/rss+xml")
    site.add("/fine", pages[3])
    yield site
    server.stop()


@pytest.mark.parametrize(
    ("source", "article"),
    [
        ("/feed.rss", "/blog/post/1"),
        ("/feed.atom", "/2003/12/13/atom03"),
        ("/sitemap-news.xml", "/business/article55.html"),
        ("/broken.rss", "/fine"),
    ],
)
def test_any_feed_or_sitemap_archives_its_articles_and_replays(feed_site, tmp_path, source, article):
    run = scrapy(
        "crawl", "feed", "-a", f"url={feed_site.base}{source}", archive=tmp_path, items=tmp_path / "items.jsonl"
    )
    assert run.returncode == 0, run.log
    urls = {item["url"] for item in run.items}
    assert feed_site.base + article in urls
    (item,) = [i for i in run.items if i["url"] == feed_site.base + article]
    assert item["outlet"] == "feed" and item["title"] and len(item["text"].split()) > 50
    replay = scrapy(
        "crawl",
        "feed",
        "-a",
        f"url={feed_site.base}{source}",
        "-s",
        f"REPLAY_WARC={tmp_path / 'warc'}",
        archive=tmp_path / "replay",
        items=tmp_path / "replay.jsonl",
    )
    assert replay.returncode == 0 and replay.items == run.items
    if source == "/broken.rss":
        assert "malformed" in run.log or "skipped" in run.log


def test_the_feed_spider_needs_a_url(tmp_path):
    run = scrapy("crawl", "feed", archive=tmp_path)
    assert "-a url=" in run.log
