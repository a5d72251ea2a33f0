"""Edit tracking: every version of an article's text is kept, numbered, and diffed.

The first text seen at a URL is revision 1. A later capture whose text differs
becomes revision 2 (with a unified diff against revision 1 in the state
database and beside the text file), and so on. A capture whose text is
unchanged yields no item: it is archived in the WARC, counted, and logged at
DEBUG. The revision is committed to the state only once the item went through
every pipeline (``IncrementalState.item_scraped``), so a crash in between
leaves the capture to be processed again. Without the state database (a
replay, or INCREMENTAL_ENABLED off), the item keeps the revision the spider
found for it in the archive, if any.
"""

from __future__ import annotations

from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem

from crawler.state.database import text_hash
from crawler.state.incremental import IncrementalState


class RevisionPipeline:
    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self.incremental: IncrementalState | None = None

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def open_spider(self) -> None:
        self.incremental = self.crawler.get_extension(IncrementalState)

    def process_item(self, item):
        if self.incremental is None:
            return item
        adapter = ItemAdapter(item)
        last = self.incremental.open().last_revision(adapter["url"])
        stats = self.crawler.stats
        if last is not None and last.text_hash == text_hash(adapter.get("text") or ""):
            stats.inc_value("articles/unchanged")
            self.incremental.mark(adapter.get("warc"), "unchanged")
            raise DropItem(f"unchanged since revision {last.revision}: {adapter['url']}", log_level="DEBUG")
        adapter["revision"] = 1 if last is None else last.revision + 1
        stats.inc_value("articles/new" if last is None else "articles/updated")
        return item
