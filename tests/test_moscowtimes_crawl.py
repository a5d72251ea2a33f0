"""End to end: crawl the Moscow Times fixture site on loopback, check the archive, replay it."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
import yaml

from tests.support.moscowtimes_site import FIXTURES, expected_item, expected_items, spider_args
from tests.support.run import scrapy
from tests.support.warcs import cdxj_index, records, warc_files, warcio_check

pytestmark = pytest.mark.slow  # starts scrapy crawl processes

ARTICLE_PATHS = sorted(json.loads((FIXTURES / "expected.json").read_text()))
BOILERPLATE = (
    "Related article",
    "we have a small favor to ask",
    "undesirable",
    "foreign agent",
    "Read more about:",
    "Read more",
    "The views expressed in opinion pieces",
    "Most read",
    "Just in",
    "Subscribe to The Moscow Times",
    "Advertisement",
    "Support The Moscow Times",
    "writes about security and defense policy",
    "pic.twitter.com",
    "Continue",
    "Putin Accuses West",
    "Oreshnik Strike",
    "Kremlin Says Talks",
)


@pytest.fixture(scope="module")
def crawl(mt_site, tmp_path_factory):
    archive = tmp_path_factory.mktemp("mt-archive")
    run = scrapy("crawl", "moscowtimes", *spider_args(mt_site), archive=archive, items=archive / "items.jsonl")
    assert run.returncode == 0, run.log
    return archive, run


@pytest.fixture(scope="module")
def replay(crawl, mt_site, tmp_path_factory):
    archive, _ = crawl
    target = tmp_path_factory.mktemp("mt-replay")
    before = len(mt_site.requests)
    run = scrapy(
        "crawl",
        "moscowtimes",
        *spider_args(mt_site),
        "-s",
        f"REPLAY_WARC={archive / 'warc'}",
        archive=target,
        items=target / "items.jsonl",
    )
    assert run.returncode == 0, run.log
    assert len(mt_site.requests) == before, "replay touched the network"
    return target, run


def by_url(items):
    return {item["url"]: item for item in items}


def test_every_article_becomes_exactly_the_expected_item(crawl, mt_site):
    _, run = crawl
    items = by_url(run.items)
    expected = expected_items(mt_site.base)
    assert sorted(items) == sorted(e["url"] for e in expected.values())
    for entry in expected.values():
        want = expected_item(entry)
        got = items[want["url"]]
        for field, value in want.items():
            assert got[field] == value, (want["url"], field)
        assert got["warc"]["record_id"].startswith("<urn:uuid:")
        assert got["fetched_at"] == got["warc"]["date"]


def test_video_gallery_and_missing_pages_yield_no_item_but_are_archived(crawl, mt_site):
    archive, run = crawl
    urls = {item["url"] for item in run.items}
    archived = {
        headers.get_header("WARC-Target-URI"): http.get_statuscode()
        for path in warc_files(archive, "moscowtimes")
        for kind, headers, http, _ in records(path)
        if kind == "response"
    }
    for path in ("/2024/12/04/video-inside-a-drone-factory-a87230", "/2024/12/03/gallery-winter-in-moscow-a87220"):
        assert mt_site.base + path not in urls
        assert archived[mt_site.base + path] == "200"
    assert archived[mt_site.base + "/2021/11/23/putin-accuses-west-of-escalating-situation-in-ukraine-a75640"] == "404"
    assert archived[mt_site.base + "/robots.txt"] == "200"
    for feed in ("news", "opinion", "all"):
        assert archived[f"{mt_site.base}/rss/{feed}"] == "200"
    assert archived[mt_site.base + "/sitemap/sitemap.xml"] == "200"
    assert archived[mt_site.base + "/sitemap/2021-11.xml"] == "200"


def test_warc_passes_warcio_check_and_indexes_with_cdxj_indexer(crawl, mt_site):
    archive, _ = crawl
    files = warc_files(archive, "moscowtimes")
    assert files and not list((archive / "warc" / "moscowtimes").glob("*.open"))
    for path in files:
        assert path.name.startswith("moscowtimes-") and len(path.name.split("-")[2]) == len("00000.warc.gz")
        check = warcio_check(path)
        assert check.returncode == 0, check.stdout + check.stderr
        assert "digest pass" in check.stdout and "fail" not in check.stdout.lower()
        lines = cdxj_index(path)
        assert any("/2021/11/24/us-russian-military-chiefs-speak-on-the-phone-a75651" in line for line in lines)


def test_records_carry_wire_bytes_digests_and_links(crawl, mt_site):
    archive, run = crawl
    (path,) = warc_files(archive, "moscowtimes")
    recs = records(path)
    kind, info, _, payload = recs[0]
    assert kind == "warcinfo"
    fields = payload.decode()
    for needle in (
        "software: defense-news-archive/",
        "scrapy/",
        "warcio/",
        "isPartOf: moscowtimes",
        "http-header-user-agent: defense-news-archive/",
        "robots: obey",
        "format: WARC File Format 1.1",
    ):
        assert needle in fields
    responses = {h.get_header("WARC-Record-ID"): (h, http, body) for k, h, http, body in recs if k == "response"}
    requests = [(h, http) for k, h, http, _ in recs if k == "request"]
    assert len(requests) == len(responses)
    for headers, http in requests:
        response_id = headers.get_header("WARC-Concurrent-To")
        assert response_id in responses
        response_headers = responses[response_id][0]
        assert headers.get_header("WARC-Target-URI") == response_headers.get_header("WARC-Target-URI")
        assert headers.get_header("WARC-Date") == response_headers.get_header("WARC-Date")
        assert http.protocol == "GET" and http.statusline.endswith("HTTP/1.1")
        assert http.get_header("User-Agent").startswith("defense-news-archive/")
    article = mt_site.base + "/2021/11/24/us-russian-military-chiefs-speak-on-the-phone-a75651"
    item = by_url(run.items)[article]
    headers, http, body = responses[item["warc"]["record_id"]]
    # Stored as sent: gzip-encoded, with the original headers and a correct digest.
    assert http.get_header("Content-Encoding") == "gzip" and body[:2] == b"\x1f\x8b"
    assert headers.get_header("WARC-IP-Address") == "127.0.0.1"
    digest = "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode()
    assert headers.get_header("WARC-Payload-Digest") == digest == item["warc"]["payload_digest"]
    conversions = [(h, body) for k, h, _, body in recs if k == "conversion"]
    assert len(conversions) == len(run.items)
    refers = {h.get_header("WARC-Refers-To"): json.loads(body) for h, body in conversions}
    assert refers[item["warc"]["record_id"]] == item


def test_text_files_follow_the_seed_shape(crawl, mt_site):
    archive, run = crawl
    for item in run.items:
        relative = item["url"][len(mt_site.base) + 1 :] + ".md"
        text = (archive / "text" / "moscowtimes" / relative).read_text(encoding="utf-8")
        _, front, body = text.split("---\n", 2)
        meta = yaml.safe_load(front)
        assert meta["warc"]["record_id"] == item["warc"]["record_id"]
        assert meta["title"] == item["title"] and meta.get("authors", []) == item["authors"]
        assert meta.get("organizations", []) == item["organizations"]
        key = item["url"].rsplit("-", 1)[-1]
        golden = (FIXTURES / "expected_text" / f"{key}.md").read_text(encoding="utf-8")
        assert body == golden.replace("{BASE}", mt_site.base)


def test_no_boilerplate_reaches_items_or_text_files(crawl):
    archive, run = crawl
    texts = [json.dumps(item, ensure_ascii=False) for item in run.items]
    texts += [p.read_text(encoding="utf-8") for p in (archive / "text").rglob("*.md")]
    assert len(texts) == 6
    for text in texts:
        for needle in BOILERPLATE:
            assert needle not in text, needle


def test_replay_yields_identical_items_and_text_files_offline(crawl, replay):
    archive, run = crawl
    target, replayed = replay
    assert sorted(replayed.items, key=lambda i: i["url"]) == sorted(run.items, key=lambda i: i["url"])
    assert "replay/hit" in replayed.log and "replay/miss" not in replayed.log
    originals = {p.relative_to(archive / "text"): p.read_bytes() for p in (archive / "text").rglob("*.md")}
    copies = {p.relative_to(target / "text"): p.read_bytes() for p in (target / "text").rglob("*.md")}
    assert originals == copies
    assert not (target / "warc").exists(), "replay wrote a WARC without being asked"


def test_crawl_shows_politeness_settings(crawl):
    _, run = crawl
    assert "'ROBOTSTXT_OBEY': True" in run.log or "robotstxt/request_count" in run.log
    assert "robotstxt/response_status_count/200" in run.log


def test_scrapy_extract_over_the_crawls_warc_equals_the_crawls_items(crawl, tmp_path):
    archive, run = crawl
    out = tmp_path / "extracted.jsonl"
    extract = scrapy("extract", str(archive / "warc"), "--spider", "moscowtimes", "-o", str(out), archive=tmp_path)
    assert extract.returncode == 0, extract.log
    items = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert sorted(items, key=lambda i: i["url"]) == sorted(run.items, key=lambda i: i["url"])
    assert "5 article captures (moscowtimes: 5)" in extract.log and "-> 3 articles" in extract.log
