"""The Defense Post (thedefensepost.com): WordPress (Jannah theme), full text in its JSON-LD."""

from crawler.spiders.wordpress import WordPressSpider


class TheDefensePostSpider(WordPressSpider):
    name = "thedefensepost"
    outlet = "The Defense Post"
    site = "https://thedefensepost.com"
    article_patterns = (r"^/\d{4}/\d{2}/\d{2}/[a-z0-9-]+/?$",)
    rules = WordPressSpider.rules.extend(
        body="div.entry-content",
        remove=(".post-bottom-meta", ".share-buttons", "#related-posts", ".stream-item", ".tie-alert"),
        title="h1.post-title",
        authors=".meta-author a",
        language="en",
        boilerplate=("Share on", "Related Posts", "Support The Defense Post"),
    )
