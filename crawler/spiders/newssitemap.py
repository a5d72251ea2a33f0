"""Sites known by a Google News sitemap and JSON-LD alone (no platform of their own to lean on)."""

from __future__ import annotations

from crawler.spiders.base import ArchiveSpider


class NewsSitemapSpider(ArchiveSpider):
    platform = "news sitemap + JSON-LD"
