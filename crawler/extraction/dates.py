"""When it was published and modified: JSON-LD, meta tags, the page's own dates, discovery, htmldate."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import dateparser
import htmldate

from crawler.extraction.markup import select
from crawler.extraction.metadata import PageMetadata
from crawler.extraction.normalize import normalize_text, parse_datetime
from crawler.extraction.rules import PageRules
from crawler.extraction.vocabulary import MODIFIED_LABELS, PUBLISHED_LABELS

logger = logging.getLogger(__name__)

_PUBLISHED_LABEL = PUBLISHED_LABELS.compile()
_MODIFIED_LABEL = MODIFIED_LABELS.compile()


def page_date(node, timezone_name: str) -> datetime | None:
    """A date printed on the page: a time[datetime] inside, or the text after a label."""
    stamp = node.xpath("string(.//time/@datetime | self::time/@datetime)")
    if stamp:
        return parse_datetime(stamp, timezone_name)
    text = normalize_text(node.text_content())
    text = text.split(":", 1)[1] if re.match(r"^[^\d:]{2,30}:", text) else text
    moment: datetime | None = dateparser.parse(
        text.strip(), settings={"RETURN_AS_TIMEZONE_AWARE": False, "PREFER_DAY_OF_MONTH": "first"}
    )
    if moment is None:
        return None
    # Attach the outlet's zone ourselves: zoneinfo gets the daylight-saving offset right.
    return moment.replace(tzinfo=ZoneInfo(timezone_name)) if moment.tzinfo is None else moment


def page_dates(scope, rules: PageRules) -> tuple[str | None, str | None]:
    """The publication and modification dates the outlet's date elements print, by their labels."""
    published = modified = None
    for node in select(scope, rules.dates):
        label = normalize_text(node.text_content()).split(":", 1)[0]
        moment = page_date(node, rules.timezone)
        if moment is None:
            continue
        if _MODIFIED_LABEL.search(label):
            modified = modified or moment.isoformat()
        elif _PUBLISHED_LABEL.search(label) or published is None:
            published = published or moment.isoformat()
    return published, modified


def guess_date(tree, url: str) -> str | None:
    """htmldate's reading of the page (the last resort for the publication date)."""
    try:
        return htmldate.find_date(tree, url=url, original_date=True, extensive_search=False)  # copies it itself
    except Exception as exc:  # pragma: no cover - htmldate internals
        logger.debug("htmldate failed on %s: %s", url, exc)
        return None


def article_dates(
    meta: PageMetadata,
    rules: PageRules,
    page: tuple[str | None, str | None],
    discovered: dict[str, Any],
    fallback: Callable[[], str | None],
    fetched: datetime | None,
) -> tuple[datetime | None, datetime | None, str | None]:
    """The publication date, the modification date, and the name of the evidence the first came from.

    The first source that has a date wins; ``fallback`` (the costly htmldate search) runs only when
    none before it had one. A date after the capture is wrong by definition and is passed over."""
    ld = meta.article
    candidates = [
        ("json-ld", ld.get("datePublished"), ld.get("dateModified")),
        (
            "meta",
            meta.first("article:published_time", "og:published_time", "pubdate", "date"),
            meta.first("article:modified_time", "og:updated_time"),
        ),
        ("page", page[0], page[1]),
        ("discovery", discovered.get("published"), None),
        ("htmldate", fallback, None),
    ]
    published = modified = None
    source = None
    for name, pub, mod in candidates:
        if callable(pub):
            if published is not None:
                break
            pub = pub()  # the last resort is the costly one: only when needed
        moment = parse_datetime(pub, rules.timezone) if isinstance(pub, str) else None
        if moment and fetched and moment > fetched:
            continue  # a date after the capture is wrong by definition
        if moment and published is None:
            published, source = moment, name
        mod_moment = parse_datetime(mod, rules.timezone) if isinstance(mod, str) else None
        if mod_moment and modified is None and not (fetched and mod_moment > fetched):
            modified = mod_moment
    return published, modified, source
