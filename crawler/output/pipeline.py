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

from crawler.engine import started_engine
from crawler.output.naming import contained_path, hashed_relative_path, revision_path, url_relative_path
from crawler.output.text_files import (
    front_matter,
    front_matter_url,
    remove_stale_partials,
    render,
    renumbered,
    write_atomically,
)
from crawler.refs import ARCHIVE_WRITE_ERROR
from crawler.state.database import Placement, revisions_moved

logger = logging.getLogger(__name__)

#: Sent (``item``, ``path``: the file written, relative to ARCHIVE_DIR) once an item's text file is
#: written; the catalogue links each revision to its file by it.
text_file_written = object()
#: Sent (``old``, ``new``: relative to ARCHIVE_DIR) when a revision's file moved to a later number.
text_file_moved = object()


class TextFilePipeline:
    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self.root = Path(crawler.settings.get("ARCHIVE_DIR")) / "text"
        crawler.signals.connect(self.revisions_moved, signal=revisions_moved)

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
            engine = started_engine(self.crawler)
            if engine is not None:  # an extraction (scrapy import) has none: the item is dropped
                engine.close_spider(self.crawler.spider, ARCHIVE_WRITE_ERROR)
            raise DropItem(f"text file not written: {exc}") from exc

    def open_spider(self) -> None:
        removed = remove_stale_partials(self.root / self.crawler.spider.name)
        if removed:
            self.crawler.stats.set_value("text/partials_removed", len(removed))

    def _names(self, url: str) -> tuple[Path, Path]:
        """The two names a URL's first revision may have under the spider's folder: its own
        (readable) and its hashed one."""
        spider = self.crawler.spider
        root = self.root / spider.name
        with_host = bool(getattr(spider, "text_names_with_host", False))
        return (
            contained_path(root, url_relative_path(url, with_host=with_host)),
            contained_path(root, hashed_relative_path(url, with_host=with_host)),
        )

    def text_path(self, url: str, revision: int) -> Path:
        """Where this URL's text of ``revision`` goes: its own name, unless another URL's file is
        there (then its hashed name). Raises DropItem if even that is another URL's."""
        primary, hashed = self._names(url)
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

    def _existing(self, url: str, revision: int) -> tuple[Path, Path] | None:
        """The file a URL's revision was written to, and the name of the first revision beside it
        (its own name or its hashed one)."""
        for first in self._names(url):
            path = revision_path(first, revision)
            if front_matter_url(path) == url:
                return first, path
        return None

    def revisions_moved(self, placement: Placement) -> None:
        """An older revision is placed before later ones: their files move up one number (front
        matter with them, the highest first) and every changed revision gets its new diff. A file
        moved already (by a run that stopped before the state moved) is not moved again: the file
        at the old number must be the capture the state numbers so. Raises OSError (logged) so
        that the state does not move when the files could not."""
        url = placement.revision.url
        archive_dir = Path(self.crawler.settings.get("ARCHIVE_DIR")).resolve()
        try:
            for revision, old in placement.renumbered:
                found = self._existing(url, old)
                if found is None or str((front_matter(found[1]) or {}).get("fetched_at")) != revision.fetched_at:
                    continue  # moved already, or never written
                first, source = found
                target = revision_path(first, revision.revision)
                write_atomically(target, renumbered(source.read_text(encoding="utf-8"), revision.revision))
                source.unlink()
                if old > 1:
                    source.with_suffix(".diff").unlink(missing_ok=True)  # written anew below
                moved = (source.relative_to(archive_dir).as_posix(), target.relative_to(archive_dir).as_posix())
                self.crawler.signals.send_catch_log(text_file_moved, old=moved[0], new=moved[1])
            for revision in placement.changed:
                found = self._existing(url, revision.revision)
                if found is not None and revision.diff:
                    write_atomically(found[1].with_suffix(".diff"), revision.diff)
        except OSError as exc:
            logger.error("Text files of %s not renumbered: %s", url, exc)
            self.crawler.stats.inc_value("text/write_errors")
            raise

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
