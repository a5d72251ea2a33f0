"""``scrapy pywb [PATH...] [--port N]``: the archive opened in pywb, on 127.0.0.1.

Makes (or refreshes) a pywb collection under ``ARCHIVE_DIR/pywb/collections/<name>/`` whose
``archive/`` links to the WARC files (never copied, never rewritten; ``.open`` files left out),
indexes them with cdxj-indexer (which leaves ``conversion`` records out, so WARCs written before
items moved to ``urn:item:`` replay right too), and runs pywb's ``wayback`` from its own
environment (``PYWB_BIN``, made by ``bin/setup``). Then

- ``http://127.0.0.1:PORT/<name>/<url>`` shows the newest capture in pywb's frame,
- ``.../<name>/<YYYYMMDDhhmmss>/<url>`` the capture closest to that time,
- ``.../<name>/id_/<url>`` (or ``<timestamp>id_``) the archived bytes as they were sent.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from scrapy.exceptions import UsageError

from crawler.tool_command import ArchiveToolCommand
from crawler.warc.index import warc_files

#: pywb's default indexer is ``wb-manager add``; this one leaves derived records out.
INDEXER = Path(sys.executable).parent / "cdxj-indexer"


def make_collection(root: Path, name: str, warcs: list[Path]) -> Path:
    """``root/collections/<name>`` with ``archive/`` linking to ``warcs`` and a fresh CDXJ index."""
    collection = root / "collections" / name
    archive = collection / "archive"
    indexes = collection / "indexes"
    archive.mkdir(parents=True, exist_ok=True)
    indexes.mkdir(parents=True, exist_ok=True)
    linked = []
    for warc in warcs:
        if warc.name.endswith(".open"):
            continue  # being written (or left by a crash): recovered and renamed first
        link = archive / warc.name
        if link.is_symlink() or link.exists():
            if link.resolve() != warc.resolve():
                raise UsageError(f"two WARC files named {warc.name}: {link.resolve()} and {warc}", print_help=False)
        else:
            link.symlink_to(warc.resolve())
        linked.append(link.name)
    if not linked:
        raise UsageError("no closed WARC file to open in pywb", print_help=False)
    index = indexes / "index.cdxj"
    partial = index.with_suffix(".cdxj.part")
    with open(partial, "wb") as out:
        subprocess.run([str(INDEXER), "--sort", *sorted(linked)], cwd=archive, stdout=out, check=True)
    partial.replace(index)
    (root / "config.yaml").write_text("# made by scrapy pywb\ncollections_root: collections\n", encoding="utf-8")
    return collection


class Command(ArchiveToolCommand):
    def syntax(self) -> str:
        return "[PATH...] [--collection NAME] [--port N] [--bind ADDRESS] [--index-only]"

    def short_desc(self) -> str:
        return "Open the archive's WARC files in pywb (on 127.0.0.1 unless told otherwise)"

    def add_options(self, parser) -> None:
        super().add_options(parser)
        parser.add_argument("--collection", default="archive", help="pywb collection name (default: archive)")
        parser.add_argument("--port", type=int, default=8080)
        parser.add_argument("--bind", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
        parser.add_argument("--index-only", action="store_true", help="make the collection, do not start pywb")

    def run(self, args, opts) -> None:
        archive_dir = Path(self.settings.get("ARCHIVE_DIR"))
        try:
            warcs = warc_files(args or [archive_dir / "warc"])
        except FileNotFoundError as exc:
            raise UsageError(str(exc), print_help=False) from None
        root = archive_dir / "pywb"
        collection = make_collection(root, opts.collection, warcs)
        print(f"pywb: collection {collection} ({len(warcs)} WARC files indexed)", file=sys.stderr)
        if opts.index_only:
            return
        wayback = self.own_environment_command("PYWB_BIN", "wayback", "pywb")
        print(f"pywb: http://{opts.bind}:{opts.port}/{opts.collection}/<url>", file=sys.stderr)
        os.chdir(root)
        os.execv(str(wayback), [str(wayback), "-b", opts.bind, "-p", str(opts.port)])
