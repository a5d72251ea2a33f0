"""The normalized text file of an article: YAML front matter, then Markdown.

The shape follows the seed rendering: title, byline, date, the lead image
caption with its credit, the body paragraphs, and the original URL. The same
item always renders to the same bytes.
"""

from __future__ import annotations

import os
import tempfile
from datetime import datetime
from pathlib import Path

import yaml
from itemadapter import ItemAdapter

FRONT_MATTER_FIELDS = (
    "url",
    "canonical_url",
    "outlet",
    "title",
    "subtitle",
    "authors",
    "organizations",
    "published",
    "modified",
    "published_source",
    "language",
    "section",
    "tags",
    "access",
    "revision",
    "word_count",
    "fetched_at",
    "warc",
)


def _display_date(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).strftime("%B %d, %Y")
    except ValueError:
        return value


def byline(authors: list[str]) -> str | None:
    if not authors:
        return None
    if len(authors) == 1:
        return f"By {authors[0]}"
    return "By " + ", ".join(authors[:-1]) + " and " + authors[-1]


def render(item) -> str:
    data = ItemAdapter(item).asdict()
    front = {key: data.get(key) for key in FRONT_MATTER_FIELDS if data.get(key) not in (None, [], "")}
    lines = ["---", yaml.safe_dump(front, allow_unicode=True, sort_keys=False, width=1000).rstrip("\n"), "---", ""]
    if data.get("title"):
        lines += [f"# {data['title']}", ""]
    if data.get("subtitle"):
        lines += [f"*{data['subtitle']}*", ""]
    by = byline((data.get("authors") or []) + (data.get("organizations") or []))
    if by:
        lines += [by, ""]
    shown = _display_date(data.get("published"))
    if shown:
        lines += [shown, ""]
    image = data.get("image") or {}
    caption = " ".join(filter(None, [image.get("caption"), f"**{image['credit']}**" if image.get("credit") else None]))
    if caption:
        lines += [caption, ""]
    if data.get("text"):
        lines += [data["text"], ""]
    lines += ["Original url:", "", f"<{data['url']}>", ""]
    return "\n".join(lines)


def write_atomically(path: Path, content: str) -> None:
    """Write to a temporary file beside ``path``, fsync, then rename over it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, prefix=".tmp-", suffix=".part", delete=False)
    try:
        with handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(handle.name, path)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
