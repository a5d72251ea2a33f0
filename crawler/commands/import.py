"""``scrapy import PATH_OR_URL... [--spider NAME]``: other people's WARC, ARC and WACZ files into
the archive.

The records that are captures of our outlets' articles are copied into each outlet's own WARC
files (``ARCHIVE_DIR/warc/<spider>/<spider>-import-….warc.gz``) unchanged, each with a
``metadata`` record saying where it came from (crawler/warc/foreign.py); then recorded in the
state (so ``scrapy history`` lists them) and catalogued through the re-extraction path (the
outlet's rules of the capture's own date), so they are searchable and open in the reading room
like our own. Copied rather than indexed in place: the archive stays one set of files that
replay, ``scrapy pack`` and the bucket hold whole, whatever becomes of the foreign files. Foreign
quirks are counted and named in the summary, never fatal; a file met again is not copied twice
(its captures are known). ``s3://`` inputs are fetched first, as for ``scrapy extract``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, cast
from urllib.parse import urlsplit

from scrapy.exceptions import UsageError

from crawler.commands.extract import local_inputs
from crawler.commands.index import build_catalogue
from crawler.state.backend import StateUnavailable
from crawler.state.database import ArchiveState, StoredCapture
from crawler.tool_command import ExtractionCommand
from crawler.warc.foreign import ForeignImport, foreign_files
from crawler.warc.writer import WarcFileWriter

if TYPE_CHECKING:
    from crawler.spiders.declaration import OutletDeclaration


class Command(ExtractionCommand):
    def syntax(self) -> str:
        return "PATH_OR_URL... [--spider NAME]"

    def short_desc(self) -> str:
        return "Import other people's WARC, ARC and WACZ files: our outlets' captures copied, catalogued"

    def add_options(self, parser) -> None:
        super().add_options(parser)
        parser.add_argument("--spider", action="append", help="only this outlet's captures (repeatable)")

    def run(self, args, opts) -> None:
        if not args:
            raise UsageError("name WARC, ARC or WACZ files or folders (or s3:// URLs)", print_help=False)
        loader = self.crawler_process.spider_loader
        names = opts.spider or [n for n in loader.list() if n != "feed"]
        unknown = sorted(set(names) - set(loader.list()))
        if unknown:
            raise UsageError(f"unknown spider {unknown[0]!r}", print_help=False)
        outlets = [cast("type[OutletDeclaration]", loader.load(n)) for n in names]

        def outlet_of(url: str) -> str | None:  # the spider whose article the URL is
            parts = urlsplit(url)
            host = parts.hostname or ""
            for cls in outlets:
                domains = getattr(cls, "allowed_domains", None) or []
                if any(host == d or host.endswith("." + d) for d in domains) and cls.is_article_path(parts.path):
                    return str(cls.name)  # type: ignore[attr-defined]
            return None

        archive_dir = Path(self.settings.get("ARCHIVE_DIR"))
        try:
            state = ArchiveState(archive_dir, self.settings.get("STATE_URL", ""))
        except (StateUnavailable, ValueError) as exc:
            raise UsageError(str(exc), print_help=False) from exc

        def known(url: str, date: str, digest: str | None, record_id: str) -> bool:
            for capture in state.captures(url):
                if record_id and capture.record_id == record_id:
                    return True
                if digest and capture.payload_digest == digest and (not date or capture.fetched_at == date):
                    return True
            return False

        writers: dict[str, WarcFileWriter] = {}

        def writer_for(spider: str) -> WarcFileWriter:
            if spider not in writers:
                writers[spider] = WarcFileWriter(
                    archive_dir / "warc" / spider,
                    f"{spider}-import",
                    max_size=self.settings.getint("WARC_MAX_SIZE"),
                    warcinfo={
                        "software": "defense-news-archive scrapy import",
                        "description": "records copied unchanged",
                    },
                )
            return writers[spider]

        files = foreign_files(local_inputs(args, self.settings, "import"))
        if not files:
            raise UsageError(f"no WARC, ARC or WACZ file in {' '.join(args)}", print_help=False)
        work = ForeignImport(outlet_of, writer_for, known)
        try:
            work.import_paths(files)
        finally:
            for writer in writers.values():
                writer.close()
            written = [path for writer in writers.values() for path in writer.files_written]
            for kept in work.kept:
                state.record_capture(
                    StoredCapture(
                        kept.url,
                        kept.spider,
                        kept.date,
                        None,
                        kept.record_type,
                        kept.file,
                        kept.offset,
                        kept.record_id,
                        kept.payload_digest,
                        None,
                        None,
                    )
                )
                if kept.truncated:  # as its crawler held it; extraction leaves it out
                    state.set_outcome(kept.record_id, "truncated")
            # What is left to process: the captures copied now, and any an import stopped or
            # failed midway left (in its files).
            pending: set[str] = set()
            earlier: list[Path] = []
            copied_now = {path.resolve() for path in written}
            for spider in names:
                for name, ids in state.unprocessed(spider, f"{spider}-import-").items():
                    path = archive_dir / "warc" / spider / name
                    if path.exists():
                        pending.update(ids)
                        if path.resolve() not in copied_now:
                            earlier.append(path)
            state.close()
        counts = work.counts
        print(f"import: {counts.files} files, {counts.records} records read", file=sys.stderr)
        for spider, n in sorted(counts.kept.items()):
            print(f"  {spider:<16} {n:>6} captures copied", file=sys.stderr)
        for reason, n in counts.skipped.most_common():
            print(f"  skipped {n:>6}  {reason}", file=sys.stderr)
        for reason, n in counts.noted.most_common():
            print(f"  noted   {n:>6}  {reason}", file=sys.stderr)
        for problem in counts.problems:
            print(f"  problem: {problem}", file=sys.stderr)
        if earlier:
            print(
                f"import: {len(earlier)} files of an earlier import not processed to the end: extracted now",
                file=sys.stderr,
            )
        if written or earlier:
            # Extracted as a crawl of them would be: revisions numbered (and placed) by the state,
            # text files, the items' records in a WARC file beside the copies.
            self.exitcode = build_catalogue(
                self.settings,
                self.crawler_process,
                [str(p) for p in [*written, *earlier]],
                pending=pending,
                INCREMENTAL_ENABLED=True,
                TEXT_FILES_ENABLED=True,
                IMPORT_ITEM_RECORDS=True,
            )
