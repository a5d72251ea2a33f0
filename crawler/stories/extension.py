"""``StoriesExtension``: when a crawl ends, the articles it catalogued are placed in stories and
their copies found (``crawler.stories.store``), so ``scrapy stories`` and the reading room show
them. Off with ``STORIES_ENABLED`` (or ``CATALOG_ENABLED``) off; a failure is logged, never fatal:
the stories are derived data, ``scrapy stories --rebuild`` makes them again.

The placing runs on a thread (the spider's close waits for it): importing numpy, scipy and
datasketch alone holds the interpreter for most of a second, placing a big crawl's articles
longer, and on the reactor either would freeze every other spider of the same process
(``scrapy crawlall``; ``tests/test_big_sources.py`` measured 1.1-1.4 s).
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from scrapy import signals
from scrapy.exceptions import NotConfigured

from crawler.catalog.schema import catalog_path

logger = logging.getLogger(__name__)


class StoriesExtension:
    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self.path = catalog_path(Path(crawler.settings.get("ARCHIVE_DIR")))

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        if not (settings.getbool("STORIES_ENABLED") and settings.getbool("CATALOG_ENABLED")):
            raise NotConfigured
        extension = cls(crawler)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    async def spider_closed(self, spider, reason) -> None:
        if not self.path.exists() or not self.crawler.stats.get_value("catalog/articles"):
            return
        try:
            updated = await asyncio.to_thread(self.place, self.path)
        except Exception as exc:
            logger.error("Stories not updated: %s (scrapy stories --rebuild makes them again)", exc, exc_info=True)
            self.crawler.stats.inc_value("stories/errors")
            return
        self.crawler.stats.set_value("stories/placed", updated.articles)
        self.crawler.stats.set_value("stories/new", updated.new_stories)
        self.crawler.stats.set_value("stories/copies", updated.copies)
        logger.info(
            "Stories: %d articles placed (%d new stories, %d copies) in %.1f s",
            updated.articles,
            updated.new_stories,
            updated.copies,
            updated.seconds,
        )

    @staticmethod
    def place(path: Path):
        """On a thread of the event loop's default pool, with a connection of its own to the catalogue."""
        from crawler.stories.store import StoryIndex  # numpy and datasketch: only when there is work

        index = StoryIndex(path)
        try:
            return index.update()
        finally:
            index.close()
