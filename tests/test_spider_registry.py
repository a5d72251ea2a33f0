"""One parametrized test over the spider registry: every outlet's fixture pages
extract to exactly their expected items, with none of the outlet's boilerplate."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from scrapy.spiderloader import SpiderLoader
from scrapy.utils.project import get_project_settings

from crawler.extraction import extract_article

FIXTURES = Path(__file__).parent / "fixtures"
CRAWL_FIELDS = {"outlet"}  # set by the crawl, not by extraction
LOADER = SpiderLoader.from_settings(get_project_settings())
#: Spiders with no outlet of their own: tested end to end on real feeds (test_feed_spider.py).
GENERIC = {"feed"}


def fixture_cases():
    for name in sorted(set(LOADER.list()) - GENERIC):
        expected = FIXTURES / name / "expected.json"
        if not expected.exists():
            yield pytest.param(name, None, None, id=f"{name}-missing")
            continue
        for path, entry in json.loads(expected.read_text(encoding="utf-8")).items():
            yield pytest.param(name, path, entry, id=f"{name}:{path.rstrip('/').rsplit('/', 1)[-1][:40]}")


@pytest.mark.parametrize(("spider_name", "path", "entry"), list(fixture_cases()))
def test_fixture_extracts_to_expected_item(spider_name, path, entry):
    assert entry is not None, f"spider {spider_name} has no fixtures in tests/fixtures/{spider_name}/expected.json"
    spider = LOADER.load(spider_name)
    page = FIXTURES / spider_name / entry["_page"]
    if page.suffix == ".json":  # an outlet's JSON API (Meduza)
        fields = spider.extract_json(page.read_bytes(), spider.fetch_url(spider(), entry["url"]))
    else:
        result = extract_article(
            page.read_text(encoding="utf-8"), url=entry["url"], rules=spider.rules, fetched_at="2026-11-01T00:00:00Z"
        )
        assert result.skipped is None and result.warnings == []
        fields = result.fields
    for field, value in entry.items():
        if field.startswith("_") or field in CRAWL_FIELDS:
            continue
        assert getattr(fields, field) == value, field
    serialized = json.dumps(dataclasses.asdict(fields), ensure_ascii=False)
    for needle in spider.rules.boilerplate:
        assert needle not in serialized


@pytest.mark.parametrize("spider_name", sorted(LOADER.list()))
def test_spider_is_a_declaration(spider_name):
    spider = LOADER.load(spider_name)
    assert spider.outlet and spider.platform and spider.article_patterns
    assert spider.feeds or spider.sitemaps or spider_name in GENERIC
    source = Path(__import__(spider.__module__, fromlist=["_"]).__file__)
    assert source.stem == spider_name, "the module is named after the spider"
    assert len(source.read_text().splitlines()) < 120, "an outlet file declares, it does not parse"
