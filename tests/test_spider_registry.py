"""One parametrized test over the spider registry: every outlet's fixture pages extract to
exactly their expected items, each read with the rules valid at its capture date, with none of
the boilerplate lines the page itself carries.

A fixture page's capture date is in its file name (``captures/2015-06-11-<slug>.html.gz``,
listed in ``captures/expected.json``); a page without one is a capture of the current design
(``UNDATED_CAPTURE``). As in fundus' parser test, every rules version an outlet declares must
have a capture of its own.
"""

from __future__ import annotations

import dataclasses
import gzip
import html
import json
import re
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
#: When a fixture page whose name carries no date was captured: after every declared redesign.
UNDATED_CAPTURE = "2026-11-01T00:00:00Z"
_DATED_NAME = re.compile(r"(\d{4}-\d{2}-\d{2})")


def capture_date(page: str) -> str:
    """The capture date of a fixture page, from its file name (noon UTC that day)."""
    match = _DATED_NAME.match(Path(page).name)
    return f"{match[1]}T12:00:00Z" if match else UNDATED_CAPTURE


def expected_entries(name: str) -> dict[str, dict]:
    """Every expected item of a spider's fixtures: ``expected.json`` (the current design, also
    served by the crawl tests' sites) and ``captures/expected.json`` (earlier designs)."""
    entries: dict[str, dict] = {}
    for expected in (FIXTURES / name / "expected.json", FIXTURES / name / "captures" / "expected.json"):
        if expected.exists():
            for path, entry in json.loads(expected.read_text(encoding="utf-8")).items():
                entries[f"{capture_date(entry['_page'])[:10]}:{path}"] = entry
    return entries


def page_text(page: Path) -> str:
    data = page.read_bytes()
    return (gzip.decompress(data) if page.name.endswith(".gz") else data).decode("utf-8")


def as_dict(fields) -> dict:
    return dataclasses.asdict(fields) if dataclasses.is_dataclass(fields) else dict(fields)


def fixture_cases():
    for name in sorted(set(LOADER.list()) - GENERIC):
        entries = expected_entries(name)
        if not entries:
            yield pytest.param(name, None, id=f"{name}-missing")
        for key, entry in entries.items():
            day, path = key.split(":", 1)
            yield pytest.param(name, entry, id=f"{name}:{day}:{path.rstrip('/').rsplit('/', 1)[-1][:40]}")


@pytest.mark.parametrize(("spider_name", "entry"), list(fixture_cases()))
def test_fixture_extracts_to_expected_item(spider_name, entry):
    assert entry is not None, f"spider {spider_name} has no fixtures in tests/fixtures/{spider_name}/expected.json"
    spider = LOADER.load(spider_name)
    page = FIXTURES / spider_name / entry["_page"]
    source = page_text(page)
    if page.suffix == ".json":  # an outlet's JSON API (Meduza)
        fields = spider.extract_json(page.read_bytes(), spider.fetch_url(spider(), entry["url"]))
    else:
        captured = capture_date(entry["_page"])
        result = extract_article(source, url=entry["url"], rules=spider.rules_for(captured), fetched_at=captured)
        assert result.skipped is None and result.warnings == []
        fields = result.fields
    got = as_dict(fields)
    for field, value in entry.items():
        if field.startswith("_") or field in CRAWL_FIELDS:
            continue
        assert got[field] == value, field
    # The page's own boilerplate, listed from the page (not from the rules under test).
    forbidden = entry.get("_forbidden")
    assert forbidden, f"{entry['_page']}: list the boilerplate lines the page carries in _forbidden"
    visible = html.unescape(source)
    serialized = json.dumps(got, ensure_ascii=False)
    for needle in forbidden:
        assert needle in visible, f"{needle!r} is not on the page: it proves nothing"
        assert needle not in serialized, needle


@pytest.mark.parametrize("spider_name", sorted(set(LOADER.list()) - GENERIC))
def test_every_rules_version_has_a_capture(spider_name):
    spider = LOADER.load(spider_name)
    versions = [rules for _, rules in spider.rules_history] + [spider.rules]
    tested = {id(spider.rules_for(capture_date(e["_page"]))) for e in expected_entries(spider_name).values()}
    missing = [i for i, rules in enumerate(versions) if id(rules) not in tested]
    assert not missing, f"rules versions {missing} of {spider_name} have no fixture capture from their time"


@pytest.mark.parametrize("spider_name", sorted(LOADER.list()))
def test_spider_is_a_declaration(spider_name):
    spider = LOADER.load(spider_name)
    assert spider.outlet and spider.platform and spider.article_patterns
    assert spider.feeds or spider.sitemaps or spider_name in GENERIC
    source = Path(__import__(spider.__module__, fromlist=["_"]).__file__)
    assert source.stem == spider_name, "the module is named after the spider"
    assert len(source.read_text().splitlines()) < 120, "an outlet file declares, it does not parse"
