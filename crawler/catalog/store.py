"""Writing the catalogue: one article capture at a time, each in one transaction.

``Catalog.add`` takes what a crawl's item holds (its fields, the ``warc`` reference, the text
file) and the capture's date, from a crawl's pipeline or from ``scrapy index``, in any order:

- a capture already indexed (its WARC record id) is skipped, so indexing again is harmless;
- a text not seen before at this URL is a new revision; one seen before keeps its earliest capture;
- the article's metadata, and what the full-text index holds, follow its newest capture.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crawler.catalog.lemmas import lemma_text
from crawler.catalog.schema import connect


def text_hash(text: str) -> str:
    """What makes two captures' texts the same revision: their text, whitespace runs aside."""
    return hashlib.sha1(" ".join(text.split()).encode("utf-8")).hexdigest()


def day_of(published: str | None, captured: str | None) -> str | None:
    """The article's day: the one it says it was published, else the day it was first captured."""
    for value in (published, captured):
        if value and len(value) >= 10 and value[4] == "-" and value[7] == "-":
            return value[:10]
    return None


@dataclass(frozen=True)
class Added:
    """What ``Catalog.add`` did: the article's id, and whether the capture was new, its text new."""

    article_id: int | None
    new_capture: bool
    new_revision: bool


class Catalog:
    """The catalogue opened for writing. ``add`` commits, unless ``autocommit`` is off (then
    ``commit`` does, so that a bulk index writes thousands of captures per transaction)."""

    def __init__(self, path: str | Path, autocommit: bool = True) -> None:
        self.path = Path(path)
        self.conn = connect(self.path)
        self.autocommit = autocommit

    def close(self) -> None:
        self.conn.commit()
        self.conn.close()

    def commit(self) -> None:
        self.conn.commit()

    def knows(self, record_id: str) -> bool:
        return self.conn.execute("SELECT 1 FROM captures WHERE record_id = ?", (record_id,)).fetchone() is not None

    def add_warc_file(self, name: str, path: str | Path) -> None:
        """Where a WARC file named in the catalogue lies (for the reading room's record links)."""
        self.conn.execute(
            "INSERT OR REPLACE INTO catalog_info (key, value) VALUES (?, ?)",
            ("warc_file:" + name, str(Path(path).resolve())),
        )
        if self.autocommit:
            self.conn.commit()

    def add(self, item: Mapping[str, Any], outlet: str, captured: str | None, text_file: str | None = None) -> Added:
        """Catalogue one capture's article (``item``: a crawl item's fields, as a mapping)."""
        warc = item.get("warc") or {}
        if not isinstance(warc, Mapping):
            warc = warc.as_dict()
        record_id = warc.get("record_id")
        captured = captured or warc.get("date") or item.get("fetched_at") or ""
        try:
            with self.conn if self.autocommit else _Nested():
                return self._add(item, outlet, captured, text_file, warc, record_id)
        except BaseException:
            if not self.autocommit:
                self.conn.rollback()
            raise

    def _add(self, item, outlet, captured, text_file, warc, record_id) -> Added:
        conn = self.conn
        if record_id and self.knows(record_id):
            return Added(None, False, False)
        url = item["url"]
        text = item.get("text") or ""
        row = conn.execute(
            "SELECT id, last_captured, latest_revision, language FROM articles WHERE url = ?", (url,)
        ).fetchone()
        if row is None:
            article_id = int(
                conn.execute("INSERT INTO articles (url, outlet) VALUES (?, ?)", (url, outlet)).lastrowid or 0
            )
            last_captured, latest, old_language = None, None, None
        else:
            article_id, last_captured, latest, old_language = row
        digest = text_hash(text)
        existing = conn.execute(
            "SELECT id, captured FROM revisions WHERE article_id = ? AND text_hash = ?", (article_id, digest)
        ).fetchone()
        new_revision = existing is None
        if new_revision:
            revision_id = conn.execute(
                "INSERT INTO revisions (article_id, captured, text_hash, title, subtitle, text, word_count, text_file,"
                " warc_file, warc_record_id, warc_offset, warc_target_uri) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    article_id,
                    captured,
                    digest,
                    item.get("title"),
                    item.get("subtitle"),
                    text,
                    item.get("word_count"),
                    text_file,
                    warc.get("file"),
                    record_id,
                    warc.get("offset"),
                    warc.get("target_uri"),
                ),
            ).lastrowid
        else:
            revision_id = existing[0]
            if captured < existing[1]:  # indexed out of order: the text was seen earlier than we knew
                conn.execute(
                    "UPDATE revisions SET captured = ?, warc_file = ?, warc_record_id = ?, warc_offset = ?,"
                    " warc_target_uri = ?, text_file = coalesce(?, text_file) WHERE id = ?",
                    (
                        captured,
                        warc.get("file"),
                        record_id,
                        warc.get("offset"),
                        warc.get("target_uri"),
                        text_file,
                        revision_id,
                    ),
                )
            elif text_file:
                conn.execute(
                    "UPDATE revisions SET text_file = coalesce(text_file, ?) WHERE id = ?", (text_file, revision_id)
                )
        if record_id:
            conn.execute(
                "INSERT INTO captures (record_id, article_id, warc_file, captured) VALUES (?, ?, ?, ?)",
                (record_id, article_id, warc.get("file"), captured),
            )
        newest = last_captured is None or captured >= last_captured
        if newest:
            self._update_article(article_id, item, outlet, captured, old_language, latest, revision_id)
        self._refresh_counts(article_id)
        return Added(article_id, True, new_revision)

    def move_text_file(self, old: str, new: str) -> None:
        """The revision whose text file was ``old`` (relative to the archive) has it at ``new``."""
        with self.conn if self.autocommit else _Nested():
            self.conn.execute("UPDATE revisions SET text_file = ? WHERE text_file = ?", (new, old))

    def _update_article(self, article_id, item, outlet, captured, old_language, latest, revision_id) -> None:
        conn = self.conn
        if latest is not None:
            # The row holds the article's title and subtitle (its newest capture's, which may be
            # a headline edit of the same text) and its latest revision's text.
            old = conn.execute(
                "SELECT a.title, a.subtitle, r.text FROM articles a JOIN revisions r ON r.id = ? WHERE a.id = ?",
                (latest, article_id),
            ).fetchone()
            if old is not None:
                # A contentless FTS5 row is deleted by giving the values it was made of.
                conn.execute(
                    "INSERT INTO article_fts (article_fts, rowid, title, subtitle, body) VALUES ('delete', ?, ?, ?, ?)",
                    (article_id, *(lemma_text(value, old_language) for value in old)),
                )
        language = item.get("language")
        published = item.get("published")
        image = item.get("image") or {}
        authors = list(item.get("authors") or [])
        conn.execute(
            "UPDATE articles SET outlet = ?, canonical_url = ?, title = ?, subtitle = ?, authors = ?, organizations = ?,"
            " published = ?, published_source = ?, modified = ?, language = ?, section = ?,"
            " tags = ?, access = ?, image_url = ?, word_count = ?, last_captured = ?, latest_revision = ? WHERE id = ?",
            (
                outlet,
                item.get("canonical_url"),
                item.get("title"),
                item.get("subtitle"),
                json.dumps(authors, ensure_ascii=False),
                json.dumps(list(item.get("organizations") or []), ensure_ascii=False),
                published,
                item.get("published_source"),
                item.get("modified"),
                language,
                item.get("section"),
                json.dumps(list(item.get("tags") or []), ensure_ascii=False),
                item.get("access"),
                image.get("url") if isinstance(image, Mapping) else None,
                item.get("word_count"),
                captured,
                revision_id,
                article_id,
            ),
        )
        conn.execute(
            "INSERT INTO article_fts (rowid, title, subtitle, body) VALUES (?, ?, ?, ?)",
            (
                article_id,
                lemma_text(item.get("title"), language),
                lemma_text(item.get("subtitle"), language),
                lemma_text(item.get("text") or "", language),
            ),
        )
        conn.execute("DELETE FROM authors WHERE article_id = ?", (article_id,))
        conn.executemany(
            "INSERT OR IGNORE INTO authors (article_id, author) VALUES (?, ?)", [(article_id, a) for a in authors]
        )

    def _refresh_counts(self, article_id: int) -> None:
        counts = self.conn.execute(
            "SELECT count(*), min(captured) FROM revisions WHERE article_id = ?", (article_id,)
        ).fetchone()
        published = self.conn.execute("SELECT published FROM articles WHERE id = ?", (article_id,)).fetchone()[0]
        day = day_of(published, counts[1])
        self.conn.execute(
            "UPDATE articles SET revision_count = ?, first_captured = ?, day = ?, month = ? WHERE id = ?",
            (counts[0], counts[1], day, day[:7] if day else None, article_id),
        )


class _Nested:
    """No transaction of its own: the caller commits (``Catalog(autocommit=False)``)."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None
