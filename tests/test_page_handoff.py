"""How a page goes from the crawler process to an extraction worker: its body, decoded in the
worker exactly as Scrapy's ``response.text`` decodes it; and the meta-refresh check that
``scrapy extract`` skips only where the middleware could not find a refresh."""

from __future__ import annotations

import codecs
import gzip

import pytest
from scrapy import Request
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from crawler.bulk.direct import ASCII_TRANSPARENT, cannot_refresh
from crawler.extraction.worker import page_text
from crawler.spiders.articles import page_handoff

URL = "https://www.themoscowtimes.com/2024/05/01/a-story-a1"
CYRILLIC = "<p>Минобороны России сообщило об ударе по Харькову.</p>"
PAGE = "<!DOCTYPE html><html><head><title>Удар</title>{head}</head><body>{body}</body></html>"


def _page(head: str = "", body: str = CYRILLIC) -> str:
    return PAGE.format(head=head, body=body)


DECODING_CASES = {
    "utf-8 in the header": ({"Content-Type": "text/html; charset=utf-8"}, _page().encode("utf-8")),
    "windows-1251 in the header": ({"Content-Type": "text/html; charset=windows-1251"}, _page().encode("cp1251")),
    "charset in a meta tag": (
        {"Content-Type": "text/html"},
        _page('<meta charset="koi8-r">').encode("koi8-r"),
    ),
    "a UTF-8 byte order mark over a header's latin1": (
        {"Content-Type": "text/html; charset=latin1"},
        codecs.BOM_UTF8 + _page().encode("utf-8"),
    ),
    "a UTF-16 byte order mark": ({"Content-Type": "text/html"}, _page().encode("utf-16")),
    "undeclared, not UTF-8 (inferred)": ({"Content-Type": "text/html"}, _page().encode("cp1251")),
    "undeclared UTF-8": ({}, _page().encode("utf-8")),
    "bytes invalid in the declared encoding": (
        {"Content-Type": "text/html; charset=utf-8"},
        _page().encode("utf-8")[:90] + b"\xff\xfe\x80" + _page().encode("utf-8")[90:],
    ),
    # Nothing declared and nothing recognised: Scrapy falls back to "ascii", which a charset=
    # reads as cp1252 (a gzip body sent without its Content-Encoding).
    "undeclared and unrecognised (Scrapy's ascii)": ({"Content-Type": "text/html"}, gzip.compress(_page().encode())),
}


@pytest.mark.parametrize("case", DECODING_CASES)
def test_the_worker_gets_the_page_scrapy_decodes(case):
    headers, body = DECODING_CASES[case]
    response = HtmlResponse(URL, headers=headers, body=body)
    function, page = page_handoff(response)
    decoded = page_text(*page) if function == "run_page" else page[0]
    assert decoded == response.text
    if case.startswith("undeclared and unrecognised"):
        assert response.encoding == "ascii" and function == "run"  # the case the text goes for
    elif case.startswith(("utf-8", "windows-1251")):
        assert function == "run_page"  # the common case: the body goes, decoded there


@pytest.mark.parametrize("encoding", sorted(ASCII_TRANSPARENT))
def test_ascii_transparent_encodings_spell_ascii_only_with_the_same_bytes(encoding):
    """What ``cannot_refresh`` relies on: in these encodings an ASCII character of the text comes
    only from that same byte, so a text that spells "refresh" has bodies that spell it too."""
    assert all(bytes([b]).decode(encoding, "replace") == chr(b) for b in range(128))
    # A byte above 127 never gives ASCII: alone, or starting a sequence (UTF-8's).
    for b in range(128, 256):
        for follow in (b"", b"\x80", b"\x80\x80", b"\x80\x80\x80"):
            assert not any(c.isascii() for c in (bytes([b]) + follow).decode(encoding, "replace"))


REFRESH = '<meta http-equiv="refresh" content="0; url=https://www.themoscowtimes.com/moved">'
REFRESH_CASES = {
    "a refresh": ({"Content-Type": "text/html; charset=utf-8"}, _page(REFRESH).encode("utf-8"), True),
    "in capitals": (
        {"Content-Type": "text/html; charset=utf-8"},
        _page(REFRESH.upper().replace("HTTPS://WWW.THEMOSCOWTIMES.COM/MOVED", "/moved")).encode("utf-8"),
        True,
    ),
    "in windows-1251": ({"Content-Type": "text/html; charset=windows-1251"}, _page(REFRESH).encode("cp1251"), True),
    "in UTF-16": ({"Content-Type": "text/html; charset=utf-16"}, _page(REFRESH).encode("utf-16"), True),
    "none": ({"Content-Type": "text/html; charset=utf-8"}, _page().encode("utf-8"), False),
    "none, the word in the text": (
        {"Content-Type": "text/html; charset=utf-8"},
        _page(body="<p>Refresh the page for the latest figures.</p>").encode("utf-8"),
        False,
    ),
    "a malformed base URL, which fails the page": (
        {"Content-Type": "text/html; charset=utf-8"},
        _page('<base href="http://[x/">').encode("utf-8"),
        "fails",
    ),
    "past where Scrapy looks": (
        {"Content-Type": "text/html; charset=utf-8"},
        _page(body=CYRILLIC * 200 + REFRESH).encode("utf-8"),
        False,
    ),
}


@pytest.mark.parametrize("case", REFRESH_CASES)
def test_the_refresh_check_is_skipped_only_where_the_middleware_finds_none(case):
    headers, body, refreshes = REFRESH_CASES[case]  # refreshes: True, False or "fails"
    middleware = MetaRefreshMiddleware.from_crawler(get_crawler())
    request = Request(URL)
    response = HtmlResponse(URL, headers=headers, body=body, request=request)
    try:
        outcome: object = isinstance(middleware.process_response(request, response), Request)
    except ValueError:
        outcome = "fails"
    assert outcome == refreshes
    if cannot_refresh(response):
        assert outcome is False
    if case in ("a refresh", "in capitals", "in windows-1251", "a malformed base URL, which fails the page"):
        assert not cannot_refresh(response)  # looked at, not waved through
    if case == "none":
        assert cannot_refresh(response)  # the common page needs no look


def test_a_byte_order_mark_over_the_responses_own_encoding_is_left_to_the_middleware():
    """A response made with ``encoding="utf-8"`` whose body opens with UTF-16's mark: Scrapy
    decodes the text as UTF-16 (the mark wins), where the bytes never spell "refresh"."""
    middleware = MetaRefreshMiddleware.from_crawler(get_crawler())
    request = Request(URL)
    body = _page(REFRESH).encode("utf-16")
    response = HtmlResponse(URL, body=body, encoding="utf-8", request=request)
    assert response.encoding == "utf-8" and b"refresh" not in body
    assert isinstance(middleware.process_response(request, response), Request)
    assert not cannot_refresh(response)
