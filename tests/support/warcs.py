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
