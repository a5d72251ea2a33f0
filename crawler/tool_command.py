"""The bases of the archive's own commands (``crawler.commands``; kept outside that package, whose
every command class Scrapy instantiates)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy.commands import ScrapyCommand

if TYPE_CHECKING:
    from scrapy.crawler import CrawlerProcessBase
    from scrapy.settings import Settings


class ArchiveToolCommand(ScrapyCommand):
    """A command that reads or serves the archive and crawls nothing: no crawler process, and
    Scrapy's log off (what it says goes to standard error in its own lines)."""

    requires_project = True
    requires_crawler_process = False
    default_settings = {"LOG_ENABLED": False}
    # Set by scrapy.cmdline before process_options() and run() are called.
    settings: Settings


class ExtractionCommand(ScrapyCommand):
    """A command that runs captures through extraction (``scrapy extract``, ``index``, ``import``):
    quiet unless a log level is asked for (``-L`` or ``-s LOG_LEVEL``), as its progress bar and
    summary say what happens."""

    requires_project = True
    # Set by scrapy.cmdline before process_options() and run() are called.
    settings: Settings
    crawler_process: CrawlerProcessBase

    def process_options(self, args, opts) -> None:
        super().process_options(args, opts)
        if (self.settings.getpriority("LOG_LEVEL") or 0) < 40:
            self.settings.set("LOG_LEVEL", "WARNING", priority="cmdline")
