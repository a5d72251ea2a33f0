"""Scheduled runs: incremental fetching, revisit records, edit tracking, the lock, crash recovery."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from crawler.state.database import ArchiveState
from tests.support.integrity import check
from tests.support.moscowtimes_site import moscowtimes_site
from tests.support.run import ENV, PROJECT, command, scrapy
from tests.support.two_runs import (
    A75651,
    A87242,
    A90011,
    GALLERY,
    NEW,
    NEW_SENTENCE,
    OLD_SENTENCE,
    VIDEO,
    crawlall,
    warc_records,
)
from tests.support.two_runs import two_runs as edited_site_runs
from tests.support.warcs import warcio_check

pytestmark = pytest.mark.slow  # starts scrapy crawl processes


#: The state database of each module-scoped archive: "" (SQLite in it) or a PostgreSQL URL.
STATE_URLS: dict[Path, str] = {}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def two_runs(request, tmp_path_factory):
    """Both runs, their state in SQLite (the default) and again in a real PostgreSQL (STATE_URL):
    every test of this module holds for both backends."""
    work = tmp_path_factory.mktemp(f"incremental-{request.param}")
    if request.param == "sqlite":
        with edited_site_runs(work) as runs:
            STATE_URLS[runs[1]] = ""
            yield runs
        return
    from tests.support.postgres_server import postgres_bin, postgres_server

    if postgres_bin() is None:
        pytest.skip("no PostgreSQL (bin/setup installs Debian's postgresql)")
    with postgres_server() as url, edited_site_runs(work, "-s", f"STATE_URL={url}") as runs:
        STATE_URLS[runs[1]] = url
        assert not (runs[1] / "state.sqlite3").exists()  # the state is in the server, not beside the WARCs
        yield runs


def state_of(archive: Path) -> ArchiveState:
    return ArchiveState(archive, STATE_URLS.get(archive, ""))


def test_first_run_archives_every_article(two_runs):
    site, archive, first, *_ = two_runs
    assert first.returncode == 0, first.stderr[-3000:]
    report = json.loads(sorted((archive / "runs").glob("*.json"))[0].read_text())
    (summary,) = report["spiders"]
    assert summary["new"] == 3 and summary["updated"] == 0 and not summary["failed"]
    assert "moscowtimes" in first.stdout and "new" in first.stdout


def test_second_run_fetches_only_what_it_must(two_runs):
    site, archive, first, second, _, requests = two_runs
    assert second.returncode == 0, second.stderr[-3000:]
    paths = [r.path for r in requests]
    for path in (A87242, A90011, VIDEO, *NEW):
        assert paths.count(path) == 1, path
    for path in (A75651, GALLERY):
        assert path not in paths, f"{path} is known and was not announced as changed"
    conditional = {r.path: r.headers.get("If-None-Match") for r in requests}
    assert conditional[A87242] and conditional[A90011] and conditional[NEW[0]] is None
    report = json.loads(sorted((archive / "runs").glob("*.json"))[-1].read_text())
    (summary,) = report["spiders"]
    assert (summary["new"], summary["updated"], summary["unchanged"]) == (2, 1, 1)


def test_revisit_records_instead_of_second_copies(two_runs):
    site, archive, *_ = two_runs
    recs = warc_records(archive)
    by_url: dict[str, list] = {}
    for _path, kind, headers, http, payload in recs:
        if kind in ("response", "revisit"):
            by_url.setdefault(headers.get_header("WARC-Target-URI"), []).append((kind, headers, http, payload))
    first, second = by_url[site.base + A90011]
    assert first[0] == "response" and second[0] == "revisit"
    assert second[1].get_header("WARC-Profile").endswith("/revisit/server-not-modified")
    assert http_status(second[2]) == "304"
    assert second[1].get_header("WARC-Refers-To-Target-URI") == site.base + A90011
    assert second[1].get_header("WARC-Refers-To-Date") == first[1].get_header("WARC-Date")
    video_first, video_second = by_url[site.base + VIDEO]
    assert video_second[0] == "revisit" and video_second[3] == b""
    assert video_second[1].get_header("WARC-Profile").endswith("/revisit/identical-payload-digest")
    assert video_second[1].get_header("WARC-Payload-Digest") == video_first[1].get_header("WARC-Payload-Digest")
    edited_first, edited_second = by_url[site.base + A87242]
    assert edited_second[0] == "response"
    for path in {r[0] for r in recs}:
        assert warcio_check(path).returncode == 0


def http_status(http) -> str:
    return http.get_statuscode()


def test_edit_becomes_revision_two_with_its_diff(two_runs):
    site, archive, *_ = two_runs
    base = archive / "text" / "moscowtimes" / A87242.lstrip("/")
    first = base.with_name(base.name + ".md").read_text(encoding="utf-8")
    second = base.with_name(base.name + ".r2.md").read_text(encoding="utf-8")
    diff = base.with_name(base.name + ".r2.diff").read_text(encoding="utf-8")
    assert OLD_SENTENCE in first and NEW_SENTENCE not in first
    assert NEW_SENTENCE in second and "revision: 2" in second
    assert f"-{OLD_SENTENCE}\n" in diff and f"+{NEW_SENTENCE}\n" in diff
    state = state_of(archive)
    try:
        revisions = state.revisions(site.base + A87242)
        assert [r.revision for r in revisions] == [1, 2] and revisions[1].diff == diff
        assert [r.revision for r in state.revisions(site.base + A90011)] == [1]
    finally:
        state.close()


def test_history_lists_captures_and_diffs(two_runs):
    site, archive, *_ = two_runs
    url = STATE_URLS.get(archive, "")
    run = scrapy("history", site.base + A87242, *(["-s", f"STATE_URL={url}"] if url else []), archive=archive)
    assert run.returncode == 0, run.log
    assert "2 captures, 2 text revisions" in run.log
    assert f"+{NEW_SENTENCE}" in run.log and "--- revision 2" in run.log


def test_replay_serves_either_capture(two_runs, tmp_path):
    site, archive, first, second, first_requests, _ = two_runs
    stamp = first_capture_stamp(archive, site.base + A87242)
    old = scrapy(
        "crawl",
        "moscowtimes",
        "-a",
        f"url={site.base}{A87242},{site.base}{A90011}",
        "-s",
        f"REPLAY_WARC={archive / 'warc'}",
        "-s",
        f"REPLAY_AT={stamp}",
        archive=tmp_path / "old",
        items=tmp_path / "old.jsonl",
    )
    new = scrapy(
        "crawl",
        "moscowtimes",
        "-a",
        f"url={site.base}{A87242},{site.base}{A90011}",
        "-s",
        f"REPLAY_WARC={archive / 'warc'}",
        archive=tmp_path / "new",
        items=tmp_path / "new.jsonl",
    )
    assert old.returncode == new.returncode == 0
    old_items = {i["url"]: i for i in old.items}
    new_items = {i["url"]: i for i in new.items}
    assert OLD_SENTENCE in old_items[site.base + A87242]["text"] and old_items[site.base + A87242]["revision"] == 1
    assert NEW_SENTENCE in new_items[site.base + A87242]["text"] and new_items[site.base + A87242]["revision"] == 2
    # The newest capture of A90011 is a 304 revisit: replay serves the original payload.
    assert new_items[site.base + A90011]["text"] == old_items[site.base + A90011]["text"]


def first_capture_stamp(archive: Path, url: str) -> str:
    state = state_of(archive)
    try:
        fetched = state.captures(url)[0].fetched_at
    finally:
        state.close()
    return fetched.replace("-", "").replace("T", "").replace(":", "")[:14]


def test_two_runs_started_together_one_waits_out(tmp_path):
    server = HTTPServer(host="127.0.0.1")
    server.start()
    try:
        site = moscowtimes_site(server)
        site.delay = 0.2
        line = command("crawlall", "moscowtimes", "-a", f"site={site.base}", archive=tmp_path)
        first = subprocess.Popen(line, cwd=PROJECT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 30
        while time.time() < deadline and not site.requests:
            time.sleep(0.05)
        second = subprocess.run(line, cwd=PROJECT, env=ENV, capture_output=True, text=True, timeout=60)
        first_out, first_err = first.communicate(timeout=120)
    finally:
        server.stop()
    assert second.returncode == 75, second.stderr[-2000:]
    assert "another run holds" in second.stderr and "not starting" in second.stderr
    assert first.returncode == 0, first_err[-2000:]
    assert len(list((tmp_path / "runs").glob("*.json"))) == 1


def test_a_run_killed_mid_crawl_is_recovered_by_the_next(tmp_path):
    server = HTTPServer(host="127.0.0.1")
    server.start()
    try:
        site = moscowtimes_site(server)
        site.delay = 0.25
        line = command("crawlall", "moscowtimes", "-a", f"site={site.base}", archive=tmp_path)
        victim = subprocess.Popen(line, cwd=PROJECT, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        warc_dir = tmp_path / "warc" / "moscowtimes"
        deadline = time.time() + 60
        while time.time() < deadline:
            opened = list(warc_dir.glob("*.open")) if warc_dir.exists() else []
            if opened and opened[0].stat().st_size > 6000:
                break
            time.sleep(0.05)
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=30)
        leftover = list(warc_dir.glob("*.open"))
        assert leftover, "the killed run left no open WARC file"
        site.delay = 0.0
        run = crawlall(site, tmp_path)
    finally:
        server.stop()
    assert run.returncode == 0, run.stderr[-3000:]
    assert "Recovered" in run.stderr and "left open by a crash" in run.stderr
    # Every WARC closed and valid; captures, revisions, text files and conversion records all
    # point at response records the WARCs hold.
    assert check(tmp_path) == []
    texts = list((tmp_path / "text" / "moscowtimes").rglob("*.md"))
    assert len(texts) == 3


def test_a_spider_that_fetches_nothing_fails_the_run(tmp_path):
    line = command("crawlall", "moscowtimes", "-a", "site=http://127.0.0.1:9", "-s", "RETRY_TIMES=0", archive=tmp_path)
    run = subprocess.run(line, cwd=PROJECT, env=ENV, capture_output=True, text=True, timeout=120)
    assert run.returncode == 1, run.stderr[-2000:]
    assert "FAILED: fetched nothing" in run.stdout
    report = json.loads(next((tmp_path / "runs").glob("*.json")).read_text())
    assert report["failed"] == ["moscowtimes"]


def test_unknown_spider_is_a_usage_error(tmp_path):
    run = subprocess.run(
        command("crawlall", "nosuchoutlet", archive=tmp_path),
        cwd=PROJECT,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 2 and "unknown spider" in run.stderr


def test_extract_resolves_revisits_to_their_payload(two_runs, tmp_path):
    site, archive, *_ = two_runs
    out = tmp_path / "all.jsonl"
    run = scrapy("extract", str(archive / "warc"), "--spider", "moscowtimes", "-o", str(out), archive=tmp_path)
    assert run.returncode == 0, run.log
    items = [json.loads(line) for line in out.read_text().splitlines()]
    a90011 = [i for i in items if i["url"] == site.base + A90011]
    assert len(a90011) == 2, "both captures, the response and the 304 revisit, re-extract"
    assert a90011[0]["text"] == a90011[1]["text"] and a90011[0]["warc"]["record_id"] != a90011[1]["warc"]["record_id"]
    texts = {i["text"] for i in items if i["url"] == site.base + A87242}
    assert len(texts) == 2 and any(NEW_SENTENCE in t for t in texts)
