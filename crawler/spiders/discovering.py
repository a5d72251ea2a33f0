"""Discovery: an outlet's feeds, feed listings and sitemaps turned into article requests.

Feeds and sitemaps are fetched on every run (never filtered as seen). Each announced URL
that is one of the outlet's article URLs, on its hosts and not older than ``-a since``,
becomes a request marked with what announced it (``ANNOUNCED_KEY``): whether a known
article is fetched again, and how, is the state's decision (``crawler.state.middleware``).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response, TextResponse
from w3lib.url import canonicalize_url

from crawler.discovery import Entry, Sitemap, iter_feed, open_sitemap
from crawler.refs import ANNOUNCED_KEY, DISCOVERED_KEY, DISCOVERY_PRIORITY

logger = logging.getLogger(__name__)

#: ``request.meta`` key: how many sitemap indexes led to this sitemap (0: a declared one).
_SITEMAP_DEPTH_KEY = "sitemap_depth"
_URL_DATE = re.compile(r"/(\d{4})/(\d{1,2})/(\d{1,2})(?:/|$)")
#: Entries read on the parsing thread per trip back to the reactor.
BATCH = 1000
_T = TypeVar("_T")


def url_date(url: str) -> date | None:
    """The publication day a URL path carries (/YYYY/MM/DD/), if any."""
    match = _URL_DATE.search(urlsplit(url).path)
    if not match:
        return None
    try:
        return date(*map(int, match.groups()))
    except ValueError:
        return None


class ParsingThread:
    """One thread of its own for one feed or sitemap: the blocking, incremental parsers of
    ``crawler.discovery`` run there (lxml objects never change threads), a batch of entries at a
    time, so the reactor, and every other spider of a ``crawlall``, keeps running meanwhile,
    and at most one batch of entries is held at once."""

    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="discovery")
        self._open: list[Iterator[Any]] = []

    async def call(self, function: Callable[..., _T], *args: Any) -> _T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, function, *args)

    async def batches(self, entries: Iterator[_T]) -> AsyncIterator[list[_T]]:
        """``entries`` advanced on the thread, ``BATCH`` at a time; its errors are raised here."""
        self._open.append(entries)
        while True:
            batch = await self.call(_take, entries)
            if batch:
                yield batch
            if len(batch) < BATCH:
                return

    def close(self) -> None:
        """Close what was not read to the end (on the thread), then let the thread go."""
        for entries in self._open:
            close = getattr(entries, "close", None)
            if close is not None:
                self._executor.submit(close)
        self._executor.shutdown(wait=False)


def _take(entries: Iterator[_T]) -> list[_T]:
    batch = []
    for entry in entries:
        batch.append(entry)
        if len(batch) >= BATCH:
            break
    return batch


class DiscoveryMixin:
    """Start requests and the discovery callbacks of ``ArchiveSpider``."""

    # Set by ArchiveSpider from its declaration and arguments.
    crawler: Any
    allowed_domains: list[str]
    since: date | None
    only_urls: tuple[str, ...]
    feeds: tuple[str, ...]
    sitemaps: tuple[str, ...]
    feed_pages: tuple[str, ...]
    feed_link_pattern: str
    _follow: list[re.Pattern[str]]

    if TYPE_CHECKING:  # provided by OutletDeclaration and ArticleMixin

        def fetch_url(self, url: str) -> str: ...
        def is_article_path(self, path: str) -> bool: ...
        def parse_article(self, response: Response) -> AsyncIterator[Any]: ...

    async def start(self) -> AsyncIterator[scrapy.Request]:
        if getattr(self, "backfill", None) is not None:  # history from another archive instead
            for request in self.backfill_start():  # type: ignore[attr-defined]
                yield request
            return
        if self.only_urls:
            for url in self.only_urls:
                yield scrapy.Request(self.fetch_url(url), callback=self.parse_article, dont_filter=True)
            return
        for url in self.feeds:
            yield scrapy.Request(url, callback=self.parse_feed, dont_filter=True, priority=DISCOVERY_PRIORITY)
        for url in self.sitemaps:
            request = self.sitemap_request(url, depth=0)
            if request is not None:
                yield request
        for url in self.feed_pages:
            yield scrapy.Request(url, callback=self.parse_feed_page, dont_filter=True, priority=DISCOVERY_PRIORITY)

    def is_article_url(self, url: str) -> bool:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            return False
        host = parts.hostname or ""
        if self.allowed_domains and not any(host == d or host.endswith("." + d) for d in self.allowed_domains):
            return False
        return self.is_article_path(parts.path)

    def _too_old(self, when: datetime | date | None) -> bool:
        if self.since is None or when is None:
            return False
        day = when.astimezone(UTC).date() if isinstance(when, datetime) else when
        return day < self.since

    def article_request(self, entry: Entry, source: str) -> scrapy.Request | None:
        stats = self.crawler.stats
        if not self.is_article_url(entry.url):
            logger.debug("Not an article URL, skipped: %s", entry.url)
            stats.inc_value("discovery/not_article_url")
            return None
        if self._too_old(entry.newest_date() or url_date(entry.url)):
            stats.inc_value("discovery/older_than_since")
            return None
        stats.inc_value("discovery/articles")
        meta = {DISCOVERED_KEY: entry.discovered(source), ANNOUNCED_KEY: entry.newest_date()}
        return scrapy.Request(self.fetch_url(entry.url), callback=self.parse_article, meta=meta)

    async def parse_feed(self, response: Response) -> AsyncIterator[scrapy.Request]:
        """Article requests of a feed, parsed on a thread and yielded a batch at a time."""
        thread = ParsingThread()
        try:
            async for request in self._feed_requests(response, thread):
                yield request
        finally:
            thread.close()

    async def _feed_requests(self, response: Response, thread: ParsingThread) -> AsyncIterator[scrapy.Request]:
        content_type = (response.headers.get("Content-Type") or b"").decode("latin-1")
        entries = iter_feed(response.body, response.url, content_type)
        count = 0
        batches = thread.batches(entries)
        while True:
            try:
                batch = await anext(batches)
            except StopAsyncIteration:
                break
            except ValueError as exc:
                logger.error("Feed %s could not be read: %s", response.url, exc)
                self.crawler.stats.inc_value("discovery/broken_feed")
                if not count:
                    return
                break
            count += len(batch)
            for entry in batch:
                request = self.article_request(entry, response.url)
                if request is not None:
                    yield request
        logger.info("Feed %s: %d entries", response.url, count)

    def parse_feed_page(self, response: Response) -> Iterator[scrapy.Request]:
        """A page that lists feeds: every link matching ``feed_link_pattern`` is fetched as a feed."""
        if not isinstance(response, TextResponse):
            logger.error("Feed listing %s is not a text page", response.url)
            return
        pattern = re.compile(self.feed_link_pattern)
        links = dict.fromkeys(
            response.urljoin(href) for href in response.css("a::attr(href)").getall() if pattern.search(href)
        )
        logger.info("Feed listing %s: %d feeds", response.url, len(links))
        for url in links:
            yield scrapy.Request(url, callback=self.parse_feed, dont_filter=True, priority=DISCOVERY_PRIORITY)

    def sitemap_request(self, url: str, depth: int) -> scrapy.Request | None:
        """A request for a sitemap, unless this run fetched it already (an index that lists itself,
        a cycle of indexes, a child listed twice) or it lies past ``SITEMAP_MAX_DEPTH`` indexes or
        ``SITEMAP_MAX_FILES`` sitemaps: what is cut is counted and logged (once per kind)."""
        settings, stats = self.crawler.settings, self.crawler.stats
        seen = self.__dict__.setdefault("_sitemaps_seen", set())
        key = canonicalize_url(url)
        if key in seen:
            stats.inc_value("discovery/sitemap_repeated")
            self._cut_once(
                "repeated", f"Sitemap {url} was fetched already in this run: not again (a cycle of indexes?)"
            )
            return None
        if depth > settings.getint("SITEMAP_MAX_DEPTH"):
            stats.inc_value("discovery/sitemap_too_deep")
            self._cut_once("deep", f"Sitemap {url} is {depth} indexes deep, past SITEMAP_MAX_DEPTH: not fetched")
            return None
        if len(seen) >= settings.getint("SITEMAP_MAX_FILES"):
            stats.inc_value("discovery/sitemap_over_limit")
            self._cut_once("many", f"Sitemap {url} is past SITEMAP_MAX_FILES sitemaps this run: not fetched")
            return None
        seen.add(key)
        return scrapy.Request(
            url,
            callback=self.parse_sitemap,
            dont_filter=True,
            priority=DISCOVERY_PRIORITY,
            meta={_SITEMAP_DEPTH_KEY: depth},
        )

    def _cut_once(self, kind: str, message: str) -> None:
        warned = self.__dict__.setdefault("_sitemap_cuts_logged", set())
        if kind not in warned:
            warned.add(kind)
            logger.warning("%s (further cuts of this kind only counted)", message)

    async def parse_sitemap(self, response: Response) -> AsyncIterator[scrapy.Request]:
        """Sitemaps of an index, or article requests of a urlset, parsed on a thread (lxml
        ``iterparse``, each entry freed once read) and yielded a batch at a time."""
        thread = ParsingThread()
        try:
            try:
                kind, entries = await thread.call(open_sitemap, response.body)
            except ValueError as exc:
                logger.error("Sitemap %s could not be read: %s", response.url, exc)
                self.crawler.stats.inc_value("discovery/broken_sitemap")
                return
            async for request in self._sitemap_requests(response, kind, thread.batches(entries)):
                yield request
        finally:
            thread.close()

    async def _sitemap_requests(
        self, response: Response, kind: str, batches: AsyncIterator[list[Entry]]
    ) -> AsyncIterator[scrapy.Request]:
        count = 0
        while True:
            try:
                batch = await anext(batches)
            except StopAsyncIteration:
                break
            except ValueError as exc:  # gzip gone bad, or inflating past MAX_INFLATED, midway
                logger.error("Sitemap %s could not be read to the end: %s", response.url, exc)
                self.crawler.stats.inc_value("discovery/broken_sitemap")
                break
            count += len(batch)
            for request in self._follow_entries(response, kind, batch):
                yield request
        logger.info("Sitemap %s: %s of %d entries", response.url, kind, count)

    def follow_sitemap(self, response: Response, sitemap: Sitemap) -> Iterator[scrapy.Request]:
        """The requests of a sitemap read whole (``crawler.discovery.parse_sitemap``)."""
        logger.info("Sitemap %s: %s of %d entries", response.url, sitemap.kind, len(sitemap.entries))
        yield from self._follow_entries(response, sitemap.kind, sitemap.entries)

    def _follow_entries(self, response: Response, kind: str, entries: list[Entry]) -> Iterator[scrapy.Request]:
        for entry in entries:
            if kind == "index":
                if self._follow and not any(p.search(entry.url) for p in self._follow):
                    continue
                if self._too_old(entry.lastmod):
                    self.crawler.stats.inc_value("discovery/sitemaps_older_than_since")
                    continue
                request = self.sitemap_request(entry.url, depth=response.meta.get(_SITEMAP_DEPTH_KEY, 0) + 1)
                if request is not None:
                    yield request
            else:
                request = self.article_request(entry, response.url)
                if request is not None:
                    yield request
