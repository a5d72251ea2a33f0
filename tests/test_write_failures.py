"""Unwritable output: the crawl stops cleanly with a clear error and a non-zero exit."""

from __future__ import annotations

import pytest  # noqa: F401 - fixtures come from conftest

from tests.support.moscowtimes_site import spider_args
from tests.support.run import scrapy

pytestmark = pytest.mark.slow  # starts scrapy crawl processes


def test_an_unwritable_warc_directory_stops_the_crawl_with_exit_1(mt_site, tmp_path):
    warc = tmp_path / "warc" / "moscowtimes"
    warc.mkdir(parents=True)
    # A file where the WARC would go: writing fails whatever the user's rights (root included).
    (tmp_path / "warc" / "moscowtimes").rmdir()
    (tmp_path / "warc" / "moscowtimes").write_text("not a directory")
    run = scrapy("crawl", "moscowtimes", *spider_args(mt_site), archive=tmp_path, items=tmp_path / "items.jsonl")
    assert run.returncode == 1, run.log[-2000:]
    assert "Archive failure: cannot" in run.log and "archive_write_error" in run.log
    assert run.items == [], "nothing may be extracted from responses that were not archived"


def test_an_unwritable_text_directory_stops_the_crawl_but_keeps_the_warc_valid(mt_site, tmp_path):
    (tmp_path / "text").write_text("not a directory")
    run = scrapy("crawl", "moscowtimes", *spider_args(mt_site), archive=tmp_path)
    assert run.returncode == 1, run.log[-2000:]
    assert "Archive failure: cannot write text file" in run.log
    files = list((tmp_path / "warc" / "moscowtimes").glob("*.warc.gz"))
    assert files and not list((tmp_path / "warc").rglob("*.open"))
