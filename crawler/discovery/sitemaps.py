"""Sitemaps and sitemap indexes, read as they are advanced, with what Scrapy's ``SitemapSpider``
drops: ``lastmod`` and the Google News fields (``news:publication_date``, ``news:title``,
``news:language``).
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterator

from lxml import etree

from crawler.discovery.entries import Entry, Sitemap
from crawler.discovery.xml_reading import cached_date, drop_element, local_name, xml_events
from crawler.extraction.normalize import normalize_text

logger = logging.getLogger(__name__)


def open_sitemap(body: bytes) -> tuple[str, Iterator[Entry]]:
    """The kind of a sitemap ("index" or "urlset") and an iterator of its entries, read as it
    is advanced; raises ValueError if the body is not a sitemap (the iterator may raise it
    later for a gzip stream that goes bad or inflates past ``MAX_INFLATED``)."""
    events = xml_events(body, ("end",))  # the fewest events: an entry is read at its end
    try:
        event, first = next(events)
    except StopIteration:
        raise ValueError("not XML") from None
    except etree.XMLSyntaxError as exc:
        raise ValueError(f"not XML: {exc}") from exc
    root = first.getroottree().getroot()
    kind = local_name(root.tag)
    if kind not in ("sitemapindex", "urlset"):
        raise ValueError(f"not a sitemap (root element <{kind}>)")
    return ("index" if kind == "sitemapindex" else "urlset"), _sitemap_entries(first, events, root)


def _sitemap_entries(first, events, root) -> Iterator[Entry]:
    try:
        for _, node in itertools.chain([("end", first)], events):
            if node.getparent() is not root:
                continue
            if local_name(node.tag) in ("sitemap", "url"):
                entry = _sitemap_entry(node)
                if entry is not None:
                    yield entry
            drop_element(node)
    except etree.XMLSyntaxError as exc:  # recover=True rarely gives up; keep what was read
        logger.warning("Sitemap broken off (%s); its complete entries kept", exc)


def _sitemap_entry(node) -> Entry | None:
    # loc and lastmod of the entry itself (image:loc and the like are nested).
    own = {local_name(c.tag): (c.text or "").strip() for c in node if local_name(c.tag) in ("loc", "lastmod")}
    news = {}
    for child in node.iter():
        if local_name(child.tag) == "news" and child is not node:
            news = {local_name(n.tag): (n.text or "").strip() for n in child.iter() if n is not child}
            break
    loc = own.get("loc")
    if not loc:
        logger.warning("Sitemap entry without <loc> skipped")
        return None
    return Entry(
        url=loc,
        lastmod=cached_date(own.get("lastmod")),
        published=cached_date(news.get("publication_date")),
        title=normalize_text(news.get("title")) or None,
        language=news.get("language") or None,
    )


def parse_sitemap(body: bytes) -> Sitemap:
    """A sitemap index or urlset, read whole; raises ValueError if it is neither."""
    kind, entries = open_sitemap(body)
    return Sitemap(kind, list(entries))
