"""``scrapy index [PATH...] [--rebuild]``: build or catch up the catalogue from WARC files.

For archives made before the catalogue existed, or a catalogue lost or of an older version. PATH
is a WARC file or a directory of them (default: ``ARCHIVE_DIR/warc``). Every article capture goes
through the extraction path of ``scrapy extract`` (the outlet's rules valid at its WARC-Date) and
into ``ARCHIVE_DIR/catalog.sqlite3``. Resumable: a capture already catalogued (its WARC record id)
is not extracted again, so an interrupted run continues where it stopped. ``--rebuild`` starts
from an empty catalogue (the old one is kept beside it as ``catalog.sqlite3.old``).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import UsageError

from crawler.catalog.schema import CatalogError, catalog_path, connect
from crawler.commands.extract import (
    ExtractionPlan,
    local_inputs,
    plan_extraction,
    report_unreadable,
    run_extraction,
)
from crawler.refs import OUTCOME_KEY, REPLAY_CAPTURE_KEY
from crawler.tool_command import ExtractionCommand

if TYPE_CHECKING:
    from scrapy.crawler import CrawlerProcessBase
    from scrapy.settings import Settings


class Command(ExtractionCommand):
    def syntax(self) -> str:
        return "[PATH...] [--rebuild]"

    def short_desc(self) -> str:
        return "Build or catch up the catalogue (search, reading room) from WARC files"

    def add_options(self, parser) -> None:
        super().add_options(parser)
        parser.add_argument("--rebuild", action="store_true", help="start from an empty catalogue")

    def run(self, args, opts) -> None:
        archive_dir = Path(self.settings.get("ARCHIVE_DIR"))
        if not args:
            default = archive_dir / "warc"
            if not default.is_dir():
                raise UsageError(f"no WARC files at {default}: name WARC files or directories", print_help=False)
            args = [str(default)]
        self.exitcode = build_catalogue(self.settings, self.crawler_process, args, rebuild=opts.rebuild)


def build_catalogue(
    settings: Settings,
    crawler_process: CrawlerProcessBase,
    args: list[str],
    rebuild: bool = False,
    pending: set[str] | None = None,
    **overrides,
) -> int:
    """The catalogue caught up (or rebuilt) from the WARC files ``args`` name: every article capture
    not catalogued yet, extracted with its outlet's rules of its date (``scrapy index``, and
    ``scrapy import`` after copying, whose ``overrides`` have the state number the revisions and
    the text files and item records written, as a crawl does; ``pending``: the record ids the state
    has not seen processed, the captures to extract then, catalogued or not). The exit code: 1
    when a file could not be read."""
    archive_dir = Path(settings.get("ARCHIVE_DIR"))
    path = catalog_path(archive_dir)
    if rebuild and path.exists():
        for suffix in ("-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        path.replace(path.with_name(path.name + ".old"))
    try:
        conn = connect(path)
    except CatalogError as exc:
        raise UsageError(str(exc), print_help=False) from exc
    args = local_inputs(args, settings, "index")
    plan = plan_extraction(settings, crawler_process.spider_loader, args, None, None)
    known = {row[0] for row in conn.execute("SELECT record_id FROM captures")}
    conn.close()
    todo = ExtractionPlan(
        plan.index,
        {
            spider: left
            for spider, captures in plan.groups.items()
            if (
                left := [
                    c for c in captures if (c.record_id in pending if pending is not None else c.record_id not in known)
                ]
            )
        },
        plan.warcs,
        plan.pages,
    )
    done = len(plan.captures) - len(todo.captures)
    print(f"index: {plan.described()}; {done} already catalogued, {len(todo.captures)} to go", file=sys.stderr)
    counts = {"items": 0}
    seen: list[dict[str, Any]] = []

    def scraped(item, response, spider):
        counts["items"] += 1

    def received(response, request, spider):
        seen.append(request.meta)  # read after the run: the spider leaves its outcome in it

    run_extraction(
        settings, crawler_process, todo, scraped, "index", received=received, CATALOG_ENABLED=True, **overrides
    )
    conn = connect(path)
    # Captures the outlet's rules call no article are known too: the next run does not extract
    # them again (those that gave an article are in already; those that failed are tried again).
    no_article = [
        (capture.record_id, capture.path.name, capture.warc_date or "")
        for meta in seen
        if meta.get(OUTCOME_KEY) == "not_article" and (capture := meta.get(REPLAY_CAPTURE_KEY)) is not None
    ]
    conn.executemany(
        "INSERT OR IGNORE INTO captures (record_id, article_id, warc_file, captured) VALUES (?, NULL, ?, ?)",
        no_article,
    )
    conn.commit()
    articles, revisions = conn.execute(
        "SELECT (SELECT count(*) FROM articles), (SELECT count(*) FROM revisions)"
    ).fetchone()
    conn.close()
    print(
        f"index: {counts['items']} articles catalogued in this run; {path} holds {articles} articles,"
        f" {revisions} revisions",
        file=sys.stderr,
    )
    return report_unreadable(plan.index, "index")
