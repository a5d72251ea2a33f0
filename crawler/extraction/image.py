"""The article's lead image: the outlet's figure markup, else og:image."""

from __future__ import annotations

from crawler.extraction.markup import select, text_of
from crawler.extraction.metadata import PageMetadata
from crawler.extraction.rules import PageRules


def lead_image(meta: PageMetadata, scope, rules: PageRules) -> dict[str, str | None] | None:
    """``{"url", "caption", "credit"}`` of the first figure the outlet's rules pick, else of og:image."""
    image = None
    if rules.image:
        figures = select(scope, rules.image)
        if figures:
            figure = figures[0]
            src = figure.xpath("string(.//img/@src)") or None
            caption = text_of(select(figure, rules.image_caption)) if rules.image_caption else None
            photo_credit = text_of(select(figure, rules.image_credit)) if rules.image_credit else None
            if src or caption or photo_credit:
                image = {"url": src, "caption": caption, "credit": photo_credit}
    if image is None and meta.first("og:image"):
        image = {"url": meta.first("og:image"), "caption": None, "credit": None}
    return image
