"""Capture: every exchange the crawler makes goes into the spider's WARC files.

``WarcCaptureMiddleware`` sits on the downloader side of every built-in
downloader middleware, so it sees each response as it came off the wire: still
content-encoded, before redirects are followed or error statuses dropped. For
each exchange it writes a ``request`` and a ``response`` record, and it tells
the rest of the crawl where the response landed: a ``WarcRef`` under ``request.meta[WARC_META_KEY]``.
Which records an exchange becomes is decided in ``records``; ``writer`` only appends.
"""

from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, cast
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import IgnoreRequest, NotConfigured, StopDownload

from crawler.frontier.keys import worker_name
from crawler.refs import ARCHIVE_WRITE_ERROR, WARC_META_KEY, WarcRef
from crawler.state.database import StoredCapture
from crawler.state.middleware import ArticleStateMiddleware
from crawler.warc.provenance import ARCHIVED_FROM_KEY, ArchivedFrom, capture_time, looks_like_banner
from crawler.warc.records import exchange_records, warc_date, warcinfo_fields
from crawler.warc.recovery import recover_directory
from crawler.warc.writer import WarcFileWriter, record_builder

if TYPE_CHECKING:
    from scrapy import Request, Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)

_RECEIVED_KEY = "_archive_received"
_OVERSIZE_KEY = "_archive_oversize"
_LIMIT_KEY = "_archive_limit"
_DEADLINE_KEY = "_archive_deadline"
_SLOW_KEY = "_archive_slow"


#: The capture stops a download still receiving this share of its timeout after the response
#: headers came, before Scrapy's own timeout drops it (and what was received with it).
CAPTURE_DEADLINE_SHARE = 0.8


class WarcCaptureMiddleware:
    """Downloader middleware that archives every request/response exchange."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        settings = crawler.settings
        self.root = Path(settings.get("ARCHIVE_DIR")) / "warc"
        self.max_size = settings.getint("WARC_MAX_SIZE")
        self.gzip_level = settings.getint("WARC_GZIP_LEVEL")
        self.maxsize = settings.getint("DOWNLOAD_MAXSIZE")
        self.timeout = settings.getfloat("DOWNLOAD_TIMEOUT")
        #: One thread writes (the writer serializes writes anyway): one malloc arena holding the
        #: records' buffers, not one per thread of a shared pool.
        self.write_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="warc-writer")
        self.builder = record_builder()
        self.writer: WarcFileWriter | None = None
        self.state: ArticleStateMiddleware | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcCaptureMiddleware:
        settings = crawler.settings
        if not settings.getbool("WARC_ENABLED"):
            raise NotConfigured  # WARC_ENABLED is off
        if settings.get("REPLAY_WARC") and not settings.getbool("REPLAY_WRITE_WARC"):
            logger.info("Replaying: no WARC is written (set REPLAY_WRITE_WARC to archive a replay)")
            raise NotConfigured
        middleware = cls(crawler)
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(middleware.headers_received, signal=signals.headers_received)
        crawler.signals.connect(middleware.bytes_received, signal=signals.bytes_received)
        return middleware

    # -- signals ----------------------------------------------------------------
    def spider_opened(self, spider: Spider) -> None:
        self.state = self.crawler.get_spider_middleware(ArticleStateMiddleware)
        try:
            self._open(spider)
        except OSError as exc:
            self.fail(f"cannot open the archive under {self.root / spider.name}: {exc}")

    def _open(self, spider: Spider) -> None:
        for recovered in recover_directory(self.root / spider.name):
            self.stats.inc_value("warc/recovered_files")
            if self.state is not None:
                forgotten = self.state.forget_cut_records(recovered.path.name, recovered.kept_bytes)
                if forgotten:
                    logger.warning("Forgot %d captures of records cut from %s", forgotten, recovered.path.name)
        self.writer_for(spider.name)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        self.write_thread.shutdown(wait=True)
        if self.writer is not None:
            self.writer.close()
            for path in self.writer.files_written:
                logger.info("WARC file: %s", path)

    # -- responses over DOWNLOAD_MAXSIZE: keep the first DOWNLOAD_MAXSIZE bytes ------------
    # Scrapy would cancel such a download and drop what it received. Instead the capture stops it
    # itself at the limit, so the response (status, headers, the first bytes) reaches
    # process_response and is archived as a truncated record (WARC-Truncated: length).
    def headers_received(self, headers, body_length, request: Request, spider) -> None:
        limit = request.meta.get("download_maxsize", self.maxsize)
        request.meta[_RECEIVED_KEY] = 0
        request.meta[_LIMIT_KEY] = limit
        self._set_deadline(request)
        if limit and isinstance(body_length, int) and body_length > limit:
            request.meta[_OVERSIZE_KEY] = f"declared {body_length} bytes, limit {limit}"
            request.meta["download_maxsize"] = 0  # ours to stop at the limit, not Scrapy's to drop

    def bytes_received(self, data: bytes, request: Request, spider) -> None:
        received = request.meta.get(_RECEIVED_KEY, 0) + len(data)
        request.meta[_RECEIVED_KEY] = received
        limit = request.meta.get(_LIMIT_KEY, self.maxsize)
        if limit and received > limit:
            request.meta.setdefault(_OVERSIZE_KEY, f"limit {limit} bytes reached")
            raise StopDownload(fail=False)
        deadline = request.meta.get(_DEADLINE_KEY)
        if deadline is not None and time.monotonic() > deadline:
            request.meta[_SLOW_KEY] = f"{received} bytes in {request.meta.get('download_timeout', self.timeout):.0f} s"
            raise StopDownload(fail=False)

    # -- a body that trickles past DOWNLOAD_TIMEOUT: keep what came --------------------------
    # Scrapy's timeout would drop status, headers and the bytes received. The capture stops the
    # download itself just before it, so they are archived as truncated (WARC-Truncated: time),
    # and the page is fetched again. (A server that sends nothing at all until the timeout leaves
    # nothing to keep: Scrapy's own timeout handles it, as before.) Scrapy starts its timer when
    # the transfer starts, which no signal tells; the deadline counts from the response headers,
    # so it comes before Scrapy's whenever the headers took less than the rest of the share.
    def _set_deadline(self, request: Request) -> None:
        timeout = float(request.meta.get("download_timeout", self.timeout) or 0)
        if timeout > 0:
            request.meta[_DEADLINE_KEY] = time.monotonic() + timeout * CAPTURE_DEADLINE_SHARE

    def _refuse_oversize(self, request: Request, response: Response, location) -> None:
        self.stats.inc_value("warc/truncated")
        logger.warning(
            "Response of %s is over DOWNLOAD_MAXSIZE (%s): its first %d bytes archived as truncated "
            "(WARC-Truncated: length, %s@%d); not processed further",
            response.url,
            request.meta[_OVERSIZE_KEY],
            len(response.body),
            location.filename,
            location.offset,
        )
        raise IgnoreRequest(f"over DOWNLOAD_MAXSIZE: {response.url}")

    def writer_for(self, name: str) -> WarcFileWriter:
        if self.writer is None:
            settings = self.crawler.settings
            worker = settings.get("WORKER_ID")
            if not worker and any(settings.get(n) for n in ("FRONTIER_URL", "STATE_URL", "ARCHIVE_STORE")):
                worker = worker_name(settings)  # host and process: no two workers' files share a name
            self.writer = WarcFileWriter(
                self.root / name,
                f"{name}-{worker}" if worker else name,  # unique across workers writing one archive
                max_size=self.max_size,
                gzip_level=self.gzip_level,
                warcinfo=warcinfo_fields(self.crawler, name),
            )
        return self.writer

    # -- downloader middleware ----------------------------------------------------
    async def process_response(self, request: Request, response: Response) -> Request | Response:
        if urlsplit(response.url).scheme not in ("http", "https") or "cached" in response.flags:
            return response
        spider = self.crawler.spider
        name = spider.name if spider else "crawl"
        writer = self.writer_for(name)
        date = warc_date(datetime.now(UTC))
        headers = {"WARC-Date": date}
        asked: ArchivedFrom | None = request.meta.get(ARCHIVED_FROM_KEY)
        if asked is not None:
            archived = self._other_archives(request, response, asked, date)
            if archived is None:
                return response  # the archive's redirect to another capture: followed, not archived
            response, headers, date = archived
        if response.ip_address is not None:
            headers["WARC-IP-Address"] = str(response.ip_address)
        stopped = "download_stopped" in response.flags
        torn = "dataloss" in response.flags
        oversize = stopped and _OVERSIZE_KEY in request.meta
        slow = stopped and not oversize and _SLOW_KEY in request.meta
        if torn:
            # The connection was lost mid-body: keep what came, marked as incomplete.
            headers["WARC-Truncated"] = "disconnect"
        elif oversize:
            headers["WARC-Truncated"] = "length"
        elif slow:
            headers["WARC-Truncated"] = "time"
        previous = None
        if (
            asked is None
            and self.state is not None
            and not (torn or oversize or slow)
            and response.status in (200, 304)
        ):
            previous = self.state.previous_payload(request, response.url)  # SQLite: on this thread
        # Building (digests), serializing and gzip run on a thread (hashlib and zlib release the
        # GIL), so the reactor keeps downloading; the response goes on only once it is in the WARC.
        # Response first: readers look for it first, and cdxj-indexer pairs them.
        try:
            record, location = await asyncio.get_running_loop().run_in_executor(
                self.write_thread, self._build_and_write, writer, request, response, headers, previous, date
            )
        except OSError as exc:
            # Disk full, permissions: nothing may go on as if it were archived.
            self.fail(f"cannot write WARC file in {writer.directory}: {exc}")
            raise IgnoreRequest(f"not archived: {response.url}") from exc
        self.stats.inc_value("warc/records", 2)
        self.stats.set_value("warc/bytes", writer.bytes_written)
        self.stats.set_value("warc/files", writer.files_opened)
        if torn:
            return self._retry_torn(request, response, location)
        if slow:
            return self._retry_slow(request, response, location)
        if oversize:
            self._refuse_oversize(request, response, location)
        record_id = record.rec_headers.get_header("WARC-Record-ID")
        digest = record.rec_headers.get_header("WARC-Payload-Digest")
        request.meta[WARC_META_KEY] = WarcRef(location.filename, record_id, digest, location.offset, date, response.url)
        if self.state is not None:
            self.state.record_capture(
                StoredCapture(
                    url=response.url,
                    spider=name,
                    fetched_at=date,
                    status=response.status,
                    record_type=record.rec_type,
                    warc_file=location.filename,
                    warc_offset=location.offset,
                    record_id=record_id,
                    payload_digest=digest,
                    etag=_header(response, "ETag"),
                    last_modified=_header(response, "Last-Modified"),
                )
            )
        self.stats.inc_value(f"warc/{record.rec_type}s")
        return response

    def _other_archives(
        self, request: Request, response: Response, asked: ArchivedFrom, now: str
    ) -> tuple[Response, dict[str, str], str] | None:
        """A capture another archive made (crawler/warc/provenance.py): the response under the
        page's own URL, the record's headers and its date (the other archive's). None for the
        archive's redirect to a nearby capture (followed) and for its 408, 429 and 5xx answers
        (retried, after its Retry-After); an error page, or a replay page in
        place of the raw capture, is counted and refused, never archived as the page."""
        if 300 <= response.status < 400:
            self.stats.inc_value("backfill/archive_redirect")
            return None
        if response.status in (408, 429) or response.status >= 500:
            # The archive busy or failing: the retry middlewares (RetryAfter's pause among them)
            # take it, nothing archived; once they give up, the spider's errback goes on.
            self.stats.inc_value(f"backfill/archive_status/{response.status}")
            return None
        if response.status != 200:
            self.stats.inc_value(f"backfill/archive_status/{response.status}")
            logger.warning("%s answered %d for its capture of %s: skipped", response.url, response.status, asked.url)
            raise IgnoreRequest(f"no capture: {response.url}")
        if looks_like_banner(response.body, response.headers.get("Content-Encoding")):
            self.stats.inc_value("backfill/banner")
            logger.warning(
                "%s is a replay page (the archive's banner), not the raw capture of %s: skipped",
                response.url,
                asked.url,
            )
            raise IgnoreRequest(f"banner page: {response.url}")
        when = warc_date(capture_time(response, asked))
        headers = {"WARC-Date": when, "WARC-Source-URI": response.url, "WARC-Creation-Date": now}
        self.stats.inc_value("backfill/captures")
        return response.replace(url=asked.url), headers, when

    def _retry_torn(self, request: Request, response: Response, location) -> Request:
        """A torn response is archived (truncated) but never handed on: fetch it again."""
        self.stats.inc_value("warc/truncated")
        logger.warning(
            "Connection lost after %d bytes of %s: archived as truncated (WARC-Truncated: disconnect, %s@%d)",
            len(response.body),
            response.url,
            location.filename,
            location.offset,
        )
        return self._fetch_again(request, response, "dataloss")

    def _retry_slow(self, request: Request, response: Response, location) -> Request:
        """A body cut at the deadline is archived (truncated) but never handed on: fetch it again."""
        self.stats.inc_value("warc/truncated")
        self.stats.inc_value("warc/truncated_time")
        logger.warning(
            "Response of %s trickled past its download timeout (%s): archived as truncated "
            "(WARC-Truncated: time, %s@%d)",
            response.url,
            request.meta[_SLOW_KEY],
            location.filename,
            location.offset,
        )
        for key in (_SLOW_KEY, _DEADLINE_KEY):
            request.meta.pop(key, None)
        return self._fetch_again(request, response, "download_timeout")

    def _fetch_again(self, request: Request, response: Response, reason: str) -> Request:
        """The retry of a request whose response was archived truncated, or IgnoreRequest once retries run out."""
        # A response reaches process_response only while the spider runs: crawler.spider is set.
        spider = cast("Spider", self.crawler.spider)
        retry = get_retry_request(request, spider=spider, reason=reason, give_up_log_level=logging.ERROR)
        if retry is None:
            raise IgnoreRequest(f"only a truncated response could be fetched from {response.url}")
        return retry

    def fail(self, message: str) -> None:
        """Stop the crawl cleanly: log it, close what can be closed, finish with a failure reason."""
        self.stats.inc_value("warc/write_errors")
        if self.stats.get_value("warc/write_errors") > 1:
            return
        logger.critical("Archive failure: %s. Stopping the crawl.", message)
        spider = self.crawler.spider
        if spider is not None and self.crawler.engine is not None:
            self.crawler.engine.close_spider(spider, ARCHIVE_WRITE_ERROR)

    def _build_and_write(self, writer, request, response, headers, previous, date):
        """On the writer thread: both records built (headers, digests) and written.

        The reactor awaits the result before the response goes on, so nothing changes the
        request or the response meanwhile.
        """
        record, request_record = exchange_records(self.builder, request, response, headers, previous, date)
        location, _ = writer.write(record, request_record)
        return record, location


def _header(response: Response, name: str) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None
