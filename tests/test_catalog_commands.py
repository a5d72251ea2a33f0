"""``scrapy search`` and ``scrapy index`` on the README's demo: the sample WARC replayed into an archive."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from crawler.catalog.schema import SCHEMA_VERSION, catalog_path
from crawler.catalog.store import Catalog
from tests.support.run import ENV, PROJECT, command, scrapy

pytestmark = pytest.mark.slow  # starts scrapy processes

SAMPLE = PROJECT / "samples" / "moscowtimes-sample.warc.gz"
MT = "https://www.themoscowtimes.com"
A75651 = f"{MT}/2021/11/24/us-russian-military-chiefs-speak-on-the-phone-a75651"
A87242 = f"{MT}/2024/12/05/russia-us-army-chiefs-hold-rare-call-amid-ukraine-escalation-a87242"
A90011 = f"{MT}/2025/03/14/why-the-military-hotline-still-matters-a90011"


def run(*args: str, archive: Path) -> subprocess.CompletedProcess:
    """A scrapy command line, its standard output and error apart (results go to stdout)."""
    line = command(*args, archive=archive)
    return subprocess.run(line, cwd=PROJECT, env=ENV, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    """The bundled sample WARC, copied out of the project (the catalogue records where it lies)."""
    target = tmp_path_factory.mktemp("warcs") / SAMPLE.name
    shutil.copyfile(SAMPLE, target)
    return target


@pytest.fixture(scope="module")
def demo(sample, tmp_path_factory):
    """The README's demo: ``scrapy crawl moscowtimes -s REPLAY_WARC=samples/moscowtimes-sample.warc.gz``."""
    archive = tmp_path_factory.mktemp("demo")
    crawl = scrapy(
        "crawl", "moscowtimes", "-s", f"REPLAY_WARC={sample}", archive=archive, items=archive / "items.jsonl"
    )
    assert crawl.returncode == 0, crawl.log
    return archive, crawl


@pytest.fixture(scope="module")
def indexed(sample, tmp_path_factory):
    """``scrapy index`` of the sample WARC into a fresh archive."""
    archive = tmp_path_factory.mktemp("indexed")
    index = run("index", str(sample), archive=archive)
    assert index.returncode == 0, index.stdout + index.stderr
    return archive, index


@pytest.fixture(scope="module")
def searched(demo):
    archive, _ = demo
    text = run("search", "Gerasimov", archive=archive)
    as_json = run("search", "Gerasimov", "--json", archive=archive)
    assert text.returncode == 0 and as_json.returncode == 0, text.stderr + as_json.stderr
    return text, [json.loads(line) for line in as_json.stdout.splitlines()]


def read(path: Path, sql: str, *params) -> list[tuple]:
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return [tuple(row) for row in conn.execute(sql, params)]
    finally:
        conn.close()


ARTICLE_COLUMNS = (
    "url, canonical_url, outlet, title, subtitle, authors, organizations, published, published_source, modified,"
    " day, month, language, section, tags, access, image_url, word_count, first_captured, last_captured,"
    " revision_count"
)
REVISION_COLUMNS = (
    "a.url, r.captured, r.text_hash, r.title, r.subtitle, r.text, r.word_count, r.warc_file, r.warc_record_id,"
    " r.warc_offset, r.warc_target_uri"
)


def articles(archive: Path) -> list[tuple]:
    return read(catalog_path(archive), f"SELECT {ARTICLE_COLUMNS} FROM articles ORDER BY url")


def revisions(archive: Path) -> list[tuple]:
    return read(
        catalog_path(archive),
        f"SELECT {REVISION_COLUMNS} FROM revisions r JOIN articles a ON a.id = r.article_id ORDER BY a.url, r.captured",
    )


def warc_record(path: Path, offset: int):
    with open(path, "rb") as stream:
        stream.seek(offset)
        record = next(iter(ArchiveIterator(stream)))
        return (
            record.rec_type,
            record.rec_headers.get_header("WARC-Record-ID"),
            record.rec_headers.get_header("WARC-Target-URI"),
        )


def one_line_usage_error(result: subprocess.CompletedProcess, message: str) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    (line,) = [line for line in result.stderr.splitlines() if "error:" in line]
    assert message in line, result.stderr


# --- the crawl keeps the catalogue ------------------------------------------------------------


def test_the_demo_crawl_fills_the_catalogue(demo, sample):
    archive, crawl = demo
    items = {item["url"]: item for item in crawl.items}
    assert sorted(items) == [A75651, A87242, A90011]
    rows = read(
        catalog_path(archive),
        "SELECT a.url, a.title, a.outlet, a.published, a.revision_count, r.text, r.text_file, r.warc_file,"
        " r.warc_record_id, r.warc_offset FROM articles a JOIN revisions r ON r.id = a.latest_revision ORDER BY a.url",
    )
    assert [row[0] for row in rows] == sorted(items)
    for url, title, outlet, published, revision_count, text, text_file, warc_file, record_id, offset in rows:
        item = items[url]
        assert (title, outlet, published, revision_count, text) == (
            item["title"],
            "moscowtimes",
            item["published"],
            1,
            item["text"],
        )
        assert (warc_file, record_id, offset) == (sample.name, item["warc"]["record_id"], item["warc"]["offset"])
        assert (archive / text_file).is_file() and item["url"] in (archive / text_file).read_text(encoding="utf-8")
    # Where the WARC file lies, for the links to its records.
    assert read(catalog_path(archive), "SELECT value FROM catalog_info WHERE key = ?", f"warc_file:{sample.name}") == [
        (str(sample.resolve()),)
    ]


# --- scrapy search ----------------------------------------------------------------------------


def test_search_prints_ranked_results_with_their_text_file_and_warc_record(demo, searched, sample):
    archive, crawl = demo
    text, results = searched
    out = text.stdout
    assert out.startswith("2 articles match 'Gerasimov':\n")
    blocks = re.findall(
        r"\n +(\d+)\. (\S+)  (\S+)  (.+)\n +(\S+)\n +(.+)\n +text: (\S+)   WARC: (\S+)@(\d+) (\S+)\n", out
    )
    assert [b[0] for b in blocks] == ["1", "2"]
    assert [b[4] for b in blocks] == [r["url"] for r in results]  # the order of the ranking
    items = {item["url"]: item for item in crawl.items}
    for _, day, outlet, title, url, snippet, text_file, warc_file, offset, record_id in blocks:
        item = items[url]
        assert (day, outlet, title) == (item["published"][:10], "moscowtimes", item["title"])
        assert "**Gerasimov**" in snippet  # marked as in a file, not a terminal
        assert Path(text_file) == archive / "text" / "moscowtimes" / (url[len(MT) + 1 :] + ".md")
        assert Path(text_file).is_file()
        assert (warc_file, int(offset), record_id) == (sample.name, item["warc"]["offset"], item["warc"]["record_id"])
        assert warc_record(sample, int(offset)) == ("response", record_id, url)
    assert A90011 not in out  # no Gerasimov in it


def test_search_json_lines_have_the_fields_in_rank_order(demo, searched):
    _, crawl = demo
    _, results = searched
    items = {item["url"]: item for item in crawl.items}
    assert sorted(r["url"] for r in results) == [A75651, A87242]
    for result in results:
        item = items[result["url"]]
        assert {"url", "title", "outlet", "published", "snippet", "score"} <= set(result)
        assert (result["title"], result["outlet"], result["published"]) == (
            item["title"],
            "moscowtimes",
            item["published"],
        )
        assert "**Gerasimov**" in result["snippet"] and "\n" not in result["snippet"]
        assert isinstance(result["score"], float)
        assert result["warc"]["record_id"] == item["warc"]["record_id"]
    scores = [r["score"] for r in results]
    assert scores == sorted(scores, reverse=True)


def test_search_json_scores_are_positive_for_a_match(searched):
    _, results = searched
    assert all(r["score"] > 0 for r in results), [r["score"] for r in results]


def test_search_filters_and_limit(demo):
    archive, _ = demo
    limited = run("search", "Gerasimov", "--limit", "1", archive=archive)
    assert limited.returncode == 0 and limited.stdout.startswith("2 articles match 'Gerasimov'; the best 1:")
    assert limited.stdout.count("     text: ") == 1
    since = run(
        "search", "Gerasimov OR hotline", "--since", "2024-01-01", "--until", "2024-12-31", "--json", archive=archive
    )
    assert since.returncode == 0, since.stderr
    assert [json.loads(line)["url"] for line in since.stdout.splitlines()] == [A87242]
    other = run("search", "Gerasimov", "--lang", "ru", "--outlet", "moscowtimes", archive=archive)
    assert other.returncode == 0 and other.stdout == "No article matches 'Gerasimov'.\n"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ('"nuclear weapons', "unbalanced quotes"),
        ("NOT Gerasimov", "NOT needs words before it"),
        ("(Gerasimov", "( is not closed"),
    ],
)
def test_a_bad_query_is_exit_2_and_one_line(demo, query, message):
    archive, _ = demo
    one_line_usage_error(run("search", query, archive=archive), message)


def test_sql_in_a_query_is_searched_as_words(demo):
    archive, _ = demo
    result = run("search", "'; DROP TABLE articles; --", archive=archive)
    assert result.returncode == 0, result.stderr
    assert result.stdout == 'No article matches "\'; DROP TABLE articles; --".\n'
    assert read(catalog_path(archive), "SELECT count(*) FROM articles") == [(3,)]


def test_search_without_a_catalogue_says_how_to_make_one(tmp_path):
    one_line_usage_error(run("search", "Gerasimov", archive=tmp_path), "no catalogue at")
    assert not catalog_path(tmp_path).exists()


# --- scrapy index -----------------------------------------------------------------------------


def test_index_builds_the_articles_the_crawl_did(demo, indexed):
    crawled, _ = demo
    archive, index = indexed
    assert "index: 5 article captures (moscowtimes: 5) from 1 WARC files and 0 pages;" in index.stderr
    assert "0 already catalogued, 5 to go" in index.stderr
    assert f"index: 3 articles catalogued in this run; {catalog_path(archive)} holds 3 articles, 3 revisions" in (
        index.stderr
    )
    assert articles(archive) == articles(crawled) and len(articles(archive)) == 3
    assert revisions(archive) == revisions(crawled)
    # No text files are written by an index: none are named.
    assert read(catalog_path(archive), "SELECT count(*) FROM revisions WHERE text_file IS NOT NULL") == [(0,)]
    # The two captures that are no article (video, gallery) are known too.
    assert read(catalog_path(archive), "SELECT count(*) FROM captures WHERE article_id IS NULL") == [(2,)]
    # ... and its articles placed in stories, as a crawl's are when it ends (StoriesExtension).
    assert read(catalog_path(archive), "SELECT count(*) FROM articles WHERE story_id IS NULL") == [(0,)]
    found = run("search", "Gerasimov", "--json", archive=archive)
    crawl_found = run("search", "Gerasimov", "--json", archive=crawled)
    keys = ("url", "title", "snippet", "score", "warc")
    assert [{k: r[k] for k in keys} for r in map(json.loads, found.stdout.splitlines())] == [
        {k: r[k] for k in keys} for r in map(json.loads, crawl_found.stdout.splitlines())
    ]


def test_index_again_catalogues_nothing_new(indexed, sample, tmp_path):
    archive = tmp_path / "archive"
    shutil.copytree(indexed[0], archive)
    before = (articles(archive), revisions(archive), read(catalog_path(archive), "SELECT * FROM captures"))
    again = run("index", str(sample), archive=archive)
    assert again.returncode == 0, again.stderr
    assert "5 already catalogued, 0 to go" in again.stderr
    assert (
        "index: 0 articles catalogued in this run" in again.stderr and "holds 3 articles, 3 revisions" in again.stderr
    )
    assert (articles(archive), revisions(archive), read(catalog_path(archive), "SELECT * FROM captures")) == before


def test_index_after_the_crawl_catches_up_only_what_it_did_not_catalogue(demo, sample, tmp_path):
    archive = tmp_path / "archive"
    shutil.copytree(demo[0], archive)
    before = (articles(archive), revisions(archive))
    index = run("index", str(sample), archive=archive)
    assert index.returncode == 0, index.stderr
    assert "3 already catalogued, 2 to go" in index.stderr and "holds 3 articles, 3 revisions" in index.stderr
    assert (articles(archive), revisions(archive)) == before
    assert read(catalog_path(archive), "SELECT count(*) FROM revisions WHERE text_file IS NOT NULL") == [(3,)]


def test_index_rebuild_starts_afresh(indexed, sample, tmp_path):
    archive = tmp_path / "archive"
    shutil.copytree(indexed[0], archive)
    stray = Catalog(catalog_path(archive))  # an article no WARC file here holds
    stray.add({"url": f"{MT}/stray-a1", "title": "Stray", "text": "A stray article."}, "moscowtimes", "2024-01-01")
    stray.close()
    assert len(articles(archive)) == 4
    rebuilt = run("index", str(sample), "--rebuild", archive=archive)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "0 already catalogued, 5 to go" in rebuilt.stderr and "holds 3 articles, 3 revisions" in rebuilt.stderr
    assert f"{MT}/stray-a1" not in [row[0] for row in articles(archive)]
    assert articles(archive) == articles(indexed[0])
    old = catalog_path(archive).with_name("catalog.sqlite3.old")
    assert read(old, "SELECT count(*) FROM articles") == [(4,)]  # kept beside it


def test_a_catalogue_of_another_version_is_refused_until_rebuilt(indexed, sample, tmp_path):
    archive = tmp_path / "archive"
    shutil.copytree(indexed[0], archive)
    raw = sqlite3.connect(catalog_path(archive))
    raw.execute("UPDATE catalog_info SET value = '99' WHERE key = 'schema_version'")
    raw.commit()
    raw.close()
    one_line_usage_error(
        run("search", "Gerasimov", archive=archive), f"not a catalogue of version {SCHEMA_VERSION} (found 99)"
    )
    one_line_usage_error(run("index", str(sample), archive=archive), "the catalogue is of version 99")
    rebuilt = run("index", str(sample), "--rebuild", archive=archive)
    assert rebuilt.returncode == 0, rebuilt.stderr
    found = run("search", "Gerasimov", archive=archive)
    assert found.returncode == 0 and found.stdout.startswith("2 articles match 'Gerasimov':")
