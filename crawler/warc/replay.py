"""Replay: serve a crawl from archived WARC records instead of the network.

``-s REPLAY_WARC=<file or directory>`` turns it on. ``ReplayAddon`` swaps the
http and https download handlers for ``ReplayDownloadHandler``; every
downloader middleware still runs, so bodies reach the spider exactly as live
ones would (content-encoding decoded by HttpCompression, 3xx followed by
Redirect, and so on). A URL the archive does not hold never touches the
network: an ERROR line names it, the stat ``replay/miss`` counts it, and the
crawl goes on.
"""

from __future__ import annotations

import bisect
import gzip
import ipaddress
import json
import logging
import os
import weakref
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from scrapy.core.downloader.handlers.base import BaseDownloadHandler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Headers
from scrapy.responsetypes import responsetypes
from scrapy.utils.asyncio import run_in_thread
from w3lib.url import canonicalize_url
from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import ChunkedDataReader
from warcio.timeutils import iso_date_to_datetime, timestamp_to_datetime

from crawler.warc.capture import ORIG_HEADER_PREFIX, WARC_META_KEY

#: Transfer framing is not part of the payload; never hand it to Scrapy.
_TRANSFER_HEADERS = {"transfer-encoding", (ORIG_HEADER_PREFIX + "transfer-encoding").lower()}

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.settings import Settings

logger = logging.getLogger(__name__)

WARC_SUFFIXES = (".warc", ".warc.gz", ".warc.open", ".warc.gz.open")
#: request.meta key pinning one capture to serve (``scrapy extract`` goes through every capture).
REPLAY_CAPTURE_KEY = "replay_capture"
#: request.meta key of the item the archive holds for a replayed response (its conversion record).
ARCHIVED_ITEM_KEY = "archived_item"
#: Above project (20) and spider (30) settings, below the command line (40).
REPLAY_SETTINGS_PRIORITY = 35


def warc_files(paths: str | os.PathLike | Iterable[str | os.PathLike]) -> list[Path]:
    """Every WARC file named, or found under a named directory, sorted by name."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [p for p in str(paths).split(",") if p]
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(p for p in sorted(path.rglob("*")) if p.name.endswith(WARC_SUFFIXES))
        elif path.exists():
            found.append(path)
        else:
            raise FileNotFoundError(f"No WARC file or directory at {path}")
    return found


def strip_uri(uri: str) -> str:
    # WARC 1.0 writers sometimes wrap the target URI in angle brackets.
    return uri[1:-1] if uri.startswith("<") and uri.endswith(">") else uri


@dataclass(order=True)
class Capture:
    """One indexed response or revisit record; bodies stay on disk."""

    date: datetime
    url: str = field(compare=False)
    path: Path = field(compare=False)
    offset: int = field(compare=False)
    record_id: str = field(compare=False)
    record_type: str = field(compare=False)
    payload_digest: str | None = field(compare=False, default=None)
    warc_date: str = field(compare=False, default="")
    refers_to_uri: str | None = field(compare=False, default=None)
    refers_to_date: str | None = field(compare=False, default=None)
    profile: str | None = field(compare=False, default=None)
    status: int | None = field(compare=False, default=None)
    mime: str | None = field(compare=False, default=None)
    #: WARC-Truncated of the record ("disconnect", "length", ...): served only when nothing whole is held.
    truncated: str | None = field(compare=False, default=None)

    def ref(self) -> dict:
        return {
            "file": self.path.name,
            "record_id": self.record_id,
            "payload_digest": self.payload_digest,
            "offset": self.offset,
            "date": self.warc_date,
        }


@dataclass
class ArchivedResponse:
    url: str
    status: int
    protocol: str | None
    headers: list[tuple[str, str]]
    body: bytes
    ip_address: str | None
    capture: Capture


class ReplayIndex:
    """URL -> captures, built by one pass over the WARC files (no bodies kept)."""

    def __init__(self, paths) -> None:
        self.files = warc_files(paths)
        self.by_url: dict[str, list[Capture]] = {}
        self.by_canonical: dict[str, list[Capture]] = {}
        self.by_digest: dict[str, Capture] = {}
        #: response/revisit record id -> (file, offset) of the conversion record holding its item
        self.conversions: dict[str, tuple[Path, int]] = {}
        self.errors: list[str] = []
        for path in self.files:
            self._index_file(path)

    def __len__(self) -> int:
        return sum(len(c) for c in self.by_url.values())

    def _index_file(self, path: Path) -> None:
        offset = 0
        try:
            with open(path, "rb") as stream:
                iterator = ArchiveIterator(stream, no_record_parse=False, check_digests=False)
                for record in iterator:
                    offset = iterator.get_record_offset()
                    headers = record.rec_headers
                    if record.rec_type == "conversion" and headers.get_header("WARC-Refers-To"):
                        self.conversions[headers.get_header("WARC-Refers-To")] = (path, offset)
                        continue
                    if record.rec_type not in ("response", "revisit"):
                        continue
                    uri = strip_uri(headers.get_header("WARC-Target-URI") or "")
                    if not uri:
                        continue
                    date_text = headers.get_header("WARC-Date") or ""
                    http = record.http_headers
                    status = None
                    if http is not None and http.statusline:
                        try:
                            status = int(http.get_statuscode())
                        except (TypeError, ValueError):
                            status = None
                    capture = Capture(
                        date=_parse_warc_date(date_text),
                        url=uri,
                        path=path,
                        offset=offset,
                        record_id=headers.get_header("WARC-Record-ID") or "",
                        record_type=record.rec_type,
                        payload_digest=headers.get_header("WARC-Payload-Digest"),
                        warc_date=date_text,
                        refers_to_uri=headers.get_header("WARC-Refers-To-Target-URI"),
                        refers_to_date=headers.get_header("WARC-Refers-To-Date"),
                        profile=headers.get_header("WARC-Profile"),
                        status=status,
                        mime=(http.get_header("Content-Type") or "").split(";")[0].strip().lower() if http else None,
                        truncated=headers.get_header("WARC-Truncated"),
                    )
                    self._add(capture)
        except Exception as exc:  # a broken file still serves what was read
            message = f"{path}: unreadable after offset {offset}: {exc.__class__.__name__}: {exc}"
            self.errors.append(message)
            logger.error("Replay index: %s", message)

    def _add(self, capture: Capture) -> None:
        bisect.insort(self.by_url.setdefault(capture.url, []), capture)
        bisect.insort(self.by_canonical.setdefault(canonicalize_url(capture.url), []), capture)
        if capture.record_type == "response" and capture.payload_digest and not capture.truncated:
            self.by_digest.setdefault(capture.payload_digest, capture)

    def add_html_file(self, path: Path, url: str) -> Capture:
        """A saved HTML page (plain or .gz) served as a capture of ``url``."""
        stamp = datetime.fromtimestamp(path.stat().st_mtime, UTC)
        capture = Capture(
            date=stamp,
            url=url,
            path=path,
            offset=0,
            record_id="",
            record_type="file",
            status=200,
            mime="text/html",
            warc_date=stamp.strftime("%Y-%m-%dT%H:%M:%SZ"),
        )
        self._add(capture)
        return capture

    def captures(self) -> list[Capture]:
        """Every whole capture, in file and offset order (truncated records left out)."""
        return sorted(
            (c for cs in self.by_url.values() for c in cs if not c.truncated), key=lambda c: (str(c.path), c.offset)
        )

    def truncated(self) -> list[Capture]:
        """Records marked WARC-Truncated (a lost connection, a size limit)."""
        return [c for cs in self.by_url.values() for c in cs if c.truncated]

    def lookup(self, url: str, at: datetime | None = None) -> Capture | None:
        captures = self.by_url.get(url) or self.by_canonical.get(canonicalize_url(url))
        if not captures:
            return None
        # A truncated record stands in only when the archive holds nothing whole for the URL.
        captures = [c for c in captures if not c.truncated] or captures
        if at is None:
            return captures[-1]
        return min(captures, key=lambda c: abs((c.date - at).total_seconds()))

    def original_of(self, revisit: Capture) -> Capture | None:
        """The response record whose payload a revisit record stands for."""
        if revisit.refers_to_uri:
            for capture in self.by_url.get(strip_uri(revisit.refers_to_uri), []):
                if capture.record_type == "response" and (
                    not revisit.refers_to_date or capture.warc_date == revisit.refers_to_date
                ):
                    return capture
        if revisit.payload_digest:
            return self.by_digest.get(revisit.payload_digest)
        return None

    def load(self, capture: Capture) -> ArchivedResponse:
        if capture.record_type == "file":
            data = capture.path.read_bytes()
            body = gzip.decompress(data) if capture.path.name.endswith(".gz") else data
            return ArchivedResponse(capture.url, 200, None, [("Content-Type", "text/html")], body, None, capture)
        record_type, status, protocol, headers, body, ip = _read_record(capture)
        if record_type == "revisit":
            original = self.original_of(capture)
            if original is None:
                raise LookupError(
                    f"revisit record {capture.record_id} ({capture.path}@{capture.offset}) "
                    "refers to a payload the archive does not hold"
                )
            _, o_status, o_protocol, o_headers, body, _ = _read_record(original)
            if status is None or "server-not-modified" in (capture.profile or ""):
                status, protocol, headers = o_status, o_protocol, o_headers
        return ArchivedResponse(capture.url, status or 200, protocol, headers, body, ip, capture)

    def archived_item(self, capture: Capture) -> dict | None:
        """The item a crawl extracted from this capture, as its conversion record holds it."""
        location = self.conversions.get(capture.record_id)
        if location is None:
            return None
        with open(location[0], "rb") as stream:
            stream.seek(location[1])
            record = next(iter(ArchiveIterator(stream)))
            try:
                return json.loads(record.content_stream().read())
            except ValueError:
                return None

    def summary(self) -> str:
        return f"{len(self)} captures of {len(self.by_url)} URLs in {len(self.files)} WARC files"


def _parse_warc_date(text: str) -> datetime:
    try:
        return iso_date_to_datetime(text).replace(tzinfo=UTC)
    except Exception:
        return datetime.min.replace(tzinfo=UTC)


def _read_record(capture: Capture):
    with open(capture.path, "rb") as stream:
        stream.seek(capture.offset)
        record = next(iter(ArchiveIterator(stream)))
        http = record.http_headers
        status = protocol = None
        headers: list[tuple[str, str]] = []
        if http is not None and http.statusline:
            try:
                status = int(http.get_statuscode())
            except (TypeError, ValueError):
                status = None
            protocol = http.protocol or None
            headers = [(name, value) for name, value in http.headers if name.lower() not in _TRANSFER_HEADERS]
        body = b""
        if record.rec_type == "response":
            # The payload as it came off the wire: still content-encoded (Scrapy's
            # HttpCompression decodes it, as live); only chunked framing is undone.
            stream = record.raw_stream
            chunked = http is not None and "chunked" in (http.get_header("Transfer-Encoding") or "").lower()
            body = (ChunkedDataReader(stream) if chunked else stream).read()
        # The block must be whole: what a truncated or clipped file lacks, the reader still owes.
        record.raw_stream.read()
        missing = getattr(record.raw_stream, "limit", 0)
        if missing > 0:
            raise LookupError(
                f"truncated record at offset {capture.offset}: {record.length - missing} of {record.length} bytes"
            )
        ip = record.rec_headers.get_header("WARC-IP-Address")
        return record.rec_type, status, protocol, headers, body, ip


def parse_replay_at(value: str | None) -> datetime | None:
    if not value:
        return None
    return timestamp_to_datetime(str(value)).replace(tzinfo=UTC)


_indexes: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class ReplayDownloadHandler(BaseDownloadHandler):
    """Download handler for http/https that answers from the archive."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        settings = crawler.settings
        source = settings.get("REPLAY_WARC")
        if not source and not settings.get("REPLAY_INDEX"):
            raise NotConfigured("REPLAY_WARC is not set")
        self.at = parse_replay_at(settings.get("REPLAY_AT"))
        self.stats = crawler.stats
        self.decode = settings.getbool("COMPRESSION_ENABLED")
        self.maxsize = settings.getint("DOWNLOAD_MAXSIZE")
        # One index per crawl, shared by the http and https handler instances
        # (or handed over whole by ``scrapy extract`` as REPLAY_INDEX).
        self.index = settings.get("REPLAY_INDEX") or _indexes.get(crawler)
        if self.index is None:
            self.index = _indexes[crawler] = ReplayIndex(source)
            logger.info("Replaying from the archive: %s", self.index.summary())
            if not len(self.index):
                logger.error("Replay: no response records found in %s", source)

    def _read(self, capture: Capture, request: Request) -> tuple[ArchivedResponse, dict | None]:
        archived = self.index.load(capture)
        if self.decode:
            archived = _decoded(
                archived,
                request.headers.get("Accept-Encoding") or b"",
                request.meta.get("download_maxsize", self.maxsize),
            )
        return archived, self.index.archived_item(capture)

    async def download_request(self, request: Request) -> Response:
        capture = request.meta.get(REPLAY_CAPTURE_KEY)
        if capture is None and request.method == "GET":
            capture = self.index.lookup(request.url, self.at)
        if capture is None:
            self.stats.inc_value("replay/miss")
            logger.error("Replay: not in the archive: %s %s", request.method, request.url)
            raise IgnoreRequest(f"not in the archive: {request.url}")
        try:
            # One trip to a thread for the record and the item archived with it.
            archived, archived_item = await run_in_thread(self._read, capture, request)
        except Exception as exc:
            self.stats.inc_value("replay/error")
            logger.error(
                "Replay: cannot read %s from %s at offset %d: %s", request.url, capture.path, capture.offset, exc
            )
            raise IgnoreRequest(str(exc)) from exc
        self.stats.inc_value("replay/hit")
        request.meta[WARC_META_KEY] = capture.ref()
        if archived_item is not None:
            request.meta[ARCHIVED_ITEM_KEY] = archived_item
        headers = Headers()
        for name, value in archived.headers:
            headers.appendlist(name, value)
        respcls = responsetypes.from_args(headers=headers, url=request.url, body=archived.body)
        return respcls(
            url=request.url,
            status=archived.status,
            headers=headers,
            body=archived.body,
            flags=["replay"],
            protocol=archived.protocol,
            ip_address=_ip(archived.ip_address),
        )


#: zlib window bits: gzip (+16) or zlib (+32 detects either); raw deflate is -15.
_WBITS = {"gzip": 16 + 15, "x-gzip": 16 + 15, "deflate": 32 + 15}


def _decoded(archived: ArchivedResponse, accepted: bytes, maxsize: int) -> ArchivedResponse:
    """The payload with a single gzip or deflate coding undone, as HttpCompression would undo it.

    Done here, on the thread that read the record, so the reactor thread is spared the inflate
    (a replay has no network to wait for, and the other core is free). Anything else (brotli,
    zstd, stacked codings, a body over DOWNLOAD_MAXSIZE once inflated, a broken stream) is left
    as archived for HttpCompression to handle, with its own log lines.
    """
    codings = [v for n, v in archived.headers if n.lower() == "content-encoding"]
    if len(codings) != 1:
        return archived
    coding = codings[0].strip().lower()
    if coding not in _WBITS or coding.encode() not in accepted.lower():
        return archived
    try:
        inflater = zlib.decompressobj(_WBITS[coding])
        body = inflater.decompress(archived.body, maxsize + 1 if maxsize else 0)
    except zlib.error:
        try:
            inflater = zlib.decompressobj(-15)  # raw deflate, as some servers send it
            body = inflater.decompress(archived.body, maxsize + 1 if maxsize else 0)
        except zlib.error:
            return archived
    if (maxsize and len(body) > maxsize) or inflater.unconsumed_tail or not inflater.eof:
        return archived
    headers = [(n, v) for n, v in archived.headers if n.lower() != "content-encoding"]
    return replace(archived, headers=headers, body=body)


def _ip(text: str | None):
    if not text:
        return None
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


class ReplayAddon:
    """Turns replay on when REPLAY_WARC is set; otherwise does nothing."""

    handler = "crawler.warc.replay.ReplayDownloadHandler"

    def update_settings(self, settings: Settings) -> None:
        if not (settings.get("REPLAY_WARC") or settings.get("REPLAY_INDEX")):
            return
        handlers = dict(settings.getdict("DOWNLOAD_HANDLERS"))
        handlers.update({"http": self.handler, "https": self.handler})
        settings.set("DOWNLOAD_HANDLERS", handlers, priority=REPLAY_SETTINGS_PRIORITY)
        # The archive is ours: no politeness delays against our own disk.
        for name, value in (
            ("AUTOTHROTTLE_ENABLED", False),
            ("DOWNLOAD_DELAY", 0),
            ("CONCURRENT_REQUESTS_PER_DOMAIN", 16),
        ):
            settings.set(name, value, priority=REPLAY_SETTINGS_PRIORITY)
