"""WordPress news sites: /feed/, the core wp-sitemap.xml or a Yoast sitemap_index.xml, JSON-LD."""

from __future__ import annotations

from crawler.extraction.rules import PageRules
from crawler.spiders.base import ArchiveSpider

WORDPRESS_RULES = PageRules(
    article="article",
    body=".entry-content",
    remove=(
        ".sharedaddy",
        ".jp-relatedposts",
        ".sd-sharing-enabled",
        ".related-posts",
        ".yarpp-related",
        ".wp-block-embed",
        ".post-tags",
        ".tags-links",
        ".entry-footer",
        ".author-bio",
        ".newsletter",
        ".mc4wp-form",
        ".wp-block-buttons",
        "aside",
        "nav",
        "footer",
        "#comments",
        ".comments-area",
        "script",
        "style",
    ),
    title="h1.entry-title",
    authors=".entry-meta .author a, .byline .author a",
    section=".cat-links a",
)


class WordPressSpider(ArchiveSpider):
    """Base of WordPress outlets; a site sets ``site`` and its own rules on top."""

    platform = "WordPress"
    feeds = ("{site}/feed/",)
    sitemaps = ("{site}/wp-sitemap.xml",)
    # Posts only: not pages, categories, tags or authors.
    sitemap_follow = (r"wp-sitemap-posts-post-\d+\.xml$", r"post-sitemap\d*\.xml$")
    rules = WORDPRESS_RULES
