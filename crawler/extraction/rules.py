"""What an outlet knows about its pages, declared, not coded."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any


@dataclass(frozen=True)
class PageRules:
    """CSS selectors (and a few strings) describing one outlet's article pages.

    Every field is optional: what a rule does not say, JSON-LD, meta tags and
    trafilatura fill in. Instances are picklable and travel to worker processes.
    """

    #: The article container; the first match wins (pages can carry a next article).
    article: str | None = None
    #: Lead paragraphs shown before the body (inside ``article``).
    lead: tuple[str, ...] = ()
    #: The body container(s) inside ``article``.
    body: str | None = None
    #: Nodes that are never article text (removed before anything is read).
    remove: tuple[str, ...] = ()
    #: Regular expressions; a paragraph matching one (from its start) is dropped.
    drop_paragraphs: tuple[str, ...] = ()
    #: Presence of any of these marks a page that is not an article (video, gallery).
    not_article: tuple[str, ...] = ()
    title: str | None = None
    subtitle: str | None = None
    #: Each match is one author name.
    authors: str | None = None
    section: str | None = None
    tags: str | None = None
    #: Elements whose text is "<label>: <date>" ("Published: November 23, 2021 6:12pm");
    #: a label with "publish"/"posted" is the publication date, "updat"/"modif"/"edit" the modification.
    dates: str | None = None
    image: str | None = None
    image_caption: str | None = None
    image_credit: str | None = None
    #: Language of the outlet when the page does not declare one.
    language: str | None = None
    #: IANA time zone of dates printed on the page without an offset.
    timezone: str = "UTC"
    #: Strings that must never reach an item (checked by tests; dropped if seen).
    boilerplate: tuple[str, ...] = ()
    #: Elements present only when a paywall cut the article short.
    paywall: tuple[str, ...] = ()

    def extend(self, **more) -> PageRules:
        """A copy with tuples appended to and other fields replaced (for language services)."""
        changes: dict[str, Any] = {}
        for field in fields(self):
            if field.name in more:
                value = more[field.name]
                current = getattr(self, field.name)
                changes[field.name] = current + tuple(value) if isinstance(current, tuple) else value
        return replace(self, **changes)
