"""Articles: an archived response handed to extraction on the worker pool, and the item it makes.

The spider never touches the archive's state: it says why a capture yielded no article
(``OUTCOME_KEY`` in the response's meta) and the state records it
(``crawler.state.middleware``), which also numbers the item's revision.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from concurrent.futures import Executor
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from scrapy import Request
from scrapy.http import Response, TextResponse
from w3lib.encoding import http_content_type_encoding

from crawler.engine import started_engine
from crawler.extraction.pool import (
    ExtractionAbandoned,
    ExtractionOverMemory,
    ExtractionTimeout,
    Limits,
    WorkerLost,
    run_in_pool,
    settings_executor,
    warm_up,
)
from crawler.items import ArticleItem
from crawler.refs import DISCOVERED_KEY, OUTCOME_KEY, WARC_META_KEY, WarcRef

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from crawler.extraction.result import ExtractionResult
    from crawler.extraction.rules import PageRules

logger = logging.getLogger(__name__)

#: Why a page yielded no article, when that is worth a warning rather than a debug line.
_BROKEN = ("empty page", "binary content", "unparseable")


def capture_date(response: Response) -> str:
    """When the response was captured (its WARC-Date), or now for a response not archived."""
    ref: WarcRef | None = response.meta.get(WARC_META_KEY)
    return (ref.date if ref else None) or datetime.now(UTC).isoformat()


def crawl_stopping(crawler: Crawler) -> bool:
    """The crawl is shutting down (Ctrl-C, ``crawler.stop()``): pages still running are given up."""
    engine = started_engine(crawler)
    return engine is not None and not engine.running


def record_of(response: Response) -> str:
    """Where the response is archived, for a log line that lets the page be extracted again."""
    ref: WarcRef | None = response.meta.get(WARC_META_KEY)
    if ref is None:
        return "not archived"
    return f"WARC record {ref.record_id} in {ref.file} at offset {ref.offset}"


def warc_file(response: Response) -> str:
    ref: WarcRef | None = response.meta.get(WARC_META_KEY)
    return ref.file if ref is not None and ref.file else "<WARC file>"


def page_handoff(response: TextResponse) -> tuple[str, tuple[Any, ...]]:
    """How a page goes to its worker: its body and encoding, decoded there exactly as
    ``response.text`` decodes it (``worker.run_page``), so this process neither decodes it nor
    encodes the text again to send it; or its text (``worker.run``), where Scrapy decoded it
    otherwise than the ``charset=`` reading would: its fallback when nothing declares an
    encoding and none is recognised, ``ascii``, which that reading takes as cp1252 (and then the
    text is decoded already)."""
    encoding = response.encoding
    if http_content_type_encoding(f"charset={encoding}") != encoding:
        return "run", (response.text,)
    return "run_page", (response.body, encoding)


class ArticleMixin:
    """Extraction dispatch of ``ArchiveSpider``."""

    name: str
    crawler: Any
    executor: Executor
    min_words: int
    extraction_enabled: bool

    if TYPE_CHECKING:  # provided by OutletDeclaration and RequisitesMixin

        def requisite_requests(self, response: Response, article: bool) -> Iterator[Request]: ...

        @classmethod
        def rules_for(cls, when: str | datetime | None) -> PageRules: ...

    def setup_extraction(self, crawler: Crawler) -> None:
        settings = crawler.settings
        pool = settings_executor(settings)
        limits = Limits(settings.getfloat("EXTRACTION_TIMEOUT"), settings.getint("EXTRACTION_MAX_MEMORY"))
        # The pool is the process's (every spider of a crawlall); the limits and the stopping are this crawl's.
        self.executor = pool.limited(limits, stopping=partial(crawl_stopping, crawler))
        self.min_words = settings.getint("EXTRACTION_MIN_WORDS")
        self.extraction_enabled = settings.getbool("EXTRACTION_ENABLED")
        if self.extraction_enabled:
            warm_up(pool)

    def extraction_job(self, response: Response) -> partial[Any] | None:
        """What to run on the pool for this response (a call of ``crawler.extraction.worker``),
        or None when it holds no page to read. Platforms with other article sources override it."""
        if not isinstance(response, TextResponse):
            return None
        fetched_at = capture_date(response)
        function, page = page_handoff(response)
        return partial(
            run_in_pool,
            self.executor,
            function,
            *page,
            url=response.url,
            rules=self.rules_for(fetched_at),
            fetched_at=fetched_at,
            discovered=response.meta.get(DISCOVERED_KEY),
            min_words=self.min_words,
        )

    async def parse_article(self, response: Response) -> AsyncIterator[ArticleItem | Request]:
        """The article of a page, then the requests for what a browser needs to render it."""
        produced = False
        async for item in self.read_article(response):
            produced = True
            yield item
        for request in self.requisite_requests(response, article=produced):
            yield request

    async def read_article(self, response: Response) -> AsyncIterator[ArticleItem]:
        stats = self.crawler.stats
        if response.status == 304:
            return  # the state records it (not modified)
        if not self.extraction_enabled:
            stats.inc_value("articles/not_extracted")
            return
        job = self.extraction_job(response)
        if job is None:
            logger.debug("Not a text page, no article: %s", response.url)
            stats.inc_value("articles/not_text")
            response.meta[OUTCOME_KEY] = "not_article"
            return
        result = await self.extract(job, response)
        if result is None:
            response.meta[OUTCOME_KEY] = "error"  # the next run tries the capture again
            return
        if result.fields is None:
            # Routine for video and section pages; worth a warning for broken ones.
            broken = (result.skipped or "").startswith(_BROKEN)
            level = logging.WARNING if broken else logging.DEBUG
            logger.log(level, "No article at %s: %s (archived)", response.url, result.skipped)
            stats.inc_value("articles/skipped")
            response.meta[OUTCOME_KEY] = "not_article"
            return
        for warning in result.warnings:
            logger.warning("Extraction of %s: %s", response.url, warning)
            stats.inc_value("extract/" + warning.split(" ")[0])
        for stat, note in result.notes.items():
            logger.debug("Extraction of %s: %s", response.url, note)
            stats.inc_value("extract/" + stat)
        yield self.article_item(response, result.fields)

    async def extract(
        self, job: Callable[[], Awaitable[ExtractionResult]], response: Response
    ) -> ExtractionResult | None:
        """The job's result, or None when it gave none (logged with the URL and the WARC record,
        counted). A page whose worker was lost (the worker died, or was killed for another page
        over a limit) is run once more, on new workers."""
        stats = self.crawler.stats
        url = response.url
        for attempt in (1, 2):
            try:
                return await job()
            except WorkerLost as exc:
                stats.inc_value("extract/worker_lost")
                if attempt == 1 and not crawl_stopping(self.crawler):
                    logger.warning(
                        "Extraction worker lost while extracting %s (%s; %s): retrying it once",
                        url,
                        exc,
                        record_of(response),
                    )
                    stats.inc_value("extract/retried")
                    continue
                logger.error(
                    "Extraction of %s lost %s(%s; %s): given up, the next run tries it again",
                    url,
                    "again " if attempt == 2 else "",
                    exc,
                    record_of(response),
                )
                stats.inc_value("extract/lost")
            except ExtractionTimeout as exc:
                logger.warning(
                    "Extraction of %s cut: %s (%s); no article, the next run tries it"
                    " again (or: scrapy extract %s --url %s -s EXTRACTION_TIMEOUT=<seconds>)",
                    url,
                    exc,
                    record_of(response),
                    warc_file(response),
                    url,
                )
                stats.inc_value("extract/timeout")
            except ExtractionOverMemory as exc:
                logger.warning(
                    "Extraction of %s cut: %s (%s); no article, the next run tries it again"
                    " (or: scrapy extract %s --url %s -s EXTRACTION_MAX_MEMORY=<MB>)",
                    url,
                    exc,
                    record_of(response),
                    warc_file(response),
                    url,
                )
                stats.inc_value("extract/memory")
            except ExtractionAbandoned:
                logger.warning(
                    "Extraction of %s given up: the crawl is stopping (%s); the next run tries it again",
                    url,
                    record_of(response),
                )
                stats.inc_value("extract/abandoned")
            except Exception:
                logger.exception("Extraction failed on %s (the response is archived)", url)
                stats.inc_value("extract/error")
            return None
        return None

    def article_item(self, response: Response, fields: Any) -> ArticleItem:
        """The item for an extracted page, tied to the WARC record it came from."""
        return ArticleItem.from_fields(
            fields, outlet=self.name, warc=response.meta.get(WARC_META_KEY), fetched_at=capture_date(response)
        )
