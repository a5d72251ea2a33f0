"""``scrapy pack``: a crawl's WARCs as a WACZ that py-wacz validates and that lists every article.

Before, a WACZ made with ``wacz create --detect-pages`` listed 0 pages (py-wacz finds pages by the
Referer of subresource requests, and there were none) and ``wacz validate`` still called it valid.
"""

from __future__ import annotations

import json
import subprocess
import zipfile
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from tests.support.moscowtimes_site import expected_items, moscowtimes_site, spider_args
from tests.support.run import PROJECT, scrapy

pytestmark = pytest.mark.slow  # crawls

#: py-wacz's command, in its own environment (bin/setup), as the crawler's settings have it.
WACZ = PROJECT / ".venv-wacz" / "bin" / "wacz"


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    server = HTTPServer(host="127.0.0.1")
    server.start()
    site = moscowtimes_site(server)
    archive = tmp_path_factory.mktemp("pack")
    run = scrapy("crawl", "moscowtimes", *spider_args(site), archive=archive, items=archive / "items.jsonl")
    assert run.returncode == 0, run.log
    yield site, archive, run.items
    server.stop()


def lines(package: Path, name: str) -> list[dict]:
    with zipfile.ZipFile(package) as wacz:
        return [json.loads(line) for line in wacz.read(name).decode("utf-8").splitlines()]


def test_the_package_validates_and_lists_every_article_with_its_text(crawled, tmp_path):
    site, archive, items = crawled
    package = tmp_path / "mt.wacz"
    run = scrapy("pack", "moscowtimes", "-o", str(package), archive=archive)
    assert run.returncode == 0, run.log
    assert "3 article captures" in run.log
    check = subprocess.run([str(WACZ), "validate", "-f", str(package)], capture_output=True, text=True)
    assert check.returncode == 0 and "is valid" in check.stdout, check.stdout
    header, *pages = lines(package, "pages/pages.jsonl")
    assert header["format"] == "json-pages-1.0"
    want = {entry["url"]: entry for entry in expected_items(site.base).values()}
    assert sorted(p["url"] for p in pages) == sorted(want)
    by_url = {item["url"]: item for item in items}
    for page in pages:
        assert page["title"] == by_url[page["url"]]["title"] and page["text"] == by_url[page["url"]]["text"]
        assert page["ts"].endswith("Z") and len(page["ts"]) == 20
    _, *extra = lines(package, "pages/extraPages.jsonl")
    assert any(p["url"].endswith("/rss/news") for p in extra) and not {p["url"] for p in extra} & set(want)
    with zipfile.ZipFile(package) as wacz:
        names = wacz.namelist()
    assert "datapackage.json" in names and "datapackage-digest.json" in names
    assert any(n.startswith("archive/") and n.endswith(".warc.gz") for n in names)
    assert any(n.startswith("indexes/") for n in names)


def test_the_same_archive_packs_to_the_same_page_lists_and_index(crawled, tmp_path):
    _, archive, _ = crawled
    first, second = tmp_path / "a.wacz", tmp_path / "b.wacz"
    for package in (first, second):
        assert scrapy("pack", "-o", str(package), archive=archive).returncode == 0
    with zipfile.ZipFile(first) as a, zipfile.ZipFile(second) as b:
        for name in ("pages/pages.jsonl", "pages/extraPages.jsonl", "indexes/index.cdx.gz", "indexes/index.idx"):
            assert a.read(name) == b.read(name), name
        assert sorted(a.namelist()) == sorted(b.namelist())


def test_dates_and_unknown_spiders_are_checked(crawled, tmp_path):
    _, archive, _ = crawled
    run = scrapy("pack", "-o", str(tmp_path / "x.wacz"), "--since", "2100-01-01", archive=archive)
    assert run.returncode == 2 and "no article capture to pack" in run.log
    run = scrapy("pack", "nosuchspider", "-o", str(tmp_path / "x.wacz"), archive=archive)
    assert run.returncode == 2 and "no WARC directory" in run.log and "', False)" not in run.log
    run = scrapy("pack", "-o", str(tmp_path / "x.wacz"), "--until", "yesterday", archive=archive)
    assert run.returncode == 2 and "--until='yesterday'" in run.log


def test_a_package_py_wacz_refuses_is_reported_and_a_missing_py_wacz_named(crawled, tmp_path):
    from crawler.commands.pack import check_package

    _, archive, _ = crawled
    package = tmp_path / "mt.wacz"
    assert scrapy("pack", "moscowtimes", "-o", str(package), archive=archive).returncode == 0
    tampered = tmp_path / "tampered.wacz"
    with zipfile.ZipFile(package) as good, zipfile.ZipFile(tampered, "w") as bad:
        for info in good.infolist():
            data = good.read(info)
            if info.filename == "pages/extraPages.jsonl":
                data += b"\n"  # no longer the file datapackage.json has the digest of
            bad.writestr(info, data)
    assert check_package(WACZ, package, []) == []
    assert check_package(WACZ, tampered, []) == [
        "py-wacz validation failed: Validation failed, the passed WACZ is invalid"
    ]
    run = scrapy("pack", "-o", str(tmp_path / "x.wacz"), "-s", f"WACZ_BIN={tmp_path / 'nowhere'}", archive=archive)
    assert run.returncode == 2 and "py-wacz is not installed at" in run.log and "run bin/setup" in run.log


def test_scrapy_replaywebpage_serves_the_player_and_the_wacz_by_ranges(crawled, tmp_path):
    """The offline way to open a WACZ in ReplayWeb.page (the browser check is test_replaywebpage.py)."""
    import signal
    import socket
    import time
    import urllib.request

    from tests.support.run import ENV, PROJECT, command

    _, archive, _ = crawled
    package = tmp_path / "mt.wacz"
    assert scrapy("pack", "-o", str(package), archive=archive).returncode == 0
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    line = command("replaywebpage", str(package), "--port", str(port), archive=archive)
    process = subprocess.Popen(line, cwd=PROJECT, env=ENV, stderr=subprocess.PIPE, text=True)
    try:
        announced = process.stderr.readline()
        assert f"http://127.0.0.1:{port}/index.html?source=archive.wacz&url=" in announced, announced
        base = f"http://127.0.0.1:{port}"
        with urllib.request.urlopen(base + "/index.html", timeout=10) as page:
            assert b"replay-web-page" in page.read()
        request = urllib.request.Request(base + "/archive.wacz", headers={"Range": "bytes=10-99"})
        with urllib.request.urlopen(request, timeout=10) as part:
            assert part.status == 206 and part.read() == package.read_bytes()[10:100]
        for name in ("ui.js", "sw.js"):
            with urllib.request.urlopen(f"{base}/replay/{name}", timeout=10) as script:
                assert script.status == 200 and len(script.read()) > 1000
    finally:
        process.send_signal(signal.SIGINT)
        deadline = time.monotonic() + 10
        while process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        if process.poll() is None:
            process.kill()
        process.wait()
        process.stderr.close()
