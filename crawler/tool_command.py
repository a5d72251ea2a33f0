"""The base of the commands that read or serve the archive (``crawler.commands``; kept outside
that package, whose every command class Scrapy instantiates)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy.commands import ScrapyCommand

if TYPE_CHECKING:
    from scrapy.settings import Settings


class ArchiveToolCommand(ScrapyCommand):
    """A command that reads or serves the archive and crawls nothing: no crawler process, and
    Scrapy's log off (what it says goes to standard error in its own lines)."""

    requires_project = True
    requires_crawler_process = False
    default_settings = {"LOG_ENABLED": False}
    # Set by scrapy.cmdline before process_options() and run() are called.
    settings: Settings
