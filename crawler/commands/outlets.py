"""``scrapy outlets [--write README.md]``: the outlets table from the spider registry."""

from __future__ import annotations

from pathlib import Path

from scrapy.commands import ScrapyCommand

from crawler.outlets_table import outlets_table, update_readme


class Command(ScrapyCommand):
    requires_project = True
    default_settings = {"LOG_ENABLED": False}

    def syntax(self) -> str:
        return "[--write README.md]"

    def short_desc(self) -> str:
        return "Print the outlets table (or write it into the README)"

    def add_options(self, parser) -> None:
        super().add_options(parser)
        parser.add_argument("--write", metavar="FILE", help="replace the table between the markers in FILE")

    def run(self, args, opts) -> None:
        table = outlets_table(self.settings)
        if opts.write:
            changed = update_readme(Path(opts.write), table)
            print(f"{opts.write}: {'updated' if changed else 'already current'}")
        else:
            print(table)
