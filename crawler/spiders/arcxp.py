"""Arc XP (The Washington Post's platform; Sightline's Defense News, Military Times, C4ISRNET)."""

from __future__ import annotations

from crawler.extraction.rules import PageRules
from crawler.spiders.base import ArchiveSpider

#: Arc XP class names carry generated hashes (``default__ArticleBody-sc-1x2y3z``): match by part.
ARCXP_RULES = PageRules(
    article="article",
    body='div[data-gtm-name="Article Body"], [class*="ArticleBody"]',
    remove=(
        '[class*="ShareBar"]',
        '[class*="SocialShare"]',
        '[class*="RelatedStories"]',
        '[class*="Newsletter"]',
        '[class*="AdUnit"]',
        '[class*="ad-container"]',
        '[data-gtm-name="Related Content"]',
        "aside",
        "nav",
        "footer",
    ),
    title="h1",
    authors='[class*="Byline"] a[href*="/author/"]',
    dates=None,
)


class ArcXPSpider(ArchiveSpider):
    platform = "Arc XP"
    feeds = ("{site}/arc/outboundfeeds/rss/?outputType=xml",)
    sitemaps = ("{site}/arc/outboundfeeds/sitemap-news/?outputType=xml",)
    article_patterns = (r"^/(?:[a-z0-9-]+/){1,3}\d{4}/\d{2}/\d{2}/[a-z0-9-]+/?$",)
    rules = ARCXP_RULES
