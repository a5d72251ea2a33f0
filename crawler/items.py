"""The items the archive yields. Handled through itemadapter, exported by feed exports."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from crawler.extraction.fields import ArticleFields

#: The extracted fields, in their order: what ``from_fields`` copies into an item.
_FIELD_NAMES = tuple(f.name for f in dataclasses.fields(ArticleFields))


@dataclass
class ArticleItem(ArticleFields):
    """One article as extracted from one capture of its page: its fields, and the crawl's own.

    The crawl's fields come after the extracted ones (a dataclass's fields follow its bases'),
    so they have defaults too; ``from_fields`` is how a spider makes one."""

    #: The spider's name.
    outlet: str = ""
    #: 1 for the first text seen at this URL, 2 for the first edit, and so on.
    revision: int | None = None
    #: The unified diff of this revision's text against the previous revision's (None for the first).
    diff: str | None = None
    #: Where the response is archived (file, record id, payload digest, offset, date): a reference
    #: to its WARC record, exported as a dict.
    warc: Any = None
    fetched_at: str | None = None

    @classmethod
    def from_fields(cls, fields: ArticleFields | dict[str, Any], **crawl_fields: Any) -> ArticleItem:
        """The item for extracted ``fields`` (an ``ArticleFields``, or for now a dict of them),
        with the crawl's own fields (``outlet``, ``warc``, ``fetched_at``, ``revision``)."""
        if isinstance(fields, ArticleFields):
            values = {name: getattr(fields, name) for name in _FIELD_NAMES}
        else:
            values = dict(fields)
        return cls(**values, **crawl_fields)
