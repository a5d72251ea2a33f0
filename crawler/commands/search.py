"""``scrapy search QUERY [--outlet NAME] [--lang CODE] [--since DAY] [--until DAY] [--limit N] [--json]``.

Searches the catalogue (``ARCHIVE_DIR/catalog.sqlite3``): ranked results with highlighted
snippets, each with its date, outlet, title, URL, text file and WARC record. The query language
(words in any of their forms, "phrases", prefix*, OR, NOT, parentheses) is
``crawler.catalog.query``'s; a query it cannot take is explained in one line (exit 2).
``--json``: one JSON object per line (url, title, outlet, published, snippet, score, ...).
"""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from scrapy.exceptions import UsageError

from crawler.catalog.schema import CatalogError, catalog_path, connect
from crawler.spiders.arguments import parse_day
from crawler.tool_command import ArchiveToolCommand

if TYPE_CHECKING:
    from crawler.catalog.search import Results

#: How a match is marked in a terminal (bold yellow), and in text that is not one.
TERMINAL_MARK = ("\033[1;33m", "\033[0m")
PLAIN_MARK = ("**", "**")


def print_results(found: Results, out, mark: tuple[str, str], archive_dir: Path) -> None:
    from crawler.catalog.search import render

    shown = len(found.results)
    if not found.total:
        print(f"No article matches {found.query.text!r}.", file=out)
        return
    print(
        f"{found.total} articles match {found.query.text!r}" + (f"; the best {shown}:" if shown < found.total else ":"),
        file=out,
    )
    for rank, result in enumerate(found.results, 1):
        day = result.day or "????-??-??"
        revisions = f"  ({result.revision_count} revisions)" if result.revision_count > 1 else ""
        print(
            f"\n{rank:>3}. {day}  {result.outlet}  {render(result.title_parts, mark) or '(no title)'}{revisions}",
            file=out,
        )
        print(f"     {result.url}", file=out)
        snippet = render(result.snippet_parts, mark)
        if snippet:
            print(f"     {snippet}", file=out)
        where = []
        if result.text_file:
            where.append(f"text: {archive_dir / result.text_file}")
        if result.warc_file:
            where.append(f"WARC: {result.warc_file}@{result.warc_offset} {result.warc_record_id}")
        if where:
            print("     " + "   ".join(where), file=out)


class Command(ArchiveToolCommand):
    def syntax(self) -> str:
        return "QUERY [--outlet NAME] [--lang CODE] [--since DAY] [--until DAY] [--limit N] [--json]"

    def short_desc(self) -> str:
        return "Search the archived articles (full text, any word form)"

    def long_desc(self) -> str:
        return (
            'Search the catalogue: words (in any of their forms: Києва finds Київ), "phrases", prefix*, '
            "a OR b, a NOT b, (grouping). Results are ranked, title matches first."
        )

    def add_options(self, parser) -> None:
        super().add_options(parser)
        parser.add_argument("--outlet", help="only this outlet (spider name)")
        parser.add_argument("--lang", help="only articles in this language (en, ru, uk, ...)")
        parser.add_argument("--since", help="only articles of this day or later (YYYY-MM-DD)")
        parser.add_argument("--until", help="only articles of this day or earlier (YYYY-MM-DD)")
        parser.add_argument("--limit", type=int, default=20, help="results shown at most (default 20)")
        parser.add_argument("--json", action="store_true", help="one JSON object per line")

    def run(self, args, opts) -> None:
        # Imported here, not with the module: Scrapy imports every command's module for any
        # command, and the query's lemmatiser (simplemma) is a twentieth of a second to load.
        from crawler.catalog.query import QueryError
        from crawler.catalog.search import Filters, search

        if not args:
            raise UsageError("search needs a query, e.g.  scrapy search Gerasimov")
        text = " ".join(args)
        try:
            since, until = parse_day("--since", opts.since), parse_day("--until", opts.until)
        except ValueError as exc:
            raise UsageError(str(exc), print_help=False) from None
        if opts.limit < 1:
            raise UsageError("--limit must be 1 or more", print_help=False)
        archive_dir = Path(self.settings.get("ARCHIVE_DIR"))
        filters = Filters(
            outlet=opts.outlet,
            language=opts.lang,
            since=since.isoformat() if since else None,
            until=until.isoformat() if until else None,
        )
        try:
            conn = connect(catalog_path(archive_dir), readonly=True)
            found = search(conn, text, filters, limit=opts.limit)
        except (QueryError, CatalogError) as exc:
            raise UsageError(str(exc), print_help=False) from None
        except sqlite3.Error as exc:  # a damaged catalogue: say so, in one line
            raise UsageError(
                f"cannot read the catalogue: {exc} (rebuild it with  scrapy index --rebuild)", print_help=False
            ) from None
        if opts.json:
            for result in found.results:
                print(json.dumps(result.as_json(), ensure_ascii=False))
            return
        mark = TERMINAL_MARK if sys.stdout.isatty() else PLAIN_MARK
        print_results(found, sys.stdout, mark, archive_dir)
