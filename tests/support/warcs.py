"""Reading back what a crawl archived, with the ecosystem's own tools."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator


def records(path: Path) -> list:
    """Every record of a WARC file as (headers, http headers, payload bytes)."""
    out = []
    with open(path, "rb") as stream:
        for record in ArchiveIterator(stream):
            out.append((record.rec_type, record.rec_headers, record.http_headers, record.raw_stream.read()))
    return out


def warc_files(archive: Path, spider: str) -> list[Path]:
    return sorted((archive / "warc" / spider).glob("*.warc.gz"))


BIN = Path(sys.executable).parent


def warcio_check(path: Path) -> subprocess.CompletedProcess:
    """``warcio check``: every record's digests verified; exit 0 when all pass."""
    return subprocess.run([BIN / "warcio", "check", "-v", str(path)], capture_output=True, text=True)


def cdxj_index(path: Path) -> list[str]:
    proc = subprocess.run([BIN / "cdxj-indexer", str(path)], capture_output=True, text=True, check=True)
    return [line for line in proc.stdout.splitlines() if line.strip()]


HTML = [("Content-Type", "text/html; charset=UTF-8")]


def write_response(
    writer, url: str, body: bytes, when: str, http_headers: list | None = None, warc_headers: dict | None = None
):
    """Write one ``response`` record of ``body`` for ``url``, captured at ``when``, as another
    crawler would (HTTP headers ``http_headers``, an HTML page's by default; WARC headers besides
    its date ``warc_headers``); returns the record."""
    from io import BytesIO

    from warcio.statusandheaders import StatusAndHeaders

    http = StatusAndHeaders("200 OK", http_headers if http_headers is not None else HTML, protocol="HTTP/1.1")
    record = writer.create_warc_record(
        url,
        "response",
        payload=BytesIO(body),
        length=len(body),
        http_headers=http,
        warc_headers_dict={"WARC-Date": when, **(warc_headers or {})},
    )
    writer.write_record(record)
    return record
