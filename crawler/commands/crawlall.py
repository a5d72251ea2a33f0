"""``scrapy crawlall [SPIDER ...]``: the scheduled run. Every outlet (or those named), one process.

Holds ``ARCHIVE_DIR/crawlall.lock`` for the whole run; prints a summary per
spider; writes it as JSON to ``ARCHIVE_DIR/runs/<UTC timestamp>.json``.

Exit codes (for cron):
  0   every spider finished and fetched something, with few enough errors
  1   at least one spider failed: could not start, fetched nothing, or logged
      more than CRAWLALL_MAX_ERRORS errors
  2   bad command line (an unknown spider, a malformed -a)
  75  another run holds the lock; nothing was touched (EX_TEMPFAIL: try later)
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from crawler.output.quality import quality_figures
from crawler.output.summary import crawl_figures, human_bytes
from crawler.output.text_files import write_atomically
from crawler.refs import ARCHIVE_STORE_ERROR, ARCHIVE_WRITE_ERROR, FRONTIER_ERROR, STATE_ERROR
from crawler.spiders.arguments import check_arguments
from crawler.state.run_lock import LockHeld, RunLock

if TYPE_CHECKING:
    from scrapy.crawler import Crawler, CrawlerProcessBase
    from scrapy.settings import Settings

logger = logging.getLogger(__name__)

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_LOCKED = 0, 1, 2, 75


def spider_summary(name: str, stats: dict[str, Any], max_errors: int, start_error: str | None = None) -> dict[str, Any]:
    figures = crawl_figures(stats)
    summary = {
        "spider": name,
        "pages": figures["pages"],
        "new": stats.get("articles/new", 0),
        "updated": stats.get("articles/updated", 0),
        "unchanged": stats.get("articles/unchanged", 0) + stats.get("articles/not_modified", 0),
        "skipped_known": stats.get("incremental/skipped_known", 0),
        "errors": figures["errors"],
        "warc_bytes": figures["warc_bytes"],
        "finish_reason": stats.get("finish_reason"),
        "quality": quality_figures(stats),
    }
    problems = []
    if start_error:
        problems.append(f"could not start: {start_error}")
    elif figures["pages"] == 0:
        problems.append("fetched nothing")
    if stats.get("finish_reason") == ARCHIVE_WRITE_ERROR:
        problems.append("the archive could not be written (disk full or permissions)")
    if stats.get("finish_reason") == STATE_ERROR:
        problems.append(
            f"the state database could not be reached or was lost: {stats.get('state/error', 'see the log')}"
        )
    if stats.get("finish_reason") == FRONTIER_ERROR:
        problems.append(
            f"the shared frontier could not be reached or was lost: {stats.get('frontier/error', 'see the log')}"
        )
    if stats.get("finish_reason") == ARCHIVE_STORE_ERROR:
        problems.append(f"the object storage could not be written: {stats.get('archive_store/error')}")
    if stats.get("archive_store/failed"):
        problems.append(f"{stats['archive_store/failed']} WARC files not uploaded (kept locally for the next run)")
    if figures["errors"] > max_errors:
        problems.append(f"{figures['errors']} errors logged (more than {max_errors})")
    summary["failed"] = bool(problems)
    summary["problems"] = problems
    return summary


def summary_table(summaries: list[dict[str, Any]]) -> str:
    header = f"{'spider':<14}{'pages':>7}{'new':>6}{'updated':>9}{'unchanged':>11}{'skipped':>9}{'errors':>8}{'archived':>11}  status"
    lines = [header, "-" * len(header)]
    for s in summaries:
        status = "FAILED: " + "; ".join(s["problems"]) if s["failed"] else "ok"
        lines.append(
            f"{s['spider']:<14}{s['pages']:>7}{s['new']:>6}{s['updated']:>9}{s['unchanged']:>11}{s['skipped_known']:>9}"
            f"{s['errors']:>8}{human_bytes(s['warc_bytes']):>11}  {status}"
        )
    return "\n".join(lines)


def _on_failure(result, callback) -> None:
    """Call back with the error message if a crawl (Deferred or asyncio Task) fails."""
    if hasattr(result, "addErrback"):
        result.addErrback(lambda failure: callback(failure.getErrorMessage()))
        return

    def done(task) -> None:
        if not task.cancelled() and task.exception() is not None:
            callback(f"{task.exception().__class__.__name__}: {task.exception()}")

    result.add_done_callback(done)


def _stats_of(crawler: Crawler) -> dict[str, Any]:
    """A crawl's stats, or none for a crawler that never got as far as having them."""
    try:
        stats = crawler.stats
    except RuntimeError:  # "Crawler.stats is not set yet": the spider failed to start
        return {}
    return stats.get_stats() if stats else {}


class Command(ScrapyCommand):
    requires_project = True
    # Set by scrapy.cmdline before process_options() and run() are called.
    settings: Settings
    crawler_process: CrawlerProcessBase

    def syntax(self) -> str:
        return "[options] [SPIDER ...]"

    def short_desc(self) -> str:
        return "Run every outlet spider (or those named) once, as a scheduled run"

    def add_options(self, parser) -> None:
        super().add_options(parser)
        parser.add_argument(
            "-a",
            dest="spargs",
            action="append",
            default=[],
            metavar="NAME=VALUE",
            help="argument for every spider (may be repeated)",
        )

    def process_options(self, args, opts) -> None:
        super().process_options(args, opts)
        try:
            opts.spargs = dict(arg.split("=", 1) for arg in opts.spargs)
        except ValueError:
            raise UsageError("-a takes NAME=VALUE", print_help=False) from None

    def run(self, args, opts) -> None:
        settings = self.settings
        archive = Path(settings.get("ARCHIVE_DIR"))
        loader = self.crawler_process.spider_loader
        available = sorted(loader.list())
        unknown = [n for n in args if n not in available]
        if unknown:
            print(f"crawlall: unknown spider(s): {', '.join(unknown)} (known: {', '.join(available)})", file=sys.stderr)
            self.exitcode = EXIT_USAGE
            return
        # A bare run is every outlet: spiders that cannot start without arguments (feed) are left out.
        names = list(args) or [n for n in available if not getattr(loader.load(n), "required_arguments", ())]
        for name in names:
            try:
                check_arguments(loader.load(name), opts.spargs)
            except ValueError as exc:
                print(f"crawlall: {exc}", file=sys.stderr)
                self.exitcode = EXIT_USAGE
                return
        lock = RunLock(archive / "crawlall.lock")
        try:
            note = lock.acquire()
        except LockHeld as exc:
            print(f"crawlall: {exc}; not starting.", file=sys.stderr)
            self.exitcode = EXIT_LOCKED
            return
        if note:
            logger.warning("crawlall: %s", note)
        started = datetime.now(UTC)
        try:
            crawlers: list[tuple[str, Crawler]] = []
            start_errors: dict[str, str] = {}
            for name in names:
                crawler = self.crawler_process.create_crawler(name)
                crawlers.append((name, crawler))
                started_crawl = self.crawler_process.crawl(crawler, **opts.spargs)
                _on_failure(started_crawl, lambda message, n=name: start_errors.setdefault(n, message))
            self.crawler_process.start()
            max_errors = settings.getint("CRAWLALL_MAX_ERRORS")
            summaries = [
                spider_summary(name, _stats_of(crawler), max_errors, start_errors.get(name))
                for name, crawler in crawlers
            ]
        finally:
            lock.release()
        finished = datetime.now(UTC)
        report = {
            "started": started.isoformat(),
            "finished": finished.isoformat(),
            "archive": str(archive),
            "spiders": summaries,
            "failed": [s["spider"] for s in summaries if s["failed"]],
        }
        runs = archive / "runs"
        runs.mkdir(parents=True, exist_ok=True)
        path = runs / f"{started.strftime('%Y%m%dT%H%M%SZ')}.json"
        write_atomically(path, json.dumps(report, indent=2) + "\n")
        print(f"\ncrawlall: {len(summaries)} spiders in {(finished - started).total_seconds():.0f} s; report {path}")
        print(summary_table(summaries))
        self.exitcode = EXIT_FAILED if report["failed"] else EXIT_OK
