"""Whether the text is the whole article: free, partial or paywalled."""

from __future__ import annotations

from typing import Any

from crawler.extraction.markup import select
from crawler.extraction.rules import PageRules


def article_access(ld: dict[str, Any], scope, rules: PageRules, words: int, min_words: int) -> tuple[str, str | None]:
    """free, partial or paywalled; and why the text looks truncated, if it does.

    ``partial``: we hold part of the text (a paywall marker on the page, or the
    text is well short of the page's own JSON-LD ``articleBody``). ``paywalled``:
    the outlet marks the article as not free and we hold little or none of it, or
    holds it only because its paywall is applied in the browser.
    """
    not_free = str(ld.get("isAccessibleForFree", "true")).strip().lower() in ("false", "0", "no")
    marker = next((s for s in rules.paywall if select(scope, s)), None)
    body = ld.get("articleBody")
    body_words = len(body.split()) if isinstance(body, str) else 0
    truncated = None
    if body_words >= min_words and words < 0.8 * body_words:
        truncated = f"{words} of {body_words} words in JSON-LD articleBody"
    elif marker:
        truncated = f"paywall marker {marker}"
    if words == 0:
        return ("paywalled" if (not_free or marker) else "free"), truncated
    if truncated:
        return ("paywalled" if words < min_words and not_free else "partial"), truncated
    return ("paywalled" if not_free else "free"), None
