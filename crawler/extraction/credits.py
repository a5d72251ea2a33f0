"""Who the article is credited to: one decision over the outlet's byline markup, the page's
metadata, the visible byline and a byline left in the text.

``people`` reads names out of credit strings; this module decides which credit strings count.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from crawler.extraction.byline_markup import extract_author
from crawler.extraction.markup import select
from crawler.extraction.metadata import PageMetadata, ld_names
from crawler.extraction.normalize import normalize_text
from crawler.extraction.people import Credit, credit, is_name_line, squash
from crawler.extraction.rules import PageRules
from crawler.extraction.vocabulary import JOIN_WORDS

logger = logging.getLogger(__name__)


def article_credit(
    html: str | bytes,
    tree,
    url: str,
    *,
    meta: PageMetadata,
    scope,
    rules: PageRules,
    site_names: set[str],
    paragraphs: list[str],
    title: str | None,
    reading: Callable[[], Any],
) -> tuple[Credit, list[str]]:
    """The persons and organizations credited, and the paragraphs without a byline found in them.

    In order: the outlet's byline markup, one element one name, is the authority. Else the page's
    metadata (JSON-LD, then meta tags), widened to the visible byline when the page names the
    credited person beside others. With no person but the publisher, a byline set alone in the
    text. Then, still without a person (and with the publisher only, or no title either),
    trafilatura's ``reading`` of the visible byline; ``reading`` is called only then.
    """
    if rules.authors and select(scope, rules.authors):
        names = [n.text_content() for n in select(scope, rules.authors)]
        credited = credit(names, site_names, split=False)
    else:
        credited = _credit_from_metadata(meta, site_names)
        if len(credited.persons) == 1 and _byline_goes_on(html, credited.persons[0]):
            credited = _fuller_byline(tree, url, credited, site_names)
    if not credited.persons and _only_the_publisher(credited, site_names) and paragraphs:
        in_body = _byline_in_body(tree, paragraphs, site_names)
        if in_body is not None:
            credited, paragraphs = in_body
    if not credited.persons and (not title or _only_the_publisher(credited, site_names)):
        fallback = reading()
        if fallback is not None and fallback.author:
            # No person in the metadata (or only the publisher standing in for one):
            # the page's visible byline, as trafilatura reads it.
            from_byline = _without_lone_words(credit(fallback.author.split(";"), site_names))
            if from_byline.persons or not (credited.persons or credited.organizations):
                credited = from_byline
    return credited, paragraphs


def _credit_from_metadata(meta: PageMetadata, site_names: set[str]) -> Credit:
    """Persons from the first source that names any (JSON-LD, then meta tags); else its organizations."""
    sources = [ld_names(meta.article.get("author"))]
    author_meta = meta.first("author", "article:author", "byl", "dc.creator", "sailthru.author", "parsely-author")
    if author_meta and not author_meta.startswith("http"):
        sources.append([author_meta])
    organizations: Credit | None = None
    for number, names in enumerate(sources):
        credited = credit(names, site_names)
        if number:  # a meta tag's free text, not JSON-LD's structured persons
            credited = _without_lone_words(credited)
        if credited.persons:
            return credited
        if credited.organizations and organizations is None:
            organizations = credited
    return organizations or Credit()


#: After a name in the page's markup: tags, then a comma, an ampersand or a join word this test has
#: always trusted, then tags and a capital.
_JOINED_NAME = re.compile(
    r"(?:\s|<[^>]{0,200}>)*(?:,|&amp;|&|"
    + "|".join(rf"\b{re.escape(word)}\b" for word in JOIN_WORDS.used_by("byline goes on"))
    + r")(?:\s|<[^>]{0,200}>)*[A-ZÀ-ÖØ-Þ]"
)


def _byline_goes_on(html: str | bytes, person: str) -> bool:
    """Cheap test: somewhere on the page the credited person's name is followed by a join and
    another capitalised name ("Till Eckert, Max Bernhard"): the metadata may name only the first."""
    text = html if isinstance(html, str) else html.decode("utf-8", "replace")
    start = text.find(person)
    while start != -1:
        if _JOINED_NAME.match(text, start + len(person)):
            return True
        start = text.find(person, start + len(person))
    return False


#: Latin, Greek and Cyrillic words: scripts in which a person's name has a space in it.
_SPACED_SCRIPT = re.compile(r"[\x00-\u052f]+")


def _without_lone_words(credited: Credit) -> Credit:
    """A lone word credited as a person in free text, in a script that spaces names, is a label, a
    place or an abbreviation ("Red", "Agenturen", "Frankfurt, Germany"), not a first and last name."""
    credited.persons = [p for p in credited.persons if " " in p or not _SPACED_SCRIPT.fullmatch(p)]
    return credited


def _byline_in_body(tree, paragraphs: list[str], site_names: set[str]) -> tuple[Credit, list[str]] | None:
    """A byline set before the article's first paragraph of running text (after a short dek, within
    the first three) or as its last paragraph, the name alone and in bold ("<p><strong>Mohloai
    Mpesi</strong></p>", "Mathatisi Sebusi/Mohalenyane Phakela"), as small outlets whose metadata
    credits only themselves do: the persons, and the paragraphs without it."""
    leading = []
    for index, paragraph in enumerate(paragraphs[:3]):
        leading.append(index)
        if len(paragraph.split()) >= 25:
            break
    for index in sorted({*leading, len(paragraphs) - 1}):
        candidate = paragraphs[index]
        if not is_name_line(candidate):
            continue
        for node in tree.iterfind(".//p"):
            bold = node.xpath("./strong|./b")
            if bold and normalize_text(node.text_content()) == candidate == normalize_text(
                " ".join(b.text_content() for b in bold)
            ):
                found = credit([candidate], site_names)
                if found.persons and not found.organizations:
                    return found, paragraphs[:index] + paragraphs[index + 1 :]
                break
    return None


def _fuller_byline(tree, url: str, credited: Credit, site_names: set[str]) -> Credit:
    """The visible byline as trafilatura reads it, when it names the credited person and more."""
    try:
        byline = extract_author(tree)
    except Exception as exc:  # pragma: no cover - trafilatura internals
        logger.debug("trafilatura byline reading failed on %s: %s", url, exc)
        return credited
    if not byline:
        return credited
    fuller = credit(byline.split(";"), site_names)
    known = {squash(p) for p in credited.persons}
    new_organizations = {squash(o) for o in fuller.organizations} - {squash(o) for o in credited.organizations}
    more = len(fuller.persons) > len(credited.persons) or bool(new_organizations)
    if more and known <= {squash(p) for p in fuller.persons}:
        organizations = list(dict.fromkeys(credited.organizations + fuller.organizations))
        return Credit(persons=fuller.persons, organizations=organizations)
    return credited


def _only_the_publisher(credited: Credit, site_names: set[str]) -> bool:
    """True when the only credit is the outlet itself (publisher-as-author)."""
    if credited.persons or not credited.organizations:
        return not (credited.persons or credited.organizations)
    sites = {squash(n) for n in site_names}
    return all(any(s and (squash(org) in s or s in squash(org)) for s in sites) for org in credited.organizations)
