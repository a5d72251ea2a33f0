"""Drupal news sites: an RSS feed at /rss.xml and the standard node markup."""

from __future__ import annotations

from typing import ClassVar

from crawler.extraction.rules import PageRules
from crawler.spiders.base import ArchiveSpider

DRUPAL_RULES = PageRules(
    article="article.node",
    body=".node__content",
    remove=(".visually-hidden", "nav", "footer", "aside", ".node__links", ".social-share"),
    title=".node__title h1",
)


class DrupalSpider(ArchiveSpider):
    """Base of Drupal outlets; subclasses set ``site`` and their own rules."""

    platform = "Drupal"
    site: ClassVar[str] = ""
    rules = DRUPAL_RULES

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        if cls.site:
            host = cls.site.split("://", 1)[1].split("/", 1)[0]
            cls.allowed_domains = [host.removeprefix("www.")]
            cls.feeds = cls.__dict__.get("feeds") or (f"{cls.site}/rss.xml",)
