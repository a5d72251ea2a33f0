"""Tolerant parsing of what outlets announce articles in: feeds and sitemaps.

Sitemaps keep what Scrapy's ``SitemapSpider`` drops: ``lastmod`` and the Google
News fields (``news:publication_date``, ``news:title``, ``news:language``).
Feeds go through feedparser (RSS 0.9x-2.0, RSS 1.0, Atom), JSON Feed through
``json``. A broken entry is skipped with a warning, never the whole document.

Big documents are read incrementally: ``open_sitemap`` and ``iter_feed`` return iterators
that parse as they are advanced (lxml ``iterparse``, each entry's element cleared once read;
gzip inflated chunk by chunk), so memory stays bounded by an entry, not by the document.
A feed over ``FEED_STREAM_BYTES`` is read by a streaming RSS/Atom reader instead of
feedparser, which builds the whole document and takes about a millisecond an entry.
They block: the spider runs them on a thread of their own (``crawler.spiders.discovering``).
"""

from crawler.discovery.entries import Entry, Sitemap
from crawler.discovery.feeds import FEED_STREAM_BYTES, iter_feed, parse_feed
from crawler.discovery.sitemaps import open_sitemap, parse_sitemap
from crawler.discovery.xml_reading import MAX_INFLATED, maybe_gunzip

__all__ = [
    "FEED_STREAM_BYTES",
    "MAX_INFLATED",
    "Entry",
    "Sitemap",
    "iter_feed",
    "maybe_gunzip",
    "open_sitemap",
    "parse_feed",
    "parse_sitemap",
]
