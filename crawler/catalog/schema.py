"""The catalogue's tables: ``ARCHIVE_DIR/catalog.sqlite3``, SQLite in WAL mode, no server.

    articles      one row per article URL: its latest metadata, where its latest text is
    revisions     every distinct text of an article, with the capture it was first seen in
    authors       (article, person) pairs: the author facet
    captures      every WARC record indexed (its record id): what ``scrapy index`` skips again
    stories       groups of articles about one event; copies: pairs of articles that are one text
    article_fts   FTS5, contentless: the lemmas of each article's latest title, subtitle and text

The text is stored once (in ``revisions``); the full-text index holds lemmas only
(``crawler.catalog.lemmas``), ``content=''``, so it adds its index and nothing else. Everything in
it can be rebuilt from the WARC files (``scrapy index``).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

#: Bumped when the tables change; a catalogue of another version is rebuilt (``scrapy index``).
SCHEMA_VERSION = 2
#: The catalogue's file under ARCHIVE_DIR.
CATALOG_NAME = "catalog.sqlite3"
#: bm25 weights of the indexed columns: a word in the title counts ten times one in the text.
WEIGHTS = {"title": 10.0, "subtitle": 5.0, "body": 1.0}
#: Milliseconds a connection waits for another's write lock before giving up.
BUSY_TIMEOUT_MS = 10_000

DDL = """
CREATE TABLE IF NOT EXISTS articles (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL UNIQUE,
    canonical_url TEXT,
    outlet TEXT NOT NULL,
    title TEXT,
    subtitle TEXT,
    authors TEXT NOT NULL DEFAULT '[]',        -- JSON list, in byline order
    organizations TEXT NOT NULL DEFAULT '[]',  -- JSON list
    published TEXT,
    published_source TEXT,
    modified TEXT,
    day TEXT,                                   -- yyyy-mm-dd of published, else of the first capture
    month TEXT,                                 -- yyyy-mm of the same
    language TEXT,
    section TEXT,
    tags TEXT NOT NULL DEFAULT '[]',            -- JSON list
    access TEXT,
    image_url TEXT,
    word_count INTEGER,
    first_captured TEXT,
    last_captured TEXT,
    revision_count INTEGER NOT NULL DEFAULT 0,
    latest_revision INTEGER,                    -- revisions.id of the text the index holds
    story_id INTEGER                            -- stories.id (crawler/stories)
);
CREATE INDEX IF NOT EXISTS articles_outlet_day ON articles (outlet, day);
CREATE INDEX IF NOT EXISTS articles_day ON articles (day);
CREATE INDEX IF NOT EXISTS articles_story ON articles (story_id);
CREATE TABLE IF NOT EXISTS revisions (
    id INTEGER PRIMARY KEY,
    article_id INTEGER NOT NULL REFERENCES articles (id),
    captured TEXT NOT NULL,                     -- WARC-Date of the capture the text was first seen in
    text_hash TEXT NOT NULL,
    title TEXT,
    subtitle TEXT,
    text TEXT NOT NULL,
    word_count INTEGER,
    text_file TEXT,                             -- relative to ARCHIVE_DIR
    warc_file TEXT,
    warc_record_id TEXT,
    warc_offset INTEGER,
    warc_target_uri TEXT,
    UNIQUE (article_id, text_hash)
);
CREATE INDEX IF NOT EXISTS revisions_article ON revisions (article_id, captured);
CREATE TABLE IF NOT EXISTS authors (
    article_id INTEGER NOT NULL REFERENCES articles (id),
    author TEXT NOT NULL,
    PRIMARY KEY (article_id, author)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS authors_author ON authors (author);
CREATE TABLE IF NOT EXISTS captures (
    record_id TEXT PRIMARY KEY,
    article_id INTEGER,
    warc_file TEXT,
    captured TEXT
) WITHOUT ROWID;
CREATE VIRTUAL TABLE IF NOT EXISTS article_fts USING fts5 (
    title, subtitle, body,
    content = '',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TABLE IF NOT EXISTS catalog_info (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS stories (
    id INTEGER PRIMARY KEY,
    label TEXT,                                 -- the title of its most central article
    label_article INTEGER,
    first_seen TEXT,
    last_seen TEXT,
    articles INTEGER NOT NULL DEFAULT 0,
    outlets INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS copies (
    article_id INTEGER NOT NULL,                -- the smaller id of the pair
    copy_id INTEGER NOT NULL,
    containment REAL NOT NULL,                  -- estimated share of the shorter text in the other
    PRIMARY KEY (article_id, copy_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS copies_copy ON copies (copy_id);
"""
#: Columns added since version 1, with their definitions (a version-1 catalogue gets them).
ADDED_COLUMNS = {"articles": {"story_id": "INTEGER"}}


class CatalogError(Exception):
    """A catalogue that cannot be used (missing, of another version), said in one line."""


def catalog_path(archive_dir: str | Path) -> Path:
    return Path(archive_dir) / CATALOG_NAME


def connect(path: str | Path, readonly: bool = False) -> sqlite3.Connection:
    """A connection to the catalogue at ``path``: read-only (it must exist) or read-write (made if
    missing, in WAL mode, so readers never wait for the crawl that writes it)."""
    path = Path(path)
    if readonly:
        if not path.exists():
            raise CatalogError(f"no catalogue at {path}: crawl, or build it with  scrapy index")
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    conn.row_factory = sqlite3.Row
    if not readonly:
        create(conn)
    else:
        check_version(conn, path)
    return conn


def create(conn: sqlite3.Connection) -> None:
    version = _version(conn)
    if version == 1:
        _migrate_from_1(conn)
        version = SCHEMA_VERSION
    if version is not None and version != SCHEMA_VERSION:
        raise CatalogError(
            f"the catalogue is of version {version}, this code writes {SCHEMA_VERSION}: "
            "move it away and rebuild it with  scrapy index"
        )
    conn.executescript(DDL)
    conn.execute("INSERT OR IGNORE INTO catalog_info (key, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
    conn.commit()


def _migrate_from_1(conn: sqlite3.Connection) -> None:
    """Version 1 had no stories: add their column and tables, keep every row."""
    for table, columns in ADDED_COLUMNS.items():
        have = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
        for name, definition in columns.items():
            if name not in have:
                conn.execute(f"ALTER TABLE {table} ADD COLUMN {name} {definition}")
    conn.executescript(DDL)
    conn.execute("UPDATE catalog_info SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION),))
    conn.commit()


def _version(conn: sqlite3.Connection) -> int | None:
    try:
        row = conn.execute("SELECT value FROM catalog_info WHERE key = 'schema_version'").fetchone()
    except sqlite3.OperationalError:
        return None
    return int(row[0]) if row else None


def check_version(conn: sqlite3.Connection, path: Path) -> None:
    version = _version(conn)
    if version != SCHEMA_VERSION:
        raise CatalogError(
            f"{path} is not a catalogue of version {SCHEMA_VERSION} (found {version}): rebuild it with  scrapy index"
        )
