"""What runs in an extraction worker: the extraction code, loaded once in the fork server.

The fork server imports this module before it forks any worker, so the workers share its
pages (trafilatura, lxml, dateparser and their data) instead of each loading its own.
"""

from __future__ import annotations

import gc
import json
import time

from w3lib.encoding import html_to_unicode

from crawler.extraction.article import extract_article
from crawler.extraction.json_api import extract_blocks_article
from crawler.extraction.result import ExtractionResult

# Warm the lazily built parts up once, before the workers are forked.
extract_article("<html><body><p>Warm up.</p></body></html>", url="https://example.org/warm-up")
# Everything loaded so far is moved out of the collector's reach: a collection in a worker would
# otherwise write to every object's header and turn the pages it shares with the fork server
# into private copies (copy-on-write). See the gc.freeze() documentation. (Measured: freezing in
# each worker instead leaves the fork server's own collections to copy its pages: +35 MB PSS.
# With EXTRACTION_PROCESS_POOL off this module loads in the crawler process, where the freeze
# only keeps what is alive now, modules mostly, out of later collections.)
gc.collect()
gc.freeze()


def run(html: str, **kwargs) -> ExtractionResult:
    return extract_article(html, **kwargs)


def page_text(body: bytes, encoding: str) -> str:
    """A page's text as Scrapy's ``TextResponse.text`` decodes it, ``encoding`` being the
    response's ``encoding``: a byte order mark first, then that encoding as a ``charset=``
    reads it (``spiders.articles.page_handoff`` sends the text instead where Scrapy decoded
    it otherwise)."""
    return html_to_unicode(f"charset={encoding}", body)[1]


def run_page(body: bytes, encoding: str, **kwargs) -> ExtractionResult:
    """``run`` on a response's body, decoded here rather than in the crawler process: that
    process then neither decodes the page nor encodes its text again to send it."""
    return extract_article(page_text(body, encoding), **kwargs)


def run_api_answer(body: bytes, url: str, api_path: str, language: str | None) -> ExtractionResult:
    """An article from an outlet's JSON API answer (``<origin><api_path><article path>``)."""
    try:
        document = json.loads(body)
    except ValueError as exc:
        return ExtractionResult(skipped=f"unparseable JSON API answer: {exc}")
    fields = extract_blocks_article(document, url.split(api_path, 1)[0], language)
    if fields is None:
        return ExtractionResult(skipped="no article in the API answer")
    return ExtractionResult(fields=fields)


def pause(seconds: float) -> ExtractionResult:
    """A page that takes ``seconds`` and gives nothing: for the pool's tests only (its clock and
    limits need a page of known length; the crawler never names it)."""
    time.sleep(seconds)
    return ExtractionResult(skipped=f"paused {seconds:g} s")
