"""Rules by date: a history of page designs checked when declared, and the version valid at a
capture's date picked for it (``crawler/spiders/rule_versions.py``)."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from crawler.extraction import extract_article
from crawler.extraction.rules import PageRules
from crawler.spiders.rule_versions import capture_day, rules_at, validate_history
from spiders.moscowtimes import MoscowTimesSpider

FIXTURES = Path(__file__).parent / "fixtures"
V1, V2, NOW = PageRules(article="div.v1"), PageRules(article="div.v2"), PageRules(article="article.now")
HISTORY = ((date(2020, 6, 1), V2), (date(2018, 1, 1), V1))  # declared out of order on purpose


def test_history_is_sorted_by_valid_until():
    assert validate_history(HISTORY) == ((date(2018, 1, 1), V1), (date(2020, 6, 1), V2))
    assert validate_history(()) == ()


def test_two_versions_ending_the_same_day_are_refused():
    with pytest.raises(ValueError, match=r"Outlet.rules_history: two versions are valid until 2018-01-01"):
        validate_history(((date(2018, 1, 1), V1), (date(2018, 1, 1), V2)), "Outlet.rules_history")


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (("2018-01-01", V1), r"not str '2018-01-01': write date.fromisoformat\('2018-01-01'\)"),
        ((datetime(2018, 1, 1, tzinfo=UTC), V1), "not datetime"),
        ((20180101, V1), "not int"),
        ((date(2018, 1, 1), {"article": "div"}), "rules are a PageRules, not dict"),
        ((date(2018, 1, 1),), "is a \\(valid_until date, PageRules\\) pair"),
        (V1, "is a \\(valid_until date, PageRules\\) pair"),
    ],
)
def test_entries_that_are_not_a_date_and_rules_are_refused(entry, message):
    with pytest.raises(TypeError, match=message):
        validate_history((entry,))


def test_a_history_must_be_a_sequence_of_pairs():
    with pytest.raises(TypeError, match="tuple of"):
        validate_history({date(2018, 1, 1): V1})
    with pytest.raises(TypeError, match="tuple of"):
        validate_history("2018-01-01")


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        (None, NOW),
        ("", NOW),
        ("2017-12-31T23:59:59Z", V1),  # strictly before valid_until
        ("2018-01-01T00:00:00Z", V2),  # on the day, the next version
        ("2018-01-01T02:00:00+03:00", V1),  # 2017-12-31 23:00 UTC
        ("2020-05-31", V2),
        ("2020-06-01", NOW),
        ("20200531235959", V2),  # a CDX timestamp
        ("Sun, 31 May 2020 23:00:00 GMT", V2),
        (datetime(2019, 3, 1, 12), V2),  # naive: UTC
        (datetime(2020, 6, 1, 1, tzinfo=timezone(timedelta(hours=3))), V2),  # 2020-05-31 22:00 UTC
        (date(2017, 1, 1), V1),
        (date(2031, 1, 1), NOW),
    ],
)
def test_the_version_valid_at_the_capture_date_is_picked(when, expected):
    assert rules_at(NOW, HISTORY, when) is expected


def test_without_history_the_current_rules_are_always_used():
    assert rules_at(NOW, (), "1999-01-01T00:00:00Z") is NOW


def test_unreadable_capture_dates_are_errors_not_silently_current():
    with pytest.raises(ValueError, match="not a capture date"):
        rules_at(NOW, HISTORY, "last tuesday")
    with pytest.raises(TypeError):
        capture_day(20200101)


# -- the outlet that declares an earlier design -------------------------------------------
OLD_DAY = "2015-06-11T12:00:00Z"


def old_capture() -> tuple[str, dict]:
    captures = FIXTURES / "moscowtimes" / "captures"
    ((_, entry),) = json.loads((captures / "expected.json").read_text(encoding="utf-8")).items()
    page = FIXTURES / "moscowtimes" / entry["_page"]
    assert page.name.startswith(OLD_DAY[:10])
    return gzip.decompress(page.read_bytes()).decode("utf-8"), entry


def test_moscowtimes_reads_a_capture_with_the_rules_of_its_day():
    ((valid_until, old),) = MoscowTimesSpider.rules_history
    assert old is not MoscowTimesSpider.rules
    assert MoscowTimesSpider.rules_for(OLD_DAY) is old
    assert MoscowTimesSpider.rules_for(valid_until - timedelta(days=1)) is old
    assert MoscowTimesSpider.rules_for(valid_until) is MoscowTimesSpider.rules
    assert MoscowTimesSpider.rules_for(None) is MoscowTimesSpider.rules
    assert MoscowTimesSpider.rules_for("2024-12-05T10:00:00Z") is MoscowTimesSpider.rules


def test_the_old_design_is_not_readable_with_the_current_rules():
    html, entry = old_capture()
    assert extract_article(html, url=entry["url"], rules=MoscowTimesSpider.rules, fetched_at=OLD_DAY).fields is None
    result = extract_article(html, url=entry["url"], rules=MoscowTimesSpider.rules_for(OLD_DAY), fetched_at=OLD_DAY)
    assert result.fields is not None and result.skipped is None


def test_old_captures_are_read_as_articles_by_scrapy_extract():
    _, entry = old_capture()
    assert MoscowTimesSpider.archived_article(entry["url"], "text/html")


# -- the check runs when a spider is declared (ArchiveSpider.__init_subclass__) -------------
def test_a_spider_declaring_duplicate_dates_fails_when_defined():
    with pytest.raises(ValueError, match="Redesigned.rules_history: two versions are valid until 2018-01-01"):

        class Redesigned(MoscowTimesSpider):
            name = "redesigned"
            rules_history = ((date(2018, 1, 1), V1), (date(2018, 1, 1), V2))


def test_a_spider_declaring_a_string_date_fails_when_defined():
    with pytest.raises(TypeError, match="valid_until is a datetime.date"):

        class Redesigned(MoscowTimesSpider):
            name = "redesigned"
            rules_history = (("2018-01-01", V1),)


def test_a_spider_declaring_dates_out_of_order_gets_them_sorted():
    class Redesigned(MoscowTimesSpider):
        name = "redesigned"
        rules_history = HISTORY

    assert Redesigned.rules_for("2019-01-01T00:00:00Z") is V2
    assert Redesigned.rules_for("2017-01-01T00:00:00Z") is V1
