"""Extraction under limits (issue 14, items 5 and 6): a dead worker, a page that takes too long or
too much memory, and Ctrl-C with a long page in flight. Each test crawls a loopback site with the
real ``scrapy crawl feed`` and its real process pool."""

from __future__ import annotations

import gzip
import os
import re
import signal
import sqlite3
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from tests.support.run import ENV, PROJECT, command, scrapy
from tests.support.warcs import warcio_check

pytestmark = pytest.mark.slow  # starts scrapy crawl processes

GOOD = gzip.decompress(
    sorted((Path(__file__).parent / "fixtures" / "benchmark_slice" / "html").glob("*.gz"))[0].read_bytes()
)
RECORD = r"WARC record <urn:uuid:[0-9a-f-]+> in \S+\.warc\.gz at offset \d+"


def flat_page(megabytes: float) -> bytes:
    """The issue's page: flat ``<div><p>`` paragraphs (1 MB takes ~4 s to extract, 4 MB ~30 s)."""
    unit = b"<div><p>Some words of a paragraph that go on and on.</p></div>\n"
    return (
        b"<html><head><title>Flat</title></head><body>" + unit * int(megabytes * 2**20 / len(unit)) + b"</body></html>"
    )


def site(server: HTTPServer, pages: dict[str, bytes], served: Callable[[str], None] | None = None) -> str:
    """A feed listing ``pages`` in order, each served as HTML; ``served(path)`` after each page."""
    base = server.url_for("").rstrip("/")
    items = "".join(f"<item><title>{p}</title><link>{base}{p}</link></item>" for p in pages)
    feed = f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'

    def dispatch(request):
        if request.path == "/feed.xml":
            return Response(feed, content_type="application/rss+xml")
        if request.path not in pages:
            return Response("not found", status=404)
        if served is not None:
            served(request.path)
        return Response(pages[request.path], content_type="text/html; charset=utf-8")

    server.expect_request("").respond_with_handler(dispatch)
    return base


@pytest.fixture
def server():
    server = HTTPServer(host="127.0.0.1", threaded=True)
    server.start()
    yield server
    server.clear()
    server.stop()


def crawl_args(base: str, *settings: str) -> list[str]:
    line = ["crawl", "feed", "-a", f"url={base}/feed.xml", "-s", "EXTRACTION_WORKERS=2"]
    for setting in settings:
        line += ["-s", setting]
    return line


def stat(log: str, name: str) -> int:
    found = re.search(rf"'{re.escape(name)}': (\d+)", log)
    return int(found.group(1)) if found else 0


def outcome(archive: Path, url: str) -> list[str | None]:
    with sqlite3.connect(archive / "state.sqlite3") as db:
        return [row[0] for row in db.execute("SELECT outcome FROM captures WHERE url = ?", (url,))]


def children(pid: int) -> list[int]:
    found = []
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat_file.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat_file.parent.name))
    return found


def extraction_workers(crawler_pid: int) -> list[int]:
    """The crawler's workers: children of its fork server, itself a child of the crawler."""
    return [worker for child in children(crawler_pid) for worker in children(child)]


def test_a_killed_worker_is_replaced_and_its_page_retried(server, tmp_path):
    """As the OOM killer would: SIGKILL one worker while a page is being extracted. Before the
    fix every later page failed with BrokenProcessPool and the crawl still "finished"."""
    pages = {f"/story-{n}": GOOD for n in range(40)}
    pages = {**dict(list(pages.items())[:5]), "/flat": flat_page(1), **dict(list(pages.items())[5:])}
    holder: dict[str, subprocess.Popen] = {}
    killed: list[int] = []

    def served(path: str) -> None:
        if path == "/flat":  # ~4 s of extraction: kill a worker while it runs

            def kill() -> None:
                time.sleep(1.5)
                workers = extraction_workers(holder["proc"].pid)
                assert workers, "no extraction worker found"
                killed.append(workers[0])
                os.kill(workers[0], signal.SIGKILL)

            threading.Thread(target=kill, daemon=True).start()

    base = site(server, pages, served)
    line = command(*crawl_args(base), archive=tmp_path, items=tmp_path / "items.jsonl")
    proc = holder["proc"] = subprocess.Popen(
        line, cwd=PROJECT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        log, _ = proc.communicate(timeout=180)
    finally:
        proc.kill()
    assert killed, log[-3000:]
    assert proc.returncode == 0, log[-3000:]
    items = (tmp_path / "items.jsonl").read_text().splitlines()
    assert len(items) == 41, log[-5000:]  # every page extracted, the one in flight too
    assert re.search(rf"Extraction worker lost while extracting {base}/flat \(.*; {RECORD}\): retrying it once", log)
    assert f"worker pid {killed[0]} killed by SIGKILL" in log
    assert stat(log, "extract/worker_lost") >= 1 and stat(log, "extract/retried") >= 1
    assert stat(log, "extract/lost") == 0 and stat(log, "extract/error") == 0


def test_a_page_over_the_time_limit_is_cut_logged_and_the_next_page_extracts(server, tmp_path):
    """A 4 MB flat page took 32 s (12 MB: 452 s); under EXTRACTION_TIMEOUT=2 it is cut at 2 s."""
    # The feed's newest entry (last here) is fetched first: /late comes after /flat, and its
    # answer waits until /flat has been cut.
    pages = {"/late": GOOD, **{f"/story-{n}": GOOD for n in range(3)}, "/flat": flat_page(4)}
    pages.update({f"/story-{n}": GOOD for n in range(3, 6)})
    flat_sent = threading.Event()

    def served(path: str) -> None:
        if path == "/flat":
            flat_sent.set()
        elif path == "/late":
            flat_sent.wait(30)
            time.sleep(3)

    base = site(server, pages, served)
    started = time.monotonic()
    run = scrapy(*crawl_args(base, "EXTRACTION_TIMEOUT=2"), archive=tmp_path, items=tmp_path / "items.jsonl")
    took = time.monotonic() - started
    assert run.returncode == 0, run.log[-3000:]
    urls = {item["url"] for item in run.items}
    assert urls == {base + p for p in pages if p != "/flat"}, run.log[-3000:]
    assert re.search(
        rf"Extraction of {base}/flat cut: over the extraction time limit \(2 s\), its worker killed \({RECORD}\)",
        run.log,
    ), run.log[-3000:]
    assert f"--url {base}/flat -s EXTRACTION_TIMEOUT=" in run.log
    assert stat(run.log, "extract/timeout") == 1
    assert stat(run.log, "extract/lost") == 0
    assert outcome(tmp_path, base + "/flat") == ["error"]  # the next run tries it again
    assert outcome(tmp_path, base + "/late") == ["article"]
    assert took < 25, f"the crawl took {took:.0f} s"


def test_a_page_over_the_memory_limit_is_cut_and_the_worker_lives_on(server, tmp_path):
    """A 3 MB flat page needs ~150 MB; under EXTRACTION_MAX_MEMORY=60 its allocation is refused."""
    pages = {**{f"/story-{n}": GOOD for n in range(3)}, "/flat": flat_page(3)}
    pages.update({f"/story-{n}": GOOD for n in range(3, 6)})
    base = site(server, pages)
    run = scrapy(
        *crawl_args(base, "EXTRACTION_MAX_MEMORY=60", "EXTRACTION_TIMEOUT=0"),
        archive=tmp_path,
        items=tmp_path / "items.jsonl",
    )
    assert run.returncode == 0, run.log[-3000:]
    assert {item["url"] for item in run.items} == {base + f"/story-{n}" for n in range(6)}, run.log[-3000:]
    assert re.search(
        rf"Extraction of {base}/flat cut: over the extraction memory limit \(60 MB.*\) \({RECORD}\)", run.log
    ), run.log[-3000:]
    assert f"--url {base}/flat -s EXTRACTION_MAX_MEMORY=" in run.log
    assert stat(run.log, "extract/memory") == 1
    assert stat(run.log, "extract/worker_lost") == 0  # the worker was not lost: it refused the memory
    assert outcome(tmp_path, base + "/flat") == ["error"]


def test_ctrl_c_with_a_long_page_in_flight_stops_within_seconds(server, tmp_path):
    """A 6 MB flat page takes over a minute; Ctrl-C used to wait for it (44 s in the issue)."""
    sent = threading.Event()
    pages = {"/flat": flat_page(6), "/story": GOOD}
    base = site(server, pages, lambda path: sent.set() if path == "/flat" else None)
    line = command(*crawl_args(base), archive=tmp_path)
    proc = subprocess.Popen(line, cwd=PROJECT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert sent.wait(60), "the page was never fetched"
        time.sleep(3)  # fetched, archived and in a worker
        assert proc.poll() is None
        proc.send_signal(signal.SIGINT)
        interrupted = time.monotonic()
        log, _ = proc.communicate(timeout=30)
        stopped = time.monotonic() - interrupted
    finally:
        proc.kill()
    assert stopped < 8, f"stopped {stopped:.1f} s after SIGINT"
    assert re.search(rf"Extraction of {base}/flat given up: the crawl is stopping \({RECORD}\)", log), log[-3000:]
    assert stat(log, "extract/abandoned") == 1
    assert not list(tmp_path.rglob("*.open")), log[-3000:]
    for path in (tmp_path / "warc").rglob("*.warc.gz"):
        assert warcio_check(path).returncode == 0
    assert outcome(tmp_path, base + "/flat") == ["error"]
