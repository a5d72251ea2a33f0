"""Institute for the Study of War (understandingwar.org): WordPress, Yoast sitemaps, a long Crawl-delay."""

from crawler.spiders.wordpress import WordPressSpider


class IswSpider(WordPressSpider):
    name = "isw"
    outlet = "Institute for the Study of War"
    site = "https://understandingwar.org"
    feeds = ()  # unreliable; the sitemaps carry lastmod
    sitemaps = ("{site}/sitemap_index.xml",)
    discovery_summary = "Yoast sitemap index (post sitemaps, lastmod); robots.txt Crawl-delay honoured"
    article_patterns = (r"^/research/[a-z0-9-]+/[a-z0-9-]+/?$",)
    rules = WordPressSpider.rules.extend(
        remove=(".research-downloads", ".social-share", ".related-research", ".subscribe-box"),
        language="en",
        timezone="America/New_York",
        boilerplate=("Subscribe to ISW", "Download the PDF"),
    )
