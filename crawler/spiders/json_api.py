"""Outlets whose pages are built by JavaScript from their own JSON API (Meduza's ``/api/w5``).

An outlet declares ``api_path``: its article at ``<origin>/<path>`` is fetched, archived and
extracted as the API's answer at ``<origin><api_path><path>``. Extraction of the answer runs on
the worker pool like a page's.
"""

from __future__ import annotations

import json
from functools import partial
from typing import Any, ClassVar

from scrapy.http import Response

from crawler.extraction.fields import ArticleFields
from crawler.extraction.json_api import extract_blocks_article
from crawler.extraction.pool import run_in_pool
from crawler.spiders.base import ArchiveSpider


class JsonApiSpider(ArchiveSpider):
    platform = "custom (JSON API)"
    #: Where the API answers for a page path: ``<origin><api_path><path>``.
    api_path: ClassVar[str] = "/api/"

    @classmethod
    def archived_article(cls, url: str, mime: str | None) -> bool:
        """Its articles are archived as the API's JSON answers (and, fetched by hand, pages)."""
        if mime == "application/json":
            page = url.replace(cls.api_path, "/", 1)
            return page != url and super().archived_article(page, "text/html")
        return super().archived_article(url, mime)

    def fetch_url(self, url: str) -> str:
        """The article's JSON, not its JavaScript-built page (the JSON is what gets archived)."""
        scheme, _, rest = url.partition("://")
        origin, _, path = rest.partition("/")
        return f"{scheme}://{origin}{self.api_path}{path}"

    @classmethod
    def extract_json(cls, body: bytes, url: str) -> ArticleFields | None:
        """The fields of an API answer (on this thread: for tests and tools; a crawl uses the pool)."""
        return extract_blocks_article(json.loads(body), url.split(cls.api_path, 1)[0], cls.languages[0])

    def extraction_job(self, response: Response) -> partial[Any] | None:
        if b"json" not in (response.headers.get("Content-Type") or b""):
            return super().extraction_job(response)
        return partial(
            run_in_pool, self.executor, "run_api_answer", response.body, response.url, self.api_path, self.languages[0]
        )
