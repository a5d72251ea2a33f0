"""Where a bulk re-extraction writes its items: one file per WARC file in an output folder.

``scrapy extract PATH... -o FOLDER/`` (and every Spark task) writes the items of each WARC file
to ``FOLDER/<name>.jsonl`` (or ``.parquet``), where ``<name>`` is the WARC file's name and a
hash of its path (two crawls' files of one name stay apart). The file is written as
``<name>.<format>.part`` and renamed when the WARC file is done, and its counts are written to
``FOLDER/_done/<name>.json``: a run that dies leaves only whole files and ``.part`` files, and
the next run over the same folder skips the WARC files that are done and redoes the others.

Parquet (pyarrow) has one column per item field: text, numbers and flags as themselves, the
fields that are lists or records (authors, tags, image, warc) as JSON text, so the schema is the
same for every file and every outlet.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import sys
import time
import typing
from pathlib import Path
from typing import Any, BinaryIO

from itemadapter import ItemAdapter
from scrapy.exporters import JsonLinesItemExporter

from crawler.items import ArticleItem

FORMATS = ("jsonl", "parquet")
DONE = "_done"
#: Rows a Parquet file's writer holds before it writes them as one row group.
PARQUET_BATCH = 2000


def part_name(source: Path | str) -> str:
    """The output name of a WARC file (or of the saved pages): its name and a hash of its path
    (of its URL, for a file in object storage: the same on every machine)."""
    if isinstance(source, str):
        digest = hashlib.sha1(source.encode("utf-8")).hexdigest()[:8]
        name = source.rsplit("/", 1)[-1]
    else:
        # A file's name once closed (a WARC still .open is the same file after its rename).
        digest = hashlib.sha1(str(source.resolve()).removesuffix(".open").encode("utf-8")).hexdigest()[:8]
        name = source.name
    for suffix in (".open", ".gz", ".warc"):
        name = name.removesuffix(suffix)
    return f"{name}-{digest}"


class JsonLinesSink:
    """Items as JSON lines (Scrapy's exporter, as a crawl's feed writes them), to ``path`` or,
    when None, to standard output."""

    def __init__(self, path: Path | None) -> None:
        self.stream: BinaryIO = open(path, "wb") if path is not None else sys.stdout.buffer
        self.own = path is not None
        # Scrapy annotates the file as BytesIO; any binary file works.
        self.exporter = JsonLinesItemExporter(self.stream, ensure_ascii=False)  # type: ignore[arg-type]
        self.exporter.start_exporting()

    def write(self, item: Any) -> None:
        self.exporter.export_item(item)

    def close(self) -> None:
        self.exporter.finish_exporting()
        self.stream.flush()
        if self.own:
            os.fsync(self.stream.fileno())
            self.stream.close()


def _arrow_type(hint: Any):
    import pyarrow as pa

    kinds = set(typing.get_args(hint)) - {type(None)} or {hint}
    return {frozenset({bool}): pa.bool_(), frozenset({int}): pa.int64(), frozenset({float}): pa.float64()}.get(
        frozenset(kinds), pa.string()
    )


def parquet_schema():
    """One column per ``ArticleItem`` field, typed from its annotation (lists and records: JSON text)."""
    import pyarrow as pa

    hints = typing.get_type_hints(ArticleItem)
    return pa.schema([(f.name, _arrow_type(hints[f.name])) for f in dataclasses.fields(ArticleItem)])


def parquet_row(item: Any, schema) -> dict[str, Any]:
    import pyarrow as pa

    values = ItemAdapter(item).asdict()
    row = {}
    for column in schema:
        value = values.get(column.name)
        if column.type == pa.string() and value is not None and not isinstance(value, str):
            value = json.dumps(value, ensure_ascii=False, sort_keys=True)
        row[column.name] = value
    return row


class ParquetSink:
    def __init__(self, path: Path) -> None:
        import pyarrow.parquet as pq

        self.schema = parquet_schema()
        self.writer = pq.ParquetWriter(str(path), self.schema, compression="zstd")
        self.rows: list[dict[str, Any]] = []

    def write(self, item: Any) -> None:
        self.rows.append(parquet_row(item, self.schema))
        if len(self.rows) >= PARQUET_BATCH:
            self._flush()

    def _flush(self) -> None:
        import pyarrow as pa

        if self.rows:
            self.writer.write_table(pa.Table.from_pylist(self.rows, schema=self.schema))
            self.rows = []

    def close(self) -> None:
        self._flush()
        self.writer.close()


Sink = JsonLinesSink | ParquetSink


class OutputFolder:
    """The output folder of a bulk re-extraction (local), resumable WARC file by WARC file."""

    def __init__(
        self,
        root: str | Path,
        fmt: str = "jsonl",
        aliases: dict[Path, str] | None = None,
        selection: dict[str, Any] | None = None,
    ) -> None:
        """``aliases``: local copies of files in object storage, by the URL they are named after.
        ``selection``: what was asked of each file (``--spider``): a file done for another
        selection is done again."""
        if fmt not in FORMATS:
            raise ValueError(f"unknown output format {fmt!r} (one of {', '.join(FORMATS)})")
        self.root = Path(root)
        self.format = fmt
        self.aliases = aliases or {}
        self.selection = selection or {}
        (self.root / DONE).mkdir(parents=True, exist_ok=True)

    def _name(self, source: Path | str) -> str:
        return part_name(self.aliases.get(source, source) if isinstance(source, Path) else source)

    def _done_path(self, source: Path | str, part: str = "") -> Path:
        return self.root / DONE / f"{self._name(source)}{part}.json"

    def output_path(self, source: Path | str, part: str = "") -> Path:
        """Where the items of ``source`` go (``part``: of one range of its records, e.g. ``-r0002``)."""
        return self.root / f"{self._name(source)}{part}.{self.format}"

    def done(self, source: Path | str, part: str = "", size: int | None = None) -> dict[str, Any] | None:
        """What a finished run recorded for ``source`` (a local file, or the URL of one in object
        storage with its ``size``), or None if it is still to do, or changed since (another size,
        or for a local file another modification time)."""
        try:
            record = json.loads(self._done_path(source, part).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if record.get("selection", {}) != self.selection:
            return None
        if isinstance(source, str) or source in self.aliases:
            size = size if size is not None else (source.stat().st_size if isinstance(source, Path) else None)
            if size is not None and record.get("size") != size:
                return None
        elif source.exists():
            stat = source.stat()
            if (record.get("size"), record.get("mtime")) != (stat.st_size, stat.st_mtime_ns):
                return None
        if not self.output_path(source, part).exists():
            return None
        return dict(record)

    def open(self, source: Path, part: str = "") -> Sink:
        final = self.output_path(source, part)
        partial = final.with_name(final.name + ".part")
        return ParquetSink(partial) if self.format == "parquet" else JsonLinesSink(partial)

    def finish(self, source: Path, sink: Sink, counts: dict[str, Any], part: str = "") -> None:
        """The file is whole: the part renamed, then the WARC file marked done with its counts."""
        sink.close()
        final = self.output_path(source, part)
        final.with_name(final.name + ".part").replace(final)
        stat = source.stat() if source.exists() else None
        record = {
            "source": self.aliases.get(source, str(source)),
            "size": stat.st_size if stat else None,
            "mtime": stat.st_mtime_ns if stat else None,
            "output": final.name,
            "selection": self.selection,
            "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            **counts,
        }
        done = self._done_path(source, part)
        partial = done.with_name(done.name + ".part")
        partial.write_text(json.dumps(record, ensure_ascii=False, indent=1), encoding="utf-8")
        partial.replace(done)
        if not part:  # the whole file supersedes the ranges of it an earlier run (on Spark) did
            name = self._name(source)
            for old in [*self.root.glob(f"{name}-r[0-9]*.*"), *(self.root / DONE).glob(f"{name}-r[0-9]*.json")]:
                old.unlink(missing_ok=True)
