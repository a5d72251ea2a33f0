"""The direct path of re-extraction: archived captures through each outlet's own extraction,
without Scrapy's engine.

A replay crawl (``scrapy extract --engine spider``) sends every capture through the scheduler,
the downloader and every middleware before the extraction pool sees it; on two cores that
machinery takes the core the second extraction worker needs. Here each capture is read from its
WARC file, made into the Scrapy response a replay crawl would have made (``warc.replay``:
``read_capture``, ``response_for``), passed through the downloader middlewares that change a
replayed response (HttpCompression, MetaRefresh, the scheme guard), and handed to the outlet
spider's own ``read_article``, with the rules valid at the capture's date, on the same worker
pool; the items go through the project's item pipelines. What makes an item is the spider's code
either way, so the two paths give the same items (a test compares them on every fixture outlet).

The spider is a real instance made by ``from_crawler`` on a ``Crawler`` that is never started:
it has settings, signals and stats, and no engine.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware
from scrapy.exceptions import DropItem, IgnoreRequest, NotConfigured
from scrapy.extension import ExtensionManager
from scrapy.http import Response, TextResponse
from scrapy.pipelines import ItemPipelineManager
from scrapy.statscollectors import MemoryStatsCollector

from crawler.extraction.pool import QUEUED_PER_WORKER, worker_count
from crawler.refs import ARCHIVED_ITEM_KEY, OUTCOME_KEY, REPLAY_CAPTURE_KEY
from crawler.schemes import why_not_fetchable
from crawler.state.middleware import ArticleStateMiddleware, revision_from_archive
from crawler.warc.replay import read_capture, response_for

if TYPE_CHECKING:
    from scrapy.settings import Settings

    from crawler.bulk.output import OutputFolder
    from crawler.spiders.base import ArchiveSpider
    from crawler.warc.index import IndexedCapture, ReplayIndex

logger = logging.getLogger(__name__)

#: Captures read ahead of the workers, per worker: the pool holds two per worker (the one it runs,
#: the one it takes next); one more is read and un-gzipped meanwhile.
READ_AHEAD = QUEUED_PER_WORKER + 1

#: Encodings in which the text holds an ASCII letter only where the body holds that same byte:
#: UTF-8, and single-byte codes whose first half is ASCII (a test checks each).
ASCII_TRANSPARENT = frozenset(
    codecs.lookup(name).name
    for name in (
        "utf-8",
        "ascii",
        *(f"iso8859-{n}" for n in (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 13, 14, 15, 16)),
        *(f"cp{n}" for n in range(1250, 1259)),
        "koi8-r",
        "koi8-u",
        "mac-roman",
    )
)
#: Scrapy looks for a meta refresh in the first 4,096 characters of the text: at most 4 bytes
#: each in the encodings above, after a byte order mark of 3.
_REFRESH_SCAN = 4 * 4096 + 3


#: Byte order marks that decode the body in another encoding than ``response.encoding`` may say.
_WIDE_BOMS = (codecs.BOM_UTF32_BE, codecs.BOM_UTF16_BE, codecs.BOM_UTF16_LE)  # UTF-32 LE's starts as UTF-16 LE's


def cannot_refresh(response: Response) -> bool:
    """True when ``MetaRefreshMiddleware`` is sure to pass ``response`` on: its bytes, where
    Scrapy would look, spell neither "refresh" nor a ``<base`` tag (Scrapy reads the base URL
    first, and a malformed one fails the page), and its encoding spells ASCII letters only with
    those bytes. The middleware decodes the whole body to look; most pages need no look at all.
    Anything else (another encoding, either word somewhere there) is left to the middleware."""
    if not isinstance(response, TextResponse) or response.encoding not in ASCII_TRANSPARENT:
        return False
    body = response.body
    if body.startswith(_WIDE_BOMS):
        return False
    head = body[:_REFRESH_SCAN].lower()  # 7 times faster than a re.IGNORECASE search
    return b"refresh" not in head and b"<base" not in head


class OutputError(Exception):
    """The items could not be written (a full disk, a value Parquet refuses): the run stops."""


@dataclass
class Counts:
    """What became of the captures: items, and why the others gave none (named, counted)."""

    captures: int = 0
    items: int = 0
    skipped: dict[str, int] = field(default_factory=dict)

    def skip(self, why: str) -> None:
        self.skipped[why] = self.skipped.get(why, 0) + 1

    def described(self) -> str:
        others = skips_text(self.skipped)
        return f"{self.items} articles from {self.captures} captures" + (f" (no article: {others})" if others else "")


def skips_text(skipped: dict[str, int]) -> str:
    """Why captures gave no article, most frequent first: ``2 not article, 1 unreadable record``."""
    return ", ".join(f"{n} {why}" for why, n in sorted(skipped.items(), key=lambda kv: (-kv[1], kv[0])))


def merged_skips(results: Iterable[FileResult]) -> dict[str, int]:
    """The reasons of several files' results, counted together."""
    merged: dict[str, int] = {}
    for result in results:
        for why, n in result.skipped.items():
            merged[why] = merged.get(why, 0) + n
    return merged


class OutletRun:
    """One outlet's spider and the components around it, as a crawl would have them, unstarted."""

    def __init__(self, spider_cls: type[ArchiveSpider], settings: Settings) -> None:
        self.crawler = Crawler(spider_cls, settings, init_reactor=False)  # it copies the settings
        self.crawler.stats = MemoryStatsCollector(self.crawler)
        # The crawl's extensions, as a replay crawl has them (the stories placed when it ends, the
        # summary); none that needs the engine is started: it never starts.
        self.crawler.extensions = ExtensionManager.from_crawler(self.crawler)
        self.spider: ArchiveSpider = spider_cls.from_crawler(self.crawler)
        self.crawler.spider = self.spider
        self.compression = _component(HttpCompressionMiddleware, self.crawler)
        self.meta_refresh = _component(MetaRefreshMiddleware, self.crawler)
        self.pipelines = ItemPipelineManager.from_crawler(self.crawler)
        # ``scrapy import``: the state numbers the revisions (INCREMENTAL_ENABLED, which any other
        # extraction has off); otherwise each item takes the archived item's number.
        self.state = (
            ArticleStateMiddleware.for_extraction(self.crawler)
            if self.crawler.settings.getbool("INCREMENTAL_ENABLED")
            else None
        )
        self.numbering: contextlib.AbstractAsyncContextManager[Any] = (
            asyncio.Lock() if self.state is not None else contextlib.nullcontext()
        )
        self.url_limit = self.crawler.settings.getint("URLLENGTH_LIMIT")
        self.decode = self.crawler.settings.getbool("COMPRESSION_ENABLED")
        self.maxsize = self.crawler.settings.getint("DOWNLOAD_MAXSIZE")

    async def open(self) -> None:
        self.crawler.stats.open_spider()
        await self.pipelines.open_spider_async()
        await self.crawler.signals.send_catch_log_async(signals.spider_opened, spider=self.spider)

    async def close(self) -> None:
        await self.crawler.signals.send_catch_log_async(signals.spider_closed, spider=self.spider, reason="finished")
        await self.pipelines.close_spider_async()
        self.crawler.stats.close_spider(reason="finished")

    def response(self, index: ReplayIndex, capture: IndexedCapture, counts: Counts) -> Response | None:
        """The response a replay crawl's spider would get for the capture, or None (counted) where
        a crawl's middlewares would have stopped it."""
        request = Request(capture.url, meta={REPLAY_CAPTURE_KEY: capture}, dont_filter=True)
        if why_not_fetchable(request.url) is not None:
            counts.skip("not http(s)")
            return None
        if self.url_limit and len(request.url) > self.url_limit:
            counts.skip("URL too long")
            return None
        if self.compression is not None:
            self.compression.process_request(request)
        try:
            archived, archived_item = read_capture(index, capture, request, self.decode, self.maxsize)
        except Exception as exc:
            logger.error(
                "Replay: cannot read %s from %s at offset %d: %s", capture.url, capture.path, capture.offset, exc
            )
            counts.skip("unreadable record")
            return None
        try:
            response = response_for(request, capture, archived, archived_item)
            if self.compression is not None:
                response = self.compression.process_response(request, response)
            if not 200 <= response.status < 300:
                counts.skip(f"HTTP {response.status}")
                return None
            if (
                self.meta_refresh is not None
                and not cannot_refresh(response)
                and isinstance(self.meta_refresh.process_response(request, response), Request)
            ):
                counts.skip("meta refresh")  # a crawl follows it instead of reading the page
                return None
        except IgnoreRequest as exc:
            logger.warning("Extraction of %s: %s", capture.url, exc)
            counts.skip("cannot decode")
            return None
        except Exception:  # one odd capture (a malformed refresh URL, a header) never stops the run
            logger.exception(
                "Extraction of %s: its response could not be made (%s@%d)", capture.url, capture.path, capture.offset
            )
            counts.skip("error")
            return None
        return response

    async def extract(self, response: Response, counts: Counts, scraped: Callable[..., None] | None) -> None:
        produced = dropped = False
        try:
            async for item in self.spider.read_article(response):
                # With the state (scrapy import), one item at a time from its number to its store:
                # two captures of one URL read at once must not both take the number after the last
                # (the project's pipelines are synchronous today, so nothing else runs in between;
                # an asynchronous one would open that gap).
                async with self.numbering:
                    if self.state is not None:
                        numbered = self.state.number(response, item)
                        if numbered is None:
                            continue  # another capture of a revision's text
                        item = numbered
                    else:
                        item = revision_from_archive(item, response.meta.get(ARCHIVED_ITEM_KEY))
                    try:
                        item = await self.pipelines.process_item_async(item)
                    except DropItem as exc:
                        logger.info("Dropped %s: %s", response.url, exc)
                        dropped = True
                        continue
                    produced = True
                    if self.state is not None:
                        self.state.item_scraped(item, response, self.spider)
                    if scraped is not None:
                        try:
                            scraped(item, response, self.spider)
                        except Exception as exc:  # the output cannot be written: nothing after it could be
                            raise OutputError(f"writing the item of {response.url}: {exc}") from exc
                    counts.items += 1
                    self.crawler.stats.inc_value("item_scraped_count")
            if self.state is not None:
                self.state.finish(response, produced)
        except OutputError:
            raise
        except Exception:
            logger.exception("Extraction failed on %s (the capture stays archived)", response.url)
            counts.skip("error")
            return
        if not produced:
            counts.skip("dropped" if dropped else str(response.meta.get(OUTCOME_KEY) or "no article").replace("_", " "))


def _component(cls, crawler: Crawler):
    try:
        return cls.from_crawler(crawler)
    except NotConfigured:
        return None


async def extract_groups(
    index: ReplayIndex,
    groups: Iterable[tuple[type[ArchiveSpider], list[IndexedCapture]]],
    settings: Settings,
    scraped: Callable[..., None] | None = None,
    received: Callable[..., None] | None = None,
    progress: Callable[[int], Any] | None = None,
) -> Counts:
    """Extract every capture of ``groups`` (an outlet's spider and its captures), calling
    ``scraped(item, response, spider)`` for each article and ``received(response, request,
    spider)`` once each capture is done (its outcome in the request's meta)."""
    counts = Counts()
    workers = worker_count(settings.getint("EXTRACTION_WORKERS"))
    slots = asyncio.Semaphore(workers * READ_AHEAD)
    for spider_cls, captures in groups:
        run = OutletRun(spider_cls, settings)
        await run.open()
        tasks: set[asyncio.Task[None]] = set()
        failures: list[OutputError] = []

        async def one(response: Response, run: OutletRun = run, failures: list[OutputError] = failures) -> None:
            try:
                await run.extract(response, counts, scraped)
                if received is not None:
                    received(response, response.request, run.spider)
            except OutputError as exc:
                failures.append(exc)
            except Exception:
                logger.exception("After the extraction of %s", response.url)
            finally:
                slots.release()
                if progress is not None:
                    progress(1)

        try:
            for capture in captures:
                await slots.acquire()
                counts.captures += 1
                response = run.response(index, capture, counts)
                if response is None:
                    slots.release()
                    if progress is not None:
                        progress(1)
                    continue
                task = asyncio.ensure_future(one(response))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                if failures:
                    break  # the output cannot be written: stop reading
            if tasks:
                await asyncio.gather(*tasks)
            if failures:
                raise failures[0]
        finally:
            await run.close()
    return counts


def captures_by_file(
    groups: Iterable[tuple[type[ArchiveSpider], list[IndexedCapture]]],
) -> dict[Path, list[tuple[type[ArchiveSpider], list[IndexedCapture]]]]:
    """The plan's captures by the WARC file (or saved page) they are in, each file's by outlet."""
    by_file: dict[Path, dict[type[ArchiveSpider], list[IndexedCapture]]] = {}
    for spider_cls, captures in groups:
        for capture in captures:
            by_file.setdefault(capture.path, {}).setdefault(spider_cls, []).append(capture)
    return {path: list(spiders.items()) for path, spiders in by_file.items()}


@dataclass
class FileResult:
    """One WARC file of a bulk run: done now, or found done by an earlier run (``resumed``)."""

    source: str
    captures: int
    items: int
    skipped: dict[str, int]
    resumed: bool = False
    seconds: float = 0.0


async def extract_files(
    index: ReplayIndex,
    groups: Iterable[tuple[type[ArchiveSpider], list[IndexedCapture]]],
    settings: Settings,
    folder: OutputFolder,
    progress: Callable[[int], Any] | None = None,
    sources: Iterable[Path] = (),
) -> list[FileResult]:
    """Extract the plan into ``folder``, one output file per WARC file (``sources``: files to
    mark done even if they hold no article capture), skipping those an earlier run finished
    (resumable); files one after the other, each file's captures on every worker."""
    results = []
    by_file = captures_by_file(groups)
    for source in sources:
        by_file.setdefault(source, [])
    for source, file_groups in by_file.items():
        results.append(await extract_part(index, file_groups, settings, folder, source, "", progress))
    return results


def _writer(sink) -> Callable[..., None]:
    def scraped(item: Any, response: Response, spider: ArchiveSpider) -> None:
        sink.write(item)

    return scraped


async def extract_part(
    index: ReplayIndex,
    groups: list[tuple[type[ArchiveSpider], list[IndexedCapture]]],
    settings: Settings,
    folder: OutputFolder,
    source: Path,
    part: str = "",
    progress: Callable[[int], Any] | None = None,
) -> FileResult:
    """The captures of ``groups`` (all of ``source``'s, or of one ``part`` of it) into their own
    output file, unless an earlier run finished it."""
    n = sum(len(c) for _, c in groups)
    earlier = folder.done(source, part)
    if earlier is not None:
        if progress is not None:
            progress(n)
        return FileResult(str(source), n, earlier.get("items", 0), earlier.get("skipped", {}), True)
    started = time.monotonic()
    sink = folder.open(source, part)
    counts = await extract_groups(index, groups, settings, _writer(sink), None, progress)
    folder.finish(source, sink, {"captures": counts.captures, "items": counts.items, "skipped": counts.skipped}, part)
    return FileResult(str(source), counts.captures, counts.items, counts.skipped, seconds=time.monotonic() - started)
