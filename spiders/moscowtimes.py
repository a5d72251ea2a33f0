"""The Moscow Times (themoscowtimes.com): custom PHP CMS, no paywall."""

from datetime import date

from crawler.extraction.rules import PageRules
from crawler.spiders.base import ArchiveSpider

SITE = "https://www.themoscowtimes.com"


class MoscowTimesSpider(ArchiveSpider):
    name = "moscowtimes"
    outlet = "The Moscow Times"
    platform = "custom (PHP)"
    discovery_summary = "8 RSS feeds; monthly sitemap index"
    allowed_domains = ["themoscowtimes.com"]
    requisite_hosts = ("static.themoscowtimes.com",)  # stylesheets, images, fonts, scripts
    feeds = tuple(
        f"{SITE}/rss/{feed}"
        for feed in ("news", "opinion", "city", "meanwhile", "podcasts", "in-depth", "arts-and-life", "all")
    )
    # An index of monthly YYYY-M.xml files with <lastmod>; those hold <loc> only.
    sitemaps = ("https://static.themoscowtimes.com/sitemap/sitemap.xml",)
    # Today's articles, the old site's imported at /archive/<slug>, and the old site's own URLs
    # (/<section>/article/<slug>/<id>.html, redirected now: met in old captures).
    article_patterns = (
        r"^/\d{4}/\d{2}/\d{2}/[^/]+-a\d+/?$",
        r"^/archive/[^/]+/?$",
        r"^/[a-z_]+/article/[^/]+/\d{4,}\.html$",
    )
    rules = PageRules(
        article="article.article",
        lead=("div.article__intro",),
        body="div.article__content",
        remove=(
            "aside.article__related-article",
            "div.article__block--article",
            "div.article__block--link",
            "div.article__block--newsletter",
            "div.article__block--embed",
            "div.article__block--image",
            "div.article__block--images",
            "div.article__disclaimer",
            "div.article__tags",
            "div.contribute-banner",
            "div.banner",
            ".byline__social",
            "aside.sidebar",
            "section.cluster",
            "#load-next-article",
        ),
        drop_paragraphs=(r"Related article:",),
        not_article=("figure.videoheader", "div.gallery"),
        title="header.article__header h1",
        subtitle="header.article__header h2",
        authors=".byline__author .byline__author__name",
        image="figure.article__featured-image",
        image_caption=".featured-image__caption",
        image_credit=".featured-image__credits",
        language="en",
        timezone="Europe/Moscow",
        boilerplate=(
            "Related article:",
            "we have a small favor to ask",
            "Read more about:",
            "The views expressed in opinion pieces do not necessarily reflect the position of The Moscow Times.",
            "Most read",
        ),
    )
    # The site before the current CMS (1C-Bitrix, per the outlet's import script): its URL form is
    # known, its markup and the day it ended are assumed (docs/EXTRACTION.md, "Rules by date").
    rules_history = (
        (
            date(2016, 1, 1),
            PageRules(
                article="div.article_main",
                body="div.article_text",
                remove=(
                    "div.related_articles",
                    "div.subscribe_form",
                    "div.share_block",
                    "div.article_tags",
                    "div.comments_block",
                ),
                title="div.article_main h1",
                section="div.article_main .rubric a",
                authors="div.article_main .article_author a",
                image="div.article_img",
                image_caption=".img_caption",
                image_credit=".img_author",
                language="en",
                timezone="Europe/Moscow",
                boilerplate=("Contact the author at",),
            ),
        ),
    )
