"""What the article is filed under: its section and its tags."""

from __future__ import annotations

from collections.abc import Iterable

from crawler.extraction.markup import select, text_of
from crawler.extraction.metadata import PageMetadata, ld_keywords, ld_text
from crawler.extraction.normalize import normalize_text
from crawler.extraction.rules import PageRules


def article_section(meta: PageMetadata, scope, rules: PageRules) -> str | None:
    """JSON-LD's articleSection, else the outlet's section markup, else the article:section meta tag."""
    return (
        ld_text(meta.article.get("articleSection"))
        or text_of(select(scope, rules.section))
        or normalize_text(meta.first("article:section"))
        or None
    )


def article_tags(meta: PageMetadata, scope, rules: PageRules) -> list[str]:
    """JSON-LD's keywords, else article:tag, else the keywords meta tags, else the outlet's tag markup;
    each once, whatever its case."""
    ld = meta.article
    tags = (
        ld_keywords(ld.get("keywords"))
        or meta.all("article:tag")
        or ld_keywords(meta.first("news_keywords", "keywords") or "")
    )
    if rules.tags and not tags:
        tags = [normalize_text(n.text_content()) for n in select(scope, rules.tags)]
    return _unique(tags)


def _unique(values: Iterable[str]) -> list[str]:
    seen, out = set(), []
    for value in values:
        if value and value.lower() not in seen:
            seen.add(value.lower())
            out.append(value)
    return out
