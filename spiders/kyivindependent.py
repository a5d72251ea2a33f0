"""The Kyiv Independent (kyivindependent.com): Ghost-like CMS, a membership banner in articles."""

from crawler.extraction.rules import PageRules
from crawler.spiders.newssitemap import NewsSitemapSpider


class KyivIndependentSpider(NewsSitemapSpider):
    name = "kyivindependent"
    outlet = "The Kyiv Independent"
    platform = "Ghost-like"
    site = "https://kyivindependent.com"
    feeds = ("{site}/news-archive/rss/",)
    # Articles live at /<slug>/; section and utility pages do too, so they are excluded by name.
    article_patterns = (
        r"^/(?!news-archive|tag|author|about|membership|support-us|page|rss|ukraine-war|opinion/?$)[a-z0-9-]{12,}/?$",
    )
    paywall = "membership banner (articles free)"
    rules = PageRules(
        article="article.post",
        body="div.gh-content",
        remove=(
            ".membership-banner",
            ".kg-signup-card",
            ".post-share",
            ".related-posts",
            ".audio-player",
            "aside",
            "footer",
        ),
        drop_paragraphs=(r"This audio is created with AI assistance", r"Become a member", r"Gift membership"),
        title="h1.post-title",
        authors=".post-authors a",
        language="en",
        timezone="Europe/Kyiv",
        boilerplate=("become a member", "Gift membership", "This audio is created with AI assistance"),
    )
