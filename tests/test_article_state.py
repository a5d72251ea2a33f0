"""Per-article state has one owner (crawler.state.middleware): plans, outcomes, revisions.

End to end on the Meduza fixture site (its articles are JSON API answers): a second run right
after the first fetches no API answer again, neither the article nor an answer that held no
article (before the state had one owner, that answer was never marked and was fetched on every
run). And the planning decision on its own.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from crawler.state.database import StoredCapture
from crawler.state.planning import plan_fetch
from tests.support.run import scrapy
from tests.support.site import manifest_site

FIXTURES = Path(__file__).parent / "fixtures"
ARTICLE = "/api/w5/en/news/2025/03/24/regional-court-jails-activist-over-anti-war-posts"
EMPTY = "/api/w5/en/news/2025/03/25/live-updates-moved"


def _site_with_an_empty_answer(server: HTTPServer, work: Path):
    """The Meduza fixture site, its feed announcing a second URL whose API answer holds no article:
    the stored article's answer with no headline and no blocks (made here from the stored one)."""
    site, args = manifest_site(server, FIXTURES / "meduza")
    answer = json.loads((FIXTURES / "meduza" / "pages" / "court.json").read_text(encoding="utf-8"))
    answer["root"].pop("title")
    answer["root"]["content"]["blocks"] = []
    empty = work / "empty.json"
    empty.write_text(json.dumps(answer, ensure_ascii=False), encoding="utf-8")
    site.add(EMPTY, empty, "application/json; charset=utf-8")
    feed = (FIXTURES / "meduza" / "site" / "rss.xml").read_text(encoding="utf-8")
    link = "https://meduza.io" + EMPTY.replace("/api/w5", "")
    item = f"<item><title>Live updates moved</title><link>{link}</link><guid>{link}</guid></item>"
    rss = work / "rss.xml"
    rss.write_text(feed.replace("</channel>", item + "</channel>"), encoding="utf-8")
    site.add("/rss/en/all", rss, "application/rss+xml; charset=utf-8")
    return site, args


@pytest.mark.slow
def test_a_second_run_fetches_no_known_api_answer(tmp_path):
    server = HTTPServer(host="127.0.0.1")
    server.start()
    try:
        site, args = _site_with_an_empty_answer(server, tmp_path)
        archive = tmp_path / "archive"
        first = scrapy("crawl", "meduza", *args, archive=archive, items=tmp_path / "first.jsonl")
        assert first.returncode == 0, first.log
        assert [item["title"] for item in first.items] == ["Regional court jails activist over anti-war posts"]
        assert site.count(ARTICLE) == 1 and site.count(EMPTY) == 1
        with sqlite3.connect(archive / "state.sqlite3") as db:
            outcomes = dict(db.execute("SELECT url, outcome FROM captures WHERE url LIKE '%/api/w5/%'").fetchall())
        assert outcomes == {site.base + ARTICLE: "article", site.base + EMPTY: "not_article"}

        second = scrapy("crawl", "meduza", *args, archive=archive, items=tmp_path / "second.jsonl")
        assert second.returncode == 0, second.log
        assert site.count("/rss/en/all") == 2  # the feed is read again ...
        assert site.count(ARTICLE) == 1 and site.count(EMPTY) == 1  # ... no known answer fetched again
        assert second.items == []
    finally:
        server.stop()


def _capture(fetched_at: str, etag: str | None = '"abc"', modified: str | None = None) -> StoredCapture:
    return StoredCapture(
        "https://example.org/a",
        "s",
        fetched_at,
        200,
        "response",
        "f.warc.gz",
        0,
        "<urn:uuid:1>",
        "sha1:X",
        etag,
        modified,
    )


def test_plan_new_known_announced_and_recheck():
    now = datetime(2026, 11, 2, 12, tzinfo=UTC)
    day = timedelta(hours=24)
    assert plan_fetch(None, None, day, now).reason == "new"
    recent = _capture("2026-11-02T06:00:00Z", modified="Wed, 24 Nov 2021 08:41:00 GMT")
    assert plan_fetch(recent, None, day, now).fetch is False
    announced = plan_fetch(recent, datetime(2026, 11, 2, 8, tzinfo=UTC), day, now)
    assert announced.reason == "announced as changed"
    assert announced.headers == {"If-None-Match": '"abc"', "If-Modified-Since": "Wed, 24 Nov 2021 08:41:00 GMT"}
    old = _capture("2026-10-31T06:00:00Z", etag=None)
    assert plan_fetch(old, None, day, now) == plan_fetch(old, None, day, now)
    assert plan_fetch(old, None, day, now).reason == "re-check" and plan_fetch(old, None, day, now).headers == {}


@pytest.mark.slow
def test_what_is_known_is_known_per_spider(tmp_path):
    """The feed spider archives Moscow Times articles first; the outlet's own spider then fetches
    them in full (no conditional request, no revisit into warc/feed/), reads them with the outlet's
    rules, and its own directory re-extracts whole."""
    from tests.support.moscowtimes_site import expected_item, expected_items, moscowtimes_site, spider_args
    from tests.support.warcs import records, warc_files

    server = HTTPServer(host="127.0.0.1")
    server.start()
    try:
        site = moscowtimes_site(server)
        archive = tmp_path / "archive"
        generic = scrapy("crawl", "feed", "-a", f"url={site.base}/rss/news", archive=archive)
        assert generic.returncode == 0, generic.log
        assert list((archive / "warc" / "feed").glob("*.warc.gz"))
        fetched_by_feed = len(site.requests)

        outlet = scrapy("crawl", "moscowtimes", *spider_args(site), archive=archive, items=tmp_path / "mt.jsonl")
        assert outlet.returncode == 0, outlet.log
        outlet_requests = site.requests[fetched_by_feed:]
        assert not any(r.headers.get("If-None-Match") for r in outlet_requests), "known to another spider"
        want = {e["url"]: expected_item(e) for e in expected_items(site.base).values()}
        got = {item["url"]: item for item in outlet.items}
        assert sorted(got) == sorted(want)
        for url, fields in want.items():
            assert {k: got[url][k] for k in fields} == fields  # the outlet's rules, not generic ones
            assert got[url]["revision"] == 1
        for path in warc_files(archive, "moscowtimes"):
            assert all(kind != "revisit" for kind, *_ in records(path))

        extracted = tmp_path / "extracted.jsonl"
        run = scrapy(
            "extract",
            str(archive / "warc" / "moscowtimes"),
            "--spider",
            "moscowtimes",
            "-o",
            str(extracted),
            archive=tmp_path / "x",
        )
        assert run.returncode == 0, run.log
        assert sorted(json.loads(line)["url"] for line in extracted.read_text().splitlines()) == sorted(want)
    finally:
        server.stop()


def test_an_archive_from_before_per_spider_revisions_opens_with_every_row(tmp_path):
    from crawler.state.database import ArchiveState

    with sqlite3.connect(tmp_path / "state.sqlite3") as db:
        db.execute(
            "CREATE TABLE revisions (url TEXT NOT NULL, revision INTEGER NOT NULL, spider TEXT NOT NULL,"
            " fetched_at TEXT NOT NULL, record_id TEXT NOT NULL, text_hash TEXT NOT NULL, text TEXT NOT NULL,"
            " diff TEXT, PRIMARY KEY (url, revision))"
        )
        db.execute("INSERT INTO revisions VALUES ('https://x/a', 1, 'feed', 't', 'r', 'h', 'text', NULL)")
    state = ArchiveState(tmp_path)
    try:
        assert [r.revision for r in state.revisions("https://x/a")] == [1]
        assert state.last_revision("https://x/a", "moscowtimes") is None
        assert state.last_revision("https://x/a", "feed").text == "text"
    finally:
        state.close()
