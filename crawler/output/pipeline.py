"""Write each article's normalized text file under ARCHIVE_DIR/text/<spider>/.

A file is never replaced by another URL's text: the front matter of a file names its URL,
and when the name a URL would get (``url_relative_path``) holds another URL's file, the text
is written under its hashed name (``hashed_relative_path``) instead, counted in
``text/name_taken`` and logged. Later revisions follow the first (``story.r2.md`` beside
``story.md``, or beside ``story--<hash>.md``).
"""

from __future__ import annotations

import logging
from pathlib import Path

from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem, NotConfigured

from crawler.output.naming import contained_path, hashed_relative_path, revision_path, url_relative_path
from crawler.output.text_files import front_matter_url, remove_stale_partials, render, write_atomically
from crawler.refs import ARCHIVE_WRITE_ERROR

logger = logging.getLogger(__name__)

#: Sent (``item``, ``path``: the file written, relative to ARCHIVE_DIR) once an item's text file is
#: written; the catalogue links each revision to its file by it.
text_file_written = object()


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

    def text_path(self, url: str, revision: int) -> Path:
        """Where this URL's text of ``revision`` goes: its own name, unless another URL's file is
        there (then its hashed name). Raises DropItem if even that is another URL's."""
        spider = self.crawler.spider
        spider_root = self.root / spider.name
        with_host = bool(getattr(spider, "text_names_with_host", False))
        primary = contained_path(spider_root, url_relative_path(url, with_host=with_host))
        hashed = contained_path(spider_root, hashed_relative_path(url, with_host=with_host))
        if primary != hashed:
            if revision > 1 and front_matter_url(hashed) == url:
                return revision_path(hashed, revision)  # the first revision went there
            taken = [
                (path, owner)
                for path in dict.fromkeys((primary, revision_path(primary, revision)))
                if (owner := front_matter_url(path)) not in (None, url)
            ]
            if not taken:
                return revision_path(primary, revision)
            path, owner = taken[0]
            logger.warning("Text file %s is %s's: the text of %s goes to %s", path, owner or "?", url, hashed.name)
            self.crawler.stats.inc_value("text/name_taken")
        target = revision_path(hashed, revision)
        owner = front_matter_url(target)
        if owner not in (None, url):
            logger.error("Text files %s and %s are both other URLs': %s not written", primary, target, url)
            self.crawler.stats.inc_value("text/name_conflict")
            raise DropItem(f"no free text file name for {url}")
        return target

    def process_item(self, item):
        adapter = ItemAdapter(item)
        revision = adapter.get("revision") or 1
        path = self.text_path(adapter["url"], revision)
        if revision > 1:
            # Later revisions sit beside the first, each with its diff.
            diff = adapter.get("diff")
            if diff:
                self._write(path.with_suffix(".diff"), diff)
        self._write(path, render(item))
        self.crawler.stats.inc_value("text/files")
        archive_dir = Path(self.crawler.settings.get("ARCHIVE_DIR")).resolve()
        self.crawler.signals.send_catch_log(text_file_written, item=item, path=path.relative_to(archive_dir).as_posix())
        logger.debug("Text file %s", path)
        return item
