"""Turning an article page into clean text and metadata.

``extract_article`` is the one code path: live crawls, replays and
``scrapy extract`` all call it (in a worker process, see ``pool``).
"""

from crawler.extraction.article import ExtractionResult, extract_article
from crawler.extraction.rules import PageRules

__all__ = ["ExtractionResult", "PageRules", "extract_article"]
