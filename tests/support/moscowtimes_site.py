"""The Moscow Times fixture site: pages, feeds, sitemaps and robots.txt on loopback."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.site import FixtureSite

FIXTURES = Path(__file__).parent.parent / "fixtures" / "moscowtimes"
ORIGINS = ("https://www.themoscowtimes.com", "https://static.themoscowtimes.com")
FEEDS = ("news", "opinion", "city", "meanwhile", "podcasts", "in-depth", "arts-and-life", "all")
#: Content types of the static origin's files (``static/``, written by ``make_assets.py``).
STATIC_TYPES = {
    ".css": "text/css; charset=UTF-8",
    ".js": "application/javascript; charset=UTF-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".woff2": "font/woff2",
}


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
    for path, file, content_type in static_assets():
        site.add(path, file, content_type)
    return site


def static_assets() -> list[tuple[str, Path, str]]:
    """(path, file, content type) of every file the static origin serves: stylesheets, fonts,
    images, scripts. Third-party hosts the pages name (googletagmanager.com) have no route."""
    root = FIXTURES / "static"
    return [
        ("/" + file.relative_to(root).as_posix(), file, STATIC_TYPES[file.suffix])
        for file in sorted(root.rglob("*"))
        if file.suffix in STATIC_TYPES
    ]


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
