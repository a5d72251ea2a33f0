"""``ArchiveSpider``: discovery through feeds and sitemaps, articles through extraction.

An outlet's spider is a declaration on top of this class (or of a platform class built on
it): where articles are announced (``feeds``, ``sitemaps``), which URLs are articles
(``article_patterns``) and what on its pages is not the article (``rules``). It does not
parse. The parts, each in its own module:

- ``declaration``: the attributes an outlet file sets, and what follows from them;
- ``arguments``: the ``-a`` arguments every spider takes;
- ``discovering``: feeds, feed listings and sitemaps to article requests;
- ``articles``: extraction on the worker pool, and the item;
- ``backfill``: history from another archive (``-a source=wayback``) instead of discovery.

What the archive already holds, and so what is fetched again, is not the spider's business:
``crawler.state.middleware`` decides it for every request the spider yields.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import scrapy

from crawler.spiders.arguments import SpiderArguments, backfill_from
from crawler.spiders.articles import ArticleMixin
from crawler.spiders.backfill import BackfillMixin
from crawler.spiders.declaration import OutletDeclaration
from crawler.spiders.discovering import DiscoveryMixin
from crawler.spiders.requisites import RequisitesMixin

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

__all__ = ["ArchiveSpider"]


class ArchiveSpider(OutletDeclaration, DiscoveryMixin, BackfillMixin, ArticleMixin, RequisitesMixin, scrapy.Spider):
    """Base of every outlet spider."""

    def __init__(
        self,
        *args: Any,
        since: str | None = None,
        url: str | None = None,
        feeds: str | None = None,
        sitemaps: str | None = None,
        site: str | None = None,
        source: str | None = None,
        cdx: str | None = None,
        captures: str | None = None,
        until: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.backfill = backfill_from(source, cdx, captures, since, until)
        arguments = SpiderArguments.parse(type(self), since=since, url=url, feeds=feeds, sitemaps=sitemaps, site=site)
        self.since = arguments.since
        self.only_urls = arguments.only_urls
        # The sources: declared on the class (OutletDeclaration's ClassVars), replaced on the instance by the
        # arguments. They are DiscoveryMixin's instance attributes, and are set as such.
        discovery: DiscoveryMixin = self
        discovery.feeds = arguments.feeds
        discovery.sitemaps = arguments.sitemaps
        discovery.feed_pages = arguments.feed_pages
        self._follow = [re.compile(p) for p in self.sitemap_follow]
        declared = {*getattr(self, "allowed_domains", []), *self.requisite_hosts, *arguments.extra_hosts}
        if self.backfill is not None:  # the other archive's hosts are fetched from too
            declared |= {
                h for h in (urlsplit(self.backfill.cdx).hostname, urlsplit(self.backfill.captures).hostname) if h
            }
        self.allowed_domains = sorted(declared)

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.setup_extraction(crawler)
        return spider
