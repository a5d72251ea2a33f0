"""RFE/RL's Ukrainian Service (https://www.radiosvoboda.org), on the Pangea CMS."""

from crawler.spiders.pangea import PangeaSpider


class RadioSvobodaSpider(PangeaSpider):
    name = "radiosvoboda"
    outlet = "Radio Svoboda (RFE/RL Ukrainian Service)"
    site = "https://www.radiosvoboda.org"
    languages = ("uk",)
    rules = PangeaSpider.rules.extend(language="uk")
