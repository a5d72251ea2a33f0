"""Feeds: RSS 0.9x-2.0, RSS 1.0 and Atom through feedparser, or above ``FEED_STREAM_BYTES`` a
streaming RSS/Atom reader (feedparser builds the whole document, about a millisecond an entry);
JSON Feed through ``json``. A broken entry is skipped with a warning, never the whole document.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import urljoin

import feedparser
from lxml import etree

from crawler.discovery.entries import Entry
from crawler.discovery.xml_reading import drop_element, local_name, maybe_gunzip, xml_events
from crawler.extraction.normalize import normalize_text, parse_datetime

logger = logging.getLogger(__name__)

#: A feed larger than this (inflated) is read by the streaming RSS/Atom reader, not feedparser.
FEED_STREAM_BYTES = 1024 * 1024


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
    events = xml_events(data)
    try:
        event, root = next(events)
    except (StopIteration, etree.XMLSyntaxError) as exc:
        raise _NotStreamable(f"not XML ({exc})") from None
    kind = local_name(root.tag)
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
                if not depth and local_name(node.tag) in ("item", "entry"):
                    depth = level
                continue
            name = local_name(node.tag)
            if depth and level == depth:
                entry = _feed_entry(node, base_url, language)
                if entry is not None:
                    yielded += 1
                    yield entry
                drop_element(node)
                depth = 0
            elif not depth and name == "language" and not language:
                language = (node.text or "").strip() or None
            elif not depth and level == 2:
                drop_element(node)
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
        name = local_name(child.tag)
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
