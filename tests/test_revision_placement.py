"""Placing a revision older than those archived (another archive's capture brought in later): the
parts one by one. The text files move once, however often a stopped run asks them to; when the files
cannot follow, the state does not move; a reader takes the newest renumbering of an item, whichever
file it is in. The whole path runs in tests/test_backfill.py and tests/test_import.py."""

from __future__ import annotations

import json
from io import BytesIO
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler
from warcio.warcwriter import WARCWriter

from crawler.items import ArticleItem
from crawler.output.pipeline import TextFilePipeline
from crawler.refs import ITEM_RECORD_PREFIX, REVISION_RECORD_PREFIX, WARC_META_KEY, WarcRef
from crawler.state.database import ArchiveState, StoredCapture, next_revision, place_revision, revisions_moved
from crawler.state.middleware import ArticleStateMiddleware
from crawler.warc.index import ReplayIndex
from spiders.moscowtimes import MoscowTimesSpider

URL = "https://www.themoscowtimes.com/2024/12/05/russia-us-army-chiefs-hold-rare-call-amid-ukraine-escalation-a87242"
SPIDER = "moscowtimes"


def crawler_for(archive: Path):
    crawler = get_crawler(MoscowTimesSpider, {"ARCHIVE_DIR": str(archive), "TEXT_FILES_ENABLED": True})
    crawler.spider = MoscowTimesSpider.from_crawler(crawler)
    return crawler


def item(text: str, when: str, revision: int, diff: str | None = None, record: str = "") -> ArticleItem:
    ref = WarcRef("mt.warc.gz", record or f"<urn:uuid:{when}>", None, 0, when, URL)
    return ArticleItem(
        url=URL,
        title="Russia, US Army Chiefs Hold Rare Call",
        text=text,
        outlet="The Moscow Times",
        revision=revision,
        diff=diff,
        warc=ref.as_dict(),
        fetched_at=when,
    )


def test_the_text_files_move_once_however_often_a_stopped_run_asks(tmp_path):
    crawler = crawler_for(tmp_path)
    pipeline = TextFilePipeline.from_crawler(crawler)
    one = next_revision(None, URL, SPIDER, "2024-12-20T09:30:00Z", "<a>", "Text A.\n")
    two = next_revision(one, URL, SPIDER, "2025-01-10T00:00:00Z", "<b>", "Text B.\n")
    for revision in (one, two):
        pipeline.process_item(item(revision.text, revision.fetched_at, revision.revision, revision.diff))
    placement = place_revision([one, two], URL, SPIDER, "2024-12-05T12:00:00Z", "<x>", "Text X.\n")
    assert placement is not None and [r.revision for r in placement.moved] == [2, 3]
    # The run that moved them stopped before the state did: the next asks for the same moves.
    pipeline.revisions_moved(placement)
    pipeline.revisions_moved(placement)
    pipeline.process_item(item("Text X.\n", "2024-12-05T12:00:00Z", 1))
    (first,) = tmp_path.rglob("*a87242.md")
    files = {n: first.with_name(first.stem + f".r{n}.md") if n > 1 else first for n in (1, 2, 3)}
    assert [f.read_text().count(t) for f, t in zip(files.values(), ("Text X.", "Text A.", "Text B."), strict=True)] == [
        1,
        1,
        1,
    ]
    assert "revision: 2\n" in files[2].read_text() and "revision: 3\n" in files[3].read_text()
    # Each moved revision's diff anew: against the one now before it, under the new numbers.
    two_diff, three_diff = (files[n].with_suffix(".diff").read_text() for n in (2, 3))
    assert "(revision 1, 2024-12-05T12:00:00Z)" in two_diff and "+Text A." in two_diff
    assert "(revision 2, 2024-12-20T09:30:00Z)" in three_diff and "(revision 3, 2025-01-10" in three_diff


def test_when_the_files_cannot_follow_the_state_does_not_move(tmp_path):
    crawler = crawler_for(tmp_path)
    state = ArchiveState(tmp_path)
    one = next_revision(None, URL, SPIDER, "2024-12-20T09:30:00Z", "<a>", "Text A.\n")
    assert state.store_revision(one)
    state.record_capture(
        StoredCapture(URL, SPIDER, "2024-12-05T12:00:00Z", 200, "response", "x.warc.gz", 0, "<x>", None, None, None)
    )
    state.close()

    def refuse(placement):
        raise OSError(28, "No space left on device")

    crawler.signals.connect(refuse, signal=revisions_moved)
    middleware = ArticleStateMiddleware.for_extraction(crawler)
    ref = WarcRef("x.warc.gz", "<x>", None, 0, "2024-12-05T12:00:00Z", URL)
    response = HtmlResponse(URL, body=b"<html></html>", request=Request(URL, meta={WARC_META_KEY: ref}))
    older = ArticleItem(url=URL, text="Text X.\n", warc=ref, fetched_at="2024-12-05T12:00:00Z")
    assert middleware.number(response, older) is None
    assert [(r.revision, r.record_id) for r in middleware.db.spider_revisions(URL, SPIDER)] == [(1, "<a>")]
    assert middleware.db.processed_captures(URL, SPIDER) == []  # asked again by the next run
    assert crawler.stats.get_value("backfill/not_placed") == 1
    middleware.spider_closed(crawler.spider)


def _warc(path: Path, *records) -> None:
    with open(path, "wb") as out:
        writer = WARCWriter(out, gzip=True)
        for build in records:
            writer.write_record(build(writer))


def test_a_reader_takes_the_newest_renumbering_whichever_file_holds_it(tmp_path):
    """An import's file sorts after every crawl file of the spider ('i' > '2'): its older
    renumbering must not win over a later backfill's."""
    capture = "<urn:uuid:00000000-0000-4000-8000-000000000001>"
    body = b"<html><body><p>Text.</p></body></html>"

    def response(writer):
        from warcio.statusandheaders import StatusAndHeaders

        http = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
        return writer.create_warc_record(
            URL,
            "response",
            payload=BytesIO(body),
            length=len(body),
            http_headers=http,
            warc_headers_dict={"WARC-Date": "2024-12-20T09:30:00Z", "WARC-Record-ID": capture},
        )

    def record(kind: str, target: str, value: dict, when: str):
        def build(writer):
            data = json.dumps(value).encode()
            return writer.create_warc_record(
                target,
                kind,
                payload=BytesIO(data),
                length=len(data),
                warc_content_type="application/json",
                warc_headers_dict={"WARC-Date": when, "WARC-Refers-To": capture},
            )

        return build

    item_record = record(
        "conversion", ITEM_RECORD_PREFIX + URL, {"url": URL, "revision": 1, "text": "Text."}, "2026-12-01T00:00:00Z"
    )
    _warc(tmp_path / "moscowtimes-20261201000000-00000.warc.gz", response, item_record)
    newer = record("metadata", REVISION_RECORD_PREFIX + URL, {"revision": 3, "diff": "three"}, "2026-12-03T00:00:00Z")
    older = record("metadata", REVISION_RECORD_PREFIX + URL, {"revision": 2, "diff": "two"}, "2026-12-02T00:00:00Z")
    _warc(tmp_path / "moscowtimes-20261203000000-00000.warc.gz", newer)
    _warc(tmp_path / "moscowtimes-import-items-20261202000000-00000.warc.gz", older)
    index = ReplayIndex([tmp_path])
    (found,) = index.by_url[URL]
    archived = index.archived_item(found)
    assert archived is not None and (archived["revision"], archived["diff"]) == (3, "three")
    part = index.subset([found])
    assert part.archived_item(found)["revision"] == 3


@pytest.mark.parametrize(
    ("record", "text"),
    [
        ("<r>", "Text A.\n"),  # R's own capture, processed again
        ("<other>", "Text A.\n"),  # another capture of R's text at R's moment
        ("<x>", "Text X.\n"),  # X's own capture
    ],
)
def test_a_capture_of_a_revisions_text_at_its_moment_is_no_revision_of_its_own(record, text):
    """X was placed before R, both captured in the same second; a capture of either again is
    neither placed a second time nor made a revision of its own."""
    when = "2024-12-20T09:30:00Z"
    x = next_revision(None, URL, SPIDER, when, "<x>", "Text X.\n")
    r = next_revision(x, URL, SPIDER, when, "<r>", "Text A.\n")
    s = next_revision(r, URL, SPIDER, "2025-01-10T00:00:00Z", "<s>", "Text B.\n")
    assert place_revision([x, r, s], URL, SPIDER, when, record, text) is None
    placed = place_revision([x, r, s], URL, SPIDER, when, "<new>", "Text N.\n")  # a new text then: placed
    assert placed is not None
