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

import ipaddress
import logging
import weakref
import zlib
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

from isal import isal_zlib
from scrapy.core.downloader.handlers.base import BaseDownloadHandler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Headers
from scrapy.responsetypes import responsetypes
from scrapy.utils.asyncio import run_in_thread
from warcio.timeutils import timestamp_to_datetime

from crawler.refs import ARCHIVED_ITEM_KEY, REPLAY_CAPTURE_KEY, WARC_META_KEY
from crawler.storage.s3 import is_s3, localise
from crawler.warc.index import ArchivedResponse, IndexedCapture, ReplayIndex

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.settings import Settings

logger = logging.getLogger(__name__)

#: request.meta key pinning one capture to serve (``scrapy extract`` goes through every capture).
#: Above project (20) and spider (30) settings, below the command line (40).
REPLAY_SETTINGS_PRIORITY = 35


def parse_replay_at(value: str | None) -> datetime | None:
    if not value:
        return None
    moment: datetime = timestamp_to_datetime(str(value))
    return moment.replace(tzinfo=UTC)


_indexes: weakref.WeakKeyDictionary[Crawler, ReplayIndex] = weakref.WeakKeyDictionary()


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
        index: ReplayIndex | None = settings.get("REPLAY_INDEX") or _indexes.get(crawler)
        if index is None:
            parts = [p for p in str(source).split(",") if p]
            if any(is_s3(p) for p in parts):  # WARC files in object storage: replayed from local copies
                parts = localise(parts, settings)
            index = _indexes[crawler] = ReplayIndex(parts)
            logger.info("Replaying from the archive: %s", index.summary())
            if not len(index):
                logger.error("Replay: no response records found in %s", source)
        self.index = index

    def _read(self, capture: IndexedCapture, request: Request) -> tuple[ArchivedResponse, dict[str, Any] | None]:
        return read_capture(self.index, capture, request, self.decode, self.maxsize)

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
        return response_for(request, capture, archived, archived_item)


def read_capture(
    index: ReplayIndex, capture: IndexedCapture, request: Request, decode: bool, maxsize: int
) -> tuple[ArchivedResponse, dict[str, Any] | None]:
    """The capture's response as archived (a single gzip or deflate coding undone when ``decode``
    and the request accepts it), and the item archived with it."""
    archived = index.load(capture)
    if decode:
        archived = decoded_payload(
            archived, request.headers.get("Accept-Encoding") or b"", request.meta.get("download_maxsize", maxsize)
        )
    return archived, index.archived_item(capture)


def response_for(
    request: Request, capture: IndexedCapture, archived: ArchivedResponse, archived_item: dict[str, Any] | None
) -> Response:
    """The Scrapy response a crawl would have had for ``request``, from the archived capture: its
    WARC record and archived item in the request's meta, flagged ``replay``."""
    request.meta[WARC_META_KEY] = capture.ref
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
        request=request,
    )


#: zlib window bits: gzip (+16) or zlib (+32 detects either); raw deflate is -15.
_WBITS = {"gzip": 16 + 15, "x-gzip": 16 + 15, "deflate": 32 + 15}
#: What inflates a payload: ISA-L's inflate (python-isal), zlib's interface at about twice
#: zlib's speed (1,000 benchmark pages of 34 KB, 174 KB inflated: 0.23 s against 0.42 s); the
#: same bytes and the same verdict on broken streams and bombs (a test compares the two).
INFLATER: Any = isal_zlib
_INFLATE_ERRORS = (zlib.error, cast("type[Exception]", isal_zlib.error))  # typed as an instance in isal's stubs


def decoded_payload(archived: ArchivedResponse, accepted: bytes, maxsize: int) -> ArchivedResponse:
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
        inflater = INFLATER.decompressobj(_WBITS[coding])
        body = inflater.decompress(archived.body, maxsize + 1 if maxsize else 0)
    except _INFLATE_ERRORS:
        try:
            inflater = INFLATER.decompressobj(-15)  # raw deflate, as some servers send it
            body = inflater.decompress(archived.body, maxsize + 1 if maxsize else 0)
        except _INFLATE_ERRORS:
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
