"""Write each article's normalized text file under ARCHIVE_DIR/text/<spider>/."""

from __future__ import annotations

import logging
from pathlib import Path

from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem, NotConfigured

from crawler.output.naming import contained_path, url_relative_path
from crawler.output.text_files import remove_stale_partials, render, write_atomically
from crawler.refs import ARCHIVE_WRITE_ERROR

logger = logging.getLogger(__name__)


class TextFilePipeline:
    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self.root = Path(crawler.settings.get("ARCHIVE_DIR")) / "text"

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("TEXT_FILES_ENABLED"):
            raise NotConfigured  # TEXT_FILES_ENABLED is off
        return cls(crawler)

    def _write(self, path, content: str) -> None:
        try:
            write_atomically(path, content)
        except OSError as exc:
            # Disk full, permissions: stop cleanly (the WARC already holds the capture).
            logger.critical("Archive failure: cannot write text file %s: %s. Stopping the crawl.", path, exc)
            self.crawler.stats.inc_value("text/write_errors")
            self.crawler.engine.close_spider(self.crawler.spider, ARCHIVE_WRITE_ERROR)
            raise DropItem(f"text file not written: {exc}") from exc

    def open_spider(self) -> None:
        removed = remove_stale_partials(self.root / self.crawler.spider.name)
        if removed:
            self.crawler.stats.set_value("text/partials_removed", len(removed))

    def process_item(self, item):
        adapter = ItemAdapter(item)
        spider_root = self.root / self.crawler.spider.name
        path = contained_path(spider_root, url_relative_path(adapter["url"]))
        revision = adapter.get("revision") or 1
        if revision > 1:
            # Later revisions sit beside the first, each with its diff.
            path = path.with_name(f"{path.stem}.r{revision}.md")
            diff = adapter.get("diff")
            if diff:
                self._write(path.with_suffix(".diff"), diff)
        self._write(path, render(item))
        self.crawler.stats.inc_value("text/files")
        logger.debug("Text file %s", path)
        return item
