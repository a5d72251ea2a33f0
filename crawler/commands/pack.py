"""``scrapy pack [SPIDER...] [--since DATE] [--until DATE] -o FILE.wacz``: the archive as a WACZ.

A WACZ 1.1.1 (built by py-wacz): the spiders' WARC files, a CDXJ index, ``pages/pages.jsonl``
with one line per article capture (its URL, capture time, title and extracted text, from the
item the crawl wrote beside the response, so ReplayWeb.page lists and searches them), feeds,
sitemaps and section pages as ``pages/extraPages.jsonl``, and ``datapackage.json`` with its
digest. The package is checked before the command says it is done: py-wacz's own validation,
and every article capture of the packed WARCs in the page list. py-wacz runs as its ``wacz``
command, from an environment of its own (``WACZ_BIN``, made by ``bin/setup``): it needs
frictionless and pydantic, and itemadapter imports pydantic wherever it is installed, ~0.1 s of
every scrapy command's start. Pages are sorted, so the same archive packs to the same page
lists and index (py-wacz stamps the package's creation time).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import zipfile
from datetime import UTC, date
from pathlib import Path
from typing import Any

from scrapy.exceptions import UsageError
from tqdm import tqdm

from crawler.spiders.arguments import parse_day
from crawler.tool_command import ArchiveToolCommand
from crawler.warc.index import IndexedCapture, ReplayIndex, warc_files

#: Captures listed as extra pages: what a reader may want to open besides articles.
EXTRA_PAGE_TYPES = (
    "text/html",
    "application/xhtml+xml",
    "application/rss+xml",
    "application/atom+xml",
    "text/xml",
    "application/xml",
    "application/feed+json",
)


def _day(value: str | None, name: str) -> date | None:
    try:
        return parse_day(f"--{name}", value)
    except ValueError as exc:
        raise UsageError(str(exc), print_help=False) from None


def _iso(capture: IndexedCapture) -> str:
    return capture.date.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def page_lists(
    index: ReplayIndex, since: date | None, until: date | None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], set[Path]]:
    """(article pages, extra pages, WARC files holding a capture in range)."""
    pages: list[dict[str, Any]] = []
    extra: list[dict[str, Any]] = []
    files: set[Path] = set()
    for capture in index.captures():
        day = capture.date.astimezone(UTC).date()
        if (since and day < since) or (until and day > until) or capture.status not in (200, 304):
            continue
        page: dict[str, Any] = {
            "id": capture.record_id.strip("<>").removeprefix("urn:uuid:"),
            "url": capture.url,
            "ts": _iso(capture),
        }
        item = index.archived_item(capture)
        if item is not None:
            page.update(title=item.get("title") or capture.url, text=item.get("text") or "")
            pages.append(page)
            files.add(capture.path)
        elif capture.record_type == "response" and (capture.mime or "") in EXTRA_PAGE_TYPES:
            extra.append({**page, "title": capture.url})
            files.add(capture.path)
    pages.sort(key=lambda p: (p["ts"], p["url"]))
    extra.sort(key=lambda p: (p["ts"], p["url"]))
    return pages, extra, files


def write_jsonl(path: Path, pages: list[dict[str, Any]], title: str) -> None:
    header = {"format": "json-pages-1.0", "id": path.stem, "title": title, "hasText": path.stem == "pages"}
    with open(path, "w", encoding="utf-8") as out:
        for line in [header, *pages]:
            out.write(json.dumps(line, ensure_ascii=False, sort_keys=True) + "\n")


def check_package(wacz: Path, path: Path, pages: list[dict[str, Any]]) -> list[str]:
    """What is wrong with a packed WACZ: py-wacz's validation (``wacz validate``: the required
    files, the data package's schema, paths, digests and signature), then every article listed."""
    problems = []
    validation = subprocess.run([str(wacz), "validate", "-f", str(path)], capture_output=True, text=True)
    if validation.returncode != 0:
        said = (validation.stdout + validation.stderr).strip().splitlines()
        problems.append(f"py-wacz validation failed: {said[-1] if said else f'exit status {validation.returncode}'}")
    with zipfile.ZipFile(path) as package:
        listed = package.read("pages/pages.jsonl").decode("utf-8").splitlines()[1:]
    urls = {(page["url"], page["ts"]) for page in map(json.loads, listed)}
    missing = [p for p in pages if (p["url"], p["ts"]) not in urls]
    problems += [f"article capture missing from pages.jsonl: {p['url']} {p['ts']}" for p in missing]
    return problems


class Command(ArchiveToolCommand):
    def syntax(self) -> str:
        return "[SPIDER...] [--since DATE] [--until DATE] -o FILE.wacz"

    def short_desc(self) -> str:
        return "Pack the archive's WARC files into a WACZ (for ReplayWeb.page and pywb)"

    def add_options(self, parser) -> None:
        super().add_options(parser)
        parser.add_argument("-o", "--output", required=True, help="the WACZ file to write")
        parser.add_argument("--since", help="captures on or after this day (YYYY-MM-DD)")
        parser.add_argument("--until", help="captures on or before this day (YYYY-MM-DD)")
        parser.add_argument("--title", help="the package's title (default: the spiders' names)")

    def run(self, args, opts) -> None:
        since, until = _day(opts.since, "since"), _day(opts.until, "until")
        root = Path(self.settings.get("ARCHIVE_DIR")) / "warc"
        spiders = list(args) or (sorted(p.name for p in root.iterdir() if p.is_dir()) if root.exists() else [])
        paths = [root / name for name in spiders]
        missing = [str(p) for p in paths if not p.is_dir()]
        if missing or not paths:
            raise UsageError(
                f"no WARC directory for: {', '.join(missing) or 'any spider'} (under {root})", print_help=False
            )
        wacz = self.own_environment_command("WACZ_BIN", "wacz", "py-wacz")
        warcs = [w for w in warc_files(paths) if not w.name.endswith(".open")]
        if self.settings.get("ARCHIVE_STORE"):  # files uploaded and removed here are fetched back
            from crawler.state.backend import StateUnavailable
            from crawler.storage.s3 import S3Error
            from crawler.storage.uploads import fetch_uploaded

            try:
                warcs += fetch_uploaded(self.settings, spiders, {w.name for w in warcs})
            except (S3Error, StateUnavailable) as exc:
                raise UsageError(str(exc), print_help=False) from exc
        progress = tqdm(total=3, desc="pack", unit="step", file=sys.stderr)
        progress.set_postfix_str("reading captures")
        index = ReplayIndex(warcs)
        pages, extra, files = page_lists(index, since, until)
        progress.update(1)
        if not pages:
            progress.close()
            raise UsageError("no article capture to pack (check the spiders and dates)", print_help=False)
        output = Path(opts.output)
        title = opts.title or "defense-news-archive: " + ", ".join(spiders)
        with tempfile.TemporaryDirectory() as work:
            pages_file, extra_file = Path(work) / "pages.jsonl", Path(work) / "extraPages.jsonl"
            write_jsonl(pages_file, pages, "Articles")
            write_jsonl(extra_file, extra, "Feeds, sitemaps and other pages")
            progress.set_postfix_str(f"packing {len(files)} WARC files")
            command = [str(wacz), "create", "-o", str(output), "-p", str(pages_file), "-e", str(extra_file)]
            command += ["--copy-pages", "--title", title, *sorted(str(f) for f in files)]
            created = subprocess.run(command, capture_output=True, text=True)
            progress.update(1)
            if created.returncode != 0:
                progress.close()
                print(created.stdout + created.stderr, file=sys.stderr)
                print(f"pack: py-wacz could not make {output} (exit status {created.returncode})", file=sys.stderr)
                self.exitcode = 1
                return
        progress.set_postfix_str("checking")
        problems = check_package(wacz, output, pages)
        progress.update(1)
        progress.close()
        for problem in problems:
            print(f"pack: {problem}", file=sys.stderr)
        size = output.stat().st_size
        print(
            f"pack: {output} ({size / 1e6:.1f} MB): {len(pages)} article captures, {len(extra)} other pages, "
            f"{len(files)} WARC files" + ("" if not problems else f"; {len(problems)} PROBLEMS"),
            file=sys.stderr,
        )
        self.exitcode = 1 if problems else 0
