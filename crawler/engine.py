"""The crawl's engine, when there is one: a ``Crawler`` that was never started (the direct path of
``scrapy extract`` and ``scrapy import``, crawler/bulk/direct.py) has none, and Scrapy raises
rather than answer None."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scrapy.core.engine import ExecutionEngine
    from scrapy.crawler import Crawler


def started_engine(crawler: Crawler) -> ExecutionEngine | None:
    """The crawler's engine, or None if it never started."""
    try:
        return crawler.engine
    except RuntimeError:  # "Crawler.engine is not set yet"
        return None
