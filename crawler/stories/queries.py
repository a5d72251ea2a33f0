"""Reading stories and copies back from the catalogue (for ``scrapy stories`` and the reading
room; no numpy, no datasketch: only SQL)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from typing import Any


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


def posix_time(day_or_date: str | None) -> float | None:
    if not day_or_date:
        return None
    try:
        return datetime.fromisoformat(day_or_date.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def in_time_order(rows: list[Any], key: str = "published") -> list[Any]:
    """Rows in order of the instant in their ``key`` (dates written with different offsets:
    2021-11-24T00:22+03:00 is before 2021-11-23T21:35+00:00), undated last, then by ``id``."""

    def order(row: Any) -> tuple[bool, float, int]:
        moment = posix_time(row[key])  # parsed once a row
        return (moment is None, moment or 0.0, row["id"])

    return sorted(rows, key=order)


def utc_label(day_or_date: str | None) -> str | None:
    """A date as a person compares it across outlets: the instant in UTC (2021-11-24T00:22+03:00
    -> 2021-11-23 21:22 UTC); a date without a time stays as written."""
    moment = posix_time(day_or_date)
    if moment is None or not day_or_date or "T" not in day_or_date:
        return day_or_date
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%d %H:%M UTC")
