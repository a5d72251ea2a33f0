"""What an outlet's spider declares: its sources, its article URLs, its page rules by date.

``OutletDeclaration`` is the schema of an outlet file in ``spiders/``: class attributes only,
with what follows from them (``{site}`` filled in, ``allowed_domains`` from the site, which
archived captures are its articles, which rules were valid at a capture's date).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any, ClassVar
from urllib.parse import urlsplit

from crawler.extraction.rules import PageRules
from crawler.spiders.rule_versions import rules_at, validate_history


class OutletDeclaration:
    #: The outlet's name as people know it.
    outlet: ClassVar[str] = ""
    #: The outlet's origin; "{site}" in feeds, sitemaps and feed_pages stands for it, and
    #: ``allowed_domains`` defaults to its host.
    site: ClassVar[str] = ""
    #: The publishing platform (for the outlets table).
    platform: ClassVar[str] = ""
    #: Feeds (RSS, Atom, JSON Feed) that announce articles. (The sources are plain class attributes,
    #: not ClassVars: a spider instance replaces them from its arguments, ``-a feeds=`` and the like.)
    feeds: tuple[str, ...] = ()
    #: Sitemaps or sitemap indexes that announce articles.
    sitemaps: tuple[str, ...] = ()
    #: In a sitemap index, follow only children whose URL matches one of these (all if empty).
    sitemap_follow: ClassVar[tuple[str, ...]] = ()
    #: Pages that list the outlet's feeds (links matching ``feed_link_pattern`` are feeds).
    feed_pages: tuple[str, ...] = ()
    feed_link_pattern: str = r"(rss|feed|atom)"
    #: Regular expressions on the URL path of an article page.
    article_patterns: ClassVar[tuple[str, ...]] = ()
    #: What the outlet's pages look like (now).
    rules: ClassVar[PageRules] = PageRules()
    #: Earlier page designs: ((valid_until: datetime.date, PageRules), ...). A capture is read
    #: with the rules valid at its WARC-Date, so a redesign does not break re-extraction.
    rules_history: ClassVar[tuple[tuple[Any, PageRules], ...]] = ()
    #: Languages the outlet publishes in (for the outlets table).
    languages: ClassVar[tuple[str, ...]] = ("en",)
    #: Paywall: "none", "metered", "hard" (for the outlets table).
    paywall: ClassVar[str] = "none"
    #: How articles are discovered, in words (for the outlets table; derived if empty).
    discovery_summary: ClassVar[str] = ""
    #: Hosts besides the site's own that serve its pages' stylesheets, images and fonts (a CDN).
    requisite_hosts: ClassVar[tuple[str, ...]] = ()
    #: Arguments (``-a``) the spider cannot start without; a bare ``scrapy crawlall`` leaves it out.
    required_arguments: ClassVar[tuple[str, ...]] = ()
    #: Content types of captures ``scrapy extract`` reads as article pages (None: a saved page).
    archived_article_types: ClassVar[tuple[str | None, ...]] = ("text/html", "application/xhtml+xml", None, "")

    allowed_domains: list[str]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "rules_history" in cls.__dict__:
            cls.rules_history = validate_history(cls.rules_history, f"{cls.__name__}.rules_history")
        if not cls.site:
            return
        for attr in ("feeds", "sitemaps", "feed_pages"):
            setattr(cls, attr, tuple(url.replace("{site}", cls.site) for url in getattr(cls, attr)))
        if "allowed_domains" not in cls.__dict__:
            host = urlsplit(cls.site).hostname or ""
            cls.allowed_domains = [host.removeprefix("www.")]

    @classmethod
    def is_article_path(cls, path: str) -> bool:
        """Whether a URL path is one of the outlet's article URLs (``article_patterns``)."""
        return any(re.search(p, path) for p in cls.article_patterns)

    @classmethod
    def archived_article(cls, url: str, mime: str | None) -> bool:
        """Whether ``scrapy extract`` should read this archived capture of the outlet as an article:
        a page of an article URL, as the crawl would have parsed it (feeds, section pages and the
        like are archived too, but are not articles)."""
        if mime not in cls.archived_article_types:
            return False
        return not cls.article_patterns or cls.is_article_path(urlsplit(url).path)

    @classmethod
    def rules_for(cls, when: str | datetime | date | None) -> PageRules:
        """The rules that were valid at a capture's date (the current ones by default)."""
        return rules_at(cls.rules, cls.rules_history, when)

    def fetch_url(self, url: str) -> str:
        """The URL to fetch for an article page (an API's, for outlets that build pages in JavaScript)."""
        return url
