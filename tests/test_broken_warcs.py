"""Broken archives on replay and re-extraction: clear errors naming file and offset, good records still served."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.warc.index import ReplayIndex

WARCS = Path(__file__).parent / "fixtures" / "warc"
GOOD = ["example.warc.gz", "example-iana.org-chunked.warc"]
#: Readable, but holding no response to replay (a resource record, a gzip extra field).
NO_RESPONSES = ["example-space-in-target-uri.warc.gz", "gzip_extra_sl.warc.gz"]
#: Damaged after its last whole record (warcio warns of bytes that follow it): the record is served.
TRAILING_DAMAGE = ["example-trunc.warc"]
BROKEN = [
    "example-bad.warc.gz.bad",
    "clipped.warc.gz",
    "example-wrong-chunks.warc.gz",
    "example-bad-non-chunked.warc.gz",
]


def served(index: ReplayIndex) -> tuple[int, list[str]]:
    ok, failures = 0, []
    for capture in index.captures():
        try:
            archived = index.load(capture)
        except Exception as exc:  # noqa: BLE001 - collected and asserted on
            failures.append(f"{capture.path.name}@{capture.offset}: {exc}")
            continue
        assert isinstance(archived.body, bytes)
        ok += 1
    return ok, failures


@pytest.mark.parametrize("name", GOOD + NO_RESPONSES + TRAILING_DAMAGE)
def test_readable_archives_serve_every_response(name):
    index = ReplayIndex(WARCS / name)
    ok, failures = served(index)
    assert index.errors == [] and failures == [], (index.errors, failures)
    assert ok >= 1 if name not in NO_RESPONSES else ok == 0


@pytest.mark.parametrize("name", BROKEN)
def test_broken_archives_name_file_and_offset_and_keep_what_is_good(name):
    index = ReplayIndex(WARCS / name)
    ok, failures = served(index)
    problems = index.errors + failures
    assert problems, f"{name} should have been reported as broken"
    assert all(name in problem for problem in problems)
    assert all("offset" in problem or "@" in problem for problem in problems)


def test_a_directory_with_broken_files_still_replays_the_good_ones(tmp_path):
    for name in GOOD + BROKEN:
        (tmp_path / name).write_bytes((WARCS / name).read_bytes())
    index = ReplayIndex(tmp_path)
    ok, _ = served(index)
    assert ok >= 3 and index.errors  # every good file indexed and served despite the broken ones


def test_a_broken_record_in_a_gzip_warc_does_not_end_the_file(tmp_path):
    """One record's gzip member garbled in the middle of the sample: reading resumes at the next
    member, so every capture after it is still indexed and served, and the gap is reported."""
    from warcio.archiveiterator import ArchiveIterator

    sample = Path(__file__).parents[1] / "samples" / "moscowtimes-sample.warc.gz"
    data = bytearray(sample.read_bytes())
    members = []
    with open(sample, "rb") as stream:
        iterator = ArchiveIterator(stream)
        for record in iterator:
            members.append((record.rec_type, iterator.get_record_offset()))
    whole = ReplayIndex(sample)
    responses = [offset for kind, offset in members if kind == "response"]
    victim = responses[len(responses) // 2]
    data[victim + 20 : victim + 60] = b"\x00" * 40  # inside the member's deflate stream
    broken = tmp_path / "broken.warc.gz"
    broken.write_bytes(bytes(data))
    index = ReplayIndex(broken)
    assert any("reading resumed at offset" in e for e in index.errors), index.errors
    kept = {c.offset for c in index.captures()}
    expected = {c.offset for c in whole.captures()} - {victim}
    assert expected <= kept  # every other capture, those after the broken one included
    assert max(kept) > victim
    ok, failures = served(index)
    assert ok >= len(expected) - 1 and all("broken.warc.gz" in f for f in failures)
