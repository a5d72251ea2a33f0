"""``ArticleFields``: what extraction reads off one article page, whichever way it was read.

Written once: ``crawler.items.ArticleItem`` is these fields plus the crawl's own. Plain data
(strings, lists, one dict), so that results cross the extraction process pool pickled and items
export through itemadapter as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ArticleFields:
    """One article as extracted from one capture of its page."""

    url: str
    canonical_url: str | None = None
    title: str | None = None
    subtitle: str | None = None
    #: Persons credited, in byline order.
    authors: list[str] = field(default_factory=list)
    #: Organizations credited: news agencies, an outlet's staff or desk, the publisher itself.
    organizations: list[str] = field(default_factory=list)
    published: str | None = None
    modified: str | None = None
    #: Which evidence the published date came from (json-ld, meta, page, discovery, htmldate, api).
    published_source: str | None = None
    language: str | None = None
    section: str | None = None
    tags: list[str] = field(default_factory=list)
    #: The lead image: ``{"url", "caption", "credit"}``.
    image: dict[str, str | None] | None = None
    text: str = ""
    word_count: int = 0
    #: free, partial or paywalled (see ``access.article_access``).
    access: str = "free"
