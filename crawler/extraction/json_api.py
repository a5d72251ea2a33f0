"""Articles served as JSON by an outlet's own API (Meduza's ``/api/w5``): blocks to text."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from lxml import html as lxml_html

from crawler.extraction.fields import ArticleFields
from crawler.extraction.normalize import join_paragraphs, normalize_text

#: Block types that carry article text; the rest (embeds, related, banners) do not.
TEXT_BLOCKS = {"p", "lead", "h2", "h3", "h4", "blockquote", "ul", "ol", "quote", "simple_quote"}


def _block_texts(block: dict[str, Any]) -> list[str]:
    data = block.get("data")
    if isinstance(data, str):
        fragment = lxml_html.fragment_fromstring(data, create_parent="div")
        items = fragment.xpath(".//li")
        if items:
            return [normalize_text(li.text_content()) for li in items]
        return [normalize_text(fragment.text_content())]
    if isinstance(data, dict) and isinstance(data.get("text"), str):
        return [normalize_text(lxml_html.fragment_fromstring(data["text"], create_parent="div").text_content())]
    return []


def extract_blocks_article(document: object, origin: str, language: str | None) -> ArticleFields | None:
    """The article's fields from a Meduza-style ``{"root": {...}}`` document, or None if it holds no article."""
    root = document.get("root") if isinstance(document, dict) else None
    if not isinstance(root, dict) or not root.get("title"):
        return None
    blocks = (root.get("content") or {}).get("blocks") or []
    paragraphs = [
        text
        for block in blocks
        if isinstance(block, dict) and block.get("type") in TEXT_BLOCKS
        for text in _block_texts(block)
        if text
    ]
    text = join_paragraphs(paragraphs)
    stamp = root.get("datetime")
    published = datetime.fromtimestamp(stamp, UTC).isoformat() if isinstance(stamp, (int, float)) else None
    path = (root.get("url") or "").lstrip("/")
    og = root.get("og") or {}
    tag = root.get("tag") or {}
    return ArticleFields(
        # An answer without a url gives None, which ArticleFields.url (str) does not admit: kept as it
        # was (a typing-only change), to be settled with ArticleFields.
        url=f"{origin}/{path}" if path else None,  # type: ignore[arg-type]
        canonical_url=f"{origin}/{path}" if path else None,
        title=normalize_text(root.get("title")),
        subtitle=normalize_text(root.get("second_title")) or None,
        authors=[],
        organizations=[],
        published=published,
        modified=None,
        published_source="api" if published else None,
        language=language,
        section=normalize_text(tag.get("name")) or None,
        tags=[],
        image={"url": og.get("image"), "caption": None, "credit": None} if og.get("image") else None,
        text=text,
        word_count=len(text.split()),
        access="free",
    )
