"""Recovering ``*.open`` WARC files left by a crash: keep every whole record, cut the torn tail.

A file still held (``flock``) by a live writer is left alone. Each record is
checked for its full declared length and its block digest; the file is cut
after the last good record, fsynced and renamed to its final name.
"""

from __future__ import annotations

import fcntl
import logging
import os
import zlib
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.utils import Digester

from crawler.warc.writer import OPEN_SUFFIX, fsync_directory

logger = logging.getLogger(__name__)


@dataclass
class Recovered:
    path: Path
    records: int
    kept_bytes: int
    cut_bytes: int


def _record_ok(data: bytes) -> bool:
    """One whole WARC record: its full declared block, and the block digest if it has one."""
    try:
        record = next(iter(ArchiveIterator(BytesIO(data), no_record_parse=True, check_digests=False)))
    except Exception:
        return False
    declared = int(record.rec_headers.get_header("Content-Length") or -1)
    block = record.raw_stream.read()
    if len(block) != declared:
        return False
    expected: str | None = record.rec_headers.get_header("WARC-Block-Digest")
    if expected:
        digester = Digester(expected.split(":", 1)[0])
        digester.update(block)
        return str(digester) == expected
    return True


def _gzip_members(handle, chunk: int = 1 << 20):
    """(offset, length, data) of each whole gzip member; stops at the first torn one."""
    offset = 0
    pending = b""
    while True:
        inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
        parts, consumed = [], 0
        buffer = pending
        while not inflater.eof:
            if not buffer:
                buffer = handle.read(chunk)
                if not buffer:
                    return  # EOF inside a member (or clean EOF between members)
            try:
                parts.append(inflater.decompress(buffer))
            except zlib.error:
                return
            consumed += len(buffer) - len(inflater.unused_data)
            buffer = b""
        pending = inflater.unused_data
        yield offset, consumed, b"".join(parts)
        offset += consumed


def _valid_prefix(handle) -> tuple[int, int]:
    """(records, end offset) of the whole, digest-correct records at the start of a .warc.gz."""
    records, good_end = 0, 0
    for offset, length, data in _gzip_members(handle):
        if not _record_ok(data):
            break
        records, good_end = records + 1, offset + length
    return records, good_end


def recover_file(path: Path) -> Recovered | None:
    """Recover one ``.open`` file; None if a live writer still holds it."""
    with open(path, "r+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return None
        size = os.fstat(handle.fileno()).st_size
        records, good_end = _valid_prefix(handle)
        handle.truncate(good_end)
        handle.flush()
        os.fsync(handle.fileno())
    final = path.with_name(path.name[: -len(OPEN_SUFFIX)])
    if records == 0:
        path.unlink()
        logger.warning("Removed %s: no whole record in it (%d bytes)", path, size)
        return Recovered(final, 0, 0, size)
    os.replace(path, final)
    fsync_directory(final.parent)
    cut = size - good_end
    logger.warning(
        "Recovered %s left open by a crash: kept %d whole records (%d bytes), %s",
        final,
        records,
        good_end,
        f"cut a torn tail of {cut} bytes" if cut else "nothing to cut",
    )
    return Recovered(final, records, good_end, size - good_end)


def recover_directory(directory: Path) -> list[Recovered]:
    if not directory.exists():
        return []
    results = []
    for path in sorted(directory.glob("*" + OPEN_SUFFIX)):
        result = recover_file(path)
        if result is not None:
            results.append(result)
    return results
