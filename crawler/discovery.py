"""Tolerant parsing of what outlets announce articles in: feeds and sitemaps.

Sitemaps keep what Scrapy's ``SitemapSpider`` drops: ``lastmod`` and the Google
News fields (``news:publication_date``, ``news:title``, ``news:language``).
Feeds go through feedparser (RSS 0.9x-2.0, RSS 1.0, Atom), JSON Feed through
``json``. A broken entry is skipped with a warning, never the whole document.

Big documents are read incrementally: ``open_sitemap`` and ``iter_feed`` return iterators
that parse as they are advanced (lxml ``iterparse``, each entry's element cleared once read;
gzip inflated chunk by chunk), so memory stays bounded by an entry, not by the document.
A feed over ``FEED_STREAM_BYTES`` is read by a streaming RSS/Atom reader instead of
feedparser, which builds the whole document and takes about a millisecond an entry.
They block: the spider runs them on a thread of their own (``crawler.spiders.discovering``).
"""

from __future__ import annotations

import functools
import itertools
import json
import logging
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import feedparser
from lxml import etree

from crawler.extraction.normalize import normalize_text, parse_datetime

logger = logging.getLogger(__name__)

GZIP_MAGIC = b"\x1f\x8b"
#: Inflate at most this much from one gzipped sitemap (a bomb stops here).
MAX_INFLATED = 100 * 1024 * 1024
#: A feed larger than this (inflated) is read by the streaming RSS/Atom reader, not feedparser.
FEED_STREAM_BYTES = 1024 * 1024
_CHUNK = 64 * 1024
_WHITESPACE = b" \t\r\n"


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


class _Reader:
    """A file-like view of a body for ``iterparse``: gunzipped by content, chunk by chunk
    (at most ``MAX_INFLATED`` bytes), leading whitespace skipped; raises ValueError on bad gzip."""

    def __init__(self, body: bytes) -> None:
        self._body = memoryview(body)
        self._pos = 0
        self._inflater = zlib.decompressobj(zlib.MAX_WBITS | 16) if body.startswith(GZIP_MAGIC) else None
        self._inflated = 0
        self._leading = True

    def _raw(self, size: int) -> bytes:
        if self._inflater is None:
            chunk = bytes(self._body[self._pos : self._pos + size])
            self._pos += len(chunk)
            return chunk
        while True:
            if self._inflater.unconsumed_tail:
                data = self._inflater.unconsumed_tail
            elif self._pos < len(self._body) and not self._inflater.eof:
                data = bytes(self._body[self._pos : self._pos + _CHUNK])
                self._pos += len(data)
            else:
                return b""  # the end (a truncated gzip stream ends where its data ends)
            try:
                out = self._inflater.decompress(data, size)
            except zlib.error as exc:
                raise ValueError(f"bad gzip data: {exc}") from exc
            self._inflated += len(out)
            if self._inflated > MAX_INFLATED:
                raise ValueError(f"gzip inflates beyond {MAX_INFLATED} bytes")
            if out:
                return out

    def read(self, size: int = -1) -> bytes:
        size = size if size and size > 0 else _CHUNK
        while True:
            chunk = self._raw(size)
            if not self._leading or not chunk:
                return chunk
            chunk = chunk.lstrip(_WHITESPACE)
            if chunk:
                self._leading = False
                return chunk


def _local(tag) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _events(body: bytes, events: tuple[str, ...] = ("start", "end")):
    return etree.iterparse(
        _Reader(body),
        events=events,
        recover=True,
        resolve_entities=False,
        no_network=True,
        remove_comments=True,
        remove_pis=True,
        huge_tree=True,
    )


#: Sitemaps repeat their dates (a day's lastmod on thousands of entries): parse each once.
_date = functools.lru_cache(maxsize=4096)(parse_datetime)


def _drop(node) -> None:
    """Free an element read to the end, and the siblings read before it."""
    node.clear()
    parent = node.getparent()
    if parent is not None:
        while node.getprevious() is not None:
            del parent[0]


def open_sitemap(body: bytes) -> tuple[str, Iterator[Entry]]:
    """The kind of a sitemap ("index" or "urlset") and an iterator of its entries, read as it
    is advanced; raises ValueError if the body is not a sitemap (the iterator may raise it
    later for a gzip stream that goes bad or inflates past ``MAX_INFLATED``)."""
    events = _events(body, ("end",))  # the fewest events: an entry is read at its end
    try:
        event, first = next(events)
    except StopIteration:
        raise ValueError("not XML") from None
    except etree.XMLSyntaxError as exc:
        raise ValueError(f"not XML: {exc}") from exc
    root = first.getroottree().getroot()
    kind = _local(root.tag)
    if kind not in ("sitemapindex", "urlset"):
        raise ValueError(f"not a sitemap (root element <{kind}>)")
    return ("index" if kind == "sitemapindex" else "urlset"), _sitemap_entries(first, events, root)


def _sitemap_entries(first, events, root) -> Iterator[Entry]:
    try:
        for _, node in itertools.chain([("end", first)], events):
            if node.getparent() is not root:
                continue
            if _local(node.tag) in ("sitemap", "url"):
                entry = _sitemap_entry(node)
                if entry is not None:
                    yield entry
            _drop(node)
    except etree.XMLSyntaxError as exc:  # recover=True rarely gives up; keep what was read
        logger.warning("Sitemap broken off (%s); its complete entries kept", exc)


def _sitemap_entry(node) -> Entry | None:
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
        return None
    return Entry(
        url=loc,
        lastmod=_date(own.get("lastmod")),
        published=_date(news.get("publication_date")),
        title=normalize_text(news.get("title")) or None,
        language=news.get("language") or None,
    )


def parse_sitemap(body: bytes) -> Sitemap:
    """A sitemap index or urlset, read whole; raises ValueError if it is neither."""
    kind, entries = open_sitemap(body)
    return Sitemap(kind, list(entries))


def _struct_time(value) -> datetime | None:
    if not value:
        return None
    return datetime(*value[:6]).replace(tzinfo=UTC)


#: feedparser's complaints that say nothing about the feed's content.
_BENIGN_BOZO = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)


def parse_feed(body: bytes, base_url: str = "", content_type: str = "") -> list[Entry]:
    """Entries of an RSS, Atom or JSON feed; raises ValueError if it is none of them."""
    return list(iter_feed(body, base_url, content_type))


def iter_feed(
    body: bytes, base_url: str = "", content_type: str = "", stream_above: int = FEED_STREAM_BYTES
) -> Iterator[Entry]:
    """Entries of an RSS, Atom or JSON feed as they are read; raises ValueError (when first
    advanced) if it is none of them. Above ``stream_above`` bytes an RSS or Atom feed is read
    incrementally (``_stream_feed``); feedparser reads the rest, and any feed the streaming
    reader cannot make out."""
    data = maybe_gunzip(body)
    stripped = data.lstrip()
    if stripped.startswith(b"{"):
        yield from _parse_json_feed(stripped)
        return
    if len(data) > stream_above:
        streamed = _stream_feed(data, base_url)
        try:
            first = next(streamed, None)
        except _NotStreamable as exc:
            logger.info("Feed %s: %s; read by feedparser", base_url, exc)
        else:
            if first is not None:
                yield first
                yield from streamed
                return
    yield from _feedparser_entries(data, base_url, content_type)


def _feedparser_entries(data: bytes, base_url: str, content_type: str) -> list[Entry]:
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


class _NotStreamable(Exception):
    """The streaming reader cannot read this feed: feedparser gets it."""


#: Element names (local) of an entry's dates, as feedparser maps them: published, then updated.
_PUBLISHED = ("pubDate", "published", "issued")
_UPDATED = ("updated", "modified", "date")  # date: dc:date
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def _feed_time(text: str | None) -> datetime | None:
    """A feed date as feedparser gives it: UTC, whole seconds."""
    moment = parse_datetime(text)
    return moment.astimezone(UTC).replace(microsecond=0) if moment else None


def _stream_feed(data: bytes, base_url: str) -> Iterator[Entry]:
    """An RSS (0.9x, 1.0, 2.0) or Atom feed read with ``iterparse``, one entry at a time.

    Raises ``_NotStreamable`` before the first entry if the document is not one of those."""
    events = _events(data)
    try:
        event, root = next(events)
    except (StopIteration, etree.XMLSyntaxError) as exc:
        raise _NotStreamable(f"not XML ({exc})") from None
    kind = _local(root.tag)
    if kind not in ("rss", "RDF", "feed"):
        raise _NotStreamable(f"root element <{kind}>")
    language = root.get(_XML_LANG) if kind == "feed" else None
    depth = 0  # of the entry being read (0: none)
    level = 1
    yielded = 0
    try:
        for event, node in events:
            if event == "start":
                level += 1
                if not depth and _local(node.tag) in ("item", "entry"):
                    depth = level
                continue
            name = _local(node.tag)
            if depth and level == depth:
                entry = _feed_entry(node, base_url, language)
                if entry is not None:
                    yielded += 1
                    yield entry
                _drop(node)
                depth = 0
            elif not depth and name == "language" and not language:
                language = (node.text or "").strip() or None
            elif not depth and level == 2:
                _drop(node)
            level -= 1
    except etree.XMLSyntaxError as exc:
        if not yielded:
            raise _NotStreamable(f"broken XML ({exc})") from None
        logger.warning("Feed %s is malformed (%s); reading what can be read", base_url, exc)
    if not yielded:
        raise _NotStreamable("no entries")


def _feed_entry(node, base_url: str, language: str | None) -> Entry | None:
    texts: dict[str, str] = {}
    href = None
    for child in node:
        name = _local(child.tag)
        if name == "link" and child.get("href") and child.get("rel", "alternate") == "alternate":
            href = href or child.get("href")
        text = (child.text or "").strip()
        if text and name not in texts:
            texts[name] = text
    link = texts.get("link") or href
    if link and base_url:
        link = urljoin(base_url, link)  # as feedparser resolves links (not ids)
    link = link or texts.get("guid") or texts.get("id")
    if not link:
        logger.warning("Feed %s: entry without a link skipped", base_url)
        return None
    return Entry(
        url=link.strip(),
        published=_feed_time(next((texts[n] for n in _PUBLISHED if n in texts), None)),
        lastmod=_feed_time(next((texts[n] for n in _UPDATED if n in texts), None)),
        title=normalize_text(texts.get("title")) or None,
        language=language,
    )


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
