"""Writing the catalogue: captures in any order, revisions, the full-text index, readers beside a writer."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest

from crawler.catalog.schema import SCHEMA_VERSION, CatalogError, catalog_path, connect
from crawler.catalog.search import search
from crawler.catalog.store import Added, Catalog

URL = "https://www.themoscowtimes.com/2024/12/05/russia-us-army-chiefs-hold-rare-call-amid-ukraine-escalation-a87242"
FIRST_TEXT = (
    "The call between Russia's Chief of the General Staff Valery Gerasimov and the U.S. Chairman of the Joint "
    "Chiefs of Staff occurred on Nov. 27, a U.S. official said. The two discussed the fighting near Bakhmut."
)
# The outlet's correction: the town was wrong, and a paragraph was added.
EDITED_TEXT = (
    "The call between Russia's Chief of the General Staff Valery Gerasimov and the U.S. Chairman of the Joint "
    "Chiefs of Staff occurred on Nov. 27, a U.S. official said. The two discussed the fighting near Avdiivka.\n\n"
    "The Pentagon declined to comment."
)


def capture(date, text=FIRST_TEXT, title="Russia, U.S. Army Chiefs Hold Rare Call", record=None, **fields):
    """One capture's item, as the moscowtimes spider yields it, with its WARC reference."""
    record = record or f"<urn:uuid:00000000-0000-4000-8000-{date[:10].replace('-', '')}{date[11:13]}00>"
    return {
        "url": URL,
        "canonical_url": URL,
        "outlet": "moscowtimes",
        "title": title,
        "subtitle": None,
        "authors": [],
        "organizations": ["AFP"],
        "published": "2024-12-05T13:02:00+03:00",
        "modified": None,
        "published_source": "json-ld",
        "language": "en",
        "section": "news",
        "tags": ["Ukraine", "Pentagon"],
        "image": {"url": "https://static.themoscowtimes.com/image/article_1360/a87242.jpg"},
        "text": text,
        "word_count": len(text.split()),
        "access": "free",
        "fetched_at": date,
        "warc": {
            "file": "moscowtimes-20241205120000-00000.warc.gz",
            "record_id": record,
            "payload_digest": "sha1:AAAA",
            "offset": 1000 + int(date[11:13]),
            "date": date,
            "target_uri": URL,
        },
        **fields,
    }


@pytest.fixture
def catalog(tmp_path):
    catalog = Catalog(catalog_path(tmp_path))
    yield catalog
    catalog.close()


def add(catalog, fields, text_file=None):
    return catalog.add(fields, "moscowtimes", fields["warc"]["date"], text_file)


def counts(conn):
    return conn.execute(
        "SELECT (SELECT count(*) FROM articles), (SELECT count(*) FROM revisions), (SELECT count(*) FROM captures)"
    ).fetchone()


def article(conn):
    return conn.execute("SELECT * FROM articles WHERE url = ?", (URL,)).fetchone()


def hits(conn, query):
    return search(conn, query).total


def test_the_same_record_added_twice_is_a_no_op(catalog):
    first = add(catalog, capture("2024-12-05T12:00:00Z"), text_file="text/moscowtimes/a87242.md")
    assert first.new_capture and first.new_revision and first.article_id
    before = dict(article(catalog.conn))
    again = add(catalog, capture("2024-12-05T12:00:00Z"))
    assert again == Added(None, False, False)
    assert tuple(counts(catalog.conn)) == (1, 1, 1)
    assert dict(article(catalog.conn)) == before
    assert hits(catalog.conn, "Gerasimov") == 1
    assert catalog.knows(capture("2024-12-05T12:00:00Z")["warc"]["record_id"])


def test_an_edited_text_is_revision_2_and_the_index_holds_only_the_newest(catalog):
    add(catalog, capture("2024-12-05T12:00:00Z"))
    assert hits(catalog.conn, "Bakhmut") == 1 and hits(catalog.conn, "Avdiivka") == 0
    added = add(catalog, capture("2024-12-06T12:00:00Z", text=EDITED_TEXT, title="Army Chiefs Spoke, Pentagon Says"))
    assert added.new_revision
    assert tuple(counts(catalog.conn)) == (1, 2, 2)
    row = article(catalog.conn)
    assert row["revision_count"] == 2 and row["title"] == "Army Chiefs Spoke, Pentagon Says"
    assert row["first_captured"] == "2024-12-05T12:00:00Z" and row["last_captured"] == "2024-12-06T12:00:00Z"
    latest = catalog.conn.execute("SELECT text, captured FROM revisions WHERE id = ?", (row["latest_revision"],))
    assert tuple(latest.fetchone()) == (EDITED_TEXT, "2024-12-06T12:00:00Z")
    # The old text is kept as revision 1, but only the newest is searched.
    assert hits(catalog.conn, "Bakhmut") == 0
    assert hits(catalog.conn, "Avdiivka") == 1 and hits(catalog.conn, "Pentagon") == 1
    assert hits(catalog.conn, "Rare") == 0  # the old title's word
    (result,) = search(catalog.conn, "Gerasimov").results
    assert result.revision_count == 2 and "Bakhmut" not in result.snippet()
    assert (
        catalog.conn.execute("SELECT count(*) FROM article_fts WHERE article_fts MATCH 'gerasimov'").fetchone()[0] == 1
    )


def test_an_older_capture_indexed_late_does_not_replace_the_newest(catalog):
    add(catalog, capture("2024-12-06T12:00:00Z", text=EDITED_TEXT, title="Army Chiefs Spoke, Pentagon Says"))
    added = add(catalog, capture("2024-12-05T12:00:00Z"))  # scrapy index reads an older WARC after a newer one
    assert added.new_capture and added.new_revision
    row = article(catalog.conn)
    assert row["title"] == "Army Chiefs Spoke, Pentagon Says"
    assert row["last_captured"] == "2024-12-06T12:00:00Z" and row["first_captured"] == "2024-12-05T12:00:00Z"
    assert row["revision_count"] == 2 and row["word_count"] == len(EDITED_TEXT.split())
    latest = catalog.conn.execute("SELECT text FROM revisions WHERE id = ?", (row["latest_revision"],)).fetchone()
    assert latest[0] == EDITED_TEXT
    assert (
        hits(catalog.conn, "Avdiivka") == 1 and hits(catalog.conn, "Bakhmut") == 0 and hits(catalog.conn, "Rare") == 0
    )
    captured = catalog.conn.execute("SELECT captured FROM revisions ORDER BY captured").fetchall()
    assert [c[0] for c in captured] == ["2024-12-05T12:00:00Z", "2024-12-06T12:00:00Z"]


def test_the_same_text_captured_again_keeps_one_revision(catalog):
    add(catalog, capture("2024-12-05T12:00:00Z"), text_file="text/moscowtimes/a87242.md")
    # A later capture, the text laid out with other whitespace: the same revision.
    added = add(catalog, capture("2024-12-07T12:00:00Z", text=FIRST_TEXT.replace(". ", ".\n\n  ")))
    assert added.new_capture and not added.new_revision
    assert tuple(counts(catalog.conn)) == (1, 1, 2)
    row = article(catalog.conn)
    assert row["revision_count"] == 1 and row["last_captured"] == "2024-12-07T12:00:00Z"
    revision = catalog.conn.execute("SELECT captured, warc_record_id, text_file FROM revisions").fetchone()
    assert revision["captured"] == "2024-12-05T12:00:00Z"  # the capture it was first seen in
    assert revision["warc_record_id"] == capture("2024-12-05T12:00:00Z")["warc"]["record_id"]
    assert revision["text_file"] == "text/moscowtimes/a87242.md"
    assert hits(catalog.conn, "Bakhmut") == 1
    # An even earlier capture of that text, indexed last, becomes where it was first seen.
    add(catalog, capture("2024-12-04T12:00:00Z"))
    revision = catalog.conn.execute("SELECT captured, warc_record_id FROM revisions").fetchone()
    assert tuple(revision) == ("2024-12-04T12:00:00Z", capture("2024-12-04T12:00:00Z")["warc"]["record_id"])
    assert tuple(counts(catalog.conn)) == (1, 1, 3) and hits(catalog.conn, "Bakhmut") == 1


def test_a_headline_edited_without_a_text_change_leaves_no_ghost_in_the_index(catalog):
    add(catalog, capture("2024-12-05T12:00:00Z", title="Alpha headline"))
    add(catalog, capture("2024-12-06T12:00:00Z", title="Bravo headline"))  # the same text
    assert hits(catalog.conn, "Bravo") == 1 and hits(catalog.conn, "Alpha") == 0
    add(catalog, capture("2024-12-07T12:00:00Z", title="Charlie headline", text=EDITED_TEXT))
    assert article(catalog.conn)["title"] == "Charlie headline"
    assert hits(catalog.conn, "Charlie") == 1
    assert hits(catalog.conn, "Bravo") == 0  # found, though no title or text of the article says it any more


def test_the_day_is_the_published_one_else_the_first_capture(catalog):
    add(catalog, capture("2024-12-06T12:00:00Z"))
    assert (article(catalog.conn)["day"], article(catalog.conn)["month"]) == ("2024-12-05", "2024-12")
    other = capture("2025-01-31T23:00:00Z", url=URL + "-undated", published=None)
    catalog.add(other, "moscowtimes", other["warc"]["date"])
    row = catalog.conn.execute("SELECT day, month FROM articles WHERE url = ?", (URL + "-undated",)).fetchone()
    assert tuple(row) == ("2025-01-31", "2025-01")


def test_a_reader_searches_while_a_writer_holds_a_transaction(tmp_path):
    path = catalog_path(tmp_path)
    writer = Catalog(path, autocommit=False)
    add(writer, capture("2024-12-05T12:00:00Z"))
    writer.commit()
    early_reader = connect(path, readonly=True)
    assert early_reader.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    # A crawl's write in progress, the strongest lock a writer takes (rollback journals lock readers out here).
    writer.conn.execute("BEGIN EXCLUSIVE")
    add(writer, capture("2024-12-06T12:00:00Z", text=EDITED_TEXT))
    assert writer.conn.in_transaction
    started = time.monotonic()
    late_reader = connect(path, readonly=True)  # opened mid-transaction: reads the version
    try:
        for reader in (early_reader, late_reader):
            assert hits(reader, "Bakhmut") == 1 and hits(reader, "Avdiivka") == 0  # the committed state
        assert time.monotonic() - started < 2, "the readers waited for the writer"
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            late_reader.execute("DELETE FROM articles")
        writer.commit()
        for reader in (early_reader, late_reader):
            assert hits(reader, "Bakhmut") == 0 and hits(reader, "Avdiivka") == 1
    finally:
        early_reader.close()
        late_reader.close()
        writer.close()


def test_a_reader_in_another_thread_is_not_locked_out_by_a_long_write(tmp_path):
    path = catalog_path(tmp_path)
    writer = Catalog(path, autocommit=False)
    add(writer, capture("2024-12-05T12:00:00Z"))
    writer.commit()
    writer.conn.execute("BEGIN EXCLUSIVE")
    errors, totals = [], []

    def read():
        try:
            reader = connect(path, readonly=True)
            totals.append(hits(reader, "Gerasimov"))
            reader.close()
        except Exception as exc:  # "database is locked" in another journal mode
            errors.append(exc)

    thread = threading.Thread(target=read)
    thread.start()
    thread.join(timeout=20)
    writer.conn.rollback()
    writer.close()
    assert not errors and totals == [1]


def set_version(path, version):
    raw = sqlite3.connect(path)
    raw.execute("UPDATE catalog_info SET value = ? WHERE key = 'schema_version'", (str(version),))
    raw.commit()
    raw.close()


def test_a_catalogue_of_another_schema_version_is_a_catalog_error(tmp_path):
    path = catalog_path(tmp_path)
    Catalog(path).close()
    set_version(path, SCHEMA_VERSION + 1)
    for opening in (lambda: connect(path), lambda: connect(path, readonly=True), lambda: Catalog(path)):
        with pytest.raises(CatalogError) as raised:
            opening()
        assert str(SCHEMA_VERSION + 1) in str(raised.value) and "scrapy index" in str(raised.value)
        assert "\n" not in str(raised.value)
    set_version(path, SCHEMA_VERSION)
    Catalog(path).close()  # its own version opens again


def test_no_catalogue_is_a_catalog_error_for_a_reader_and_none_is_made(tmp_path):
    path = catalog_path(tmp_path)
    with pytest.raises(CatalogError, match="no catalogue at .*scrapy index"):
        connect(path, readonly=True)
    assert not path.exists()
