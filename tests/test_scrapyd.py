"""Deployment with Scrapyd, as docs/CLUSTER.md says: ``scrapyd-deploy --build-egg`` builds the
project's egg, a real Scrapyd (started here on 127.0.0.1 on a free port) takes it through its
``addversion.json``, and a crawl scheduled through ``schedule.json`` (the bundled sample WARC
replayed, so no network) runs to the end with its log and items where Scrapyd keeps them."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.parse
import urllib.request

import pytest

from tests.support.network import free_port
from tests.support.run import ENV, PROJECT
from tests.support.warcs import BIN

pytestmark = pytest.mark.slow  # builds an egg, starts Scrapyd, runs a crawl in it


def call(base: str, path: str, data: dict | None = None, files: dict | None = None) -> dict:
    if files:  # multipart, as curl -F sends it
        boundary = "----archive-test"
        parts = []
        for name, value in (data or {}).items():
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
        for name, blob in files.items():
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{name}.egg"\r\n'
                "Content-Type: application/octet-stream\r\n\r\n".encode()
                + blob
                + b"\r\n"
            )
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        request = urllib.request.Request(
            base + path, body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        )
    elif data:
        request = urllib.request.Request(base + path, urllib.parse.urlencode(data, doseq=True).encode())
    else:
        request = urllib.request.Request(base + path)
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())


def test_scrapyd_takes_the_egg_and_runs_a_crawl_with_its_settings(tmp_path):
    egg = tmp_path / "archive.egg"
    built = subprocess.run(
        [BIN / "scrapyd-deploy", "--build-egg", str(egg)], cwd=PROJECT, env=ENV, capture_output=True, text=True
    )
    assert built.returncode == 0, built.stderr[-2000:]
    port = free_port()
    (tmp_path / "scrapyd.conf").write_text(
        "[scrapyd]\nbind_address = 127.0.0.1\n"
        f"http_port = {port}\neggs_dir = eggs\nlogs_dir = logs\nitems_dir = items\ndbs_dir = dbs\n",
        encoding="utf-8",
    )
    log = open(tmp_path / "scrapyd.log", "wb")
    daemon = subprocess.Popen([BIN / "scrapyd"], cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                assert call(base, "/daemonstatus.json")["status"] == "ok"
                break
            except OSError:
                assert time.monotonic() < deadline and daemon.poll() is None, (tmp_path / "scrapyd.log").read_text()
                time.sleep(0.2)
        added = call(
            base, "/addversion.json", {"project": "defense-news-archive", "version": "r1"}, {"egg": egg.read_bytes()}
        )
        assert added["status"] == "ok" and added["spiders"] >= 14, added
        archive = tmp_path / "archive"
        job = call(
            base,
            "/schedule.json",
            {
                "project": "defense-news-archive",
                "spider": "moscowtimes",
                "setting": [
                    f"REPLAY_WARC={PROJECT / 'samples' / 'moscowtimes-sample.warc.gz'}",
                    f"ARCHIVE_DIR={archive}",
                ],
            },
        )
        assert job["status"] == "ok", job
        deadline = time.monotonic() + 120
        while True:
            jobs = call(base, "/listjobs.json?project=defense-news-archive")
            done = [j for j in jobs["finished"] if j["id"] == job["jobid"]]
            if done:
                break
            assert time.monotonic() < deadline, jobs
            time.sleep(0.5)
        crawl_log = (tmp_path / "logs" / "defense-news-archive" / "moscowtimes" / f"{job['jobid']}.log").read_text()
        assert "Spider closed (finished)" in crawl_log, crawl_log[-3000:]
        items = (tmp_path / "items" / "defense-news-archive" / "moscowtimes" / f"{job['jobid']}.jl").read_text()
        assert len(items.splitlines()) == 3  # the sample's three articles
        assert len(list((archive / "text" / "moscowtimes").rglob("*.md"))) == 3  # the settings reached the crawl
    finally:
        daemon.terminate()
        daemon.wait(timeout=20)
        log.close()
