"""Replay index: newest capture by default, REPLAY_AT picks the closest, revisits resolve."""

from __future__ import annotations

import gzip
from io import BytesIO

from warcio.statusandheaders import StatusAndHeaders

from crawler.warc.index import ReplayIndex
from crawler.warc.replay import parse_replay_at
from crawler.warc.writer import WarcFileWriter


def write_capture(writer, url, body, date, status="200 OK", encoding=None):
    headers = [("Content-Type", "text/html; charset=utf-8")]
    if encoding:
        headers.append(("Content-Encoding", encoding))
    http = StatusAndHeaders(status, headers, protocol="HTTP/1.1")
    record = writer.builder.create_warc_record(
        url,
        "response",
        payload=BytesIO(body),
        length=len(body),
        http_headers=http,
        warc_headers_dict={"WARC-Date": date},
    )
    writer.write(record)
    return record


def build(tmp_path):
    writer = WarcFileWriter(tmp_path, "test")
    write_capture(writer, "https://example.org/a", b"<p>first</p>", "2024-01-01T00:00:00Z")
    write_capture(writer, "https://example.org/a", b"<p>second</p>", "2024-06-01T00:00:00Z")
    write_capture(writer, "https://example.org/a", b"<p>third</p>", "2025-01-01T00:00:00Z")
    first = write_capture(
        writer, "https://example.org/z", gzip.compress(b"<p>zipped</p>"), "2024-01-01T00:00:00Z", encoding="gzip"
    )
    # A later identical payload, archived as a revisit (identical-payload-digest).
    revisit = writer.builder.create_revisit_record(
        "https://example.org/z",
        first.rec_headers.get_header("WARC-Payload-Digest"),
        "https://example.org/z",
        "2024-01-01T00:00:00Z",
        http_headers=StatusAndHeaders(
            "200 OK",
            [("Content-Type", "text/html; charset=utf-8"), ("Content-Encoding", "gzip"), ("X-Later", "yes")],
            protocol="HTTP/1.1",
        ),
        warc_headers_dict={"WARC-Date": "2024-02-01T00:00:00Z"},
    )
    writer.write(revisit)
    writer.close()
    return ReplayIndex(tmp_path)


def test_newest_capture_by_default(tmp_path):
    index = build(tmp_path)
    assert index.load(index.lookup("https://example.org/a")).body == b"<p>third</p>"


def test_replay_at_picks_the_closest_capture(tmp_path):
    index = build(tmp_path)
    at = parse_replay_at("20240520000000")
    assert index.load(index.lookup("https://example.org/a", at)).body == b"<p>second</p>"
    assert index.load(index.lookup("https://example.org/a", parse_replay_at("2000"))).body == b"<p>first</p>"


def test_bodies_are_served_as_they_came_off_the_wire(tmp_path):
    index = build(tmp_path)
    capture = index.lookup("https://example.org/z", parse_replay_at("20240101"))
    archived = index.load(capture)
    assert ("Content-Encoding", "gzip") in archived.headers
    assert gzip.decompress(archived.body) == b"<p>zipped</p>"


def test_revisit_serves_the_original_payload(tmp_path):
    index = build(tmp_path)
    capture = index.lookup("https://example.org/z")
    assert capture.record_type == "revisit"
    archived = index.load(capture)
    assert gzip.decompress(archived.body) == b"<p>zipped</p>"
    assert ("X-Later", "yes") in archived.headers


def test_unknown_url_is_a_miss_and_canonical_forms_match(tmp_path):
    index = build(tmp_path)
    assert index.lookup("https://example.org/nope") is None
    assert index.lookup("https://example.org/a#fragment") is not None
    assert "5 captures of 2 URLs in 1 WARC files" == index.summary()


def test_replay_undoes_gzip_and_deflate_on_its_thread_and_leaves_the_rest_to_scrapy():
    import gzip
    import zlib

    from crawler.warc.index import ArchivedResponse
    from crawler.warc.replay import decoded_payload

    html = b"<html><body>" + b"<p>Replayed words.</p>" * 500 + b"</body></html>"

    def archived(body: bytes, *codings: str) -> ArchivedResponse:
        headers = [("Content-Type", "text/html")] + [("Content-Encoding", c) for c in codings]
        return ArchivedResponse("https://example.org/", 200, "HTTP/1.1", headers, body, None, None)

    accepted = b"gzip, deflate, br"
    for body, coding in (
        (gzip.compress(html), "gzip"),
        (zlib.compress(html), "deflate"),
        (zlib.compress(html)[2:-4], "deflate"),
    ):  # zlib-wrapped and raw deflate
        out = decoded_payload(archived(body, coding), accepted, 32 * 2**20)
        assert out.body == html and not [v for n, v in out.headers if n.lower() == "content-encoding"]
    # Left as archived, for HttpCompression and its own log lines: a bomb over the limit, a broken
    # stream, an encoding not asked for, brotli, stacked codings.
    bomb = gzip.compress(b"\0" * 2_000_000)
    for case, accept, limit in (
        (archived(bomb, "gzip"), accepted, 1_000_000),
        (archived(gzip.compress(html)[:-12], "gzip"), accepted, 0),
        (archived(gzip.compress(html), "gzip"), b"identity", 0),
        (archived(b"\x1b\x00", "br"), accepted, 0),
        (archived(gzip.compress(gzip.compress(html)), "gzip", "gzip"), accepted, 0),
    ):
        assert decoded_payload(case, accept, limit) is case


def test_isal_inflate_decodes_every_payload_as_zlib_would(monkeypatch):
    """``decoded_payload`` inflates with ISA-L (python-isal): on real pages, cut, flipped, padded
    and bombed streams, in each coding, it decodes what zlib decodes and leaves what zlib leaves."""
    import random
    import zlib
    from pathlib import Path

    from crawler.warc import replay
    from crawler.warc.index import ArchivedResponse

    pages = sorted((Path(__file__).parent / "fixtures" / "benchmark_slice" / "html").glob("*.html.gz"))[:4]
    htmls = [gzip.decompress(p.read_bytes()) for p in pages]
    assert len(htmls) == 4
    streams: list[tuple[bytes, str]] = []
    for html in htmls:
        streams += [
            (gzip.compress(html), "gzip"),
            (zlib.compress(html), "deflate"),
            (zlib.compress(html)[2:-4], "deflate"),
        ]
        streams += [(zlib.compress(html)[2:-4], "gzip"), (html, "gzip"), (html[:5], "x-gzip"), (b"", "gzip")]
    streams.append((gzip.compress(b"\0" * 3_000_000), "gzip"))  # a bomb: over the limit below
    chance = random.Random(18)
    cases = list(streams)
    for body, coding in streams[:-1]:
        if len(body) < 64:
            continue
        for _ in range(6):  # cut anywhere, one byte flipped anywhere (the header, the data, the trailer)
            cases.append((body[: chance.randrange(len(body))], coding))
            at = chance.randrange(len(body))
            cases.append((body[:at] + bytes([body[at] ^ (1 << chance.randrange(8))]) + body[at + 1 :], coding))
        cases += [(body + gzip.compress(b"more"), coding), (body + b"junk", coding)]

    def decoded(body: bytes, coding: str, inflater) -> tuple[bool, bytes, list]:
        monkeypatch.setattr(replay, "INFLATER", inflater)
        headers = [("Content-Type", "text/html"), ("Content-Encoding", coding)]
        case = ArchivedResponse("https://example.org/", 200, "HTTP/1.1", headers, body, None, None)
        out = replay.decoded_payload(case, b"gzip, deflate", 2_000_000)
        return out is case, out.body, out.headers

    outcomes = {"decoded": 0, "left": 0}
    for body, coding in cases:
        with_isal = decoded(body, coding, replay.isal_zlib)
        assert with_isal == decoded(body, coding, zlib), (coding, len(body), body[:16])
        outcomes["left" if with_isal[0] else "decoded"] += 1
    assert outcomes["decoded"] >= 16 and outcomes["left"] >= 100, outcomes
