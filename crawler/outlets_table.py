"""The README's outlets table, generated from the spider registry."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, cast

from scrapy.spiderloader import SpiderLoader
from scrapy.utils.project import get_project_settings

if TYPE_CHECKING:
    from crawler.spiders.base import ArchiveSpider

START, END = "<!-- outlets-table:start -->", "<!-- outlets-table:end -->"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def discovery(spider: type[ArchiveSpider]) -> str:
    if spider.discovery_summary:
        return spider.discovery_summary
    parts = []
    if spider.feeds:
        parts.append(_plural(len(spider.feeds), "feed"))
    if spider.sitemaps:
        parts.append(_plural(len(spider.sitemaps), "sitemap"))
    return ", ".join(parts) or "–"


def outlets_table(settings=None) -> str:
    loader = SpiderLoader.from_settings(settings or get_project_settings())
    rows = ["| spider | outlet | platform | discovery | languages | paywall |", "|---|---|---|---|---|---|"]
    for name in sorted(loader.list()):
        spider = cast("type[ArchiveSpider]", loader.load(name))  # every spider of the registry is one
        rows.append(
            f"| `{name}` | {spider.outlet} | {spider.platform} | {discovery(spider)} | "
            f"{', '.join(spider.languages)} | {spider.paywall} |"
        )
    return "\n".join(rows)


def update_readme(path: Path, table: str) -> bool:
    """Rewrite the table between the markers; True if the file changed."""
    text = path.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(START) + r".*?" + re.escape(END), re.S)
    new = pattern.sub(f"{START}\n{table}\n{END}", text)
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text
