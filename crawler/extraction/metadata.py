"""Embedded metadata of a page: JSON-LD, meta tags, links."""

from __future__ import annotations

import html
import json
import logging
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import jstyleson
from lxml import etree
from lxml import html as lxml_html

from crawler.extraction.normalize import normalize_text

logger = logging.getLogger(__name__)

ARTICLE_TYPES = {
    "NewsArticle",
    "Article",
    "ReportageNewsArticle",
    "AskPublicNewsArticle",
    "SatiricalArticle",
    "AnalysisNewsArticle",
    "OpinionNewsArticle",
    "BackgroundNewsArticle",
    "ReviewNewsArticle",
    "BlogPosting",
    "LiveBlogPosting",
    "Report",
}


MEDIA_TYPES = {"VideoObject", "AudioObject", "ImageGallery", "MediaGallery", "PodcastEpisode", "Clip"}


@dataclass
class PageMetadata:
    article: dict[str, Any] = field(default_factory=dict)
    #: Every schema.org type the page's JSON-LD declares.
    types: set[str] = field(default_factory=set)
    meta: dict[str, list[str]] = field(default_factory=dict)
    canonical: str | None = None
    html_lang: str | None = None

    def first(self, *names: str) -> str | None:
        for name in names:
            for value in self.meta.get(name.lower(), []):
                if value and value.strip():
                    return value.strip()
        return None

    def site_names(self, url: str | None) -> set[str]:
        """What the outlet calls itself: og:site_name, application-name, publisher, host."""
        names = {self.first("og:site_name"), self.first("application-name"), self.first("twitter:site")}
        publisher = self.article.get("publisher")
        if isinstance(publisher, dict):
            names.add(ld_text(publisher.get("name")))
        host = (urlsplit(url).hostname or "") if url else ""
        if host:
            host = host.removeprefix("www.")
            names |= {host, host.split(".")[0]}
        return {n.lstrip("@") for n in names if n}

    def all(self, name: str) -> list[str]:
        return [v.strip() for v in self.meta.get(name.lower(), []) if v and v.strip()]


def _types(node: dict[str, Any]) -> set[str]:
    value = node.get("@type")
    if isinstance(value, str):
        return {value.rsplit("/", 1)[-1]}
    if isinstance(value, list):
        return {str(v).rsplit("/", 1)[-1] for v in value}
    return set()


def _walk(node: Any):
    if isinstance(node, dict):
        yield node
        for key in ("@graph", "mainEntity", "itemListElement"):
            if key in node:
                yield from _walk(node[key])
    elif isinstance(node, list):
        for child in node:
            yield from _walk(child)


#: The page's JSON-LD blocks: ``type`` exactly so, anywhere in the tree (the tree itself too).
_JSON_LD_SCRIPTS = etree.XPath('descendant-or-self::script[@type="application/ld+json"]')
#: What some pages put before a block's JSON: a one-line HTML comment (``<!-- Yoast SEO -->``), an
#: HTML comment's or a CDATA section's opening, a ``//`` line (``//<![CDATA[``); and after it,
#: their closing (``-->``, ``]]>``, ``//]]>``).
_BEFORE_JSON = re.compile(r"\A\s*(?:<!--[^\n]*?-->|<!--|<!\[CDATA\[|//[^\n]*)")
_AFTER_JSON = re.compile(r"(?://\s*)?(?:-->|\]\]>)\s*\Z")


def json_ld_block(script: etree._Element) -> list[Any]:
    """The objects of one JSON-LD block (a list's entries, or the one object), empty ones left out.
    Strings may hold raw control characters (many pages put line breaks in ``articleBody``);
    JavaScript comments (``//``, ``/* */``) and the markers around a block are read past, through
    jstyleson. A block that is not JSON even so raises ``ValueError``."""
    text = script.xpath("string()")
    try:
        data = json.loads(text, strict=False)
    except ValueError:
        data = jstyleson.loads(_AFTER_JSON.sub("", _BEFORE_JSON.sub("", text)), strict=False)
    entries = data if isinstance(data, list) else [data] if isinstance(data, dict) else []
    return [entry for entry in entries if entry]


def json_ld_objects(tree: lxml_html.HtmlElement, url: str | None = None) -> list[dict[str, Any]]:
    """Every JSON-LD object on the page, ``@graph``, ``mainEntity`` and list entries included (a
    broken block is skipped, not fatal).

    Read here rather than by extruct's ``JsonLdExtractor`` (the same reading: a test compares
    the two on every fixture page): importing ``extruct.jsonld`` runs the package's ``__init__``,
    which loads every syntax's extractor (microformats with BeautifulSoup, RDFa with rdflib),
    ~0.13 s of each extraction worker's start spent on code no page uses."""
    data: list[Any] = []
    for script in _JSON_LD_SCRIPTS(tree):
        try:
            data.extend(json_ld_block(script))
        except Exception as exc:  # one broken block (not JSON, nested past recursion) is skipped
            logger.debug("JSON-LD on %s: a block skipped: %s", url, exc)
    return list(_walk(data))


def json_ld_article(objects: list[dict[str, Any]]) -> dict[str, Any]:
    """The page's article object, or {}."""
    candidates = [n for n in objects if _types(n) & ARTICLE_TYPES]
    if not candidates:
        return {}
    # Several article objects: the one with the most to say about this page.
    return max(candidates, key=lambda n: (bool(n.get("headline")), bool(n.get("datePublished")), len(n)))


def meta_tags(tree: lxml_html.HtmlElement) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for node in tree.xpath("//meta[@content]"):
        key = node.get("property") or node.get("name") or node.get("itemprop")
        if key:
            found.setdefault(key.strip().lower(), []).append(node.get("content"))
    return found


def page_metadata(tree: lxml_html.HtmlElement, url: str | None = None) -> PageMetadata:
    canonical = None
    for link in tree.xpath('//link[@rel="canonical"][@href]'):
        canonical = link.get("href").strip() or None
        break
    lang = tree.xpath("string(/html/@lang)") or None
    objects = json_ld_objects(tree, url)
    types = set().union(*(_types(o) for o in objects)) if objects else set()
    return PageMetadata(json_ld_article(objects), types, meta_tags(tree), canonical, lang)


def ld_text(value: Any) -> str | None:
    """A JSON-LD text value (entities some sites leave in it decoded)."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("name") or value.get("@value")
    return normalize_text(html.unescape(str(value))) if value else None


#: A content system's administrator account as an author's profile address.
_SITE_ACCOUNT = re.compile(
    r"/(?:author|authors|user|users)/(?:admin|administrator|webmaster|wpadmin)/?(?:[#?].*)?$", re.I
)


def ld_names(value: Any) -> list[str]:
    """Names of JSON-LD persons or organizations (string, object or list)."""
    if value is None:
        return []
    if not isinstance(value, list):
        value = [value]
    names = []
    for entry in value:
        if isinstance(entry, dict) and _SITE_ACCOUNT.search(str(entry.get("url") or entry.get("@id") or "")):
            continue  # the site's administrator account ("Ilanga D" at /author/admin/): nobody's byline
        name = entry.get("name") if isinstance(entry, dict) else entry
        if isinstance(name, str) and name.strip() and not re.match(r"https?://", name.strip()):
            names.append(normalize_text(html.unescape(name)))
    return names


def ld_keywords(value: Any) -> list[str]:
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list):
        return []
    return [k for k in (normalize_text(str(v)) for v in value) if k]
