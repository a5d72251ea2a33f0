"""The archive fetches http and https, nothing else, wherever a URL comes from.

A URL reaches the downloader from a page, a feed, a sitemap, a ``-a`` argument, a redirect or
an archived record (replay, ``scrapy extract``). Scrapy would fetch ``file:``, ``ftp:``,
``s3:`` and ``data:`` URLs too: a hostile sitemap index listing ``file:///…`` made the crawler
read local files and send what they held to the hostile server. So the other download handlers
are off (``DOWNLOAD_HANDLERS`` in the settings), and ``SchemeGuardMiddleware``, the first
downloader middleware every request meets, refuses any request that is not http(s), logged
with where it came from and counted (``security/refused_scheme``).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from scrapy.exceptions import IgnoreRequest

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

FETCHABLE_SCHEMES = ("http", "https")


def fetchable(url: str) -> bool:
    """An absolute http(s) URL with a host, and nothing a URL cannot hold (white space, controls)."""
    if not url or url != url.strip() or any(c.isspace() or ord(c) < 32 for c in url):
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme.lower() in FETCHABLE_SCHEMES and bool(parts.hostname)


def why_not_fetchable(url: str) -> str | None:
    """Why ``url`` is not fetched, in words, or None when it is."""
    if fetchable(url):
        return None
    scheme = urlsplit(url).scheme if ":" in url else ""
    if scheme and scheme.lower() not in FETCHABLE_SCHEMES:
        return f"scheme {scheme!r} is not fetched (http and https only)"
    return "not an absolute http(s) URL"


class SchemeGuardMiddleware:
    """Downloader middleware, first of all: a request that is not http(s) is never sent."""

    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SchemeGuardMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        reason = why_not_fetchable(request.url)
        if reason is None:
            return
        source = (request.headers.get("Referer") or b"").decode("latin-1") or "a start request"
        logger.warning("Refused %s: %s (from %s)", request.url[:200], reason, source[:200])
        self.stats.inc_value("security/refused_scheme")
        raise IgnoreRequest(f"not fetched: {reason}: {request.url[:200]}")
