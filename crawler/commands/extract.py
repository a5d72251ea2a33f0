"""``scrapy extract PATH... [--spider NAME] [--url URL] [-o FILE]``: re-extract an archive, offline.

PATH is a WARC file, a saved HTML page (``.html``, ``.htm``, optionally ``.gz``) or a
directory of them. Every HTML capture (response records, and revisit records
resolved to the payload they stand for) goes through exactly the path of a live
crawl: replayed by the download handler, decoded by Scrapy's middlewares,
extracted by the outlet spider's ``parse_article`` with the rules valid at the
capture's WARC-Date. The outlet is picked by the page's domain from the spider
registry (``--spider`` forces one); pages of unknown domains get the generic
extraction. Output: JSON lines, one item per article, the fields of a crawl's items.
"""

from __future__ import annotations

import logging
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit

from scrapy import Request, signals
from scrapy.exceptions import UsageError
from tqdm import tqdm

from crawler.bulk.output import FORMATS, JsonLinesSink, OutputFolder, ParquetSink, Sink
from crawler.extraction.pool import settings_executor, start_fork_server, warm_up
from crawler.refs import REPLAY_CAPTURE_KEY
from crawler.spiders.base import ArchiveSpider
from crawler.spiders.generic import GenericArticleSpider
from crawler.tool_command import ExtractionCommand
from crawler.warc.index import WARC_SUFFIXES, IndexedCapture, ReplayIndex

if TYPE_CHECKING:
    from scrapy.crawler import CrawlerProcessBase
    from scrapy.settings import Settings

    from crawler.bulk.direct import Counts

HTML_SUFFIXES = (".html", ".htm", ".html.gz", ".htm.gz")
logger = logging.getLogger(__name__)


def local_inputs(args: list[str], settings: Settings, name: str) -> list[str]:
    """The command's arguments with ``s3://`` URLs replaced by local copies of their WARC files
    (``storage.s3.localise``); a bucket that cannot be read is a one-line usage error."""
    from crawler.storage.s3 import S3Error, localise

    try:
        return localise(
            args, settings, lambda obj: print(f"{name}: {obj.url} ({obj.size:,} bytes) here", file=sys.stderr)
        )
    except S3Error as exc:
        raise UsageError(str(exc), print_help=False) from exc


def input_files(args: list[str]) -> tuple[list[Path], list[Path]]:
    warcs, pages = [], []
    for arg in args:
        path = Path(arg)
        if not path.exists():
            raise UsageError(f"no such file or directory: {path}", print_help=False)
        candidates = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for candidate in candidates:
            name = candidate.name.lower()
            if name.endswith(WARC_SUFFIXES):
                warcs.append(candidate)
            elif name.endswith(HTML_SUFFIXES):
                pages.append(candidate)
    return warcs, pages


def page_url(path: Path) -> str:
    """A saved page's own URL (canonical link, og:url), or its file URI."""
    import gzip

    data = path.read_bytes()
    if path.name.endswith(".gz"):
        data = gzip.decompress(data)
    from crawler.extraction.markup import parse_html  # not at import: scrapy loads every command

    tree = parse_html(data)
    for value in tree.xpath('//link[@rel="canonical"]/@href | //meta[@property="og:url"]/@content'):
        url: str = value.strip()
        if url.startswith("http"):
            return url
    return path.resolve().as_uri()


def is_page_capture(capture: IndexedCapture) -> bool:
    """A capture with content (200, a 304 revisit, a saved page), whatever its type."""
    return capture.status in (200, 304, None)


def extraction_spider(base, captures: list[IndexedCapture]):
    """The outlet's spider, started on archived captures instead of its feeds."""

    class ExtractionSpider(base):
        allowed_domains: list[str] = []

        async def start(self):
            for capture in captures:
                yield Request(
                    capture.url, callback=self.parse_article, dont_filter=True, meta={REPLAY_CAPTURE_KEY: capture}
                )

    ExtractionSpider.__name__ = f"{base.__name__}Extraction"
    return ExtractionSpider


class Command(ExtractionCommand):
    def syntax(self) -> str:
        return "PATH... [--spider NAME] [--url URL] [-o FILE|FOLDER/] [--format jsonl|parquet] [--engine ENGINE]"

    def short_desc(self) -> str:
        return "Re-extract articles from WARC files or saved HTML pages, offline"

    def add_options(self, parser) -> None:
        super().add_options(parser)
        parser.add_argument("--spider", help="apply this outlet's rules to every page")
        parser.add_argument("--url", help="only this URL (and the URL of a single saved page)")
        parser.add_argument(
            "-o",
            "--output",
            default="-",
            help="JSON lines file (.parquet: Parquet), or FOLDER/ for one file per WARC file, resumable"
            " (default: standard output)",
        )
        parser.add_argument("--format", choices=FORMATS, default=None, help="of the files in an output FOLDER/")
        parser.add_argument(
            "--engine",
            choices=ENGINES,
            default="direct",
            help="direct: the captures straight to extraction (default, fastest); spider: replayed through a"
            " whole crawl; spark: on Apache Spark (--master), into an output FOLDER/",
        )
        parser.add_argument("--master", default="local[*]", help="Spark's master URL (--engine spark)")

    def process_options(self, args, opts) -> None:
        super().process_options(args, opts)
        # The direct path and the replay crawl extract on the process pool: its fork server starts
        # now, as early as the settings are known (Spark's executors have their own workers).
        if args and opts.engine != "spark" and self.settings.getbool("EXTRACTION_PROCESS_POOL"):
            start_fork_server()

    def run(self, args, opts) -> None:
        if not args:
            raise UsageError("extract needs at least one WARC file, HTML file or directory")
        folder = opts.output.endswith("/") or Path(opts.output).is_dir()
        if opts.format and not folder:
            raise UsageError("--format is for an output FOLDER/ (a file's format is its suffix)", print_help=False)
        if opts.url and folder:
            raise UsageError("--url writes one article: give a file (-o FILE), not a FOLDER/", print_help=False)
        if opts.engine == "spark":
            if not folder:
                raise UsageError("--engine spark writes into an output FOLDER/ (-o FOLDER/)", print_help=False)
            from crawler.bulk.spark import run_spark

            loader = self.crawler_process.spider_loader
            fmt = opts.format or "jsonl"
            self.exitcode = run_spark(args, opts.output, opts.master, opts.spider, fmt, self.settings, loader)
            return
        args = local_inputs(args, self.settings, "extract")
        plan = plan_extraction(self.settings, self.crawler_process.spider_loader, args, opts.spider, opts.url)
        if folder:
            if opts.engine != "direct":
                raise UsageError("an output FOLDER/ is written by --engine direct or spark", print_help=False)
            selection = {"spider": opts.spider} if opts.spider else None
            self.exitcode = extract_to_folder(
                self.settings, plan, OutputFolder(opts.output, opts.format or "jsonl", selection=selection)
            )
            return
        counts = {"items": 0}
        sink: Sink
        try:
            if opts.output == "-":
                sink = JsonLinesSink(None)
            else:
                output = Path(opts.output)
                output.parent.mkdir(parents=True, exist_ok=True)  # as a crawl's feed export does
                sink = ParquetSink(output) if opts.output.endswith(".parquet") else JsonLinesSink(output)
        except OSError as exc:
            raise UsageError(f"cannot write {opts.output}: {exc.strerror or exc}", print_help=False) from exc

        def scraped(item, response, spider):
            sink.write(item)
            counts["items"] += 1

        from crawler.bulk.direct import OutputError

        try:
            outcome = run_extraction(self.settings, self.crawler_process, plan, scraped, "extract", engine=opts.engine)
        except OutputError as exc:
            print(f"extract: stopped: {exc}", file=sys.stderr)
            self.exitcode = 1
            return
        finally:
            sink.close()  # a Parquet file without its footer is unreadable: close it whatever happened
        print(
            f"extract: {plan.described()} -> {counts['items']} articles"
            + (f" in {opts.output}" if opts.output != "-" else ""),
            file=sys.stderr,
        )
        if outcome is not None and outcome.skipped:
            print(f"extract: {outcome.described()}", file=sys.stderr)
        self.exitcode = report_unreadable(plan.index, "extract")


def extract_to_folder(settings: Settings, plan: ExtractionPlan, folder: OutputFolder) -> int:
    """The direct path into an output folder, one file per WARC file, resumable; the exit code."""
    import asyncio

    from crawler.bulk.direct import OutputError, extract_files, merged_skips, skips_text

    extraction_settings(settings, plan.warcs, {})
    progress = tqdm(total=len(plan.captures), desc="extract", unit="page", file=sys.stderr, disable=not plan.captures)
    try:
        results = asyncio.run(
            extract_files(plan.index, plan.groups.items(), settings, folder, progress.update, sources=plan.warcs)
        )
    except OutputError as exc:  # the files done so far are whole and kept; the next run does the rest
        print(f"extract: stopped: {exc}", file=sys.stderr)
        return 1
    finally:
        progress.close()
    resumed = [r for r in results if r.resumed]
    print(
        f"extract: {plan.described()} -> {sum(r.items for r in results)} articles in {len(results)} files in"
        f" {folder.root}" + (f" ({len(resumed)} files done by an earlier run, kept)" if resumed else ""),
        file=sys.stderr,
    )
    skipped = merged_skips(results)
    if skipped:
        print(f"extract: no article: {skips_text(skipped)}", file=sys.stderr)
    return report_unreadable(plan.index, "extract")


@dataclass
class ExtractionPlan:
    """The archived article captures to extract, grouped by the outlet whose rules apply."""

    index: ReplayIndex
    groups: dict[type[ArchiveSpider], list[IndexedCapture]]
    warcs: list[Path]
    pages: list[Path]

    @property
    def captures(self) -> list[IndexedCapture]:
        return [c for group in self.groups.values() for c in group]

    def described(self) -> str:
        outlets = ", ".join(f"{cls.name}: {len(c)}" for cls, c in self.groups.items()) or "none"
        return (
            f"{len(self.captures)} article captures ({outlets}) from {len(self.warcs)} WARC files"
            f" and {len(self.pages)} pages"
        )


def plan_extraction(
    settings: Settings, loader, args: list[str], spider_name: str | None, url: str | None, warm: bool = True
) -> ExtractionPlan:
    """Index the archived files in ``args`` and pick their article captures, each with its outlet
    (``warm``: start the extraction workers meanwhile; not where nothing here extracts)."""
    if spider_name and spider_name not in loader.list():
        raise UsageError(f"unknown spider {spider_name!r}", print_help=False)
    warcs, pages = input_files(args)
    # Extraction workers start while the archive is indexed.
    if warm:
        warm_up(settings_executor(settings))
    index = ReplayIndex(warcs)
    for page in pages:
        index.add_html_file(page, url if (url and len(pages) == 1) else page_url(page))
    groups: dict[type[ArchiveSpider], list[IndexedCapture]] = defaultdict(list)
    by_domain = SpiderLookup.spiders_by_domain(loader)
    for capture in index.captures():
        if not is_page_capture(capture) or (url and capture.url != url):
            continue
        # Every spider of the registry is an ArchiveSpider.
        spider = (
            cast("type[ArchiveSpider]", loader.load(spider_name))
            if spider_name
            else SpiderLookup.crawling_spider(index.crawled_by.get(capture.path), loader)
            or SpiderLookup.spider_for(capture.url, by_domain)
        )
        # The outlet says which of its captures are articles: HTML pages, or (Meduza) its JSON API.
        if capture.record_type == "file" or spider.archived_article(capture.url, capture.mime):
            groups[spider].append(capture)
    return ExtractionPlan(index, dict(groups), warcs, pages)


def extraction_settings(settings: Settings, warcs: list[Path], overrides: dict[str, Any]) -> None:
    """The settings of an extraction run: offline, nothing archived, written or planned again."""
    settings.setdict(
        {
            "REPLAY_WARC": ",".join(str(w) for w in warcs) or "(saved pages)",
            "ROBOTSTXT_OBEY": False,
            "WARC_ENABLED": False,
            "TEXT_FILES_ENABLED": False,
            "CATALOG_ENABLED": False,
            "INCREMENTAL_ENABLED": False,
            "LOGSTATS_INTERVAL": 0,
            "CONCURRENT_REQUESTS": 32,
            # Nothing is downloaded: no delays to adapt, no console to offer.
            "AUTOTHROTTLE_ENABLED": False,
            "TELNETCONSOLE_ENABLED": False,
            **overrides,
        },
        priority="cmdline",
    )


#: How ``scrapy extract`` and ``scrapy index`` run the captures through extraction.
ENGINES = ("direct", "spider", "spark")


def run_extraction(
    settings: Settings,
    process: CrawlerProcessBase,
    plan: ExtractionPlan,
    scraped,
    name: str,
    received=None,
    engine: str = "direct",
    **overrides,
) -> Counts | None:
    """Extract every capture of ``plan`` with the outlets' spiders (offline, nothing archived
    again), calling ``scraped(item, response, spider)`` for each article and
    ``received(response, request, spider)`` for each capture, with a progress bar.

    ``engine="direct"`` (``crawler.bulk.direct``) reads the captures and hands them to the
    spiders' own extraction without Scrapy's engine, and returns what became of them;
    ``engine="spider"`` replays them through a whole crawl (scheduler, downloader, every
    middleware), for tests and for spiders whose parse logic beyond extraction matters.
    ``overrides`` are settings of the extraction's own (``CATALOG_ENABLED=True``)."""
    extraction_settings(settings, plan.warcs, overrides)
    captures = plan.captures
    progress = tqdm(total=len(captures), desc=name, unit="page", file=sys.stderr, disable=not captures)
    if engine == "direct":
        import asyncio

        from crawler.bulk.direct import extract_groups

        try:
            return asyncio.run(
                extract_groups(plan.index, plan.groups.items(), settings, scraped, received, progress.update)
            )
        finally:
            progress.close()
    logger.info("%s: replaying the captures through the spiders' crawl (--engine spider)", name)
    settings.set("REPLAY_INDEX", plan.index, priority="cmdline")

    def count(response, request, spider):
        progress.update(1)

    for spider_cls, spider_captures in plan.groups.items():
        crawler = process.create_crawler(extraction_spider(spider_cls, spider_captures))
        crawler.signals.connect(scraped, signal=signals.item_scraped)
        crawler.signals.connect(count, signal=signals.response_received)
        if received is not None:
            crawler.signals.connect(received, signal=signals.response_received)
        process.crawl(crawler)
    if plan.groups:
        process.start()
    progress.close()
    return None


def report_unreadable(index: ReplayIndex, name: str) -> int:
    """Say what of the archive could not be read; the exit code: 1 when anything could not."""
    torn = index.truncated()
    if torn:
        print(
            f"{name}: left out {len(torn)} truncated records (WARC-Truncated), e.g. {torn[0].url}"
            f" ({torn[0].path.name}@{torn[0].offset})",
            file=sys.stderr,
        )
    if index.skipped:
        print(f"{name}: left out {len(index.skipped)} records that cannot be read as captures:", file=sys.stderr)
        for line in index.skipped[:20]:
            print(f"{name}:   {line}", file=sys.stderr)
        if len(index.skipped) > 20:
            print(f"{name}:   ... and {len(index.skipped) - 20} more", file=sys.stderr)
    for error in index.errors:
        print(f"{name}: {error}", file=sys.stderr)
    # Non-zero whenever something archived could not be read: the caller must not take it as whole.
    return 1 if index.errors or index.skipped else 0


class SpiderLookup:
    """Which outlet's spider, and so which rules, an archived capture is extracted with."""

    _generic_as: dict[str, type[ArchiveSpider]] = {}

    @classmethod
    def crawling_spider(cls, name: str | None, loader) -> type[ArchiveSpider] | None:
        """The spider whose crawl wrote a WARC file (its warcinfo says), so that the same capture
        gives the same item either way; a spider that needs arguments (``feed``) extracts with
        generic rules, as it did, under its own name. None for a WARC of another crawler."""
        if not name or name not in loader.list():
            return None
        spider = cast("type[ArchiveSpider]", loader.load(name))
        if not getattr(spider, "required_arguments", ()):
            return spider
        if name not in cls._generic_as:
            cls._generic_as[name] = type(f"{spider.__name__}Generic", (GenericArticleSpider,), {"name": name})
        return cls._generic_as[name]

    @staticmethod
    def spiders_by_domain(loader) -> list[tuple[str, type[ArchiveSpider]]]:
        pairs = []
        for name in loader.list():
            spider = loader.load(name)
            pairs += [(domain, spider) for domain in getattr(spider, "allowed_domains", []) or []]
        return sorted(pairs, key=lambda pair: -len(pair[0]))

    @staticmethod
    def spider_for(url: str, by_domain: list[tuple[str, type[ArchiveSpider]]]) -> type[ArchiveSpider]:
        host = urlsplit(url).hostname or ""
        for domain, spider in by_domain:
            if host == domain or host.endswith("." + domain):
                return spider
        return GenericArticleSpider
