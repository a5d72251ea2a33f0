"""``ArchiveSpider``: discovery through feeds and sitemaps, articles through extraction.

An outlet's spider is a declaration on top of this class (or of a platform
class built on it): where articles are announced (``feeds``, ``sitemaps``),
which URLs are articles (``article_patterns``) and what on its pages is not
the article (``rules``). It does not parse.

Arguments every spider takes:

``-a since=YYYY-MM-DD``
    skip sitemap files and entries (and feed entries) older than that day.
``-a url=URL[,URL...]``
    fetch just these articles, no discovery.
``-a feeds=URL[,URL...]`` / ``-a sitemaps=URL[,URL...]``
    discover from these only, instead of the declared sources.
``-a site=ORIGIN``
    the declared sources, rebased onto another origin (a mirror, a test server).
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

import scrapy
from scrapy.http import TextResponse

from crawler.discovery import Entry, Sitemap, parse_feed, parse_sitemap
from crawler.extraction.normalize import parse_datetime
from crawler.extraction.pool import extract_in_pool, get_executor, warm_up
from crawler.extraction.rules import PageRules
from crawler.items import ArticleItem
from crawler.state.incremental import IncrementalState
from crawler.warc.capture import WARC_META_KEY
from crawler.warc.replay import ARCHIVED_ITEM_KEY

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

_URL_DATE = re.compile(r"/(\d{4})/(\d{1,2})/(\d{1,2})(?:/|$)")
DISCOVERY_PRIORITY = 10


def _csv(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _rebase(url: str, origin: str) -> str:
    parts, new = urlsplit(url), urlsplit(origin)
    return parts._replace(scheme=new.scheme, netloc=new.netloc).geturl()


def url_date(url: str) -> date | None:
    """The publication day a URL path carries (/YYYY/MM/DD/), if any."""
    match = _URL_DATE.search(urlsplit(url).path)
    if not match:
        return None
    try:
        return date(*map(int, match.groups()))
    except ValueError:
        return None


class ArchiveSpider(scrapy.Spider):
    """Base of every outlet spider."""

    #: The outlet's name as people know it.
    outlet: ClassVar[str] = ""
    #: The outlet's origin; "{site}" in feeds, sitemaps and feed_pages stands for it, and
    #: ``allowed_domains`` defaults to its host.
    site: ClassVar[str] = ""
    #: The publishing platform (for the outlets table).
    platform: ClassVar[str] = ""
    #: Feeds (RSS, Atom, JSON Feed) that announce articles.
    feeds: ClassVar[tuple[str, ...]] = ()
    #: Sitemaps or sitemap indexes that announce articles.
    sitemaps: ClassVar[tuple[str, ...]] = ()
    #: In a sitemap index, follow only children whose URL matches one of these (all if empty).
    sitemap_follow: ClassVar[tuple[str, ...]] = ()
    #: Pages that list the outlet's feeds (links matching ``feed_link_pattern`` are feeds).
    feed_pages: ClassVar[tuple[str, ...]] = ()
    feed_link_pattern: ClassVar[str] = r"(rss|feed|atom)"
    #: Regular expressions on the URL path of an article page.
    article_patterns: ClassVar[tuple[str, ...]] = ()
    #: What the outlet's pages look like (now).
    rules: ClassVar[PageRules] = PageRules()
    #: Earlier page designs: ((valid_until "YYYY-MM-DD", PageRules), ...). A capture is read
    #: with the rules valid at its WARC-Date, so a redesign does not break re-extraction.
    rules_history: ClassVar[tuple[tuple[str, PageRules], ...]] = ()
    #: Languages the outlet publishes in (for the outlets table).
    languages: ClassVar[tuple[str, ...]] = ("en",)
    #: Paywall: "none", "metered", "hard" (for the outlets table).
    paywall: ClassVar[str] = "none"
    #: How articles are discovered, in words (for the outlets table; derived if empty).
    discovery_summary: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.site:
            return
        for attr in ("feeds", "sitemaps", "feed_pages"):
            setattr(cls, attr, tuple(url.replace("{site}", cls.site) for url in getattr(cls, attr)))
        if "allowed_domains" not in cls.__dict__:
            host = urlsplit(cls.site).hostname or ""
            cls.allowed_domains = [host.removeprefix("www.")]

    def __init__(
        self,
        *args: Any,
        since: str | None = None,
        url: str | None = None,
        feeds: str | None = None,
        sitemaps: str | None = None,
        site: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        try:
            self.since: date | None = date.fromisoformat(since) if since else None
        except ValueError as exc:
            raise ValueError(f"-a since= takes YYYY-MM-DD, not {since!r}") from exc
        self.only_urls = _csv(url)
        cls = type(self)
        rebase = (lambda urls: tuple(_rebase(u, site) for u in urls)) if site else tuple
        if feeds or sitemaps:
            self.feeds, self.sitemaps, self.feed_pages = tuple(_csv(feeds)), tuple(_csv(sitemaps)), ()
        else:
            self.feeds, self.sitemaps, self.feed_pages = rebase(cls.feeds), rebase(cls.sitemaps), rebase(cls.feed_pages)
        self._follow = [re.compile(p) for p in self.sitemap_follow]
        extra = [*_csv(feeds), *_csv(sitemaps), *self.only_urls, *([site] if site else [])]
        extra_hosts = {urlsplit(u).hostname for u in extra}
        self.allowed_domains = sorted({*getattr(self, "allowed_domains", []), *(h for h in extra_hosts if h)})

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any):
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        spider.executor = get_executor(
            settings.getbool("EXTRACTION_PROCESS_POOL"), settings.getint("EXTRACTION_WORKERS")
        )
        spider.min_words = settings.getint("EXTRACTION_MIN_WORDS")
        spider.extraction_enabled = settings.getbool("EXTRACTION_ENABLED")
        if spider.extraction_enabled:
            warm_up(spider.executor)
        return spider

    #: Content types of captures ``scrapy extract`` reads as article pages (None: a saved page).
    archived_article_types: tuple = ("text/html", "application/xhtml+xml", None, "")

    @classmethod
    def archived_article(cls, url: str, mime: str | None) -> bool:
        """Whether ``scrapy extract`` should read this archived capture of the outlet as an article:
        a page of an article URL, as the crawl would have parsed it (feeds, section pages and the
        like are archived too, but are not articles)."""
        if mime not in cls.archived_article_types:
            return False
        return not cls.article_patterns or cls.is_article_path(urlsplit(url).path)

    @classmethod
    def is_article_path(cls, path: str) -> bool:
        """Whether a URL path is one of the outlet's article URLs (``article_patterns``)."""
        return any(re.search(p, path) for p in cls.article_patterns)

    # -- start ------------------------------------------------------------------
    async def start(self) -> AsyncIterator[scrapy.Request]:
        if self.only_urls:
            for url in self.only_urls:
                yield scrapy.Request(self.fetch_url(url), callback=self.parse_article, dont_filter=True)
            return
        # Feeds and sitemaps are fetched on every run: never filtered as seen.
        for url in self.feeds:
            yield scrapy.Request(url, callback=self.parse_feed, dont_filter=True, priority=DISCOVERY_PRIORITY)
        for url in self.sitemaps:
            yield scrapy.Request(url, callback=self.parse_sitemap, dont_filter=True, priority=DISCOVERY_PRIORITY)
        for url in self.feed_pages:
            yield scrapy.Request(url, callback=self.parse_feed_page, dont_filter=True, priority=DISCOVERY_PRIORITY)

    # -- discovery ----------------------------------------------------------------
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

    def fetch_url(self, url: str) -> str:
        """The URL to fetch for an article page (an API's, for outlets that build pages in JavaScript)."""
        return url

    def article_request(self, entry: Entry, source: str) -> scrapy.Request | None:
        if not self.is_article_url(entry.url):
            logger.debug("Not an article URL, skipped: %s", entry.url)
            self.crawler.stats.inc_value("discovery/not_article_url")
            return None
        if self._too_old(entry.newest_date() or url_date(entry.url)):
            self.crawler.stats.inc_value("discovery/older_than_since")
            return None
        self.crawler.stats.inc_value("discovery/articles")
        meta = {"discovered": entry.discovered(source)}
        headers = {}
        incremental = self.crawler.get_extension(IncrementalState)
        if incremental is not None:
            plan = incremental.plan(self.fetch_url(entry.url), entry.newest_date())
            if not plan.fetch:
                self.crawler.stats.inc_value("incremental/skipped_known")
                return None
            self.crawler.stats.inc_value(f"incremental/{plan.reason.replace(' ', '_')}")
            headers = plan.headers
            if headers:
                meta["handle_httpstatus_list"] = [304]
        return scrapy.Request(self.fetch_url(entry.url), callback=self.parse_article, meta=meta, headers=headers)

    def parse_feed(self, response):
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

    def parse_feed_page(self, response):
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

    def parse_sitemap(self, response):
        try:
            sitemap = parse_sitemap(response.body)
        except ValueError as exc:
            logger.error("Sitemap %s could not be read: %s", response.url, exc)
            self.crawler.stats.inc_value("discovery/broken_sitemap")
            return
        yield from self.follow_sitemap(response, sitemap)

    def follow_sitemap(self, response, sitemap: Sitemap):
        logger.info("Sitemap %s: %s of %d entries", response.url, sitemap.kind, len(sitemap.entries))
        for entry in sitemap.entries:
            if sitemap.kind == "index":
                if self._follow and not any(p.search(entry.url) for p in self._follow):
                    continue
                if self._too_old(entry.lastmod):
                    self.crawler.stats.inc_value("discovery/sitemaps_older_than_since")
                    continue
                yield scrapy.Request(
                    entry.url, callback=self.parse_sitemap, dont_filter=True, priority=DISCOVERY_PRIORITY
                )
            else:
                request = self.article_request(entry, response.url)
                if request is not None:
                    yield request

    @classmethod
    def rules_for(cls, when: str | datetime | None) -> PageRules:
        """The rules that were valid at a capture's date (the current ones by default)."""
        moment = parse_datetime(when) if isinstance(when, str) else when
        if moment is None:
            return cls.rules
        day = moment.astimezone(UTC).date().isoformat()
        for valid_until, rules in sorted(cls.rules_history):
            if day < valid_until:
                return rules
        return cls.rules

    # -- articles ----------------------------------------------------------------
    async def parse_article(self, response):
        stats = self.crawler.stats
        warc = response.meta.get(WARC_META_KEY)
        incremental = self.crawler.get_extension(IncrementalState)
        mark = incremental.mark if incremental is not None else (lambda warc, outcome: None)
        if response.status == 304:
            logger.debug("Not modified since the last capture: %s", response.url)
            stats.inc_value("articles/not_modified")
            mark(warc, "not_modified")
            return
        if not self.extraction_enabled:
            stats.inc_value("articles/not_extracted")
            return
        if not isinstance(response, TextResponse):
            logger.debug("Not a text page, no article: %s", response.url)
            stats.inc_value("articles/not_text")
            mark(warc, "not_article")
            return
        fetched_at = (warc or {}).get("date") or datetime.now(UTC).isoformat()
        try:
            result = await extract_in_pool(
                self.executor,
                response.text,
                url=response.url,
                rules=self.rules_for(fetched_at),
                fetched_at=fetched_at,
                discovered=response.meta.get("discovered"),
                min_words=self.min_words,
            )
        except Exception:
            logger.exception("Extraction failed on %s (the response is archived)", response.url)
            stats.inc_value("extract/error")
            mark(warc, "error")
            return
        if result.fields is None:
            # Routine for video and section pages; worth a warning for broken ones.
            broken = result.skipped.startswith(("empty page", "binary content", "unparseable"))
            logger.log(
                logging.WARNING if broken else logging.DEBUG,
                "No article at %s: %s (archived)",
                response.url,
                result.skipped,
            )
            stats.inc_value("articles/skipped")
            mark(warc, "not_article")
            return
        for warning in result.warnings:
            logger.warning("Extraction of %s: %s", response.url, warning)
            stats.inc_value("extract/" + warning.split(" ")[0])
        for stat, note in result.notes.items():
            logger.debug("Extraction of %s: %s", response.url, note)
            stats.inc_value("extract/" + stat)
        yield self.article_item(response, result.fields)

    def article_item(self, response, fields: dict) -> ArticleItem:
        """The item for an extracted page, tied to the WARC record it came from."""
        warc = response.meta.get(WARC_META_KEY)
        fetched_at = (warc or {}).get("date") or datetime.now(UTC).isoformat()
        item = ArticleItem(outlet=self.name, warc=warc, fetched_at=fetched_at, **fields)
        archived = response.meta.get(ARCHIVED_ITEM_KEY)
        if archived and archived.get("text") == item.text:
            # A replay: the archive says which revision this capture was.
            item.revision = archived.get("revision")
        return item
