"""RFE/RL's Russian Service (https://www.svoboda.org), on the Pangea CMS."""

from crawler.spiders.pangea import PangeaSpider


class SvobodaSpider(PangeaSpider):
    name = "svoboda"
    outlet = "Radio Svoboda (RFE/RL Russian Service)"
    site = "https://www.svoboda.org"
    languages = ("ru",)
    rules = PangeaSpider.rules.extend(language="ru")
