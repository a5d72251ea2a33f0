"""Breaking Defense (breakingdefense.com): WordPress."""

from crawler.spiders.wordpress import WordPressSpider


class BreakingDefenseSpider(WordPressSpider):
    name = "breakingdefense"
    outlet = "Breaking Defense"
    site = "https://breakingdefense.com"
    article_patterns = (r"^/\d{4}/\d{2}/[a-z0-9-]+/?$",)
    rules = WordPressSpider.rules.extend(
        body="div.post-single__content",
        remove=(".post-single__related", ".bd-newsletter-signup", ".post-single__share", ".post-single__tags"),
        title="h1.post-single__title",
        authors=".post-single__authors a",
        language="en",
        timezone="America/New_York",
        boilerplate=("Subscribe to our newsletter", "Related:", "Read more"),
    )
