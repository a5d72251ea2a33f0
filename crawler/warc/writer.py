"""Rolling WARC files: gzip per record, ``*.open`` while written, renamed when whole.

A file is named ``<prefix>-<UTC yyyymmddHHMMSS>-<5-digit serial>.warc.gz``. While
records are appended it carries the suffix ``.open``; closing it flushes, fsyncs
and renames it, so a file without ``.open`` is always complete. Each file starts
with a ``warcinfo`` record.
"""

from __future__ import annotations

import atexit
import fcntl
import logging
import os
import socket
import threading
import weakref
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BufferedWriter, BytesIO
from pathlib import Path

from warcio.recordbuilder import RecordBuilder
from warcio.recordloader import ArcWarcRecord
from warcio.warcwriter import WARCWriter

logger = logging.getLogger(__name__)

WARC_VERSION = "1.1"
OPEN_SUFFIX = ".open"


@dataclass(frozen=True)
class RecordLocation:
    """Where one record landed: final file name (never ``.open``), offset, length."""

    filename: str
    offset: int
    length: int
    record_id: str


def record_builder() -> RecordBuilder:
    """A warcio record builder for WARC 1.1 (creates records, writes nothing)."""
    return RecordBuilder(warc_version=WARC_VERSION)


#: Content-Encodings whose payload deflate cannot shrink.
COMPRESSED_ENCODINGS = frozenset({"gzip", "x-gzip", "br", "deflate", "zstd", "compress"})


def sent_compressed(record: ArcWarcRecord) -> bool:
    """True when the record's HTTP payload came content-encoded (already compressed)."""
    http = record.http_headers
    if http is None or record.rec_type not in ("response", "revisit"):
        return False
    return (http.get_header("Content-Encoding") or "").strip().lower() in COMPRESSED_ENCODINGS


def serialize_record(record: ArcWarcRecord, gzip_level: int) -> bytes:
    """The record as one gzip member (or plain bytes for level 0).

    warcio computes Content-Length and both digests while serializing. A payload that
    came compressed is stored in its gzip member without deflating it again (deflate
    level 0): deflating a 36 KB gzip page costs ~1 ms at any level and saves nothing,
    storing it ~0.1 ms. The member is still an ordinary gzip member.
    """
    buffer = BytesIO()
    WARCWriter(buffer, gzip=False, warc_version=WARC_VERSION).write_record(record)
    raw = buffer.getvalue()
    if gzip_level <= 0:
        return raw
    level = 0 if sent_compressed(record) else gzip_level
    compressor = zlib.compressobj(level, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    return compressor.compress(raw) + compressor.flush()


def utc_stamp(moment: datetime | None = None) -> str:
    return (moment or datetime.now(UTC)).strftime("%Y%m%d%H%M%S")


class WarcFileWriter:
    """Appends records to the current WARC file of one prefix, rolling over by size."""

    def __init__(
        self,
        directory: str | os.PathLike[str],
        prefix: str,
        *,
        max_size: int = 1_000_000_000,
        gzip_level: int = 6,
        warcinfo: dict[str, str] | None = None,
    ) -> None:
        self.directory = Path(directory)
        self.prefix = prefix
        self.max_size = max_size
        self.gzip_level = gzip_level
        self.warcinfo = dict(warcinfo or {})
        self.builder = record_builder()
        self._lock = threading.Lock()
        self._file: BufferedWriter | None = None
        self._path: Path | None = None
        self._serial = 0
        self.files_opened = 0
        self.files_written: list[Path] = []
        self.bytes_written = 0
        self.records_written = 0
        _open_writers.add(self)

    @property
    def extension(self) -> str:
        return ".warc.gz" if self.gzip_level > 0 else ".warc"

    # -- public -----------------------------------------------------------------
    def write(self, *records: ArcWarcRecord) -> list[RecordLocation]:
        """Write records back to back into one file; return where each landed."""
        members = [serialize_record(record, self.gzip_level) for record in records]
        return self.write_members(
            [(m, r.rec_headers.get_header("WARC-Record-ID")) for m, r in zip(members, records, strict=True)]
        )

    def write_members(self, members_and_ids: list[tuple[bytes, str]]) -> list[RecordLocation]:
        """Records already serialized (a gzip member each; a record copied from another WARC file
        byte for byte), back to back into one file; where each landed."""
        members = [member for member, _ in members_and_ids]
        with self._lock:
            if self._file is None or self._file.tell() >= self.max_size:
                self._roll_over()
            assert self._file is not None and self._path is not None
            final_name = self._path.name[: -len(OPEN_SUFFIX)]
            locations = []
            for member, record_id in members_and_ids:
                offset = self._file.tell()
                self._file.write(member)
                locations.append(RecordLocation(final_name, offset, len(member), record_id))
            self._file.flush()
            self.bytes_written += sum(len(m) for m in members)
            self.records_written += len(members)
            return locations

    def close(self) -> Path | None:
        """Close the current file whole: flush, fsync, rename away ``.open``."""
        with self._lock:
            return self._close_current()

    # -- internals --------------------------------------------------------------
    def _roll_over(self) -> None:
        self._close_current()
        self.directory.mkdir(parents=True, exist_ok=True)
        stamp = utc_stamp()
        while True:
            name = f"{self.prefix}-{stamp}-{self._serial:05d}{self.extension}"
            final = self.directory / name
            opening = final.with_name(name + OPEN_SUFFIX)
            self._serial += 1
            if not final.exists() and not opening.exists():
                break
        # "xb": never truncate a file another process may be writing.
        self._file = open(opening, "xb")
        # Held while written: recovery never touches a file a live writer holds.
        fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self._path = opening
        self.files_opened += 1
        info = dict(self.warcinfo)
        info.setdefault("hostname", socket.gethostname())
        info.setdefault("format", "WARC File Format 1.1")
        info.setdefault(
            "conformsTo",
            "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
        )
        record = self.builder.create_warcinfo_record(name, info)
        member = serialize_record(record, self.gzip_level)
        self._file.write(member)
        self.bytes_written += len(member)
        self.records_written += 1
        logger.info("Writing WARC file %s", opening)

    def _close_current(self) -> Path | None:
        if self._file is None or self._path is None:
            return None
        handle, opening = self._file, self._path
        self._file = self._path = None
        handle.flush()
        os.fsync(handle.fileno())
        handle.close()
        final = opening.with_name(opening.name[: -len(OPEN_SUFFIX)])
        os.replace(opening, final)
        fsync_directory(final.parent)
        self.files_written.append(final)
        logger.info("Closed WARC file %s", final)
        return final


def fsync_directory(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


_open_writers: weakref.WeakSet[WarcFileWriter] = weakref.WeakSet()


@atexit.register
def _close_all_writers() -> None:
    """Last line of defence (a forced shutdown): never leave a file ``.open``."""
    for writer in list(_open_writers):
        try:
            writer.close()
        except Exception:  # pragma: no cover - best effort at exit
            logger.exception("Could not close WARC file of %s", writer.prefix)
