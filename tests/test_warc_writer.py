"""Rolling WARC files: names, .open while written, rollover, closed files valid."""

from __future__ import annotations

import re
from io import BytesIO

from warcio.statusandheaders import StatusAndHeaders

from crawler.warc.writer import WarcFileWriter
from tests.support.warcs import records, warcio_check

NAME = re.compile(r"^news-\d{14}-\d{5}\.warc\.gz$")


def response(writer: WarcFileWriter, url: str, body: bytes):
    http = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
    return writer.builder.create_warc_record(
        url, "response", payload=BytesIO(body), length=len(body), http_headers=http
    )


def test_file_is_open_while_written_and_renamed_when_closed(tmp_path):
    writer = WarcFileWriter(tmp_path, "news", warcinfo={"software": "test"})
    (location,) = writer.write(response(writer, "https://example.org/", b"<html>hi</html>"))
    (opened,) = tmp_path.iterdir()
    assert opened.name.endswith(".warc.gz.open") and NAME.match(location.filename)
    assert opened.name == location.filename + ".open"
    closed = writer.close()
    assert closed.name == location.filename and closed.exists() and not opened.exists()
    assert warcio_check(closed).returncode == 0
    kinds = [r[0] for r in records(closed)]
    assert kinds == ["warcinfo", "response"]


def test_rolls_over_at_max_size_and_every_file_starts_with_warcinfo(tmp_path):
    writer = WarcFileWriter(tmp_path, "news", max_size=2_000, gzip_level=1, warcinfo={"software": "test"})
    import os

    for i in range(12):
        writer.write(response(writer, f"https://example.org/{i}", os.urandom(700)))
    writer.close()
    files = sorted(tmp_path.glob("*.warc.gz"))
    assert len(files) > 3 and not list(tmp_path.glob("*.open"))
    serials = [int(f.name.split("-")[2][:5]) for f in files]
    assert serials == list(range(len(files)))
    urls = []
    for path in files:
        assert NAME.match(path.name)
        assert warcio_check(path).returncode == 0
        recs = records(path)
        assert recs[0][0] == "warcinfo"
        urls += [h.get_header("WARC-Target-URI") for kind, h, _, _ in recs if kind == "response"]
    assert urls == [f"https://example.org/{i}" for i in range(12)]


def test_offsets_point_at_records(tmp_path):
    writer = WarcFileWriter(tmp_path, "news")
    locations = [writer.write(response(writer, f"https://example.org/{i}", b"x" * i))[0] for i in range(3)]
    path = writer.close()
    from warcio.archiveiterator import ArchiveIterator

    with open(path, "rb") as stream:
        for i, location in enumerate(locations):
            stream.seek(location.offset)
            record = next(iter(ArchiveIterator(stream)))
            assert record.rec_headers.get_header("WARC-Target-URI") == f"https://example.org/{i}"
            assert record.rec_headers.get_header("WARC-Record-ID") == location.record_id


def test_never_overwrites_an_existing_file(tmp_path):
    first = WarcFileWriter(tmp_path, "news")
    second = WarcFileWriter(tmp_path, "news")
    a = first.write(response(first, "https://example.org/a", b"a"))[0]
    b = second.write(response(second, "https://example.org/b", b"b"))[0]
    assert a.filename != b.filename
    first.close(), second.close()
    assert len(list(tmp_path.glob("*.warc.gz"))) == 2


def test_payloads_sent_compressed_are_stored_not_deflated_again():
    import gzip
    import zlib

    from crawler.warc.writer import serialize_record

    writer = WarcFileWriter("/nonexistent", "news")
    html = b"<html><body>" + b"<p>The same words again and again.</p>" * 2000 + b"</body></html>"
    encoded = gzip.compress(html)
    plain = response(writer, "https://example.org/plain", html)
    sent_gzip = writer.builder.create_warc_record(
        "https://example.org/gz",
        "response",
        payload=BytesIO(encoded),
        length=len(encoded),
        http_headers=StatusAndHeaders(
            "200 OK", [("Content-Type", "text/html"), ("Content-Encoding", "gzip")], protocol="HTTP/1.1"
        ),
    )
    plain_member = serialize_record(plain, 6)
    gzip_member = serialize_record(sent_gzip, 6)
    # Identity-encoded HTML is deflated (it shrinks a lot); a gzip payload is stored in its member
    # (deflate level 0: a little larger than the record itself, never deflated twice).
    assert len(plain_member) < len(html) / 10
    raw = zlib.decompress(gzip_member, zlib.MAX_WBITS | 16)
    assert len(raw) < len(gzip_member) < len(raw) + 200
    # Either way an ordinary gzip member of a whole record: the payload comes back byte for byte.
    assert raw.endswith(encoded + b"\r\n\r\n")
    assert zlib.decompress(plain_member, zlib.MAX_WBITS | 16).endswith(html + b"\r\n\r\n")
