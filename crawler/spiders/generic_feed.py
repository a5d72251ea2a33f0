"""A spider for any feed or sitemap: the kind is read from the content, not the URL."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import scrapy
from w3lib.url import canonicalize_url

from crawler.discovery import open_sitemap
from crawler.refs import DISCOVERY_PRIORITY
from crawler.spiders.base import ArchiveSpider
from crawler.spiders.discovering import ParsingThread


@lru_cache(maxsize=1)
def _domains() -> Callable[[str], Any]:
    """tldextract with the public suffix list it ships: no download at run time. Imported when a
    feed spider is made, not when Scrapy's spider loader imports this module at every command's
    start (~50 ms of it)."""
    import tldextract

    return tldextract.TLDExtract(suffix_list_urls=())


def registered_domain(url: str) -> str:
    parts = _domains()(url)
    return parts.top_domain_under_public_suffix or (urlsplit(url).hostname or "")


class GenericFeedSpider(ArchiveSpider):
    required_arguments = ("url",)
    article_patterns = (r"^/.+",)  # anything but the site's front page
    #: A feed may link to any number of hosts: text files go under text/feed/<host>/.
    text_names_with_host = True

    def __init__(self, *args: Any, url: str | None = None, **kwargs: Any) -> None:
        if not url:
            raise ValueError("this spider needs the feed or sitemap: -a url=<URL>")
        self.source_urls = [u.strip() for u in url.split(",") if u.strip()]
        super().__init__(*args, **kwargs)
        self.allowed_domains = sorted({registered_domain(u) for u in self.source_urls})

    async def start(self):
        for url in self.source_urls:
            self.__dict__.setdefault("_sitemaps_seen", set()).add(canonicalize_url(url))  # never again this run
            yield scrapy.Request(url, callback=self.parse_source, dont_filter=True, priority=DISCOVERY_PRIORITY)

    async def parse_source(self, response):
        """A sitemap if it parses as one, else a feed (RSS, Atom, JSON Feed); read on a thread."""
        thread = ParsingThread()
        try:
            try:
                kind, entries = await thread.call(open_sitemap, response.body)
            except ValueError:
                async for request in self._feed_requests(response, thread):
                    yield request
            else:
                async for request in self._sitemap_requests(response, kind, thread.batches(entries)):
                    yield request
        finally:
            thread.close()
