"""The article's text: trafilatura on the page cut down by the outlet's rules, furniture dropped.

Without rules the whole page is read strictly and checked against more generous readings; when
the markup holds next to no text, the text may come from the page's data (JSON-LD, a script).
"""

from __future__ import annotations

import copy
import json
import logging
import re
from typing import Any, TypedDict

import trafilatura
from lxml import html as lxml_html

from crawler.extraction.boilerplate import is_generic_boilerplate
from crawler.extraction.markup import select
from crawler.extraction.normalize import normalize_text
from crawler.extraction.people import is_byline_line
from crawler.extraction.rules import PageRules

logger = logging.getLogger(__name__)


def article_paragraphs(tree, url: str, rules: PageRules, article_body: Any) -> tuple[list[str], str | None]:
    """The body's paragraphs, and where they came from when not from the markup (else None).

    ``article_body`` is the page's JSON-LD ``articleBody``: the length the publisher gives the
    text, and the text itself when the markup holds next to none."""
    # trafilatura copies the tree it is given; only the outlet's removals need a copy of ours.
    body_tree, targeted = _body_tree(copy.deepcopy(tree) if rules.remove else tree, rules)
    expected_words = len(article_body.split()) if isinstance(article_body, str) else 0
    paragraphs = _body_paragraphs(body_tree, url, rules, targeted, expected_words)
    body_source = None
    if not targeted and len(" ".join(paragraphs).split()) < GENERIC_MIN_WORDS:
        # Next to nothing in the page's markup: the text may be only in its data.
        embedded, body_source = _embedded_text(tree, url, article_body)
        if embedded:
            paragraphs = embedded
    return paragraphs, body_source


def _body_tree(tree, rules: PageRules) -> tuple[Any, bool]:
    """A new document holding only the article's lead and body, pruned; and whether
    the outlet's rules found them (else the whole pruned page comes back)."""
    for selector in rules.remove:
        for node in select(tree, selector):
            node.drop_tree()
    scope = tree
    if rules.article:
        containers = select(tree, rules.article)
        if containers:
            scope = containers[0]
    leads = [node for selector in rules.lead for node in select(scope, selector)[:1]]
    if rules.body:
        bodies = select(scope, rules.body)[:1]
    else:
        bodies = [scope] if scope is not tree else []
    if not leads and not bodies:
        return tree, False
    # One container holding lead and body side by side, so that trafilatura
    # reads them as one text instead of choosing between them.
    document = lxml_html.document_fromstring("<html><head></head><body><article><div></div></article></body></html>")
    head = tree.find("head")
    if head is not None:
        document.replace(document.find("head"), copy.deepcopy(head))
    container = document.find(".//article/div")
    for lead in leads:
        node = copy.deepcopy(lead)
        if not node.xpath(".//p|.//div"):
            node.tag = "p"  # a bare-text lead (an nl2br'd intro) reads as one paragraph
        container.append(node)
    for body in bodies:
        body = copy.deepcopy(body)
        if body.text and body.text.strip():
            paragraph = lxml_html.Element("p")
            paragraph.text = body.text
            container.append(paragraph)
        container.extend(list(body))
    return document, True


#: A generic extraction shorter than this is checked against trafilatura's recall mode.
GENERIC_MIN_WORDS = 50
SHORT_READING_WORDS = 150
SHORT_READING_FACTOR = 5


class _TrafilaturaOptions(TypedDict):
    """The keyword arguments every trafilatura.extract call here shares."""

    output_format: str
    include_comments: bool
    include_tables: bool
    include_images: bool
    include_links: bool
    deduplicate: bool
    with_metadata: bool


_TRAFILATURA_OPTIONS = _TrafilaturaOptions(
    output_format="txt",
    include_comments=False,
    include_tables=True,
    include_images=False,
    include_links=False,
    deduplicate=False,
    with_metadata=False,
)


def _trafilatura_text(tree, url: str, targeted: bool, expected_words: int = 0) -> str:
    """Body text. Cut down by outlet rules, the page is read generously (favor_recall).
    A whole page without rules is read strictly (favor_precision); when that finds next
    to nothing, or far less than the page's own paragraphs hold, a more generous reading
    is tried and kept if it finds clearly more."""
    if targeted:
        return trafilatura.extract(tree, url=url, favor_recall=True, **_TRAFILATURA_OPTIONS) or ""
    # fast: no comparison with trafilatura's fallback extractors (readability, jusText), for the
    # strict reading and the readings after it (in trafilatura 2.3 it also leaves jusText out of
    # the recall retry and keeps teaser-class blocks in the last-resort text recovery). Measured
    # on the article-extraction benchmark: the strict reading's F1 (0.971) at about 60% of the
    # cost; the later readings fast too, F1 0.9739 either way (one page of 181 differs: 10 words
    # more), the generic path 6% cheaper. The readings below cover what the strict one misses.
    strict = trafilatura.extract(tree, url=url, favor_precision=True, fast=True, **_TRAFILATURA_OPTIONS) or ""
    strict_words = len(strict.split())
    if expected_words >= GENERIC_MIN_WORDS and strict_words < 0.8 * expected_words:
        # The page's own JSON-LD articleBody says the article is longer than the strict reading:
        # read it the balanced way too and keep whichever comes closer to the publisher's count.
        balanced = trafilatura.extract(tree, url=url, fast=True, **_TRAFILATURA_OPTIONS) or ""
        balanced_words = len(balanced.split())
        if abs(balanced_words - expected_words) < abs(strict_words - expected_words):
            return balanced
    if strict_words < GENERIC_MIN_WORDS:
        generous = trafilatura.extract(tree, url=url, favor_recall=True, fast=True, **_TRAFILATURA_OPTIONS) or ""
        return generous if len(generous.split()) > 1.2 * strict_words else strict
    articles = tree.xpath("//article")
    paragraph_words = sum(len(p.text_content().split()) for p in (articles[0] if articles else tree).xpath(".//p"))
    short_of_paragraphs = strict_words < 0.7 * paragraph_words
    if short_of_paragraphs or strict_words < SHORT_READING_WORDS:
        balanced = trafilatura.extract(tree, url=url, fast=True, **_TRAFILATURA_OPTIONS) or ""
        if len(balanced.split()) > (2 if short_of_paragraphs else SHORT_READING_FACTOR) * strict_words:
            return balanced
    return strict


#: A JSON string in a script, under a key that names content, holding enough for an article.
_EMBEDDED_HTML = re.compile(r'"(?i:[\w$-]*(?:html|content|body|text)[\w$-]*)"\s*:\s*"((?:[^"\\]|\\.){400,})"')


def _embedded_text(tree, url: str, article_body: Any) -> tuple[list[str] | None, str | None]:
    """The article's paragraphs from the page's data when its markup holds next to none: the
    JSON-LD ``articleBody``, else the longest HTML string in a script (a JavaScript application's
    hydration data: ``"contentHtml": "<p>…"``), read as a page of its own. None when neither has
    an article's worth of words."""
    if isinstance(article_body, str) and len(article_body.split()) >= GENERIC_MIN_WORDS:
        return [p for p in (normalize_text(line) for line in article_body.split("\n")) if p], "JSON-LD articleBody"
    best = ""
    for script in tree.iterfind(".//script"):
        for match in _EMBEDDED_HTML.finditer(script.text or ""):
            if len(match.group(1)) <= len(best):
                continue
            try:
                value = json.loads(f'"{match.group(1)}"', strict=False)
            except ValueError:
                continue
            if "<p" in value:
                best = value
    if not best:
        return None, None
    fragment = lxml_html.document_fromstring(f"<html><body><article>{best}</article></body></html>")
    text = trafilatura.extract(fragment, url=url, favor_recall=True, **_TRAFILATURA_OPTIONS) or ""
    paragraphs = [p for p in (normalize_text(line) for line in text.split("\n")) if p and not is_generic_boilerplate(p)]
    if len(" ".join(paragraphs).split()) < GENERIC_MIN_WORDS:
        return None, None
    return paragraphs, "script data"


def _link_list_items(tree) -> set[str]:
    """The items of lists that are nothing but links (three or more items, each one link making
    most of its text, a kicker beside it at most): related-article and navigation boxes,
    however they are marked up."""
    items: set[str] = set()
    for listing in tree.iter("ul", "ol"):
        entries = [li for li in listing if li.tag == "li"]
        if len(entries) < 3:
            continue
        texts = []
        for li in entries:
            links = li.findall(".//a")
            text = normalize_text(li.text_content())
            if len(links) != 1 or not text or 2 * len(normalize_text(links[0].text_content())) < len(text):
                break
            texts.append(text)
        else:
            items.update(texts)
    return items


def _body_paragraphs(tree, url: str, rules: PageRules, targeted: bool, expected_words: int = 0) -> list[str]:
    text = _trafilatura_text(tree, url, targeted, expected_words)
    paragraphs = [normalize_text(line) for line in text.split("\n")]
    patterns = [re.compile(p, re.I) for p in rules.drop_paragraphs]
    link_items = _link_list_items(tree) if "\n- " in text else set()
    kept = []
    for paragraph in paragraphs:
        if not paragraph:
            continue
        if link_items and paragraph.startswith("- ") and paragraph[2:] in link_items:
            continue
        if any(p.match(paragraph) for p in patterns) or is_generic_boilerplate(paragraph) or is_byline_line(paragraph):
            continue
        if any(b in paragraph for b in rules.boilerplate):
            logger.debug("Dropped a boilerplate paragraph on %s: %.60s", url, paragraph)
            continue
        kept.append(paragraph)
    return kept
