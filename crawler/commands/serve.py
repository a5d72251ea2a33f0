"""``scrapy serve [--port N] [--host ADDR] [--allow-sql]``: the reading room on Datasette.

Serves ``ARCHIVE_DIR/catalog.sqlite3`` with Datasette (tables, facets, JSON and CSV export) and
the archive's own pages (``crawler.reading_room``, a Datasette plugin): search, articles with
their revisions and diffs, outlets. Read-only: Datasette opens the catalogue ``mode=ro`` (a crawl
may write it meanwhile: WAL), has no write endpoint, and its arbitrary-SQL editor is off unless
``--allow-sql``; bound to 127.0.0.1 unless ``--host`` says otherwise.
"""

from __future__ import annotations

import asyncio
import importlib
import sys
from pathlib import Path
from typing import Any

from scrapy.exceptions import UsageError

from crawler.catalog.schema import CatalogError, catalog_path, connect
from crawler.tool_command import ArchiveToolCommand

#: Datasette's default port.
DEFAULT_PORT = 8001


def datasette_metadata(archive_dir: Path, replay_url: str) -> dict[str, Any]:
    """Datasette's metadata for the catalogue: titles, the articles table's facets, the plugin's
    configuration, the bookkeeping tables hidden."""
    return {
        "title": "Defense news archive",
        "description": "Articles archived by the crawler: every revision, with its WARC record.",
        "plugins": {"archive-reading-room": {"archive_dir": str(archive_dir.resolve()), "replay_url": replay_url}},
        "databases": {
            "catalog": {
                "tables": {
                    "articles": {
                        "label_column": "title",
                        "sort_desc": "day",
                        "facets": ["outlet", "language", "month", {"array": "authors"}],
                    },
                    "revisions": {"sort_desc": "captured", "facets": ["article_id"]},
                    "captures": {"hidden": True},
                    "catalog_info": {"hidden": True},
                }
            }
        },
    }


def make_datasette(path: Path, archive_dir: Path, replay_url: str, allow_sql: bool = False):
    """A Datasette on the catalogue at ``path`` with the reading room registered."""
    from datasette.app import Datasette  # first: it registers Datasette's own plugins, whole
    from datasette.plugins import pm

    import crawler.reading_room as reading_room

    # Datasette 0.65's error page prints every exception with rich when rich is importable (it is
    # here, through frictionless); for a URL no route matches that happens outside an ``except``
    # block, where rich 13+ raises, and the 404 becomes a 500. Its plain traceback is enough.
    handler: Any = importlib.import_module("datasette.handle_exception")
    handler.rich = None

    if not pm.is_registered(reading_room):
        pm.register(reading_room, name=reading_room.PLUGIN)
    return Datasette(
        [str(path)],
        settings={
            "default_allow_sql": allow_sql,
            "allow_download": False,
            "sql_time_limit_ms": 3000,
            "facet_time_limit_ms": 500,
        },
        metadata=datasette_metadata(archive_dir, replay_url),
    )


class Command(ArchiveToolCommand):
    def syntax(self) -> str:
        return "[--port N] [--host ADDR] [--allow-sql]"

    def short_desc(self) -> str:
        return "Serve the reading room (search, articles, revisions) on Datasette, read-only"

    def add_options(self, parser) -> None:
        super().add_options(parser)
        parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
        parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
        parser.add_argument("--allow-sql", action="store_true", help="turn on Datasette's arbitrary-SQL editor")

    def run(self, args, opts) -> None:
        import uvicorn

        archive_dir = Path(self.settings.get("ARCHIVE_DIR"))
        path = catalog_path(archive_dir)
        try:
            connect(path, readonly=True).close()
        except CatalogError as exc:
            raise UsageError(str(exc), print_help=False) from None
        datasette = make_datasette(path, archive_dir, self.settings.get("REPLAY_URL") or "", opts.allow_sql)
        asyncio.run(datasette.invoke_startup())
        print(
            f"serve: the reading room on http://{opts.host}:{opts.port}/ (search: /search?q=...),"
            f" catalogue {path}; Ctrl-C stops it",
            file=sys.stderr,
            flush=True,
        )
        uvicorn.run(datasette.app(), host=opts.host, port=opts.port, log_level="warning")
