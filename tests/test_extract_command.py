"""``scrapy extract``: outlet by domain, saved pages, generic fallback, rules valid at the capture date."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest

from crawler.extraction.rules import PageRules
from spiders.moscowtimes import MoscowTimesSpider
from tests.support.run import scrapy

FIXTURES = Path(__file__).parent / "fixtures"


def expected(spider: str) -> dict:
    entries = json.loads((FIXTURES / spider / "expected.json").read_text(encoding="utf-8"))
    return {e["url"]: {k: v for k, v in e.items() if not k.startswith("_")} for e in entries.values()}


@pytest.mark.slow  # starts a scrapy process
def test_outlet_is_picked_by_domain_from_the_registry(tmp_path):
    run = scrapy("extract", "samples/moscowtimes-sample.warc.gz", "-o", str(tmp_path / "out.jsonl"), archive=tmp_path)
    assert run.returncode == 0, run.log
    items = {i["url"]: i for i in map(json.loads, (tmp_path / "out.jsonl").read_text().splitlines())}
    want = expected("moscowtimes")
    assert sorted(items) == sorted(want)
    for url, fields in want.items():
        assert {k: items[url][k] for k in fields} == fields
        assert items[url]["revision"] == 1  # read from the archive's conversion record


@pytest.mark.slow  # starts a scrapy process
def test_saved_html_pages_take_their_url_from_the_page(tmp_path):
    pages = tmp_path / "pages"
    shutil.copytree(FIXTURES / "svoboda" / "pages", pages)
    run = scrapy("extract", str(pages), "-o", str(tmp_path / "out.jsonl"), archive=tmp_path)
    assert run.returncode == 0, run.log
    (item,) = map(json.loads, (tmp_path / "out.jsonl").read_text().splitlines())
    (want,) = expected("svoboda").values()
    assert item["outlet"] == "svoboda" and {k: item[k] for k in want if k != "outlet"} == {
        k: v for k, v in want.items() if k != "outlet"
    }


@pytest.mark.slow  # starts a scrapy process
def test_unknown_domains_get_generic_extraction(tmp_path):
    page = tmp_path / "page.html"
    html = (FIXTURES / "moscowtimes" / "pages" / "a87242.html").read_text(encoding="utf-8")
    page.write_text(html.replace("https://www.themoscowtimes.com", "https://news.example.org"), encoding="utf-8")
    run = scrapy("extract", str(page), "-o", str(tmp_path / "out.jsonl"), archive=tmp_path)
    assert run.returncode == 0, run.log
    (item,) = map(json.loads, (tmp_path / "out.jsonl").read_text().splitlines())
    assert item["outlet"] == "generic" and item["url"].startswith("https://news.example.org/")
    assert "Gerasimov had informed Brown" in item["text"]


def test_rules_are_chosen_by_the_capture_date():
    old = PageRules(article="div.old-article")

    class Redesigned(MoscowTimesSpider):
        name = "redesigned"
        rules_history = ((date(2023, 1, 1), old),)

    assert Redesigned.rules_for("2022-12-31T23:59:59Z") is old
    assert Redesigned.rules_for("2023-01-01T00:00:00Z") is MoscowTimesSpider.rules
    assert Redesigned.rules_for(None) is MoscowTimesSpider.rules


@pytest.mark.slow  # starts a scrapy process
def test_quality_is_counted_and_warned_about(tmp_path):
    import re

    html = (FIXTURES / "moscowtimes" / "pages" / "a87242.html").read_text(encoding="utf-8")
    html = re.sub(r'"author": \{[^}]*\}, ', "", html)  # no credit anywhere on the page
    html = re.sub(r'<div class="byline__author">.*?</div>', "", html, flags=re.S)
    page = tmp_path / "page.html"
    page.write_text(html.replace("https://www.themoscowtimes.com", "https://news.example.org"), encoding="utf-8")
    run = scrapy("extract", str(page), "-o", str(tmp_path / "out.jsonl"), archive=tmp_path)
    assert run.returncode == 0, run.log
    (item,) = map(json.loads, (tmp_path / "out.jsonl").read_text().splitlines())
    assert item["authors"] == [] and item["organizations"] == []
    assert "generic: 1 of 1 items (100%) missing authors, above QUALITY_WARN_SHARE (20%)" in run.log
