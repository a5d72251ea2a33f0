"""Turning an article page into clean text and metadata.

``extract_article`` is the one code path: live crawls, replays and
``scrapy extract`` all call it (in a worker process, see ``pool``). The heavy
modules (trafilatura, dateparser, pycld2) load lazily: a crawler that extracts
on its process pool never loads them itself.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ArticleFields", "ExtractionResult", "PageRules", "extract_article"]


def __getattr__(name: str) -> Any:
    if name == "ExtractionResult":
        from crawler.extraction.result import ExtractionResult

        return ExtractionResult
    if name == "extract_article":
        from crawler.extraction import article

        return article.extract_article
    if name == "ArticleFields":
        from crawler.extraction.fields import ArticleFields

        return ArticleFields
    if name == "PageRules":
        from crawler.extraction.rules import PageRules

        return PageRules
    raise AttributeError(name)
