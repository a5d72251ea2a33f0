"""The Moscow Times fixture site: pages, feeds, sitemaps and robots.txt on loopback."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.site import FixtureSite

FIXTURES = Path(__file__).parent.parent / "fixtures" / "moscowtimes"
ORIGINS = ("https://www.themoscowtimes.com", "https://static.themoscowtimes.com")
FEEDS = ("news", "opinion", "city", "meanwhile", "podcasts", "in-depth", "arts-and-life", "all")


def moscowtimes_site(httpserver, rewrite: bool = True) -> FixtureSite:
    """Routes of the whole site; ``rewrite=False`` keeps the real URLs in the pages."""
    site = FixtureSite(httpserver, ORIGINS if rewrite else ())
    site.add("/robots.txt", FIXTURES / "robots.txt", "text/plain; charset=UTF-8")
    for feed in FEEDS:
        site.add(f"/rss/{feed}", FIXTURES / "rss" / feed, "application/rss+xml; charset=UTF-8")
    for sitemap in (FIXTURES / "sitemap").iterdir():
        site.add(f"/sitemap/{sitemap.name}", sitemap, "application/xml; charset=UTF-8")
    for path, item in expected_items(ORIGINS[0]).items():
        site.add(path, FIXTURES / item["_page"])
    site.add("/2024/12/04/video-inside-a-drone-factory-a87230", FIXTURES / "pages" / "video.html")
    site.add("/2024/12/03/gallery-winter-in-moscow-a87220", FIXTURES / "pages" / "gallery.html")
    return site


def expected_items(base: str) -> dict[str, dict]:
    """Expected item fields per article path, with the loopback origin."""
    text = (FIXTURES / "expected.json").read_text(encoding="utf-8")
    for origin in ORIGINS:
        text = text.replace(origin, base)
    return json.loads(text)


def expected_item(entry: dict) -> dict:
    """An expected.json entry without its bookkeeping keys."""
    return {key: value for key, value in entry.items() if not key.startswith("_")}


def spider_args(site: FixtureSite) -> list[str]:
    """The spider's own discovery URLs, rebased onto the loopback site."""
    return ["-a", f"site={site.base}"]
