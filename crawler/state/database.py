"""The archive's memory between runs: an embedded SQLite database by default, no server.

``ARCHIVE_DIR/state.sqlite3`` (WAL mode, safe for overlapping readers and one
writer at a time), or with ``STATE_URL=postgresql://…`` one PostgreSQL database that every
worker of a cluster shares (the same schema and statements: crawler/state/backend.py), holds, per URL, every capture (time, WARC file and record,
status, payload digest, ETag and Last-Modified) and every revision of the
extracted text (hash, text, unified diff against the previous revision). The
WARC files stay the source of truth: the state is what makes the next run
incremental and what ``scrapy history`` reads.

What is known is known per spider: a URL the ``feed`` spider archived is new to the outlet's own
spider, which fetches it in full, reads it with the outlet's rules, numbers its own revisions and
writes revisits only against payloads in its own WARC files, so one spider's directory replays
and re-extracts whole.
"""

from __future__ import annotations

import difflib
import hashlib
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from crawler.refs import WarcRef
from crawler.state.backend import open_backend

_CAPTURES_SCHEMA = """
CREATE TABLE IF NOT EXISTS captures (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL,
    spider TEXT NOT NULL,
    fetched_at TEXT NOT NULL,
    status INTEGER,
    record_type TEXT NOT NULL,
    warc_file TEXT NOT NULL,
    warc_offset INTEGER,
    record_id TEXT NOT NULL,
    payload_digest TEXT,
    etag TEXT,
    last_modified TEXT,
    -- what became of the capture: article, unchanged, not_modified, not_article, error;
    -- NULL until it was processed to the end (a crash in between leaves it NULL)
    outcome TEXT
);
CREATE INDEX IF NOT EXISTS captures_url ON captures (url, fetched_at);
CREATE INDEX IF NOT EXISTS captures_spider_url ON captures (spider, url, fetched_at);
CREATE INDEX IF NOT EXISTS captures_file ON captures (warc_file);
"""
#: Revisions are numbered per spider: the key holds the spider.
_REVISIONS_TABLE = """
CREATE TABLE revisions (
    url TEXT NOT NULL,
    revision INTEGER NOT NULL,
    spider TEXT NOT NULL,
    fetched_at TEXT NOT NULL,
    record_id TEXT NOT NULL,
    text_hash TEXT NOT NULL,
    text TEXT NOT NULL,
    diff TEXT,
    PRIMARY KEY (url, spider, revision)
);
"""
SCHEMA = _CAPTURES_SCHEMA + _REVISIONS_TABLE.replace("CREATE TABLE revisions", "CREATE TABLE IF NOT EXISTS revisions")
#: Archives made before revisions were numbered per spider: the table rebuilt with the new key
#: (every row kept; until then two spiders' revisions of one URL could not both be stored).
_REVISIONS_PER_SPIDER = (
    "ALTER TABLE revisions RENAME TO revisions_by_url;"
    + _REVISIONS_TABLE
    + "INSERT INTO revisions SELECT url, revision, spider, fetched_at, record_id, text_hash, text, diff"
    " FROM revisions_by_url;\nDROP TABLE revisions_by_url;\n"
)


@dataclass(frozen=True)
class StoredCapture:
    """One row of ``captures``: an archived exchange as the state remembers it."""

    url: str
    spider: str
    fetched_at: str
    status: int | None
    record_type: str
    warc_file: str
    warc_offset: int | None
    record_id: str
    payload_digest: str | None
    etag: str | None
    last_modified: str | None

    @property
    def ref(self) -> WarcRef:
        return WarcRef(self.warc_file, self.record_id, self.payload_digest, self.warc_offset, self.fetched_at, self.url)


@dataclass(frozen=True)
class Revision:
    url: str
    revision: int
    spider: str
    fetched_at: str
    record_id: str
    text_hash: str
    text: str
    diff: str | None


def text_hash(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def revision_diff(previous: Revision, text: str, number: int, fetched_at: str) -> str:
    """The unified diff from a stored revision to the text of revision ``number``."""
    lines = difflib.unified_diff(
        previous.text.splitlines(keepends=True),
        text.splitlines(keepends=True),
        fromfile=f"{previous.url} (revision {previous.revision}, {previous.fetched_at})",
        tofile=f"{previous.url} (revision {number}, {fetched_at})",
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def next_revision(
    last: Revision | None, url: str, spider: str, fetched_at: str, record_id: str, text: str
) -> Revision | None:
    """The revision a text makes after ``last`` (numbered, with its diff), or None if it is unchanged."""
    digest = text_hash(text)
    if last is not None and last.text_hash == digest:
        return None
    number = 1 if last is None else last.revision + 1
    diff = revision_diff(last, text, number, fetched_at) if last is not None else None
    return Revision(url, number, spider, fetched_at, record_id, digest, text, diff)


def moment(when: str) -> datetime:
    """A WARC-Date (with or without fractions of a second) as a moment: compared as times, not text."""
    try:
        return datetime.fromisoformat(when.replace("Z", "+00:00"))
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)


#: Sent (``placement``: a ``Placement``) before the state moves revisions up to make room for an
#: older one: the text files, the WARC's items and the catalogue follow it.
revisions_moved = object()


@dataclass(frozen=True)
class Placement:
    """Where a capture older than the newest revision goes (``place_revision``): its text becomes
    ``revision``; ``moved`` are the revisions after it at their new numbers (one up), each with its
    diff written anew (a diff's header names both numbers); ``changed`` is every revision whose
    number or diff changes: ``moved``, or only the next one's diff when a run stopped after
    making room had moved them already."""

    revision: Revision
    moved: tuple[Revision, ...]
    changed: tuple[Revision, ...]

    @property
    def renumbered(self) -> list[tuple[Revision, int]]:
        """(revision at its new number, its old number) of every revision moved, the highest first
        (the order to move their files in, so none lands on one not yet moved)."""
        return [(r, r.revision - 1) for r in reversed(self.moved)]


def place_revision(
    revisions: list[Revision], url: str, spider: str, fetched_at: str, record_id: str, text: str
) -> Placement | None:
    """The place in time of a capture made before the newest revision (another archive's, brought
    in later): after the revisions captured before it, before those captured after it, which move
    up one. None when its text is that of the revision before it, of the one after it or of one
    captured at the same moment (its own capture again among them): another capture of that text,
    not a revision of its own; and None when no revision was captured after it."""
    ordered = sorted(revisions, key=lambda r: r.revision)
    when = moment(fetched_at)
    digest = text_hash(text)
    if any(r.text_hash == digest for r in ordered if moment(r.fetched_at) == when):
        return None
    before = [r for r in ordered if moment(r.fetched_at) < when]
    after = [r for r in ordered if moment(r.fetched_at) >= when]
    previous = before[-1] if before else None
    if not after or (previous is not None and previous.text_hash == digest) or after[0].text_hash == digest:
        return None
    number = previous.revision + 1 if previous is not None else 1
    diff = revision_diff(previous, text, number, fetched_at) if previous is not None else None
    placed = Revision(url, number, spider, fetched_at, record_id, digest, text, diff)
    if after[0].revision != number:
        # A run stopped after making room and before storing this one left its number free: the
        # later ones stand where they are; the next one's diff is against this text again.
        following = replace(after[0], diff=revision_diff(placed, after[0].text, after[0].revision, after[0].fetched_at))
        return Placement(placed, (), (following,))
    moved: list[Revision] = []
    for revision in after:
        up = replace(revision, revision=revision.revision + 1)
        moved.append(
            replace(up, diff=revision_diff(moved[-1] if moved else placed, up.text, up.revision, up.fetched_at))
        )
    return Placement(placed, tuple(moved), tuple(moved))


_CAPTURE_COLUMNS = "url, spider, fetched_at, status, record_type, warc_file, warc_offset, record_id, payload_digest, etag, last_modified"
_REVISION_COLUMNS = "url, revision, spider, fetched_at, record_id, text_hash, text, diff"


class ArchiveState:
    """One connection to the state database (use it from one thread): SQLite under
    ``archive_dir``, or the PostgreSQL server ``url`` names (``STATE_URL``; crawler/state/backend.py)."""

    FILENAME = "state.sqlite3"

    def __init__(self, archive_dir: str | Path, url: str = "") -> None:
        self.backend = open_backend(archive_dir, url, self.FILENAME)
        #: Where the state is, for messages (a file, or the server's URL without its password).
        self.path = self.backend.where
        self.backend.schema(SCHEMA, "defense-news-archive state")
        if self.backend.name == "sqlite":
            key = [row[1] for row in self.backend.execute("PRAGMA table_info(revisions)") if row[5]]
            if "spider" not in key:
                self.backend.schema("BEGIN IMMEDIATE;" + _REVISIONS_PER_SPIDER + "COMMIT;", "")

    @property
    def db(self):
        """What statements go through (both backends take ``?`` placeholders)."""
        return self.backend

    def close(self) -> None:
        self.backend.close()

    # -- captures -----------------------------------------------------------------
    def record_capture(self, capture: StoredCapture) -> None:
        self.db.execute(
            f"INSERT INTO captures ({_CAPTURE_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (
                capture.url,
                capture.spider,
                capture.fetched_at,
                capture.status,
                capture.record_type,
                capture.warc_file,
                capture.warc_offset,
                capture.record_id,
                capture.payload_digest,
                capture.etag,
                capture.last_modified,
            ),
        )

    def captures(self, url: str) -> list[StoredCapture]:
        rows = self.db.execute(
            f"SELECT {_CAPTURE_COLUMNS} FROM captures WHERE url = ? ORDER BY fetched_at, id",
            (url,),
        ).fetchall()
        return [StoredCapture(*row) for row in rows]

    def processed_captures(self, url: str, spider: str) -> list[StoredCapture]:
        """The spider's captures of a URL that were processed to the end (an outcome, not an
        error): what a run stopped or crashed between a fetch and its processing did not finish
        is not among them, nor one an earlier version archived without placing it among the
        revisions (``older``)."""
        rows = self.db.execute(
            f"SELECT {_CAPTURE_COLUMNS} FROM captures WHERE spider = ? AND url = ?"
            " AND outcome IS NOT NULL AND outcome NOT IN ('error', 'older') ORDER BY fetched_at, id",
            (spider, url),
        ).fetchall()
        return [StoredCapture(*row) for row in rows]

    def unprocessed(self, spider: str, prefix: str) -> dict[str, list[str]]:
        """The spider's captures in WARC files named ``prefix…`` never processed to the end (an
        import stopped or failed midway: extracted by the next), by file: their record ids."""
        rows = self.db.execute(
            "SELECT warc_file, record_id FROM captures WHERE spider = ? AND warc_file LIKE ?"
            " AND (outcome IS NULL OR outcome = 'error') ORDER BY warc_file, warc_offset",
            (spider, prefix.replace("%", "") + "%"),
        ).fetchall()
        files: dict[str, list[str]] = {}
        for warc_file, record_id in rows:
            files.setdefault(warc_file, []).append(record_id)
        return files

    def last_processed(self, url: str, spider: str) -> StoredCapture | None:
        """The spider's newest capture of a URL that served content (200 or 304) and was processed
        to the end."""
        row = self.db.execute(
            f"SELECT {_CAPTURE_COLUMNS} FROM captures WHERE spider = ? AND url = ? AND status IN (200, 304)"
            " AND outcome IS NOT NULL AND outcome != 'error' ORDER BY fetched_at DESC, id DESC LIMIT 1",
            (spider, url),
        ).fetchone()
        return StoredCapture(*row) if row else None

    def set_outcome(self, record_id: str, outcome: str) -> None:
        self.db.execute("UPDATE captures SET outcome = ? WHERE record_id = ?", (outcome, record_id))

    def last_payload(self, url: str, spider: str) -> StoredCapture | None:
        """The spider's newest full response (not a revisit) of a URL: what a revisit in its own
        WARC files refers to."""
        row = self.db.execute(
            f"SELECT {_CAPTURE_COLUMNS} FROM captures WHERE spider = ? AND url = ? AND record_type = 'response'"
            " AND status = 200 ORDER BY fetched_at DESC, id DESC LIMIT 1",
            (spider, url),
        ).fetchone()
        return StoredCapture(*row) if row else None

    def forget_records(self, warc_file: str, from_offset: int) -> int:
        """Drop captures of records cut from a recovered WARC file."""
        cursor = self.db.execute(
            "DELETE FROM captures WHERE warc_file = ? AND warc_offset >= ?", (warc_file, from_offset)
        )
        return int(cursor.rowcount)

    # -- revisions ------------------------------------------------------------------
    def last_revision(self, url: str, spider: str) -> Revision | None:
        row = self.db.execute(
            f"SELECT {_REVISION_COLUMNS} FROM revisions WHERE url = ? AND spider = ? ORDER BY revision DESC LIMIT 1",
            (url, spider),
        ).fetchone()
        return Revision(*row) if row else None

    def revisions(self, url: str) -> list[Revision]:
        """Every revision of a URL, each spider's in order (numbered per spider)."""
        rows = self.db.execute(
            f"SELECT {_REVISION_COLUMNS} FROM revisions WHERE url = ? ORDER BY spider, revision",
            (url,),
        ).fetchall()
        return [Revision(*row) for row in rows]

    def store_revision(self, revision: Revision) -> bool:
        """Store a revision decided by ``next_revision``; False if that number is already taken
        (an overlapping writer stored it first), and the state is left as that writer left it."""
        try:
            self.db.execute(
                f"INSERT INTO revisions ({_REVISION_COLUMNS}) VALUES (?,?,?,?,?,?,?,?)",
                (
                    revision.url,
                    revision.revision,
                    revision.spider,
                    revision.fetched_at,
                    revision.record_id,
                    revision.text_hash,
                    revision.text,
                    revision.diff,
                ),
            )
        except self.backend.integrity_errors:
            return False
        return True

    def spider_revisions(self, url: str, spider: str) -> list[Revision]:
        """One spider's revisions of a URL, in their order."""
        rows = self.db.execute(
            f"SELECT {_REVISION_COLUMNS} FROM revisions WHERE url = ? AND spider = ? ORDER BY revision",
            (url, spider),
        ).fetchall()
        return [Revision(*row) for row in rows]

    def make_room(self, placement: Placement) -> None:
        """Move the revisions after a placed one up one and give them their new diffs, in one
        transaction; the placed revision is stored later, as any (``store_revision``)."""
        url, spider = placement.revision.url, placement.revision.spider
        with self.backend.transaction():
            if placement.moved:
                # Through negative numbers: neither backend lets a key pass through a taken value.
                self.db.execute(
                    "UPDATE revisions SET revision = -(revision + 1) WHERE url = ? AND spider = ? AND revision >= ?",
                    (url, spider, placement.moved[0].revision - 1),
                )
                self.db.execute(
                    "UPDATE revisions SET revision = -revision WHERE url = ? AND spider = ? AND revision < 0",
                    (url, spider),
                )
            for revision in placement.changed:
                self.db.execute(
                    "UPDATE revisions SET diff = ? WHERE url = ? AND spider = ? AND revision = ?",
                    (revision.diff, url, spider, revision.revision),
                )

    def known_urls(self, spider: str) -> int:
        count: int = self.db.execute(
            "SELECT COUNT(DISTINCT url) FROM revisions WHERE spider = ?", (spider,)
        ).fetchone()[0]
        return count
