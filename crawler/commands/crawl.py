"""``scrapy crawl``, as Scrapy's, plus an exit code that says when the archive could not be written.

Exit codes: 0 a crawl that finished; 1 the spider could not start (Scrapy's own) or the
crawl stopped because its WARC files or text files could not be written (disk full,
permissions): cron mails the user.
"""

from __future__ import annotations

from scrapy.commands.crawl import Command as ScrapyCrawlCommand

from crawler.refs import ARCHIVE_WRITE_ERROR

#: Finish reasons that mean the archive failed, not the site.


class Command(ScrapyCrawlCommand):
    def run(self, args, opts) -> None:
        created = []
        original = self._create_crawler

        def keep(name):
            crawler = original(name)
            created.append(crawler)
            return crawler

        self._create_crawler = keep  # type: ignore[method-assign]  # wrapped to see every crawler made
        super().run(args, opts)
        for crawler in created:
            if crawler.stats and crawler.stats.get_value("finish_reason") == ARCHIVE_WRITE_ERROR:
                self.exitcode = 1
