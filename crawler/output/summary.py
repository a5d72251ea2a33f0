"""Progress a person can read: a periodic line while crawling, a summary at the end."""

from __future__ import annotations

import logging
from typing import Any

from scrapy import signals
from scrapy.exceptions import NotConfigured
from twisted.internet import task

from crawler.output.quality import quality_figures

logger = logging.getLogger(__name__)


def human_bytes(count: int | float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if count < 1024 or unit == "GB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    return f"{count:.1f} TB"  # pragma: no cover


def crawl_figures(stats: dict[str, Any]) -> dict[str, int]:
    """The figures of one crawl, from Scrapy's stats (also used by ``crawlall``)."""
    get = stats.get
    return {
        "pages": get("response_received_count", 0),
        "articles": get("item_scraped_count", 0),
        "not_articles": get("articles/skipped", 0) + get("articles/not_text", 0),
        "short_or_empty": get("extract/short", 0) + get("extract/empty", 0),
        "extract_errors": get("extract/error", 0),
        "http_errors": sum(
            v for k, v in stats.items() if k.startswith("downloader/response_status_count/") and k[-3] in "45"
        ),
        "errors": get("log_count/ERROR", 0),
        "warc_files": get("warc/files", 0),
        "warc_bytes": get("warc/bytes", 0),
        "text_files": get("text/files", 0),
        "replay_hits": get("replay/hit", 0),
        "replay_misses": get("replay/miss", 0),
    }


class ArchiveProgress:
    """Logs progress every LOGSTATS_INTERVAL seconds and a summary when the spider closes."""

    def __init__(self, crawler, interval: float) -> None:
        self.crawler = crawler
        self.interval = interval
        self.loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler):
        interval = crawler.settings.getfloat("LOGSTATS_INTERVAL")
        if not interval:
            raise NotConfigured
        extension = cls(crawler, interval)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self, spider) -> None:
        self.loop = task.LoopingCall(self.log_progress, spider)
        self.loop.start(self.interval, now=False)

    def log_progress(self, spider) -> None:
        f = crawl_figures(self.crawler.stats.get_stats())
        logger.info(
            "%s: %d pages, %d articles, %d not articles, %d errors, %s archived",
            spider.name,
            f["pages"],
            f["articles"],
            f["not_articles"],
            f["errors"],
            human_bytes(f["warc_bytes"]),
        )

    def spider_closed(self, spider, reason) -> None:
        if self.loop and self.loop.running:
            self.loop.stop()
        f = crawl_figures(self.crawler.stats.get_stats())
        lines = [
            f"Crawl summary for {spider.name} ({reason})",
            f"  pages fetched      {f['pages']:>8}   (HTTP 4xx/5xx: {f['http_errors']})",
            f"  articles           {f['articles']:>8}   (short or empty: {f['short_or_empty']}, extraction errors: {f['extract_errors']})",
            f"  not articles       {f['not_articles']:>8}",
            f"  WARC               {human_bytes(f['warc_bytes']):>8}   in {f['warc_files']} file(s)",
            f"  text files         {f['text_files']:>8}",
            f"  errors logged      {f['errors']:>8}",
        ]
        quality = quality_figures(self.crawler.stats.get_stats())
        if quality["checked"]:
            lines.append(
                f"  quality            missing title {quality['missing_title']}, date {quality['missing_date']}, "
                f"authors {quality['missing_authors']}, text {quality['missing_text']}; "
                f"short of JSON-LD articleBody {quality['short_vs_articlebody']}"
            )
        if f["replay_hits"] or f["replay_misses"]:
            lines.append(f"  replayed           {f['replay_hits']:>8}   (not in the archive: {f['replay_misses']})")
        logger.info("\n".join(lines))
