"""SIGKILL at the worst moments: mid-response, mid-WARC-write, mid-text-file.

Each test kills a scheduled run (``scrapy crawlall``) at one chosen point, checks what the kill
left behind, lets the next run start over it, and then checks the archive's invariants
(``tests/support/integrity.py``): every WARC closed and valid, nothing half-written, every item
traceable to its response record. ``python -m tests.kill_loop`` does the same at random moments.
"""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from crawler import settings as project_settings
from tests.support.integrity import check
from tests.support.moscowtimes_site import expected_items, moscowtimes_site
from tests.support.run import ENV, PROJECT, command
from tests.support.warcs import records

pytestmark = pytest.mark.slow  # starts scrapy crawl processes

CRASH_EXTENSION = json.dumps({**project_settings.EXTENSIONS, "tests.support.crash_points.CrashPoint": 0})


@pytest.fixture
def site():
    server = HTTPServer(host="127.0.0.1", threaded=True)  # a held response must not block the rest
    server.start()
    fixture_site = moscowtimes_site(server)
    yield fixture_site
    for _, release in fixture_site.held.values():
        release.set()
    server.stop()


def line(site, archive: Path, *extra: str) -> list[str]:
    return command("crawlall", "moscowtimes", "-a", f"site={site.base}", *extra, archive=archive)


def crash_line(site, archive: Path, point: str, after: int) -> list[str]:
    return line(
        site, archive, "-s", f"EXTENSIONS={CRASH_EXTENSION}", "-s", f"CRASH_POINT={point}", "-s", f"CRASH_AFTER={after}"
    )


def run(argv: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(argv, cwd=PROJECT, env=ENV, capture_output=True, text=True, timeout=180)


def texts(archive: Path) -> list[Path]:
    return sorted((archive / "text" / "moscowtimes").rglob("*.md"))


def assert_whole_after_next_run(site, archive: Path) -> subprocess.CompletedProcess:
    after = run(line(site, archive))
    assert after.returncode == 0, after.stderr[-3000:]
    assert check(archive) == []
    written = texts(archive)
    assert len(written) == 3
    for text in written:
        assert text.read_text(encoding="utf-8").rstrip().endswith(">"), f"{text} is not whole"
    return after


def test_killed_mid_warc_write(site, tmp_path):
    killed = run(crash_line(site, tmp_path, "warc-mid-record", after=8))
    assert killed.returncode == -signal.SIGKILL
    opened = list((tmp_path / "warc" / "moscowtimes").glob("*.open"))
    assert len(opened) == 1, "the kill left the file it was writing open"
    after = assert_whole_after_next_run(site, tmp_path)
    assert "Recovered" in after.stderr and "cut a torn tail of" in after.stderr


def test_killed_mid_text_file(site, tmp_path):
    # Extraction workers were running when the crawler died. They must end with it: orphans
    # would hold this test's stdout and stderr pipes open and ``run`` would hang to its timeout.
    killed = run(crash_line(site, tmp_path, "text-mid-file", after=2))
    assert killed.returncode == -signal.SIGKILL
    partial = list((tmp_path / "text" / "moscowtimes").rglob(".tmp-*.part"))
    assert len(partial) == 1 and partial[0].stat().st_size > 0, "the kill left a half-written temporary file"
    assert len(texts(tmp_path)) == 1, "only the text file written before the kill is in place"
    after = assert_whole_after_next_run(site, tmp_path)
    assert "Removed half-written text file" in after.stderr
    assert not partial[0].exists()


def test_killed_mid_response(site, tmp_path):
    held = sorted(expected_items(site.base))[1]
    half_sent, release = site.hold_midway(held)
    victim = subprocess.Popen(
        line(site, tmp_path), cwd=PROJECT, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        assert half_sent.wait(90), "the crawl never reached the held page"
        victim.send_signal(signal.SIGKILL)
        assert victim.wait(30) == -signal.SIGKILL
    finally:
        if victim.poll() is None:
            victim.kill()
    del site.held[held]
    release.set()
    warc_dir = tmp_path / "warc" / "moscowtimes"
    held_url = site.base + held
    before = [h.get_header("WARC-Target-URI") for p in warc_dir.glob("*.open") for _, h, _, _ in records(p)]
    assert held_url not in before, "half a response was archived as if whole"
    assert_whole_after_next_run(site, tmp_path)
    archived = [
        h.get_header("WARC-Target-URI")
        for p in warc_dir.glob("*.warc.gz")
        for k, h, _, _ in records(p)
        if k == "response"
    ]
    assert held_url in archived, "the page cut off by the kill was fetched again"
