"""History from other archives: ``scrapy crawl moscowtimes -a source=wayback`` against a real
pywb on loopback (its CDX server API and ``id_`` captures, the same API as the Wayback Machine)
holding Moscow Times captures made in 2021 and 2024 (tests/support/other_archive.py).

The article captures come back as the other archive's, at its dates and with its address; an
edited article's two captures are its revisions 1 and 2 in the order they were made; a replay
page in place of a raw capture and the home page are not archived; a second run fetches nothing
again; the result re-extracts and is searchable like a crawl of ours."""

from __future__ import annotations

import json
import sqlite3
import urllib.request
from pathlib import Path

import pytest

from tests.support.other_archive import (
    A75651,
    A87242,
    BANNERED,
    NEW_SENTENCE,
    OLD_SENTENCE,
    SITE,
    STATIC,
    other_archive,
)
from tests.support.pywb_server import PYWB_BIN, Wayback, wb_manager
from tests.support.run import scrapy
from tests.support.warcs import records, warc_files, warcio_check, write_response

pytestmark = pytest.mark.slow  # runs pywb and crawls


def backfill(base: str, archive: Path, items: Path, *extra: str):
    return scrapy(
        "crawl",
        "moscowtimes",
        "-a",
        "source=wayback",
        "-a",
        f"cdx={base}/cdx",
        "-a",
        f"captures={base}/",
        "-s",
        "WAYBACK_REQUESTS_PER_MINUTE=3000",
        *extra,
        archive=archive,
        items=items,
    )


@pytest.fixture(scope="module")
def backfilled(tmp_path_factory):
    if not (PYWB_BIN / "wayback").exists():
        pytest.skip("pywb is not installed (bin/setup makes .venv-pywb)")
    root = tmp_path_factory.mktemp("backfill")
    archive = root / "archive"
    with other_archive(root / "pywb") as base:
        first = backfill(base, archive, root / "first.jsonl")
        again = backfill(base, archive, root / "again.jsonl")
        yield base, archive, first, again


def responses(archive: Path) -> list[tuple]:
    return [
        (h, http, body)
        for p in warc_files(archive, "moscowtimes")
        for kind, h, http, body in records(p)
        if kind == "response"
    ]


def test_the_articles_come_back_as_the_other_archives_captures_at_their_dates(backfilled):
    base, archive, first, _ = backfilled
    assert first.returncode == 0, first.log[-3000:]
    pages = {
        (h.get_header("WARC-Target-URI"), h.get_header("WARC-Date")): h
        for h, _, _ in responses(archive)
        if h.get_header("WARC-Target-URI").startswith(SITE)
    }
    assert set(pages) == {
        (A75651, "2021-11-25T08:00:00Z"),
        (A87242, "2024-12-05T12:00:00Z"),
        (A87242, "2024-12-20T09:30:00Z"),
    }
    for (url, when), headers in pages.items():
        stamp = when.replace("-", "").replace(":", "").replace("T", "")[:14]
        assert headers.get_header("WARC-Source-URI") == f"{base}/{stamp}id_/{url}"  # where it came from
        assert headers.get_header("WARC-Creation-Date") > "2026"  # when we took it, not when it was made
    for path in warc_files(archive, "moscowtimes"):
        assert warcio_check(path).returncode == 0
    # The home page is no article; the banner page is no capture: neither archived.
    assert not any(url in (f"{SITE}/", BANNERED) for url, _ in pages)
    assert "is a replay page (the archive's banner), not the raw capture" in first.log
    items = {(i["url"], i["fetched_at"]): i for i in first.items}
    assert set(items) == set(pages)


def test_an_edited_articles_captures_are_its_revisions_in_the_order_they_were_made(backfilled):
    _, archive, first, _ = backfilled
    by_date = sorted((i["fetched_at"], i) for i in first.items if i["url"] == A87242)
    (old_date, old), (new_date, new) = by_date
    assert (old["revision"], new["revision"]) == (1, 2)
    assert OLD_SENTENCE in old["text"] and NEW_SENTENCE in new["text"]
    assert f"+{NEW_SENTENCE}" in new["diff"]
    history = scrapy("history", A87242, archive=archive)
    assert history.returncode == 0, history.log
    assert "2 captures, 2 text revisions" in history.log
    assert history.log.index("2024-12-05T12:00:00") < history.log.index("2024-12-20T09:30:00")


def test_a_second_run_fetches_no_capture_again(backfilled):
    _, archive, first, again = backfilled
    assert again.returncode == 0, again.log[-3000:]
    assert again.items == []
    assert "'backfill/known': 3" in again.log
    assert len([h for h, _, _ in responses(archive) if h.get_header("WARC-Target-URI").startswith(SITE)]) == 3


def test_the_backfill_reextracts_and_is_searchable_like_our_own_captures(backfilled, tmp_path):
    _, archive, first, _ = backfilled
    out = tmp_path / "again.jsonl"
    run = scrapy("extract", str(archive / "warc"), "--spider", "moscowtimes", "-o", str(out), archive=tmp_path / "x")
    assert run.returncode == 0, run.log[-3000:]
    extracted = {(i["url"], i["fetched_at"]): i["text"] for i in map(json.loads, out.read_text().splitlines())}
    assert extracted == {(i["url"], i["fetched_at"]): i["text"] for i in first.items}
    search = scrapy("search", "correction", archive=archive)
    assert search.returncode == 0, search.log
    assert A87242 in search.log


def test_bad_arguments_are_one_line_before_anything_starts(tmp_path):
    for args, said in (
        (["-a", "source=archive-it"], "-a source='archive-it': one of wayback is expected"),
        (["-a", "source=wayback", "-a", "cdx=ftp://x/cdx"], "-a cdx="),
        (["-a", "source=wayback", "-a", "since=2024-01-01", "-a", "until=2021-01-01"], "is before -a since="),
        (["-a", "until=2021-01-01"], "go with -a source=wayback"),
    ):
        run = scrapy("crawl", "moscowtimes", *args, archive=tmp_path)
        assert run.returncode == 2, run.log[-2000:]
        assert said in run.log and "Traceback" not in run.log


def test_the_wayback_machines_own_forms_resume_keys_and_429s(tmp_path):
    """The Internet Archive's CDX answer (one JSON array: a header row, rows, an empty row, the
    resume key), its 429 and 503 with a Retry-After, its id_ captures (the original headers as
    X-Archive-Orig-*, the capture's time as Memento-Datetime) and its redirect to the nearest
    capture, from a loopback server that answers in those forms: the second page is asked for
    with the first's resume key after the pauses the server asked for, and each capture is dated
    by its Memento-Datetime."""
    import time

    from pytest_httpserver import HTTPServer
    from werkzeug import Response

    from tests.support.moscowtimes_site import FIXTURES

    page = (FIXTURES / "pages" / "a87242.html").read_bytes()
    asked: list[tuple[float, str]] = []
    header = ["urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length"]
    row = ["com,themoscowtimes)/x", "20241205120000", A87242, "text/html", "200", "D1", "100"]
    edited = [*row[:1], "20241220093000", A87242, *row[3:]]
    moved = [*row[:1], "20241210000000", A87242, *row[3:]]
    older = [*row[:1], "20211125080000", A75651, *row[3:]]
    captures_asked: list[str] = []

    def cdx(request):
        asked.append((time.monotonic(), request.query_string.decode()))
        if len(asked) == 1:
            return Response("Too Many Requests", status=429, headers={"Retry-After": "1"})
        if "resumeKey" not in request.args:
            return Response(json.dumps([header, older, [], ["com%2Cthemoscowtimes%29%2Fx+20241205120000"]]))
        if len(asked) == 3:  # the second page: unavailable once, then given
            return Response("<html><body>Service Unavailable</body></html>", status=503, headers={"Retry-After": "1"})
        return Response(json.dumps([header, row, moved, edited]))

    def capture(request):
        stamp = request.path.split("/")[2][:14]
        if "static." in request.path:  # the pages' requisites: none held here
            return Response("<html><body>Not in archive.</body></html>", status=404)
        captures_asked.append(stamp)
        if stamp == "20211125080000" and captures_asked.count(stamp) == 1:
            return Response("Slow down", status=429, headers={"Retry-After": "1"})  # then given
        if stamp == "20241205120000":
            return Response("<html><body>Not in archive.</body></html>", status=404)  # never given
        if stamp == "20241210000000":  # the Wayback Machine's way to its nearest capture
            return Response("", status=302, headers={"Location": f"/web/20241210000500id_/{A87242}"})
        when = {
            "20241220093000": "Fri, 20 Dec 2024 09:30:00 GMT",
            "20211125080000": "Thu, 25 Nov 2021 08:00:00 GMT",
            "20241210000500": "Tue, 10 Dec 2024 00:05:00 GMT",
        }
        body = page if stamp.startswith("2024") else (FIXTURES / "pages" / "a75651.html").read_bytes()
        if stamp == "20241220093000":
            body = body.replace(OLD_SENTENCE.encode(), NEW_SENTENCE.encode())
        return Response(
            body,
            headers={
                "Content-Type": "text/html; charset=UTF-8",
                "Memento-Datetime": when[stamp],
                "X-Archive-Orig-Date": when[stamp],
                "X-Archive-Orig-Server": "nginx",
            },
        )

    server = HTTPServer(host="127.0.0.1", threaded=True)
    server.start()
    try:
        server.expect_request("/cdx/search/cdx").respond_with_handler(cdx)
        server.expect_request(__import__("re").compile(r"^/web/\d{14}id_/.*")).respond_with_handler(capture)
        base = server.url_for("/").rstrip("/")
        run = scrapy(
            "crawl",
            "moscowtimes",
            "-a",
            "source=wayback",
            "-a",
            f"cdx={base}/cdx/search/cdx",
            "-a",
            f"captures={base}/web/",
            "-a",
            "since=2021-01-01",
            "-s",
            "WAYBACK_REQUESTS_PER_MINUTE=3000",
            archive=tmp_path,
            items=tmp_path / "items.jsonl",
        )
    finally:
        server.stop()
    assert run.returncode == 0, run.log[-3000:]
    assert len(asked) == 4
    assert asked[1][0] - asked[0][0] >= 0.9 and asked[3][0] - asked[2][0] >= 0.9  # Retry-After: 1
    assert "from=20210101" in asked[0][1] and "collapse=digest" in asked[0][1]
    assert asked[2][1] == asked[3][1]  # the 503'd page asked again, as it was
    assert "resumeKey=com%252Cthemoscowtimes%2529%252Fx%2B20241205120000" in asked[3][1]
    # The 2021 capture given after the 429's pause; the first 2024 capture refused (404), the
    # URL's next ones still asked for and given: the one redirected to its nearest capture is
    # dated by where it led (Memento-Datetime), not by the time asked for.
    assert captures_asked.count("20211125080000") == 2
    items = sorted((i["url"], i["fetched_at"], i["revision"]) for i in run.items)
    assert items == [
        (A75651, "2021-11-25T08:00:00Z", 1),
        (A87242, "2024-12-10T00:05:00Z", 1),
        (A87242, "2024-12-20T09:30:00Z", 2),
    ]


def test_the_pages_stylesheets_and_images_come_from_the_archive_too(backfilled):
    """What the outlet serves today is not what the page showed then: each requisite is asked of
    the other archive at the page's time, archived as its capture, and asked once per run."""
    base, archive, first, _ = backfilled
    static = {
        h.get_header("WARC-Target-URI"): h
        for h, _, _ in responses(archive)
        if h.get_header("WARC-Target-URI").startswith(STATIC)
    }
    for path in ("/css/main.css?v=1700000000", "/img/logo.svg", "/image/article_1360/a87242.jpg", "/css/fonts.css"):
        headers = static[STATIC + path]  # fonts.css: imported by main.css, followed through the archive too
        assert headers.get_header("WARC-Date") == "2024-12-05T12:00:05Z"
        assert headers.get_header("WARC-Source-URI").startswith(f"{base}/") and "id_/" in headers.get_header(
            "WARC-Source-URI"
        )
    fetched = [
        h.get_header("WARC-Target-URI")
        for h, _, _ in responses(archive)
        if h.get_header("WARC-Target-URI").startswith(STATIC)
    ]
    assert len(fetched) == len(set(fetched))  # each once, though three pages reference them
    assert "'backfill/requisite_asked_already'" in first.log


def test_the_backfill_replays_like_our_own_captures(backfilled, tmp_path):
    """Replay (REPLAY_WARC) serves another archive's captures under the page's own URL; at a moment
    between the edit's two captures (REPLAY_AT), the earlier text."""
    _, archive, first, _ = backfilled
    warcs = str(archive / "warc" / "moscowtimes")
    old = scrapy(
        "crawl",
        "moscowtimes",
        "-a",
        f"url={A87242}",
        "-s",
        f"REPLAY_WARC={warcs}",
        "-s",
        "REPLAY_AT=20241210000000",
        archive=tmp_path / "old",
        items=tmp_path / "old.jsonl",
    )
    assert old.returncode == 0, old.log[-3000:]
    (item,) = old.items
    assert item["url"] == A87242 and OLD_SENTENCE in item["text"] and NEW_SENTENCE not in item["text"]
    assert item["fetched_at"] == "2024-12-05T12:00:00Z"


def test_a_capture_brought_in_after_a_later_one_becomes_the_earlier_revision(backfilled, tmp_path):
    """The edit's later capture archived first (``-a since=`` leaves the earlier out), the earlier
    one in a second run: the earlier is revision 1 and the later moves up to 2 — in the state, the
    text files (names, front matter, diff), the catalogue's links and the WARC's items (a record
    renumbering the one archived first), so it reads as the backfill made in time order."""
    base, in_order, first, _ = backfilled
    archive = tmp_path / "archive"
    later = backfill(base, archive, tmp_path / "later.jsonl", "-a", "since=2024-12-10")
    assert later.returncode == 0, later.log[-3000:]
    assert [(i["url"], i["fetched_at"], i["revision"]) for i in later.items] == [(A87242, "2024-12-20T09:30:00Z", 1)]
    earlier = backfill(base, archive, tmp_path / "earlier.jsonl")
    assert earlier.returncode == 0, earlier.log[-3000:]
    placed = {(i["url"], i["fetched_at"]): i for i in earlier.items}
    assert placed[(A87242, "2024-12-05T12:00:00Z")]["revision"] == 1
    assert placed[(A87242, "2024-12-05T12:00:00Z")]["diff"] is None
    assert "'articles/placed_before_later': 1" in earlier.log

    history = scrapy("history", A87242, archive=archive)
    assert history.returncode == 0, history.log
    assert "2 captures, 2 text revisions" in history.log
    log = history.log
    assert (
        log.index("--- revision 2 (2024-12-20T09:30:00Z)")
        < log.index(f"-{OLD_SENTENCE}")
        < log.index(f"+{NEW_SENTENCE}")
    )

    folder = archive / "text" / "moscowtimes"
    (one,) = folder.rglob("*a87242.md")
    two, diff = one.with_name(one.stem + ".r2.md"), one.with_name(one.stem + ".r2.diff")
    assert OLD_SENTENCE in one.read_text() and "revision: 1\n" in one.read_text()
    assert "fetched_at: '2024-12-05T12:00:00Z'" in one.read_text()
    assert NEW_SENTENCE in two.read_text() and "revision: 2\n" in two.read_text()
    assert f"-{OLD_SENTENCE}" in diff.read_text() and f"+{NEW_SENTENCE}" in diff.read_text()
    assert not one.with_name(one.stem + ".r3.md").exists()

    with sqlite3.connect(archive / "catalog.sqlite3") as conn:
        links = conn.execute(
            "SELECT r.captured, r.text_file FROM revisions r JOIN articles a ON a.id = r.article_id"
            " WHERE a.url = ? ORDER BY r.captured",
            (A87242,),
        ).fetchall()
    assert [(when[:10], Path(file).name) for when, file in links] == [
        ("2024-12-05", one.name),
        ("2024-12-20", two.name),
    ]
    for path in warc_files(archive, "moscowtimes"):
        assert warcio_check(path).returncode == 0

    # Re-extracted, the archive numbers its revisions as the backfill made in time order does.
    out = tmp_path / "extracted.jsonl"
    run = scrapy("extract", str(archive / "warc"), "--spider", "moscowtimes", "-o", str(out), archive=tmp_path / "x")
    assert run.returncode == 0, run.log[-3000:]
    extracted = {
        (i["url"], i["fetched_at"]): (i["revision"], i["diff"]) for i in map(json.loads, out.read_text().splitlines())
    }
    assert extracted == {(i["url"], i["fetched_at"]): (i["revision"], i["diff"]) for i in first.items}

    # pywb's own indexer takes the archive as it is (renumbering records and all), and replays each
    # capture at the other archive's moment.
    pywb_root = tmp_path / "pywb"
    pywb_root.mkdir()
    wb_manager(pywb_root, "init", "ours")
    wb_manager(pywb_root, "add", "ours", *map(str, warc_files(archive, "moscowtimes")))
    replay = Wayback(pywb_root)
    try:
        for stamp, said, unsaid in (("20241206", OLD_SENTENCE, NEW_SENTENCE), ("20241221", NEW_SENTENCE, OLD_SENTENCE)):
            with urllib.request.urlopen(f"{replay.base}/ours/{stamp}id_/{A87242}", timeout=30) as answer:
                page = answer.read().decode("utf-8")
            assert said in page and unsaid not in page, stamp
    finally:
        replay.stop()


def test_a_run_stopped_midway_goes_on_where_it_stopped(backfilled, tmp_path):
    """A run closed after its first article, one of its captures then left without an outcome (a
    crash between the fetch and the state's record of it), run again: the capture left unprocessed and those
    never fetched are asked, none that was done."""
    base, _, first, _ = backfilled
    archive = tmp_path / "archive"
    slow = ("-s", "CONCURRENT_REQUESTS=1", "-s", "WAYBACK_REQUESTS_PER_MINUTE=60", "-s", "CLOSESPIDER_ITEMCOUNT=1")
    stopped = backfill(base, archive, tmp_path / "stopped.jsonl", *slow)
    assert stopped.returncode == 0, stopped.log[-3000:]
    done = {(i["url"], i["fetched_at"]) for i in stopped.items}
    everything = {(i["url"], i["fetched_at"]) for i in first.items}
    assert done and done < everything, "the run did not stop midway"
    crashed = sorted(done)[0]
    with sqlite3.connect(archive / "state.sqlite3") as conn:  # as a crash before its state was stored
        (record,) = conn.execute(
            "SELECT record_id FROM captures WHERE url = ? AND fetched_at LIKE ?", (crashed[0], crashed[1][:19] + "%")
        ).fetchone()
        conn.execute("UPDATE captures SET outcome = NULL WHERE record_id = ?", (record,))
        conn.execute("DELETE FROM revisions WHERE record_id = ?", (record,))
    again = backfill(base, archive, tmp_path / "again.jsonl")
    assert again.returncode == 0, again.log[-3000:]
    assert {(i["url"], i["fetched_at"]) for i in again.items} == everything - done | {crashed}
    fetched = [
        (h.get_header("WARC-Target-URI"), h.get_header("WARC-Date"))
        for h, _, _ in responses(archive)
        if h.get_header("WARC-Target-URI").startswith(SITE + "/20")
    ]
    assert sorted(fetched) == sorted([*everything, crashed])  # each once, the unprocessed one twice


def test_backfill_and_import_in_any_order_number_the_revisions_by_their_dates(backfilled, tmp_path):
    """The edit's later capture backfilled first; a colleague's WARC with a capture between the two
    imported next; then the whole backfill: three revisions, 12-05, 12-10 and 12-20, however they
    came — in the state and in what ``scrapy extract`` reads (the 12-20 item renumbered twice, once
    by a record in the import's file and once by a record in the backfill's, which sorts first)."""
    from warcio.warcwriter import WARCWriter

    from tests.support.moscowtimes_site import FIXTURES

    base, _, _, _ = backfilled
    archive = tmp_path / "archive"
    later = backfill(base, archive, tmp_path / "later.jsonl", "-a", "since=2024-12-10")
    assert later.returncode == 0, later.log[-3000:]
    (tmp_path / "colleague").mkdir()
    body = (FIXTURES / "pages" / "a87242.html").read_text(encoding="utf-8").replace(OLD_SENTENCE, "It said no more.")
    with open(tmp_path / "colleague" / "between.warc.gz", "wb") as out:
        write_response(WARCWriter(out, gzip=True), A87242, body.encode("utf-8"), "2024-12-10T00:00:00Z")
    imported = scrapy("import", str(tmp_path / "colleague"), archive=archive)
    assert imported.returncode == 0, imported.log[-3000:]
    rest = backfill(base, archive, tmp_path / "rest.jsonl")
    assert rest.returncode == 0, rest.log[-3000:]

    history = scrapy("history", A87242, "--no-diff", archive=archive)
    rows = [line.split() for line in history.log.splitlines() if line[:4] == "2024"]
    assert [(row[0][:10], row[-4]) for row in rows] == [("2024-12-05", "1"), ("2024-12-10", "2"), ("2024-12-20", "3")]
    out = tmp_path / "extracted.jsonl"
    run = scrapy("extract", str(archive / "warc"), "--spider", "moscowtimes", "-o", str(out), archive=tmp_path / "x")
    assert run.returncode == 0, run.log[-3000:]
    numbers = {
        i["fetched_at"][:10]: i["revision"] for i in map(json.loads, out.read_text().splitlines()) if i["url"] == A87242
    }
    assert numbers == {"2024-12-05": 1, "2024-12-10": 2, "2024-12-20": 3}
