"""Tolerant parsing of what outlets announce articles in: feeds and sitemaps.

Sitemaps keep what Scrapy's ``SitemapSpider`` drops: ``lastmod`` and the Google
News fields (``news:publication_date``, ``news:title``, ``news:language``).
Feeds go through feedparser (RSS 0.9x-2.0, RSS 1.0, Atom), JSON Feed through
``json``. A broken entry is skipped with a warning, never the whole document.
"""

from __future__ import annotations

import json
import logging
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import feedparser
from lxml import etree

from crawler.extraction.normalize import normalize_text, parse_datetime

logger = logging.getLogger(__name__)

GZIP_MAGIC = b"\x1f\x8b"
#: Inflate at most this much from one gzipped sitemap (a bomb stops here).
MAX_INFLATED = 100 * 1024 * 1024


@dataclass
class Entry:
    """One URL announced by a feed or sitemap, with what was said about it."""

    url: str
    lastmod: datetime | None = None
    published: datetime | None = None
    title: str | None = None
    language: str | None = None

    def discovered(self, source: str) -> dict[str, Any]:
        """What the article request carries to extraction (JSON-safe)."""
        return {
            key: value
            for key, value in {
                "source": source,
                "published": self.published.isoformat() if self.published else None,
                "lastmod": self.lastmod.isoformat() if self.lastmod else None,
                "title": self.title,
                "language": self.language,
            }.items()
            if value
        }

    def newest_date(self) -> datetime | None:
        dates = [d for d in (self.lastmod, self.published) if d]
        return max(dates) if dates else None


@dataclass
class Sitemap:
    kind: str  # "index" or "urlset"
    entries: list[Entry] = field(default_factory=list)


def maybe_gunzip(body: bytes) -> bytes:
    """Gunzip by content, not by name or header (bounded against bombs)."""
    if not body.startswith(GZIP_MAGIC):
        return body
    inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
    try:
        data = inflater.decompress(body, MAX_INFLATED)
    except zlib.error as exc:
        raise ValueError(f"bad gzip data: {exc}") from exc
    if inflater.unconsumed_tail:
        raise ValueError(f"gzip inflates beyond {MAX_INFLATED} bytes")
    return data


def _local(tag) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def parse_sitemap(body: bytes) -> Sitemap:
    """A sitemap index or urlset; raises ValueError if it is neither."""
    data = maybe_gunzip(body)
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, remove_comments=True)
    try:
        root = etree.fromstring(data.strip(), parser=parser)
    except etree.XMLSyntaxError as exc:
        raise ValueError(f"not XML: {exc}") from exc
    if root is None:
        raise ValueError("not XML")
    kind = _local(root.tag)
    if kind not in ("sitemapindex", "urlset"):
        raise ValueError(f"not a sitemap (root element <{kind}>)")
    sitemap = Sitemap("index" if kind == "sitemapindex" else "urlset")
    for node in root:
        if _local(node.tag) not in ("sitemap", "url"):
            continue
        # loc and lastmod of the entry itself (image:loc and the like are nested).
        own = {_local(c.tag): (c.text or "").strip() for c in node if _local(c.tag) in ("loc", "lastmod")}
        news = {}
        for child in node.iter():
            if _local(child.tag) == "news" and child is not node:
                news = {_local(n.tag): (n.text or "").strip() for n in child.iter() if n is not child}
                break
        loc = own.get("loc")
        if not loc:
            logger.warning("Sitemap entry without <loc> skipped")
            continue
        sitemap.entries.append(
            Entry(
                url=loc,
                lastmod=parse_datetime(own.get("lastmod")),
                published=parse_datetime(news.get("publication_date")),
                title=normalize_text(news.get("title")) or None,
                language=news.get("language") or None,
            )
        )
    return sitemap


def _struct_time(value) -> datetime | None:
    if not value:
        return None
    return datetime(*value[:6]).replace(tzinfo=UTC)


#: feedparser's complaints that say nothing about the feed's content.
_BENIGN_BOZO = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)


def parse_feed(body: bytes, base_url: str = "", content_type: str = "") -> list[Entry]:
    """Entries of an RSS, Atom or JSON feed; raises ValueError if it is none of them."""
    data = maybe_gunzip(body)
    stripped = data.lstrip()
    if stripped.startswith(b"{"):
        return _parse_json_feed(stripped)
    headers = {"content-location": base_url}
    if content_type:
        headers["content-type"] = content_type
    parsed = feedparser.parse(data, response_headers=headers)
    if not parsed.entries and (parsed.bozo and not parsed.feed):
        raise ValueError(f"not a feed: {parsed.get('bozo_exception')}")
    if parsed.bozo and not isinstance(parsed.get("bozo_exception"), _BENIGN_BOZO):
        logger.warning("Feed %s is malformed (%s); reading what can be read", base_url, parsed.get("bozo_exception"))
    entries = []
    for item in parsed.entries:
        link = item.get("link") or item.get("id")
        if not link:
            logger.warning("Feed %s: entry without a link skipped", base_url)
            continue
        entries.append(
            Entry(
                url=link.strip(),
                published=_struct_time(item.get("published_parsed")),
                lastmod=_struct_time(dict.get(item, "updated_parsed")),  # no published fallback
                title=normalize_text(item.get("title")) or None,
                language=parsed.feed.get("language"),
            )
        )
    return entries


def _parse_json_feed(data: bytes) -> list[Entry]:
    try:
        feed = json.loads(data)
    except ValueError as exc:
        raise ValueError(f"not a JSON feed: {exc}") from exc
    entries = []
    for item in feed.get("items", []) if isinstance(feed, dict) else []:
        url = (item.get("url") or item.get("external_url")) if isinstance(item, dict) else None
        if not url:
            logger.warning("JSON feed entry without a url skipped")
            continue
        entries.append(
            Entry(
                url=url,
                published=parse_datetime(item.get("date_published")),
                lastmod=parse_datetime(item.get("date_modified")),
                title=normalize_text(item.get("title")) or None,
                language=feed.get("language"),
            )
        )
    return entries
