"""Meduza in English (meduza.io/en): pages are built by JavaScript; its JSON API is the source."""

from crawler.spiders.json_api import JsonApiSpider


class MeduzaSpider(JsonApiSpider):
    name = "meduza"
    outlet = "Meduza (English)"
    site = "https://meduza.io"
    api_path = "/api/w5/"
    feeds = ("{site}/rss/en/all",)
    discovery_summary = "RSS /rss/en/all; articles fetched from the JSON API (/api/w5/...)"
    article_patterns = (r"^/en/(news|feature|brief)/\d{4}/\d{2}/\d{2}/[a-z0-9-]+/?$",)
    languages = ("en",)
