"""``extract_article``: one article page in, clean text and metadata out.

Order of evidence for metadata: JSON-LD first, then the outlet's own markup,
then OpenGraph and meta tags, then what trafilatura finds. The body is
trafilatura's, run on the page after the outlet's rules have cut it down to the
article and removed everything they know is not the article. Each field has its
own module; this one only runs them in order.
"""

from __future__ import annotations

import functools
from typing import Any

from lxml import etree

from crawler.extraction.access import article_access
from crawler.extraction.body import article_paragraphs
from crawler.extraction.classification import article_section, article_tags
from crawler.extraction.credits import article_credit
from crawler.extraction.dates import article_dates, guess_date, page_date, page_dates
from crawler.extraction.fields import ArticleFields
from crawler.extraction.image import lead_image
from crawler.extraction.language import check_language, declared_language, detect_language
from crawler.extraction.markup import looks_binary, parse_html, select, text_of
from crawler.extraction.metadata import MEDIA_TYPES, page_metadata
from crawler.extraction.normalize import iso, join_paragraphs, normalize_text, parse_datetime
from crawler.extraction.result import ExtractionResult
from crawler.extraction.rules import PageRules
from crawler.extraction.titles import (
    core_headline,
    headlines,
    strip_site_name,
    title_and_byline,
    without_leading_headline,
)

__all__ = [
    "ArticleFields",
    "ExtractionResult",
    "check_language",
    "core_headline",
    "detect_language",
    "extract_article",
    "page_date",
    "parse_html",
    "strip_site_name",
]


def extract_article(
    html: str | bytes,
    *,
    url: str,
    rules: PageRules | None = None,
    fetched_at: str | None = None,
    discovered: dict[str, Any] | None = None,
    min_words: int = 50,
) -> ExtractionResult:
    """Extract one article. Never raises on bad pages: says why it skipped them."""
    rules = rules or PageRules()
    discovered = discovered or {}
    if not html or not html.strip():
        return ExtractionResult(skipped="empty page")
    if looks_binary(html):
        return ExtractionResult(skipped="binary content, not HTML")
    try:
        tree = parse_html(html)
    except (etree.ParserError, ValueError) as exc:
        return ExtractionResult(skipped=f"unparseable HTML: {exc}")

    for selector in rules.not_article:
        if select(tree, selector):
            return ExtractionResult(skipped=f"not an article page ({selector})")
    if rules.article and not select(tree, rules.article):
        return ExtractionResult(skipped=f"no article container ({rules.article})")

    meta = page_metadata(tree, url)
    ld = meta.article
    scope_nodes = select(tree, rules.article) if rules.article else []
    scope = scope_nodes[0] if scope_nodes else tree
    site_names = meta.site_names(url)
    # trafilatura's reading of the title and byline: costly, so only read when one of them needs it.
    reading = functools.cache(lambda: title_and_byline(tree, url))

    section = article_section(meta, scope, rules)
    title, social_title = headlines(meta, scope, rules, site_names, section)
    paragraphs, body_source = article_paragraphs(tree, url, rules, ld.get("articleBody"))
    paragraphs = without_leading_headline(paragraphs, [title, social_title, text_of(tree.xpath("//h1")[:1])])
    credited, paragraphs = article_credit(
        html,
        tree,
        url,
        meta=meta,
        scope=scope,
        rules=rules,
        site_names=site_names,
        paragraphs=paragraphs,
        title=title,
        reading=reading,
    )
    if not title and (fallback := reading()) is not None and fallback.title:
        title = strip_site_name(normalize_text(fallback.title), site_names, section)
    text = join_paragraphs(paragraphs)

    fetched = parse_datetime(fetched_at) if fetched_at else None
    page = page_dates(scope, rules) if rules.dates else (None, None)
    published, modified, published_source = article_dates(
        meta, rules, page, discovered, lambda: guess_date(tree, url), fetched
    )

    words = len(text.split())
    language, language_note = check_language(declared_language(meta, rules, discovered), text)
    if not ld and meta.types & MEDIA_TYPES and words < min_words:
        # A video, audio or gallery page: its JSON-LD describes media, and it has no article text.
        return ExtractionResult(skipped=f"media page ({', '.join(sorted(meta.types & MEDIA_TYPES))})")
    access, truncated = article_access(ld, scope, rules, words, min_words)
    result = ExtractionResult(
        fields=ArticleFields(
            url=url,
            canonical_url=meta.canonical or meta.first("og:url") or None,
            title=title,
            subtitle=text_of(select(scope, rules.subtitle)) or None,
            authors=credited.persons,
            organizations=credited.organizations,
            published=iso(published),
            modified=iso(modified),
            published_source=published_source,
            language=language,
            section=section,
            tags=article_tags(meta, scope, rules),
            image=lead_image(meta, scope, rules),
            text=text,
            word_count=words,
            access=access,
        )
    )
    if truncated:
        result.warnings.append(f"truncated text ({truncated})")
    if language_note:
        result.notes["language_corrected"] = language_note
    if body_source:
        result.notes["text_from_page_data"] = f"text read from the page's {body_source}: its markup holds next to none"
    if not text:
        result.warnings.append("empty text")
    elif words < min_words:
        result.warnings.append(f"short text ({words} words)")
    return result
