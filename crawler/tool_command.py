"""The bases of the archive's own commands (``crawler.commands``; kept outside that package, whose
every command class Scrapy instantiates)."""

from __future__ import annotations

import functools
import gc
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

if TYPE_CHECKING:
    from scrapy.crawler import CrawlerProcessBase
    from scrapy.settings import Settings


class QuickExit:
    """A command whose ``run`` ends by moving every object left out of the garbage collector's
    reach (``gc.freeze``), after a last collection of what is garbage by then.

    Once the command is done the interpreter exits; its teardown clears every module and, as
    it goes, collects again and again over everything still alive: about 0.15 s here with the
    ~1,200 modules a Scrapy command loads, a tenth of a short ``scrapy extract``. Frozen, those
    collections have next to nothing to look at. What is garbage is collected first, so an
    object that is only freed by a collection (a file in a reference cycle, flushed when freed)
    still is; what the command keeps it closes itself (outputs, catalogues), and logging and the
    standard streams are flushed at exit as ever.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        run = cls.__dict__.get("run")
        if run is None:
            return

        @functools.wraps(run)
        def run_then_freeze(self, args, opts):
            try:
                return run(self, args, opts)
            finally:
                gc.collect()
                gc.freeze()

        cls.run = run_then_freeze  # type: ignore[attr-defined]


class ArchiveToolCommand(QuickExit, ScrapyCommand):
    """A command that reads or serves the archive and crawls nothing: no crawler process, and
    Scrapy's log off (what it says goes to standard error in its own lines)."""

    requires_project = True
    requires_crawler_process = False
    default_settings = {"LOG_ENABLED": False}
    # Set by scrapy.cmdline before process_options() and run() are called.
    settings: Settings

    def own_environment_command(self, setting: str, name: str, tool: str) -> Path:
        """A tool's command in the environment of its own that bin/setup makes (pywb's, py-wacz's),
        the folder named by ``setting``; a UsageError saying so if it is not installed there."""
        command = (Path(self.settings.get(setting)) / name).resolve()
        if not command.exists():
            raise UsageError(f"{tool} is not installed at {command}: run bin/setup", print_help=False)
        return command


class ExtractionCommand(QuickExit, ScrapyCommand):
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
