"""What an outlet knows about its pages, declared, not coded."""

from __future__ import annotations

from dataclasses import dataclass


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
    image: str | None = None
    image_caption: str | None = None
    image_credit: str | None = None
    #: Language of the outlet when the page does not declare one.
    language: str | None = None
    #: IANA time zone of dates printed on the page without an offset.
    timezone: str = "UTC"
    #: Strings that must never reach an item (checked by tests; dropped if seen).
    boilerplate: tuple[str, ...] = ()
