"""WARC, ARC and WACZ files other people made, read for ``scrapy import``.

Each record that is a capture of a page of one of our outlets (its host among the outlet's
domains, its path one of the outlet's article URLs) is copied into the outlet's own WARC files
**unchanged**: a record of a gzipped WARC file byte for byte (its gzip member), one of an
uncompressed file as it is, compressed; an ARC record (ARC has no WARC records to copy) as
warcio converts it. Beside each, a ``metadata`` record (``WARC-Refers-To`` the copy) says where
it came from: ``via`` (the file, or the WACZ and its member), ``source-offset``, ``imported``.

Foreign quirks, each counted and named, none fatal: a file that is no WARC or breaks midway (the
records before the break are kept), a WACZ whose file does not match its ``datapackage.json``
digest (that file skipped), a revisit whose original neither the file nor the archive holds (it
would replay nothing), a capture the archive holds already (the same record, or the same URL,
moment and payload: a duplicate), a record without a payload digest (kept; counted).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import os
import tempfile
import uuid
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from urllib.parse import urlsplit

from warcio.archiveiterator import ArchiveIterator

from crawler.warc.records import warc_date
from crawler.warc.writer import WarcFileWriter, record_builder, serialize_record

logger = logging.getLogger(__name__)

FOREIGN_SUFFIXES = (".warc", ".warc.gz", ".arc", ".arc.gz", ".wacz")


@dataclass
class ImportCounts:
    files: int = 0
    records: int = 0
    kept: Counter[str] = field(default_factory=Counter)  # per spider
    skipped: Counter[str] = field(default_factory=Counter)  # per reason
    #: Kept, but worth saying (a record without a payload digest).
    noted: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Kept:
    spider: str
    url: str
    date: str
    record_type: str
    record_id: str
    payload_digest: str | None
    file: str
    offset: int
    #: WARC-Truncated (a size limit, a lost connection): copied as it is, not extracted.
    truncated: str | None = None


def _member(raw: bytes, length: int) -> bytes | None:
    """One record's bytes as a gzip member to copy: a gzip member as it is, when it inflates whole
    to its end and no further (a file cut inside its last member, or gzipped whole, is not one);
    a plain record with its closing blank lines, compressed. None when it is not whole."""
    if raw[:2] == b"\x1f\x8b":
        member = raw[:length]
        inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
        try:
            inflater.decompress(member)
        except zlib.error:
            return None
        return member if inflater.eof and not inflater.unused_data else None
    block = raw[:length]
    ending = raw[length : length + 4]
    if ending != b"\r\n\r\n" and not block.endswith(b"\r\n\r\n"):
        return None
    return gzip.compress(block if block.endswith(b"\r\n\r\n") else block + ending, 6)


def _stable_id(record) -> None:
    """An ARC record's WARC-Record-ID from its URL and date (warcio makes a random one each time
    it converts): the same record read again is known for the one it is."""
    headers = record.rec_headers
    key = f"{headers.get_header('WARC-Target-URI')} {headers.get_header('WARC-Date')}"
    headers.replace_header("WARC-Record-ID", f"<urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, key)}>")


def foreign_files(paths: list[str]) -> list[Path]:
    found: list[Path] = []
    for arg in paths:
        path = Path(arg)
        candidates = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        found += [p for p in candidates if p.name.lower().endswith(FOREIGN_SUFFIXES)]
    return found


@contextmanager
def wacz_members(path: Path, counts: ImportCounts) -> Iterator[list[tuple[str, Path]]]:
    """The WARC files of a WACZ, each checked against its datapackage.json digest, unpacked into
    a temporary folder: (name in the package, local file)."""
    with tempfile.TemporaryDirectory(prefix="import-wacz-") as tmp, zipfile.ZipFile(path) as package:
        try:
            resources = {r["path"]: r for r in json.loads(package.read("datapackage.json"))["resources"]}
        except (KeyError, ValueError) as exc:
            counts.skipped["wacz without a readable datapackage.json"] += 1
            counts.problems.append(f"{path.name}: no readable datapackage.json ({exc}): skipped")
            yield []
            return
        members = []
        for name in sorted(n for n in package.namelist() if n.startswith("archive/")):
            local = Path(tmp) / name.replace("/", "__")  # two folders' files of one name kept apart
            with package.open(name) as source, open(local, "wb") as target:
                digest = hashlib.sha256()
                while chunk := source.read(1 << 20):
                    digest.update(chunk)
                    target.write(chunk)
            expected = (resources.get(name) or {}).get("hash", "")
            if expected != f"sha256:{digest.hexdigest()}":
                counts.skipped["wacz file whose digest does not match"] += 1
                counts.problems.append(f"{path.name}!{name}: sha256 is not the one datapackage.json gives: skipped")
                continue
            members.append((f"{path.name}!{name}", local))
        yield members


class ForeignImport:
    """Copies the records of our outlets from foreign files into our WARC files."""

    def __init__(
        self,
        outlet_of: Callable[[str], str | None],
        writer_for: Callable[[str], WarcFileWriter],
        known: Callable[[str, str, str | None, str], bool],
    ) -> None:
        #: The spider whose article a URL is, or None.
        self.outlet_of = outlet_of
        self.writer_for = writer_for
        #: Whether the archive holds the capture already: (url, date, payload digest, record id).
        self.known = known
        self.counts = ImportCounts()
        self.kept: list[Kept] = []
        self._ids: set[str] = set()
        self._payloads: set[tuple[str, str]] = set()
        self._moments: set[tuple[str, str, str | None]] = set()
        self.builder = record_builder()

    def import_paths(self, paths: list[Path]) -> None:
        for path in paths:
            self.counts.files += 1
            if path.name.lower().endswith(".wacz"):
                try:
                    with wacz_members(path, self.counts) as members:
                        for via, local in members:
                            self.import_file(local, via)
                except zipfile.BadZipFile as exc:
                    self.counts.skipped["broken wacz"] += 1
                    self.counts.problems.append(f"{path.name}: not a readable WACZ ({exc}): skipped")
            else:
                self.import_file(path, path.name)

    def import_file(self, path: Path, via: str) -> None:
        name = path.name.lower()
        is_arc = name.endswith((".arc", ".arc.gz"))
        read = 0
        try:
            with open(path, "rb") as stream:
                records = ArchiveIterator(stream, arc2warc=True)
                for record in records:
                    read += 1
                    self.counts.records += 1
                    if is_arc:  # converted records get a new id at every reading: a stable one instead
                        _stable_id(record)
                    keep = self._decide(record)
                    if keep is None:
                        continue
                    spider, url = keep
                    member: bytes | None
                    if is_arc:  # converted: ARC holds no WARC record to copy as it is
                        member = serialize_record(record, 6)
                        records.read_to_end(record)
                        offset = records.get_record_offset()
                    else:
                        records.read_to_end(record)
                        offset, length = records.get_record_offset(), records.get_record_length()
                        member = _member(os.pread(stream.fileno(), length + 4, offset), length)
                        if member is None:
                            self.counts.skipped["damaged record (not whole: not copied)"] += 1
                            self.counts.problems.append(f"{via}: the record at {offset} is not whole: not copied")
                            continue
                    self._copy(spider, url, record, member, via, offset)
        except Exception as exc:  # a foreign file may be broken in any way: said, never fatal
            said = next((line.strip() for line in str(exc).splitlines() if line.strip()), type(exc).__name__)
            self.counts.skipped["broken file (the records before the break kept)"] += 1
            self.counts.problems.append(f"{via}: unreadable after {read} records ({said})")
            logger.warning("Import: %s is unreadable after %d records: %s", via, read, said)

    def _decide(self, record) -> tuple[str, str] | None:
        headers = record.rec_headers
        kind = record.rec_type
        url = headers.get_header("WARC-Target-URI") or ""
        if kind not in ("response", "revisit", "resource") or urlsplit(url).scheme not in ("http", "https"):
            self.counts.skipped["not a capture (warcinfo, request, metadata …)"] += 1
            return None
        spider = self.outlet_of(url)
        if spider is None:
            self.counts.skipped["not an article of our outlets"] += 1
            return None
        date = headers.get_header("WARC-Date") or ""
        digest = headers.get_header("WARC-Payload-Digest")
        record_id = headers.get_header("WARC-Record-ID") or ""
        if record_id in self._ids or (url, date, digest) in self._moments or self.known(url, date, digest, record_id):
            self.counts.skipped["duplicate (the archive holds it already)"] += 1
            return None
        if kind == "revisit":
            refers = headers.get_header("WARC-Refers-To")
            if (
                refers not in self._ids
                and (url, digest or "") not in self._payloads
                and not self.known(url, "", digest, refers or "")
            ):
                self.counts.skipped["revisit whose original is not held"] += 1
                return None
        if not digest:
            self.counts.noted["kept without a payload digest"] += 1
        return spider, url

    def _copy(self, spider: str, url: str, record, member: bytes, via: str, offset: int) -> None:
        headers = record.rec_headers
        record_id = headers.get_header("WARC-Record-ID") or ""
        date = headers.get_header("WARC-Date") or ""
        digest = headers.get_header("WARC-Payload-Digest")
        writer = self.writer_for(spider)
        fields = f"via: {via}\nsource-offset: {offset}\nimported: {warc_date(datetime.now(UTC))}\n".encode()
        note = self.builder.create_warc_record(
            url,
            "metadata",
            payload=BytesIO(fields),
            length=len(fields),
            warc_content_type="application/warc-fields",
            warc_headers_dict={"WARC-Refers-To": record_id, "WARC-Date": warc_date(datetime.now(UTC))},
        )
        note_id = note.rec_headers.get_header("WARC-Record-ID")
        location, _ = writer.write_members([(member, record_id), (serialize_record(note, 6), note_id)])
        self._ids.add(record_id)
        self._moments.add((url, date, digest))
        if digest:
            self._payloads.add((url, digest))
        self.counts.kept[spider] += 1
        self.kept.append(
            Kept(
                spider,
                url,
                date,
                record.rec_type,
                record_id,
                digest,
                location.filename,
                location.offset,
                headers.get_header("WARC-Truncated"),
            )
        )
