"""Spider arguments (since, url), replay misses, and Ctrl-C in the middle of a crawl."""

from __future__ import annotations

import signal
import subprocess
import time
from urllib.parse import urlsplit

import pytest

from crawler.requisites import html_requisites
from tests.support.moscowtimes_site import spider_args
from tests.support.run import ENV, PROJECT, command, scrapy
from tests.support.warcs import records, warc_files, warcio_check

pytestmark = pytest.mark.slow  # starts scrapy crawl processes

A75651 = "/2021/11/24/us-russian-military-chiefs-speak-on-the-phone-a75651"
A87242 = "/2024/12/05/russia-us-army-chiefs-hold-rare-call-amid-ukraine-escalation-a87242"
A90011 = "/2025/03/14/why-the-military-hotline-still-matters-a90011"


def test_since_prunes_sitemap_files_and_old_entries(mt_site, tmp_path):
    start = len(mt_site.requests)
    run = scrapy(
        "crawl",
        "moscowtimes",
        *spider_args(mt_site),
        "-a",
        "since=2024-01-01",
        archive=tmp_path,
        items=tmp_path / "items.jsonl",
    )
    assert run.returncode == 0, run.log
    fetched = [r.path for r in mt_site.requests[start:]]
    assert "/sitemap/2021-11.xml" not in fetched and "/sitemap/2024-12.xml" in fetched
    assert A75651 not in fetched
    assert sorted(i["url"].replace(mt_site.base, "") for i in run.items) == [A87242, A90011]


def test_url_argument_fetches_just_those_articles(mt_site, tmp_path):
    start = len(mt_site.requests)
    run = scrapy(
        "crawl", "moscowtimes", "-a", f"url={mt_site.base}{A87242}", archive=tmp_path, items=tmp_path / "items.jsonl"
    )
    assert run.returncode == 0, run.log
    requests = mt_site.requests[start:]
    assert sorted(r.path for r in requests if not r.headers.get("Referer")) == sorted(["/robots.txt", A87242])
    # The rest is what the page needs to render: requested with the page (or its stylesheet) as Referer.
    page = mt_site.body_of(A87242).decode("utf-8")
    direct = {urlsplit(r.url).path for r in html_requisites(page, mt_site.base + A87242)}
    referred = [r for r in requests if r.headers.get("Referer")]
    assert direct & {r.path for r in referred}
    assert all(r.headers["Referer"].startswith(mt_site.base) for r in referred)
    assert [i["url"] for i in run.items] == [mt_site.base + A87242]


def test_replay_miss_is_an_error_line_and_a_stat_and_the_crawl_goes_on(mt_site, tmp_path):
    first = tmp_path / "first"
    assert scrapy("crawl", "moscowtimes", "-a", f"url={mt_site.base}{A87242}", archive=first).returncode == 0
    start = len(mt_site.requests)
    second = tmp_path / "second"
    urls = f"{mt_site.base}{A75651},{mt_site.base}{A87242}"
    run = scrapy(
        "crawl",
        "moscowtimes",
        "-a",
        f"url={urls}",
        "-s",
        f"REPLAY_WARC={first / 'warc'}",
        archive=second,
        items=second / "items.jsonl",
    )
    assert run.returncode == 0, run.log
    assert len(mt_site.requests) == start, "a replay miss went to the network"
    assert f"ERROR: Replay: not in the archive: GET {mt_site.base}{A75651}" in run.log
    assert "'replay/miss': 1" in run.log
    assert [i["url"] for i in run.items] == [mt_site.base + A87242]


def test_ctrl_c_leaves_closed_valid_warc_files(mt_site, tmp_path):
    mt_site.delay = 0.3
    try:
        line = command("crawl", "moscowtimes", *spider_args(mt_site), archive=tmp_path)
        proc = subprocess.Popen(line, cwd=PROJECT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.time() + 60
        opened = None
        while time.time() < deadline and opened is None:
            found = list((tmp_path / "warc" / "moscowtimes").glob("*.open")) if (tmp_path / "warc").exists() else []
            opened = found[0] if found and found[0].stat().st_size > 3000 else None
            time.sleep(0.1)
        assert opened is not None, "the crawl never started writing"
        proc.send_signal(signal.SIGINT)
        output, _ = proc.communicate(timeout=60)
    finally:
        mt_site.delay = 0.0
    assert "shutting down gracefully" in output.lower() or "Received SIGINT" in output, output[-3000:]
    assert not list((tmp_path / "warc").rglob("*.open")), output[-3000:]
    files = warc_files(tmp_path, "moscowtimes")
    assert files
    for path in files:
        assert warcio_check(path).returncode == 0
        assert records(path)[0][0] == "warcinfo"
    assert not [p for p in tmp_path.rglob("*.part")]


def test_robots_txt_is_obeyed(mt_site, tmp_path):
    start = len(mt_site.requests)
    disallowed = f"{mt_site.base}{A87242}?utm_source=telegram"
    run = scrapy("crawl", "moscowtimes", "-a", f"url={disallowed}", archive=tmp_path, items=tmp_path / "items.jsonl")
    assert run.returncode == 0, run.log
    assert [r.path for r in mt_site.requests[start:]] == ["/robots.txt"]
    assert "'robotstxt/forbidden': 1" in run.log and run.items == []
