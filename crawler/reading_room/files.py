"""The files behind an article page: its text file and its WARC record, read safely.

Paths come from the catalogue, never from the request; even so, a text file is served only from
under ``ARCHIVE_DIR/text`` and a WARC record only from a WARC file the catalogue names (or one
under ``ARCHIVE_DIR/warc``), so a damaged or hostile catalogue cannot make the reading room read
other files.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from crawler.output.naming import contained_path


def text_file(archive_dir: Path, relative: str | None) -> Path | None:
    """The text file at ``relative`` (to ARCHIVE_DIR), if it is under ARCHIVE_DIR/text and exists."""
    if not relative:
        return None
    root = (archive_dir / "text").resolve()
    try:
        path = contained_path(archive_dir.resolve(), Path(relative))
    except ValueError:
        return None
    if root not in path.parents or not path.is_file():
        return None
    return path


def warc_path(conn: sqlite3.Connection, archive_dir: Path, name: str | None) -> Path | None:
    """Where the WARC file ``name`` lies: as the catalogue recorded it, else under ARCHIVE_DIR/warc."""
    if not name or "/" in name or "\\" in name or name.startswith("."):
        return None
    row = conn.execute("SELECT value FROM catalog_info WHERE key = ?", ("warc_file:" + name,)).fetchone()
    if row is not None:
        path = Path(row[0])
        if path.name == name and path.is_file():
            return path
    warc_root = archive_dir / "warc"
    if warc_root.is_dir():
        for candidate in warc_root.glob(f"*/{name}"):
            if candidate.is_file():
                return candidate
    return None


def warc_record_bytes(path: Path, offset: int, record_id: str | None) -> bytes | None:
    """The record at ``offset`` in ``path`` exactly as stored (a gzip member of a .warc.gz is a
    valid .warc.gz by itself), if it is the record ``record_id``; else None."""
    with open(path, "rb") as stream:
        stream.seek(offset)
        records = ArchiveIterator(stream)
        for record in records:
            if record_id and record.rec_headers.get_header("WARC-Record-ID") != record_id:
                return None
            record.content_stream().read()  # to its end, so that the iterator knows its length
            records.read_to_end(record)
            length = records.get_record_length()
            break
        else:
            return None
        stream.seek(offset)
        return stream.read(length)
