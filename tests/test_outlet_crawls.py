"""End to end for every outlet with a fixture site: crawl on loopback, check, replay offline.

(The Moscow Times has its own, more detailed module: test_moscowtimes_crawl.py.)
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from scrapy.spiderloader import SpiderLoader
from scrapy.utils.project import get_project_settings

from tests.support.run import scrapy
from tests.support.site import manifest_site
from tests.support.warcs import records, warc_files, warcio_check

pytestmark = pytest.mark.slow  # starts scrapy crawl processes

FIXTURES = Path(__file__).parent / "fixtures"
SPIDERS = [
    "rferl",
    "svoboda",
    "radiosvoboda",
    "currenttime",
    "justthenews",
    "breakingdefense",
    "thedefensepost",
    "warontherocks",
    "defensenews",
    "kyivindependent",
    "meduza",
]  # isw: test_isw_crawl_delay.py
#: What each platform must have been discovered through (beyond the Pangea services, checked below).
SOURCES = {
    "justthenews": {"/rss.xml"},
    "breakingdefense": {"/feed/", "/wp-sitemap.xml", "/wp-sitemap-posts-post-1.xml"},
    "thedefensepost": {"/feed/", "/wp-sitemap.xml", "/wp-sitemap-posts-post-1.xml"},
    "warontherocks": {"/feed/", "/wp-sitemap.xml", "/wp-sitemap-posts-post-1.xml"},
    "defensenews": {"/arc/outboundfeeds/rss/", "/arc/outboundfeeds/sitemap-news/"},
    "kyivindependent": {"/news-archive/rss/"},
    "meduza": {"/rss/en/all"},
}
LOADER = SpiderLoader.from_settings(get_project_settings())


@pytest.fixture(scope="module", params=SPIDERS)
def outlet(request, tmp_path_factory):
    name = request.param
    server = HTTPServer(host="127.0.0.1")
    server.start()
    site, args = manifest_site(server, FIXTURES / name)
    archive = tmp_path_factory.mktemp(f"{name}-archive")
    crawl = scrapy("crawl", name, *args, archive=archive, items=archive / "items.jsonl")
    requests_after_crawl = len(site.requests)
    target = tmp_path_factory.mktemp(f"{name}-replay")
    replay = scrapy(
        "crawl", name, *args, "-s", f"REPLAY_WARC={archive / 'warc'}", archive=target, items=target / "items.jsonl"
    )
    yield name, site, archive, crawl, target, replay, requests_after_crawl
    server.stop()


def expected(name: str, base: str, origin: str) -> dict[str, dict]:
    text = (FIXTURES / name / "expected.json").read_text(encoding="utf-8").replace(origin, base)
    return {k: {f: v for f, v in e.items() if not f.startswith("_")} for k, e in json.loads(text).items()}


def test_crawl_yields_expected_items(outlet):
    name, site, archive, crawl, *_ = outlet
    assert crawl.returncode == 0, crawl.log
    want = expected(name, site.base, site.origins[0])
    got = {item["url"]: item for item in crawl.items}
    assert sorted(got) == sorted(e["url"] for e in want.values())
    for entry in want.values():
        assert {k: got[entry["url"]][k] for k in entry} == entry


def test_everything_fetched_is_archived_and_valid(outlet):
    name, site, archive, crawl, *_ = outlet
    files = warc_files(archive, name)
    assert files
    archived = set()
    for path in files:
        assert warcio_check(path).returncode == 0
        archived |= {h.get_header("WARC-Target-URI") for kind, h, _, _ in records(path) if kind == "response"}
    fetched = {site.base + r.full_path.rstrip("?") for r in site.requests}
    assert fetched == archived


def test_discovery_uses_the_platforms_sources(outlet):
    name, site, *_ = outlet
    paths = [r.path for r in site.requests]
    if name in SOURCES:
        assert SOURCES[name] <= set(paths)
        assert not any(p.startswith("/video/") for p in paths), "video pages are not articles"
        assert not any("taxonomies" in p or "users" in p or "page-1" in p for p in paths), "only post sitemaps"
        if name == "meduza":
            assert not any(p.startswith("/en/") for p in paths), "the JavaScript pages are not fetched, the API is"
        if name == "kyivindependent":
            assert "/news-archive/" not in paths, "section pages are not articles"
    else:
        assert {"/sitemap.xml", "/rssfeeds", "/api/zbqiml-vomx-tpeqkmy", "/api/epiqq"} <= set(paths)
        assert any(p.endswith("_news.xml.gz") for p in paths) and any(p.endswith("_latest.xml.gz") for p in paths)
        assert not any(p.endswith(("_1.xml.gz", "_sections.xml.gz", "_videos.xml.gz")) for p in paths)


def test_no_boilerplate_in_items_or_text_files(outlet):
    name, site, archive, crawl, *_ = outlet
    spider = LOADER.load(name)
    texts = [json.dumps(i, ensure_ascii=False) for i in crawl.items]
    files = list((archive / "text").rglob("*.md"))
    assert len(files) == len(crawl.items)
    texts += [p.read_text(encoding="utf-8") for p in files]
    for text in texts:
        for needle in spider.rules.boilerplate:
            assert needle not in text, needle


def test_replay_is_identical_and_offline(outlet):
    name, site, archive, crawl, target, replay, requests_after_crawl = outlet
    assert replay.returncode == 0, replay.log
    assert len(site.requests) == requests_after_crawl
    assert sorted(replay.items, key=lambda i: i["url"]) == sorted(crawl.items, key=lambda i: i["url"])
    originals = {p.relative_to(archive / "text"): p.read_bytes() for p in (archive / "text").rglob("*.md")}
    copies = {p.relative_to(target / "text"): p.read_bytes() for p in (target / "text").rglob("*.md")}
    assert originals == copies and originals


@pytest.mark.parametrize("engine", ["direct", "spider"])
def test_scrapy_extract_over_the_crawls_warc_equals_its_items(outlet, engine, tmp_path):
    """Re-extraction reads every article capture the crawl archived (Meduza's: JSON API answers),
    by the direct path and by a replay crawl alike: the same items as the crawl made."""
    name, site, archive, crawl, *_ = outlet
    out = tmp_path / "extracted.jsonl"
    run = scrapy(
        "extract", str(archive / "warc"), "--spider", name, "--engine", engine, "-o", str(out), archive=tmp_path
    )
    assert run.returncode == 0, run.log
    assert "] ERROR:" not in run.log, run.log  # no component failing on the way (an engine it expects)
    items = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert sorted(items, key=lambda i: i["url"]) == sorted(crawl.items, key=lambda i: i["url"])
