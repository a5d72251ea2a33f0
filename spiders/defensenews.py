"""Defense News (defensenews.com): Arc XP, the platform Military Times and C4ISRNET share."""

from crawler.spiders.arcxp import ArcXPSpider


class DefenseNewsSpider(ArcXPSpider):
    name = "defensenews"
    outlet = "Defense News"
    site = "https://www.defensenews.com"
    discovery_summary = "Arc XP RSS outbound feed; Google News sitemap"
    rules = ArcXPSpider.rules.extend(
        language="en",
        timezone="America/New_York",
        drop_paragraphs=(r"Get the Early Bird Brief", r"Sign up for", r"Read more:"),
        boilerplate=("Early Bird Brief", "Thanks for signing up", "Share this"),
    )
