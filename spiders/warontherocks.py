"""War on the Rocks (warontherocks.com): WordPress."""

from crawler.spiders.wordpress import WordPressSpider


class WarOnTheRocksSpider(WordPressSpider):
    name = "warontherocks"
    outlet = "War on the Rocks"
    site = "https://warontherocks.com"
    article_patterns = (r"^/\d{4}/\d{2}/[a-z0-9-]+/?$",)
    paywall = "members-only section [?]"
    rules = WordPressSpider.rules.extend(
        remove=(".wotr-member-cta", ".post-author-bio", ".wotr-newsletter", ".share-links"),
        language="en",
        timezone="America/New_York",
        boilerplate=("Become a War on the Rocks member", "Sign up for our newsletter"),
    )
