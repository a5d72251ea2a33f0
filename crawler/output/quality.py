"""Quality counted in every crawl: items missing a title, a date, any credit, or text.

Counts go to the crawl stats (``quality/missing_<field>``) per outlet; when the
share of items missing a field passes QUALITY_WARN_SHARE, the spider's close
logs a warning. Texts short of the page's own JSON-LD ``articleBody`` are
counted by extraction (``extract/truncated``) and reported here too.
"""

from __future__ import annotations

import logging
from typing import Any

from itemadapter import ItemAdapter
from scrapy import signals

logger = logging.getLogger(__name__)

CHECKS = {
    "title": lambda a: bool(a.get("title")),
    "date": lambda a: bool(a.get("published")),
    "authors": lambda a: bool(a.get("authors") or a.get("organizations")),
    "text": lambda a: bool(a.get("text")),
}


def quality_figures(stats: dict[str, Any]) -> dict[str, int]:
    figures = {f"missing_{field}": stats.get(f"quality/missing_{field}", 0) for field in CHECKS}
    figures["short_vs_articlebody"] = stats.get("extract/truncated", 0)
    figures["checked"] = stats.get("quality/items", 0)
    return figures


class QualityStatsPipeline:
    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self.threshold = crawler.settings.getfloat("QUALITY_WARN_SHARE")
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_item(self, item):
        adapter = ItemAdapter(item)
        stats = self.crawler.stats
        stats.inc_value("quality/items")
        for field, present in CHECKS.items():
            if not present(adapter):
                stats.inc_value(f"quality/missing_{field}")
        return item

    def spider_closed(self, spider, reason) -> None:
        figures = quality_figures(self.crawler.stats.get_stats())
        checked = figures.pop("checked")
        if not checked:
            return
        for name, count in figures.items():
            share = count / checked
            if share > self.threshold:
                logger.warning(
                    "%s: %d of %d items (%.0f%%) %s, above QUALITY_WARN_SHARE (%.0f%%)",
                    spider.name,
                    count,
                    checked,
                    100 * share,
                    name.replace("_", " "),
                    100 * self.threshold,
                )
