"""Two URLs never share one text file, and ``scrapy history`` finds every text (issue 14, item 8).

The URLs of the issue, crawled by the feed spider from two hosts: before, eight articles and
a second revision left four files (the host dropped, ``.html`` stripped, NFC and NFD merged,
``story.r2`` taken for revision 2 of ``story``, only the last 8 path segments kept), and
``scrapy history`` listed texts whose files were gone.
"""

from __future__ import annotations

import gzip
import re
import shutil
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from crawler.output.naming import legacy_relative_path
from crawler.output.text_files import front_matter_url
from tests.support.run import scrapy
from tests.support.site import FixtureSite

pytestmark = pytest.mark.slow  # starts scrapy crawl processes

SLICE = Path(__file__).parent / "fixtures" / "benchmark_slice"
#: (host, path as the feed writes it, path as the server sees it)
ARTICLES = [
    ("127.0.0.1", "/news/story", "/news/story"),
    ("localhost", "/news/story", None),  # another host, the same path
    ("127.0.0.1", "/news/story.html", "/news/story.html"),
    ("127.0.0.1", "/news/caf%C3%A9", "/news/caf\u00e9"),  # NFC
    ("127.0.0.1", "/news/cafe%CC%81", "/news/cafe\u0301"),  # NFD
    ("127.0.0.1", "/news/story.r2", "/news/story.r2"),  # not revision 2 of /news/story
    ("127.0.0.1", "/1/2/3/4/5/6/7/8", "/1/2/3/4/5/6/7/8"),
    ("127.0.0.1", "/0/1/2/3/4/5/6/7/8", "/0/1/2/3/4/5/6/7/8"),  # its last 8 segments are the other's
]


@pytest.fixture(scope="module")
def names_site(tmp_path_factory):
    work = tmp_path_factory.mktemp("names-site")
    server = HTTPServer(host="127.0.0.1")
    server.start()
    site = FixtureSite(server)
    port = server.port
    pages = []
    for index, page in enumerate(sorted(SLICE.glob("html/*.html.gz"))[: len(ARTICLES) + 1]):
        pages.append(work / f"page{index}.html")
        pages[-1].write_bytes(gzip.decompress(page.read_bytes()))
    feeds = {"127.0.0.1": work / "feed.rss", "localhost": work / "feed2.rss"}
    for host, feed in feeds.items():
        items = "".join(
            f"<item><title>t</title><link>http://{h}:{port}{path}</link></item>" for h, path, _ in ARTICLES if h == host
        )
        feed.write_text(f'<?xml version="1.0"?><rss version="2.0"><channel><title>f</title>{items}</channel></rss>')
    site.add("/feed.rss", feeds["127.0.0.1"], "application/rss+xml")
    site.add("/feed2.rss", feeds["localhost"], "application/rss+xml")
    for (_, _, served), page in zip(ARTICLES, pages, strict=False):
        if served:
            site.add(served, page)
    site.spare_page = pages[len(ARTICLES)]
    site.urls = [f"http://{host}:{port}{path}" for host, path, _ in ARTICLES]
    site.sources = f"url=http://127.0.0.1:{port}/feed.rss,http://localhost:{port}/feed2.rss"
    yield site
    server.stop()


def texts(archive: Path) -> dict[str, list[Path]]:
    """URL → its text files (front matter), every .md under text/feed/."""
    found: dict[str, list[Path]] = {}
    for path in sorted((archive / "text" / "feed").rglob("*.md")):
        found.setdefault(front_matter_url(path) or "", []).append(path)
    return found


def history_texts(urls: list[str], archive: Path) -> dict[str, dict[int, str]]:
    """Each URL's revisions and where ``scrapy history`` finds their texts (one call for all)."""
    run = scrapy("history", *urls, "--no-diff", archive=archive)
    assert run.returncode == 0, run.log
    found: dict[str, dict[int, str]] = {}
    url = None
    for line in run.log.splitlines():
        if line in urls:
            url = line
            found[url] = {}
        elif url is not None and (revision := re.fullmatch(r"text of revision (\d+): (.+)", line)):
            found[url][int(revision.group(1))] = revision.group(2)
    assert list(found) == urls, run.log
    return found


def test_every_url_has_its_own_text_file_and_history_finds_each(names_site, tmp_path):
    site = names_site
    first = scrapy("crawl", "feed", "-a", site.sources, archive=tmp_path, items=tmp_path / "1.jsonl")
    assert first.returncode == 0, first.log
    assert {i["url"] for i in first.items} == set(site.urls)
    # A second revision of /news/story (on both hosts): its .r2 file must not be /news/story.r2's.
    site.add("/news/story", site.spare_page)
    second = scrapy(
        "crawl",
        "feed",
        "-a",
        site.sources,
        "-s",
        "RECHECK_INTERVAL_HOURS=0",
        archive=tmp_path,
        items=tmp_path / "2.jsonl",
    )
    assert second.returncode == 0, second.log
    assert {(i["url"], i["revision"]) for i in second.items} == {(site.urls[0], 2), (site.urls[1], 2)}

    files = texts(tmp_path)
    assert set(files) == set(site.urls)  # no file holds another URL's text, none is lost
    assert [len(files[u]) for u in site.urls] == [2, 2, 1, 1, 1, 1, 1, 1]
    # Ordinary URLs keep their readable names (under the host, for the feed spider); of
    # /news/story and /news/story.html, whichever was written first (the other is hashed).
    news = tmp_path / f"text/feed/127.0.0.1_{site.server.port}/news"
    assert files[site.urls[1]] == [
        tmp_path / f"text/feed/localhost_{site.server.port}/news/story.md",
        tmp_path / f"text/feed/localhost_{site.server.port}/news/story.r2.md",
    ]
    readable = [u for u in site.urls[0:3:2] if news / "story.md" in files[u]]
    assert len(readable) == 1
    if readable == [site.urls[0]]:
        assert files[site.urls[0]] == [news / "story.md", news / "story.r2.md"]
    assert files[site.urls[3]] == [news / "café.md"]
    assert "is http" in first.log and "'text/name_taken': 1" in first.log

    every = history_texts(site.urls, tmp_path)
    for url in site.urls:
        found = every[url]
        assert set(found) == ({1, 2} if url in site.urls[:2] else {1}), (url, found)
        assert all(Path(where) in files[url] for where in found.values()), (url, found)


def test_an_archive_with_the_old_names_is_still_read(names_site, tmp_path):
    """Texts written under the old names are found by ``scrapy history``; one the old names let
    another URL overwrite is reported missing, with the URL whose text is there."""
    site = names_site
    run = scrapy("crawl", "feed", "-a", site.sources, archive=tmp_path, items=tmp_path / "1.jsonl")
    assert run.returncode == 0, run.log
    # Rename every file as the old code named it, in the order it wrote them (the last one wins).
    root = tmp_path / "text" / "feed"
    files = texts(tmp_path)
    for item in run.items:
        (path,) = files[item["url"]]
        legacy = root / legacy_relative_path(item["url"])
        legacy.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(path, legacy)
    every = history_texts(site.urls, tmp_path)
    for url in site.urls:
        where = every[url][1]
        legacy = root / legacy_relative_path(url)
        if front_matter_url(legacy) == url:
            assert where == str(legacy)
        else:
            assert where.startswith("missing") and front_matter_url(legacy) in where
    survivors = {front_matter_url(p) for p in root.rglob("*.md")}
    assert len(survivors) == 4  # what the old names kept of eight articles
