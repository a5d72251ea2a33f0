"""Incremental runs: what is already archived is not fetched again unless it may have changed.

``IncrementalState`` opens the state database for a crawl (never during a
replay) and answers one question for the spider: fetch this article URL, and
how? New URLs are fetched; known ones only when a feed or sitemap dates them
after their last capture, or when ``RECHECK_INTERVAL_HOURS`` has passed, and
then with a conditional request (``If-None-Match``, ``If-Modified-Since``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from itemadapter import ItemAdapter
from scrapy import signals
from scrapy.exceptions import NotConfigured

from crawler.extraction.normalize import parse_datetime
from crawler.state.database import ArchiveState

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FetchPlan:
    fetch: bool
    reason: str
    headers: dict[str, str]


class IncrementalState:
    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self.archive_dir = Path(crawler.settings.get("ARCHIVE_DIR"))
        self.recheck = timedelta(hours=crawler.settings.getfloat("RECHECK_INTERVAL_HOURS"))
        self.state: ArchiveState | None = None

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        if not settings.getbool("INCREMENTAL_ENABLED"):
            raise NotConfigured  # INCREMENTAL_ENABLED is off
        if settings.get("REPLAY_WARC"):
            raise NotConfigured  # a replay is not incremental
        extension = cls(crawler)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(extension.item_scraped, signal=signals.item_scraped)
        return extension

    def item_scraped(self, item, response, spider) -> None:
        """The item went through every pipeline (text file written): commit its revision."""
        adapter = ItemAdapter(item)
        warc = adapter.get("warc") or {}
        self.open().add_revision(
            adapter["url"],
            spider.name,
            adapter.get("fetched_at") or "",
            warc.get("record_id") or "",
            adapter.get("text") or "",
        )
        self.mark(warc, "article")

    def open(self) -> ArchiveState:
        if self.state is None:
            self.state = ArchiveState(self.archive_dir)
        return self.state

    def spider_opened(self, spider) -> None:
        state = self.open()
        known = state.known_urls(spider.name)
        logger.info("Incremental state %s: %d articles of %s known", state.path, known, spider.name)

    def spider_closed(self, spider) -> None:
        if self.state is not None:
            self.state.close()
            self.state = None

    def mark(self, warc: dict | None, outcome: str) -> None:
        """Record what became of a capture; only then is its URL known to the next run."""
        if warc and warc.get("record_id"):
            self.open().set_outcome(warc["record_id"], outcome)

    def plan(self, url: str, announced: datetime | None, now: datetime | None = None) -> FetchPlan:
        """Whether and how to fetch an article URL a feed or sitemap announced."""
        last = self.open().last_processed(url)
        if last is None:
            return FetchPlan(True, "new", {})
        headers = {}
        if last.etag:
            headers["If-None-Match"] = last.etag
        if last.last_modified:
            headers["If-Modified-Since"] = last.last_modified
        fetched = parse_datetime(last.fetched_at)
        if announced is not None and fetched is not None and announced > fetched:
            return FetchPlan(True, "announced as changed", headers)
        now = now or datetime.now(UTC)
        if fetched is None or now - fetched >= self.recheck:
            return FetchPlan(True, "re-check", headers)
        return FetchPlan(False, "known", {})
