"""Current Time, RFE/RL's Russian-language TV and digital network with VOA (https://www.currenttime.tv), on the Pangea CMS."""

from crawler.spiders.pangea import PangeaSpider


class CurrentTimeSpider(PangeaSpider):
    name = "currenttime"
    outlet = "Current Time"
    site = "https://www.currenttime.tv"
    languages = ("ru",)
    rules = PangeaSpider.rules.extend(language="ru")
