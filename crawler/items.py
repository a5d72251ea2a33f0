"""The items the archive yields. Handled through itemadapter, exported by feed exports."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ArticleItem:
    """One article as extracted from one capture of its page."""

    url: str
    outlet: str
    canonical_url: str | None = None
    title: str | None = None
    subtitle: str | None = None
    #: Persons credited, in byline order.
    authors: list[str] = field(default_factory=list)
    #: Organizations credited: news agencies, an outlet's staff or desk, the publisher itself.
    organizations: list[str] = field(default_factory=list)
    published: str | None = None
    modified: str | None = None
    #: Which evidence the published date came from (json-ld, meta, discovery, trafilatura).
    published_source: str | None = None
    language: str | None = None
    section: str | None = None
    tags: list[str] = field(default_factory=list)
    image: dict | None = None
    text: str = ""
    word_count: int = 0
    access: str = "free"
    #: 1 for the first text seen at this URL, 2 for the first edit, and so on.
    revision: int | None = None
    #: Where the response is archived: file, record_id, payload_digest, offset, date.
    warc: dict | None = None
    fetched_at: str | None = None
