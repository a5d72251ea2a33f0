"""Reading stories and copies back from the catalogue (for ``scrapy stories`` and the reading
room; no numpy, no datasketch: only SQL)."""

from __future__ import annotations

import sqlite3


def copies_among(conn: sqlite3.Connection, ids: list[int]) -> list[sqlite3.Row]:
    """The pairs of copies (``article_id``, ``copy_id``, ``containment``) of which both articles
    are among ``ids``."""
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    cursor = conn.execute(
        f"SELECT article_id, copy_id, containment FROM copies WHERE article_id IN ({marks}) AND copy_id IN ({marks})",
        ids + ids,
    )
    cursor.row_factory = sqlite3.Row
    return cursor.fetchall()
