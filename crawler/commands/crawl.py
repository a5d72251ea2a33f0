"""``scrapy crawl``, as Scrapy's, plus an exit code that says when the archive could not be written.

Exit codes: 0 a crawl that finished; 1 the spider could not start (Scrapy's own) or the
crawl stopped because its WARC files or text files could not be written (disk full,
permissions), or its object storage (``ARCHIVE_STORE``) could not be written or a WARC file not
uploaded (kept locally for the next run), its shared frontier (``FRONTIER_URL``) or its state database (``STATE_URL``)
could not be reached or was lost: cron mails the user; 2 a bad command line (a malformed or missing ``-a``,
named in one line before anything starts).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError

from crawler.refs import ARCHIVE_STORE_ERROR, ARCHIVE_WRITE_ERROR, FRONTIER_ERROR, STATE_ERROR
from crawler.spiders.arguments import check_arguments

if TYPE_CHECKING:
    from scrapy.crawler import CrawlerProcessBase


class Command(ScrapyCrawlCommand):
    # Set by scrapy.cmdline before run() is called.
    crawler_process: CrawlerProcessBase

    def run(self, args, opts) -> None:
        if len(args) == 1:
            known = sorted(self.crawler_process.spider_loader.list())
            if args[0] not in known:  # Scrapy's own answer is a KeyError traceback
                raise UsageError(f"unknown spider {args[0]!r} (known: {', '.join(known)})", print_help=False)
            try:
                check_arguments(self.crawler_process.spider_loader.load(args[0]), opts.spargs)
            except ValueError as exc:
                raise UsageError(str(exc), print_help=False) from None
        created = []
        original = self._create_crawler

        def keep(name):
            crawler = original(name)
            created.append(crawler)
            return crawler

        self._create_crawler = keep  # type: ignore[method-assign]  # wrapped to see every crawler made
        super().run(args, opts)
        for crawler in created:
            stats = crawler.stats
            if stats and (
                stats.get_value("finish_reason")
                in (ARCHIVE_WRITE_ERROR, ARCHIVE_STORE_ERROR, FRONTIER_ERROR, STATE_ERROR)
                or stats.get_value("archive_store/failed")
            ):
                self.exitcode = 1
