"""Pangea: the CMS of RFE/RL and its language services, VOA and Current Time.

One class serves the whole network. A service declares its site, its outlet
name and its language; the feeds come from the site's own ``/rssfeeds`` page
and the sitemaps from its ``/sitemap.xml`` index (the Google News sitemap and
the 7-day ``latest`` one; the site id in their names differs per service).
"""

from __future__ import annotations

from crawler.extraction.rules import PageRules
from crawler.spiders.base import ArchiveSpider

#: What Pangea pages carry that is not the article, in any service.
PANGEA_RULES = PageRules(
    article="div#content",
    body="div#article-content",
    remove=(
        "div.media-block.also-read",
        "div.media-block-wrap",
        "div.share--box",
        "aside",
        "div#comments",
        "footer",
        "div.wsw__embed",
        "div.c-hlights",
        ".sr-only",
        "div.cover-media",
        "div.article-share",
    ),
    drop_paragraphs=(
        r"RFE/RL journalists report the news in \d+ languages",
        r'RFE/RL has been declared an ["“«]?undesirable organization',
        r"If you are in Russia or the Russia-controlled parts of Ukraine",
        r"To find out more, click here",
        r"To read the original story by .{0,120}click here",
        r"No media source currently available",
        # The same notices in the Russian and Ukrainian services [wording unverified].
        r"Радио Свобода/Радио Свободная Европа признано .{0,40}нежелательн",
        r"Радіо Свобода/Радіо Вільна Європа визнан.{0,40}небажан",
        r"Если вы находитесь в России или на оккупированных",
        r"Якщо ви перебуваєте в Росії або на окупованих",
    ),
    title="h1.title.pg-title",
    authors="div.links li.links__item a.links__item-link",
    section="div.category a",
    dates="div.publishing-details div.published span.date",
    image="div.cover-media figure.media-image",
    image_caption="figcaption span.caption",
    boilerplate=(
        "Accessibility links",
        "Breaking News",
        "No media source currently available",
        "16x9 Image",
        "RFE/RL journalists report the news in 27 languages",
        "undesirable organization",
        "To read the original story by",
        "Skip to main content",
        "нежелательной организацией",
        "небажаною організацією",
    ),
)


class PangeaSpider(ArchiveSpider):
    """Base of every service on the Pangea CMS; a service sets ``site`` and a few names."""

    platform = "Pangea CMS"
    discovery_summary = "RSS feeds listed on /rssfeeds; Google News and 7-day latest sitemaps"
    sitemaps = ("{site}/sitemap.xml",)
    feed_pages = ("{site}/rssfeeds",)
    article_patterns = (r"^/a/[^/]+/\d+\.html$", r"^/a/\d+\.html$")
    sitemap_follow = (r"/sitemap_\d+_(news|latest)\.xml(\.gz)?$",)
    feed_link_pattern = r"^/api/"
    rules = PANGEA_RULES
