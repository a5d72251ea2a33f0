"""``CatalogPipeline``: a crawl keeps the catalogue up to date, one item at a time.

After the text file is written (TextFilePipeline, 400), each item is catalogued in one
transaction (``crawler.catalog.store``): its article, its revision when the text is new, the
full-text index. A catalogue that cannot be written is logged and counted, and the crawl goes on:
the WARC files hold everything, and ``scrapy index`` rebuilds the catalogue from them.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path
from typing import Any

from itemadapter import ItemAdapter
from scrapy.exceptions import NotConfigured

from crawler.catalog.schema import CatalogError, catalog_path
from crawler.catalog.store import Catalog
from crawler.output.naming import contained_path, text_name_candidates
from crawler.output.pipeline import text_file_moved, text_file_written
from crawler.output.text_files import front_matter_url
from crawler.refs import WarcRef
from crawler.warc.index import warc_files

logger = logging.getLogger(__name__)


class CatalogPipeline:
    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self.archive_dir = Path(crawler.settings.get("ARCHIVE_DIR"))
        self.catalog: Catalog | None = None
        self.text_files: dict[int, str] = {}
        self.warc_paths: dict[str, Path] = {}
        self.writes_text = crawler.settings.getbool("TEXT_FILES_ENABLED")
        replay = crawler.settings.get("REPLAY_WARC")
        if replay:  # replay, scrapy extract, scrapy index: the records are in the files read
            try:
                self.warc_paths = {path.name: path for path in warc_files(str(replay))}
            except FileNotFoundError:  # saved pages, not WARC files
                pass
        crawler.signals.connect(self.text_file_written, signal=text_file_written)
        crawler.signals.connect(self.text_file_moved, signal=text_file_moved)

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("CATALOG_ENABLED"):
            raise NotConfigured  # CATALOG_ENABLED is off
        return cls(crawler)

    def open_spider(self) -> None:
        path = catalog_path(self.archive_dir)
        try:
            self.catalog = Catalog(path)
        except (CatalogError, sqlite3.Error) as exc:
            logger.error("Catalogue %s not updated in this crawl: %s (rebuild it with  scrapy index)", path, exc)
            self.crawler.stats.inc_value("catalog/unavailable")

    def close_spider(self) -> None:
        if self.catalog is not None:
            self.catalog.close()
            self.catalog = None

    def text_file_written(self, item: Any, path: str) -> None:
        self.text_files[id(item)] = path

    def text_file_moved(self, old: str, new: str) -> None:
        """A revision's text file moved (an older revision placed before it): its link follows."""
        if self.catalog is None:
            return
        try:
            self.catalog.move_text_file(old, new)
        except sqlite3.Error as exc:
            logger.error(
                "Catalogue: the link to %s not moved to %s: %s (scrapy index --rebuild mends it)", old, new, exc
            )
            self.crawler.stats.inc_value("catalog/errors")

    def _warc_path(self, name: str) -> Path | None:
        path = self.warc_paths.get(name)
        if path is None:
            candidate = self.archive_dir / "warc" / self.crawler.spider.name / name
            path = candidate if candidate.exists() else None
        return path

    def existing_text_file(self, url: str) -> str | None:
        """The text file an earlier crawl wrote for ``url`` (``scrapy index`` writes none): its
        first revision's, under any name the URL's text may have (``scrapy history``'s lookup),
        if its front matter names this URL."""
        root = self.archive_dir / "text" / self.crawler.spider.name
        for relative in text_name_candidates(url):
            try:
                path = contained_path(root, relative)
            except ValueError:
                continue
            if front_matter_url(path) == url:
                return path.relative_to(self.archive_dir.resolve()).as_posix()
        return None

    def process_item(self, item):
        text_file = self.text_files.pop(id(item), None)
        if self.catalog is None:
            return item
        adapter = ItemAdapter(item)
        ref = WarcRef.from_value(adapter.get("warc"))
        fields = adapter.asdict()
        if text_file is None and not self.writes_text:
            text_file = self.existing_text_file(adapter["url"])
        try:
            self.catalog.add(fields, self.crawler.spider.name, ref.date if ref else None, text_file)
            if ref is not None and (path := self._warc_path(ref.file)) is not None:
                self.catalog.add_warc_file(ref.file, path)
        except sqlite3.Error as exc:
            # The WARC holds the capture and the text file is written: only the catalogue lags.
            logger.error("Catalogue: %s not catalogued: %s (scrapy index catches up)", adapter.get("url"), exc)
            self.crawler.stats.inc_value("catalog/errors")
            return item
        self.crawler.stats.inc_value("catalog/articles")
        return item
