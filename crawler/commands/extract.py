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

import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, cast
from urllib.parse import urlsplit

from scrapy import Request, signals
from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError
from scrapy.exporters import JsonLinesItemExporter
from tqdm import tqdm

from crawler.extraction.pool import get_executor, warm_up
from crawler.refs import REPLAY_CAPTURE_KEY
from crawler.spiders.base import ArchiveSpider
from crawler.spiders.generic import GenericArticleSpider
from crawler.warc.index import WARC_SUFFIXES, IndexedCapture, ReplayIndex

if TYPE_CHECKING:
    from scrapy.crawler import CrawlerProcessBase
    from scrapy.settings import Settings

HTML_SUFFIXES = (".html", ".htm", ".html.gz", ".htm.gz")


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
    from crawler.extraction.article import parse_html  # not at import: scrapy loads every command

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


class Command(ScrapyCommand):
    requires_project = True
    # Set by scrapy.cmdline before process_options() and run() are called.
    settings: Settings
    crawler_process: CrawlerProcessBase

    def syntax(self) -> str:
        return "PATH... [--spider NAME] [--url URL] [-o FILE]"

    def short_desc(self) -> str:
        return "Re-extract articles from WARC files or saved HTML pages, offline"

    def add_options(self, parser) -> None:
        super().add_options(parser)
        parser.add_argument("--spider", help="apply this outlet's rules to every page")
        parser.add_argument("--url", help="only this URL (and the URL of a single saved page)")
        parser.add_argument("-o", "--output", default="-", help="JSON lines file (default: standard output)")

    def process_options(self, args, opts) -> None:
        super().process_options(args, opts)
        if (self.settings.getpriority("LOG_LEVEL") or 0) < 40:  # no -L or -s LOG_LEVEL given: quiet, a progress bar
            self.settings.set("LOG_LEVEL", "WARNING", priority="cmdline")

    def run(self, args, opts) -> None:
        if not args:
            raise UsageError("extract needs at least one WARC file, HTML file or directory")
        plan = plan_extraction(self.settings, self.crawler_process.spider_loader, args, opts.spider, opts.url)
        output = sys.stdout.buffer if opts.output == "-" else open(opts.output, "wb")
        # Scrapy annotates the file as BytesIO; any binary file works.
        exporter = JsonLinesItemExporter(output, ensure_ascii=False)  # type: ignore[arg-type]
        exporter.start_exporting()
        counts = {"items": 0}

        def scraped(item, response, spider):
            exporter.export_item(item)
            counts["items"] += 1

        run_extraction(self.settings, self.crawler_process, plan, scraped, "extract")
        exporter.finish_exporting()
        if output is not sys.stdout.buffer:
            output.close()
        print(
            f"extract: {plan.described()} -> {counts['items']} articles"
            + (f" in {opts.output}" if opts.output != "-" else ""),
            file=sys.stderr,
        )
        self.exitcode = report_unreadable(plan.index, "extract")


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
    settings: Settings, loader, args: list[str], spider_name: str | None, url: str | None
) -> ExtractionPlan:
    """Index the archived files in ``args`` and pick their article captures, each with its outlet."""
    if spider_name and spider_name not in loader.list():
        raise UsageError(f"unknown spider {spider_name!r}", print_help=False)
    warcs, pages = input_files(args)
    # Extraction workers start while the archive is indexed.
    warm_up(get_executor(settings.getbool("EXTRACTION_PROCESS_POOL"), settings.getint("EXTRACTION_WORKERS")))
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


def run_extraction(
    settings: Settings,
    process: CrawlerProcessBase,
    plan: ExtractionPlan,
    scraped,
    name: str,
    received=None,
    **overrides,
) -> None:
    """Extract every capture of ``plan`` through the outlets' spiders (replayed, offline, nothing
    archived again), calling ``scraped(item, response, spider)`` for each article and
    ``received(response, request, spider)`` for each capture, with a progress bar. ``settings`` override the extraction crawl's own (``CATALOG_ENABLED=True``)."""
    settings.setdict(
        {
            "REPLAY_WARC": ",".join(str(w) for w in plan.warcs) or "(saved pages)",
            "REPLAY_INDEX": plan.index,
            "ROBOTSTXT_OBEY": False,
            "WARC_ENABLED": False,
            "TEXT_FILES_ENABLED": False,
            "CATALOG_ENABLED": False,
            "INCREMENTAL_ENABLED": False,
            "LOGSTATS_INTERVAL": 0,
            "CONCURRENT_REQUESTS": 32,
            **overrides,
        },
        priority="cmdline",
    )
    captures = plan.captures
    progress = tqdm(total=len(captures), desc=name, unit="page", file=sys.stderr, disable=not captures)

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
