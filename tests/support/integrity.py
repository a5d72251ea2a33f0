"""The invariants an archive keeps whatever happened to the crawl that wrote it.

Every WARC file closed and valid under ``warcio check``, no ``.open`` file and no half-written
text file left, and everything the archive holds about an article (conversion records, text
files, state captures and revisions) pointing at a response record that is in the WARC files.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from crawler.output.text_files import PARTIAL_PREFIX
from crawler.state.database import ArchiveState
from tests.support.warcs import records, warcio_check


def check(archive: Path, spider: str = "moscowtimes", state: bool = True) -> list[str]:
    """What is wrong with an archive after a crash and the run that followed it (empty: nothing).
    ``state=False``: its own SQLite state is not read (a cluster's state is shared: see
    ``state_refers_to``)."""
    problems = []
    warc_dir = archive / "warc" / spider
    if list(warc_dir.glob("*.open")):
        problems.append(f"left open: {[p.name for p in warc_dir.glob('*.open')]}")
    responses, conversions = set(), []
    for path in sorted(warc_dir.glob("*.warc.gz")):
        result = warcio_check(path)
        if result.returncode != 0:
            problems.append(f"{path.name} fails warcio check: {result.stdout[-300:]}")
        for kind, headers, _, _ in records(path):
            if kind in ("response", "revisit"):
                responses.add(headers.get_header("WARC-Record-ID"))
            elif kind == "conversion":
                conversions.append(headers.get_header("WARC-Refers-To"))
    problems += [f"conversion record refers to a missing response {r}" for r in conversions if r not in responses]
    for text in (archive / "text").rglob("*"):
        if text.name.startswith(PARTIAL_PREFIX):
            problems.append(f"half-written text file left: {text}")
        elif text.suffix == ".md":
            front = yaml.safe_load(text.read_text(encoding="utf-8").split("---\n", 2)[1])
            if front["warc"]["record_id"] not in responses:
                problems.append(f"{text.name} points at a missing record")
    if not state:
        return problems
    problems += state_refers_to(ArchiveState(archive), responses)
    return problems


def response_ids(archive: Path, spider: str = "moscowtimes") -> set[str]:
    return {
        headers.get_header("WARC-Record-ID")
        for path in sorted((archive / "warc" / spider).glob("*.warc.gz"))
        for kind, headers, _, _ in records(path)
        if kind in ("response", "revisit")
    }


def state_refers_to(state: ArchiveState, responses: set[str]) -> list[str]:
    """Every capture and revision the state holds points at one of ``responses`` (closes it)."""
    problems = []
    try:
        for table in ("captures", "revisions"):
            for (record_id,) in state.db.execute(f"SELECT record_id FROM {table}"):
                if record_id not in responses:
                    problems.append(f"state {table} row points at a missing record {record_id}")
    finally:
        state.close()
    return problems
