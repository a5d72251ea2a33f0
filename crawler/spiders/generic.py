"""The generic article spider: no outlet knowledge, JSON-LD, meta tags and trafilatura only.

Used by ``scrapy extract`` for pages of domains no outlet spider claims.
"""

from crawler.spiders.base import ArchiveSpider


class GenericArticleSpider(ArchiveSpider):
    name = "generic"
    outlet = "(any)"
    platform = "generic"
