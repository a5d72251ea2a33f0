"""Write each article's normalized text file under ARCHIVE_DIR/text/<spider>/."""

from __future__ import annotations

import logging
from pathlib import Path

from itemadapter import ItemAdapter
from scrapy.exceptions import NotConfigured

from crawler.naming import contained_path, url_relative_path
from crawler.text_files import render, write_atomically

logger = logging.getLogger(__name__)


class TextFilePipeline:
    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self.root = Path(crawler.settings.get("ARCHIVE_DIR")) / "text"

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("TEXT_FILES_ENABLED"):
            raise NotConfigured("TEXT_FILES_ENABLED is off")
        return cls(crawler)

    def process_item(self, item):
        adapter = ItemAdapter(item)
        spider_root = self.root / self.crawler.spider.name
        path = contained_path(spider_root, url_relative_path(adapter["url"]))
        write_atomically(path, render(item))
        self.crawler.stats.inc_value("text/files")
        logger.debug("Text file %s", path)
        return item
