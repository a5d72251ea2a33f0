"""What a feed or sitemap says of the articles it announces: ``Entry`` and ``Sitemap``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class Entry:
    """One URL announced by a feed or sitemap, with what was said about it."""

    url: str
    lastmod: datetime | None = None
    published: datetime | None = None
    title: str | None = None
    language: str | None = None

    def discovered(self, source: str) -> dict[str, Any]:
        """What the article request carries to extraction (JSON-safe)."""
        return {
            key: value
            for key, value in {
                "source": source,
                "published": self.published.isoformat() if self.published else None,
                "lastmod": self.lastmod.isoformat() if self.lastmod else None,
                "title": self.title,
                "language": self.language,
            }.items()
            if value
        }

    def newest_date(self) -> datetime | None:
        dates = [d for d in (self.lastmod, self.published) if d]
        return max(dates) if dates else None


@dataclass
class Sitemap:
    kind: str  # "index" or "urlset"
    entries: list[Entry] = field(default_factory=list)
