"""Discovery: an outlet's feeds, feed listings and sitemaps turned into article requests.

Feeds and sitemaps are fetched on every run (never filtered as seen). Each announced URL
that is one of the outlet's article URLs, on its hosts and not older than ``-a since``,
becomes a request marked with what announced it (``ANNOUNCED_KEY``): whether a known
article is fetched again, and how, is the state's decision (``crawler.state.middleware``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response, TextResponse
from w3lib.url import canonicalize_url

from crawler.discovery import Entry, Sitemap, parse_feed, parse_sitemap
from crawler.refs import ANNOUNCED_KEY, DISCOVERED_KEY, DISCOVERY_PRIORITY

logger = logging.getLogger(__name__)

#: ``request.meta`` key: how many sitemap indexes led to this sitemap (0: a declared one).
_SITEMAP_DEPTH_KEY = "sitemap_depth"
_URL_DATE = re.compile(r"/(\d{4})/(\d{1,2})/(\d{1,2})(?:/|$)")


def url_date(url: str) -> date | None:
    """The publication day a URL path carries (/YYYY/MM/DD/), if any."""
    match = _URL_DATE.search(urlsplit(url).path)
    if not match:
        return None
    try:
        return date(*map(int, match.groups()))
    except ValueError:
        return None


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

    def parse_feed(self, response: Response) -> Iterator[scrapy.Request]:
        try:
            content_type = response.headers.get("Content-Type", b"").decode("latin-1")
            entries = parse_feed(response.body, response.url, content_type)
        except ValueError as exc:
            logger.error("Feed %s could not be read: %s", response.url, exc)
            self.crawler.stats.inc_value("discovery/broken_feed")
            return
        logger.info("Feed %s: %d entries", response.url, len(entries))
        for entry in entries:
            request = self.article_request(entry, response.url)
            if request is not None:
                yield request

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

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        try:
            sitemap = parse_sitemap(response.body)
        except ValueError as exc:
            logger.error("Sitemap %s could not be read: %s", response.url, exc)
            self.crawler.stats.inc_value("discovery/broken_sitemap")
            return
        yield from self.follow_sitemap(response, sitemap)

    def follow_sitemap(self, response: Response, sitemap: Sitemap) -> Iterator[scrapy.Request]:
        logger.info("Sitemap %s: %s of %d entries", response.url, sitemap.kind, len(sitemap.entries))
        for entry in sitemap.entries:
            if sitemap.kind == "index":
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
