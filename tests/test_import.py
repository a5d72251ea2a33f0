"""``scrapy import``: other people's WARC, ARC and WACZ files into the archive.

A colleague's WARC file of Moscow Times captures (written here from the fixture pages with
warcio, as another crawler would: a warcinfo, request and response records, the home page, a
capture twice, a revisit whose original it does not hold, a record without a payload digest), a
WACZ of the bundled sample (`scrapy pack`) and the same WACZ with one file altered, an ARC file,
a truncated and a broken-gzip WARC from the corpus. The outlet's article captures are copied byte
for byte with a note of where they came from, recorded, catalogued and searchable; each quirk is
counted and named; nothing stops the run; importing again copies nothing twice."""

from __future__ import annotations

import gzip
import json
import shutil
import sqlite3
import zipfile
from io import BytesIO
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from tests.support.moscowtimes_site import FIXTURES
from tests.support.run import PROJECT, scrapy
from tests.support.warcs import HTML, records, warcio_check, write_response

pytestmark = pytest.mark.slow  # runs scrapy commands, extraction

SITE = "https://www.themoscowtimes.com"
A75651 = f"{SITE}/2021/11/24/us-russian-military-chiefs-speak-on-the-phone-a75651"
A87242 = f"{SITE}/2024/12/05/russia-us-army-chiefs-hold-rare-call-amid-ukraine-escalation-a87242"
BROKEN = PROJECT / "tests" / "fixtures" / "warc"


def colleagues_warc(path: Path) -> dict[str, bytes]:
    """The colleague's file; returns the record id -> its gzip member bytes of the article captures."""
    members: dict[str, bytes] = {}
    with open(path, "wb") as out:
        writer = WARCWriter(out, gzip=True)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "colleague-crawler/1.0"}))

        def capture(url: str, page: str, when: str, digest: bool = True) -> None:
            body = (FIXTURES / "pages" / page).read_bytes()
            start = out.tell()
            if digest:
                record_id = write_response(writer, url, body, when).rec_headers.get_header("WARC-Record-ID")
            else:  # by hand: warcio adds the digests whatever one asks (an older crawler did not)
                http = StatusAndHeaders("200 OK", HTML, protocol="HTTP/1.1")
                block = http.to_bytes() + body
                record_id = "<urn:uuid:6f1d2a3e-0000-4000-8000-000000000001>"
                head = (
                    f"WARC/1.0\r\nWARC-Type: response\r\nWARC-Record-ID: {record_id}\r\nWARC-Date: {when}\r\n"
                    f"WARC-Target-URI: {url}\r\nContent-Type: application/http; msgtype=response\r\n"
                    f"Content-Length: {len(block)}\r\n\r\n"
                ).encode()
                out.write(gzip.compress(head + block + b"\r\n\r\n"))
            out.flush()
            if url.startswith(SITE + "/20"):
                members[record_id] = path.read_bytes()[start:]

        capture(A75651, "a75651.html", "2021-11-25T08:00:00Z")
        capture(f"{SITE}/", "a90011.html", "2024-12-06T10:00:00Z")  # the home page: no article
        capture(A87242, "a87242.html", "2024-12-05T12:00:00Z", digest=False)
        revisit = writer.create_revisit_record(
            A87242.replace("a87242", "a87243"), "sha1:NOTHELDANYWHERE234567ABCDEFGHIJ", A87242, "2024-12-01T00:00:00Z"
        )
        writer.write_record(revisit)
    return members  # each read back right after it was written: its own bytes alone


def test_foreign_files_are_copied_unchanged_noted_recorded_and_catalogued(tmp_path):
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    colleague = incoming / "colleague.warc.gz"
    members = colleagues_warc(colleague)
    shutil.copy(colleague, incoming / "colleague-again.warc.gz")  # the same captures twice
    # An uncompressed WARC file (its records copied with their closing lines), and a gzip file cut
    # inside its last record (that record not copied: the copy would break our file).
    plain, cut = f"{SITE}/2025/03/15/plain-copy-a90012", f"{SITE}/2025/03/16/cut-copy-a90013"
    for name, url, gz in (("plain.warc", plain, False), ("cut.warc.gz", cut, True)):
        with open(incoming / name, "wb") as out:
            body = (FIXTURES / "pages" / "a90011.html").read_bytes()
            write_response(WARCWriter(out, gzip=gz), url, body, "2025-03-16T08:00:00Z")
    (incoming / "cut.warc.gz").write_bytes((incoming / "cut.warc.gz").read_bytes()[:-12])
    shutil.copy(BROKEN / "example.arc", incoming)
    shutil.copy(BROKEN / "example-trunc.warc", incoming)
    shutil.copy(BROKEN / "example-bad.warc.gz.bad", incoming / "example-bad.warc.gz")
    # A WACZ of the bundled sample, and the same package with one WARC file altered.
    (tmp_path / "p" / "warc" / "moscowtimes").mkdir(parents=True)
    shutil.copy(PROJECT / "samples" / "moscowtimes-sample.warc.gz", tmp_path / "p" / "warc" / "moscowtimes")
    packed = scrapy("pack", "moscowtimes", "-o", str(incoming / "sample.wacz"), archive=tmp_path / "p")
    assert packed.returncode == 0, packed.log[-2000:]
    with zipfile.ZipFile(incoming / "sample.wacz") as good, zipfile.ZipFile(incoming / "altered.wacz", "w") as bad:
        for item in good.infolist():
            data = good.read(item)
            if item.filename.startswith("archive/"):
                data = data + gzip.compress(b"WARC/1.1\r\n\r\n")  # an extra member: its digest no longer matches
            bad.writestr(item, data)

    archive = tmp_path / "archive"
    run = scrapy("import", str(incoming), archive=archive)
    assert run.returncode == 0, run.log[-4000:]
    log = run.log
    assert "Traceback" not in log
    for said in (
        "duplicate (the archive holds it already)",
        "revisit whose original is not held",
        "not an article of our outlets",
        "wacz file whose digest does not match",
        "kept without a payload digest",
        "cut.warc.gz",
        "example-bad.warc.gz: unreadable after 1 records (ERROR: non-chunked gzip file detected",
    ):
        assert said in log, said

    copied = sorted(
        p for p in (archive / "warc" / "moscowtimes").glob("moscowtimes-import-*.warc.gz") if "-items-" not in p.name
    )
    assert len(copied) == 1 and warcio_check(copied[0]).returncode == 0
    data = copied[0].read_bytes()
    for record_id, member in members.items():
        assert member in data, record_id  # byte for byte
    kinds = [(kind, h.get_header("WARC-Target-URI")) for kind, h, _, _ in records(copied[0])]
    responses = [url for kind, url in kinds if kind == "response"]
    # The colleague's two articles once (its copy's are duplicates), and every capture of an
    # article URL in the sample (from the good WACZ; the altered one is refused).
    from spiders.moscowtimes import MoscowTimesSpider

    sample = [
        h.get_header("WARC-Target-URI")
        for kind, h, _, _ in records(PROJECT / "samples" / "moscowtimes-sample.warc.gz")
        if kind == "response"
        and MoscowTimesSpider.is_article_path("/" + h.get_header("WARC-Target-URI").split("/", 3)[3])
    ]
    assert sorted(responses) == sorted([A75651, A87242, plain, *sample])
    notes = [body for kind, h, _, body in records(copied[0]) if kind == "metadata"]
    assert len(notes) == len(responses) and all(b"via: " in n and b"imported: " in n for n in notes)
    assert any(b"via: colleague" in n for n in notes) and any(b"via: sample.wacz!archive/" in n for n in notes)

    # Extracted as a crawl of them is: a revision each in the state, a text file each, and the
    # items' records in a WARC file of their own beside the copies.
    (items_file,) = (archive / "warc" / "moscowtimes").glob("moscowtimes-import-items-*.warc.gz")
    assert warcio_check(items_file).returncode == 0
    converted = [h.get_header("WARC-Refers-To") for kind, h, _, _ in records(items_file) if kind == "conversion"]
    copied_ids = {h.get_header("WARC-Record-ID") for kind, h, _, _ in records(copied[0]) if kind == "response"}
    assert set(members) <= set(converted) <= copied_ids
    # One text file per revision: a capture of a text archived already (the sample's recrawls) has none.
    texts = archive / "text" / "moscowtimes"
    assert len(list(texts.rglob("*.md"))) == len(converted) >= 4
    (text,) = texts.rglob("*a75651.md")
    assert "revision: 1\n" in text.read_text() and "fetched_at: '2021-11-25T08:00:00Z'" in text.read_text()

    history = scrapy("history", A75651, archive=archive)
    assert history.returncode == 0 and "2021-11-25T08:00:00" in history.log, history.log
    assert "2 captures, 1 text revisions" in history.log, history.log  # the sample's recrawl: the same text
    search = scrapy("search", "Gerasimov", archive=archive)
    assert search.returncode == 0 and A87242 in search.log, search.log

    before = sorted((archive / "warc" / "moscowtimes").glob("*.warc.gz"))
    again = scrapy("import", str(incoming), archive=archive)
    assert again.returncode == 0, again.log[-3000:]
    assert "captures copied" not in again.log  # every capture known: nothing copied twice
    assert sorted((archive / "warc" / "moscowtimes").glob("*.warc.gz")) == before  # no file of copies or items


def test_an_imported_capture_older_than_the_archives_own_becomes_its_first_revision(tmp_path):
    """The archive holds a Moscow Times article as edited on 2024-12-20; a colleague's WARC brings
    its capture of 2024-12-05: that is revision 1, the edit revision 2 (state, text files, and the
    items a later ``scrapy extract`` reads)."""
    old_sentence = "It did not mention Ukraine or any other topic."
    new_sentence = "It did not mention Ukraine, the ministry said in a later correction."
    page = (FIXTURES / "pages" / "a87242.html").read_text(encoding="utf-8")
    assert old_sentence in page

    def captures(path: Path, *dated: tuple[str, str]) -> None:
        with open(path, "wb") as out:
            writer = WARCWriter(out, gzip=True)
            for when, body in dated:
                write_response(writer, A87242, body.encode("utf-8"), when)

    archive = tmp_path / "archive"
    (tmp_path / "edited").mkdir()
    (tmp_path / "colleague").mkdir()
    captures(tmp_path / "edited" / "edited.warc.gz", ("2024-12-20T09:30:00Z", page.replace(old_sentence, new_sentence)))
    captures(tmp_path / "colleague" / "first.warc.gz", ("2024-12-05T12:00:00Z", page))
    run = scrapy("import", str(tmp_path / "edited"), archive=archive)
    assert run.returncode == 0, run.log[-3000:]
    # As if that import had been killed after copying, before its extraction was stored: the next
    # import (of other files) extracts what it left.
    with sqlite3.connect(archive / "state.sqlite3") as conn:
        conn.execute("UPDATE captures SET outcome = NULL")
        conn.execute("DELETE FROM revisions")
    for text in (archive / "text").rglob("*.md"):
        text.unlink()
    run = scrapy("import", str(tmp_path / "colleague"), archive=archive)
    assert run.returncode == 0, run.log[-3000:]
    assert "import: 1 files of an earlier import not processed to the end: extracted now" in run.log

    history = scrapy("history", A87242, archive=archive)
    assert "2 captures, 2 text revisions" in history.log, history.log
    assert history.log.index("--- revision 2 (2024-12-20T09:30:00Z)") < history.log.index(f"+{new_sentence}")
    (first,) = (archive / "text" / "moscowtimes").rglob("*a87242.md")
    second = first.with_name(first.stem + ".r2.md")
    assert old_sentence in first.read_text() and "revision: 1\n" in first.read_text()
    assert new_sentence in second.read_text() and "revision: 2\n" in second.read_text()
    assert f"+{new_sentence}" in first.with_name(first.stem + ".r2.diff").read_text()

    out = tmp_path / "extracted.jsonl"
    run = scrapy("extract", str(archive / "warc"), "--spider", "moscowtimes", "-o", str(out), archive=tmp_path / "x")
    assert run.returncode == 0, run.log[-3000:]
    extracted = {i["fetched_at"]: (i["revision"], i["diff"]) for i in map(json.loads, out.read_text().splitlines())}
    assert extracted["2024-12-05T12:00:00Z"] == (1, None)
    assert extracted["2024-12-20T09:30:00Z"][0] == 2 and f"-{old_sentence}" in extracted["2024-12-20T09:30:00Z"][1]

    # One more file with two captures of the URL, extracted at once on both workers: one after the
    # two revisions, one between them.
    (tmp_path / "more").mkdir()
    between, after = "It said nothing more that day.", "It later said more."
    captures(
        tmp_path / "more" / "more.warc.gz",
        ("2025-01-01T00:00:00Z", page.replace(old_sentence, after)),
        ("2024-12-10T00:00:00Z", page.replace(old_sentence, between)),
    )
    run = scrapy("import", str(tmp_path / "more"), archive=archive)
    assert run.returncode == 0, run.log[-3000:]
    history = scrapy("history", A87242, "--no-diff", archive=archive)
    rows = [line.split() for line in history.log.splitlines() if line[:4] in ("2024", "2025")]
    assert [(row[0][:10], row[-4]) for row in rows] == [
        ("2024-12-05", "1"),
        ("2024-12-10", "2"),
        ("2024-12-20", "3"),
        ("2025-01-01", "4"),
    ], history.log
    assert len(list((archive / "text" / "moscowtimes").rglob("*a87242*.md"))) == 4
    assert between in first.with_name(first.stem + ".r2.md").read_text()
    assert after in first.with_name(first.stem + ".r4.md").read_text()


def cc_news_warc(path: Path) -> None:
    """A WARC file as Common Crawl's CC-NEWS writes one (its headers as in iipc/jwarc's ``cc.warc.gz``:
    request and response records with ``WARC-Concurrent-To``, ``WARC-IP-Address``,
    ``WARC-Identified-Payload-Type``, the body stored decoded with ``X-Crawler-Content-Encoding``),
    with a Moscow Times article whole and another cut at CC's size limit (``WARC-Truncated: length``)."""
    with open(path, "wb") as out:
        writer = WARCWriter(out, gzip=True, warc_version="1.0")
        info = writer.create_warcinfo_record(
            path.name, {"isPartOf": "CC-NEWS", "software": "StormCrawler 1.18 https://stormcrawler.net/"}
        )
        writer.write_record(info)
        for url, page, when, cut in (
            (A75651, "a75651.html", "2021-11-24T21:05:00Z", False),
            (A87242, "a87242.html", "2024-12-05T12:30:00Z", True),
        ):
            body = (FIXTURES / "pages" / page).read_bytes()
            if cut:
                body = body[: len(body) // 3]
            request = writer.create_warc_record(
                url,
                "request",
                payload=BytesIO(b""),
                length=0,
                http_headers=StatusAndHeaders(
                    "GET " + url.split(SITE, 1)[1] + " HTTP/1.1",
                    [("Host", "www.themoscowtimes.com"), ("Accept-Encoding", "gzip")],
                    is_http_request=True,
                ),
                warc_headers_dict={
                    "WARC-Date": when,
                    "WARC-Warcinfo-ID": info.rec_headers.get_header("WARC-Record-ID"),
                },
            )
            http = [
                *HTML,
                ("X-Crawler-Content-Encoding", "gzip"),
                ("X-Crawler-Transfer-Encoding", "chunked"),
                ("Content-Length", str(len(body))),
            ]
            headers = {
                "WARC-Warcinfo-ID": info.rec_headers.get_header("WARC-Record-ID"),
                "WARC-Concurrent-To": request.rec_headers.get_header("WARC-Record-ID"),
                "WARC-IP-Address": "104.18.2.3",
                "WARC-Identified-Payload-Type": "text/html",
            }
            if cut:
                headers["WARC-Truncated"] = "length"
            writer.write_record(request)
            write_response(writer, url, body, when, http, headers)


def test_common_crawl_news_and_other_crawlers_files(tmp_path):
    """CC-NEWS' article whole is copied and extracted; the one cut at its size limit is copied (it is
    what CC holds) but not extracted, and said; the corpus' other crawlers' files (Common Crawl,
    ClueWeb, wget, ARC, resource and POST records) hold none of our outlets' articles: read to the
    end, counted, nothing copied, nothing stops the run."""
    incoming = tmp_path / "incoming"
    shutil.copytree(BROKEN / "foreign", incoming)
    cc_news_warc(incoming / "CC-NEWS-20241205123000-00000.warc.gz")
    archive = tmp_path / "archive"
    run = scrapy("import", str(incoming), archive=archive)
    assert run.returncode == 0, run.log[-4000:]
    assert "Traceback" not in run.log
    assert f"import: {len(list(incoming.iterdir()))} files" in run.log
    assert "moscowtimes           2 captures copied" in run.log
    assert "not an article of our outlets" in run.log
    assert "left out 1 truncated records (WARC-Truncated)" in run.log and A87242 in run.log

    (copied,) = (p for p in (archive / "warc" / "moscowtimes").glob("*.warc.gz") if "-items-" not in p.name)
    assert warcio_check(copied).returncode == 0
    kept = {h.get_header("WARC-Target-URI"): h for kind, h, _, _ in records(copied) if kind == "response"}
    assert set(kept) == {A75651, A87242}
    assert kept[A87242].get_header("WARC-Truncated") == "length"  # as CC holds it
    assert kept[A75651].get_header("WARC-IP-Address") == "104.18.2.3"
    texts = list((archive / "text" / "moscowtimes").rglob("*.md"))
    assert [t.name for t in texts] == ["us-russian-military-chiefs-speak-on-the-phone-a75651.md"]
    assert "Valery Gerasimov and Chairman of the Joint Chiefs of Staff Mark Milley" in texts[0].read_text()
    search = scrapy("search", "Milley", archive=archive)
    assert search.returncode == 0 and A75651 in search.log, search.log
