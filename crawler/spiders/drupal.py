"""Drupal news sites: an RSS feed at /rss.xml and the standard node markup."""

from __future__ import annotations

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
    feeds = ("{site}/rss.xml",)
    rules = DRUPAL_RULES
