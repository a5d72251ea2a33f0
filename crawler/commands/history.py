"""``scrapy history URL [URL ...]``: every capture of an article, the text file of each revision,
and the diffs between its text revisions; of each URL given, one after the other (the archive's
state, or its WARC files, read once for all).

A revision's text file is looked for under every name it may have (``text_name_candidates``:
the names of now, with and without the host, and the one archives written before them used),
and counts as found only if its front matter names this URL; a revision whose file is gone, or
was replaced by another URL's (as the old names let happen), says so.

``--warc PATH`` reads the captures from WARC files instead of the state (a replay, the README's
demo, or an archive from elsewhere keeps no state): each capture with the revision and diff of
the item the crawl wrote beside it."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from scrapy.exceptions import UsageError
from w3lib.url import canonicalize_url

from crawler.output.naming import revision_path, text_name_candidates
from crawler.output.text_files import front_matter_url
from crawler.state.backend import StateUnavailable
from crawler.state.database import ArchiveState, Revision
from crawler.tool_command import ArchiveToolCommand
from crawler.warc.index import IndexedCapture, ReplayIndex


class Command(ArchiveToolCommand):
    def syntax(self) -> str:
        return "[--warc PATH] URL [URL ...]"

    def short_desc(self) -> str:
        return "List the captures of an article and show the diffs between its revisions"

    def add_options(self, parser) -> None:
        super().add_options(parser)
        parser.add_argument("--no-diff", action="store_true", help="list captures and revisions only")
        parser.add_argument("--warc", help="read the captures from these WARC files (a file or directory)")

    def run(self, args, opts) -> None:
        if not args:
            raise UsageError("history takes one URL or more")
        if opts.warc:
            self.exitcode = self.from_warcs(args, opts.warc, opts.no_diff)
            return
        path = Path(self.settings.get("ARCHIVE_DIR")) / ArchiveState.FILENAME
        state_url = self.settings.get("STATE_URL", "")
        if not state_url and not path.exists():
            print(
                f"history: no archive state at {path} (a replay, like the README's demo, keeps none);"
                " read the captures from WARC files instead: scrapy history --warc <file or directory> URL [URL ...]",
                file=sys.stderr,
            )
            self.exitcode = 1
            return
        try:
            state = ArchiveState(path.parent, state_url)
        except (StateUnavailable, ValueError) as exc:
            print(f"history: {exc}", file=sys.stderr)
            self.exitcode = 1
            return
        try:
            read = {url: (state.captures(url), state.revisions(url)) for url in args}
        finally:
            state.close()
        self.exitcode = each_url(
            args,
            lambda url: read[url] if read[url][0] else None,  # never captured: None
            lambda url, found: self.show(url, found[0], found[1], opts.no_diff),
            lambda url: f"{url} was never captured (archive {state.path})",
        )

    def show(self, url: str, captures, revisions: list[Revision], no_diff: bool) -> None:
        """One URL's captures, its revisions' text files and (unless ``no_diff``) their diffs."""
        by_record = {r.record_id: r.revision for r in revisions}
        print(f"{url}\n\n{len(captures)} captures, {len(revisions)} text revisions\n")
        print(f"{'fetched (UTC)':<29}{'status':>7}  {'record':<9}{'revision':>9}  WARC file @ offset")
        for c in captures:
            revision = by_record.get(c.record_id, "")
            print(
                f"{c.fetched_at:<29}{c.status or '':>7}  {c.record_type:<9}{revision!s:>9}  {c.warc_file} @ {c.warc_offset}"
            )
        if revisions:
            print()
        for r in revisions:
            print(f"text of revision {r.revision}: {self.text_file(url, r)}")
        if no_diff:
            return
        for later in revisions[1:]:
            print(f"\n--- revision {later.revision} ({later.fetched_at}) ---")
            print(later.diff or "(no diff stored)", end="")

    @classmethod
    def from_warcs(cls, urls: list[str], source: str, no_diff: bool) -> int:
        """The captures of each of ``urls`` as WARC files hold them, with their items' revisions and diffs."""
        try:
            index = ReplayIndex(source)
        except FileNotFoundError as exc:
            print(f"history: {exc}", file=sys.stderr)
            return 1
        return each_url(
            urls,
            lambda url: index.by_url.get(url) or index.by_canonical.get(canonicalize_url(url)),
            lambda url, captures: cls.show_archived(index, url, captures, source, no_diff),
            lambda url: f"{url} is not in {index.summary()}",
        )

    @staticmethod
    def show_archived(index: ReplayIndex, url: str, captures: list[IndexedCapture], source: str, no_diff: bool) -> None:
        """One URL's captures as the WARC files hold them, with their items' revisions and diffs."""
        items = [(capture, index.archived_item(capture)) for capture in captures]
        print(f"{url}\n\n{len(captures)} captures in {source}\n")
        print(f"{'fetched (UTC)':<29}{'status':>7}  {'record':<9}{'revision':>9}  WARC file @ offset")
        for capture, item in items:
            revision = (item or {}).get("revision") or ""
            line = f"{capture.warc_date:<29}{capture.status or '':>7}  {capture.record_type:<9}{revision!s:>9}"
            print(f"{line}  {capture.path.name} @ {capture.offset}")
        if not no_diff:
            for _, item in items:
                if item and item.get("diff"):
                    print(f"\n--- revision {item.get('revision')} ({item.get('fetched_at')}) ---")
                    print(item["diff"], end="")

    def text_file(self, url: str, revision: Revision) -> str:
        root = Path(self.settings.get("ARCHIVE_DIR")) / "text" / revision.spider
        others = []
        for name in text_name_candidates(url):
            path = revision_path(root / name, revision.revision)
            owner = front_matter_url(path)
            if owner == url:
                return str(path)
            if owner is not None:
                others.append(f"{path} holds {owner or 'a file without front matter'}")
        return "missing" + (f" ({'; '.join(others)})" if others else "")


def each_url(
    urls: list[str],
    find: Callable[[str], Any],
    show: Callable[[str, Any], None],
    missing: Callable[[str], str],
) -> int:
    """Show every URL ``find`` finds something of (a blank line between two), in order; name each
    other one on standard error (as it comes: both streams flushed). 1 if any was missing, else 0."""
    status = shown = 0
    for url in urls:
        found = find(url)
        if not found:
            print(f"history: {missing(url)}", file=sys.stderr, flush=True)
            status = 1
            continue
        if shown:
            print("\n")
        show(url, found)
        shown += 1
        sys.stdout.flush()
    return status
