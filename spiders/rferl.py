"""Radio Free Europe/Radio Liberty, English (https://www.rferl.org), on the Pangea CMS."""

from crawler.spiders.pangea import PangeaSpider


class RferlSpider(PangeaSpider):
    name = "rferl"
    outlet = "RFE/RL"
    site = "https://www.rferl.org"
    languages = ("en",)
    rules = PangeaSpider.rules.extend(language="en")
