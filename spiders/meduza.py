"""Meduza in English (meduza.io/en): pages are built by JavaScript; its JSON API is the source."""

import json

from crawler.extraction.json_api import extract_blocks_article
from crawler.spiders.base import ArchiveSpider


class MeduzaSpider(ArchiveSpider):
    name = "meduza"
    outlet = "Meduza (English)"
    platform = "custom (JSON API)"
    site = "https://meduza.io"
    feeds = ("{site}/rss/en/all",)
    discovery_summary = "RSS /rss/en/all; articles fetched from the JSON API (/api/w5/...)"
    article_patterns = (r"^/en/(news|feature|brief)/\d{4}/\d{2}/\d{2}/[a-z0-9-]+/?$",)
    languages = ("en",)

    @classmethod
    def archived_article(cls, url: str, mime: str | None) -> bool:
        """Its articles are archived as the API's JSON answers (and, fetched by hand, pages)."""
        if mime == "application/json":
            page = url.replace("/api/w5/", "/", 1)
            return page != url and super().archived_article(page, "text/html")
        return super().archived_article(url, mime)

    def fetch_url(self, url: str) -> str:
        """The article's JSON, not its JavaScript-built page (the JSON is what gets archived)."""
        origin, _, path = url.partition("://")[2].partition("/")
        return f"{url.split('://')[0]}://{origin}/api/w5/{path}"

    @staticmethod
    def extract_json(body: bytes, url: str) -> dict | None:
        origin = url.split("/api/w5/")[0]
        return extract_blocks_article(json.loads(body), origin, "en")

    async def parse_article(self, response):
        if b"json" not in response.headers.get("Content-Type", b""):
            async for result in super().parse_article(response):
                yield result
            return
        try:
            fields = self.extract_json(response.body, response.url)
        except ValueError as exc:
            self.logger.error("Meduza API answer for %s is not JSON: %s", response.url, exc)
            return
        if fields is None:
            self.logger.debug("No article in the API answer for %s", response.url)
            return
        yield self.article_item(response, fields)
