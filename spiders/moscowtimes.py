"""The Moscow Times (themoscowtimes.com): custom PHP CMS, no paywall."""

from crawler.extraction.rules import PageRules
from crawler.spiders.base import ArchiveSpider

SITE = "https://www.themoscowtimes.com"


class MoscowTimesSpider(ArchiveSpider):
    name = "moscowtimes"
    outlet = "The Moscow Times"
    platform = "custom (PHP)"
    discovery_summary = "8 RSS feeds; monthly sitemap index"
    allowed_domains = ["themoscowtimes.com"]
    feeds = tuple(
        f"{SITE}/rss/{feed}"
        for feed in ("news", "opinion", "city", "meanwhile", "podcasts", "in-depth", "arts-and-life", "all")
    )
    # An index of monthly YYYY-M.xml files with <lastmod>; those hold <loc> only.
    sitemaps = ("https://static.themoscowtimes.com/sitemap/sitemap.xml",)
    article_patterns = (r"^/\d{4}/\d{2}/\d{2}/[^/]+-a\d+/?$", r"^/archive/[^/]+/?$")
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
