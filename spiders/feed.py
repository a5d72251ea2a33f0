"""Any outlet, no code: ``scrapy crawl feed -a url=<RSS, Atom, JSON Feed or (news) sitemap URL>``.

Every article the feed or sitemap announces on the same site (the registered domain) is
archived and extracted with generic extraction (JSON-LD, meta tags, trafilatura).
"""

from crawler.spiders.generic_feed import GenericFeedSpider


class FeedSpider(GenericFeedSpider):
    name = "feed"
    outlet = "any feed or sitemap"
    platform = "generic"
    discovery_summary = "the feed or sitemap given with -a url="
