"""Reading big XML documents incrementally: gzip inflated chunk by chunk (bounded), lxml
``iterparse`` events, each element dropped once read, dates parsed through a small cache.
"""

from __future__ import annotations

import functools
import zlib

from lxml import etree

from crawler.extraction.normalize import parse_datetime

GZIP_MAGIC = b"\x1f\x8b"
#: Inflate at most this much from one gzipped sitemap (a bomb stops here).
MAX_INFLATED = 100 * 1024 * 1024
_CHUNK = 64 * 1024
_WHITESPACE = b" \t\r\n"


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


class ChunkedReader:
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


def local_name(tag) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def xml_events(body: bytes, events: tuple[str, ...] = ("start", "end")):
    return etree.iterparse(
        ChunkedReader(body),
        events=events,
        recover=True,
        resolve_entities=False,
        no_network=True,
        remove_comments=True,
        remove_pis=True,
        huge_tree=True,
    )


#: Sitemaps repeat their dates (a day's lastmod on thousands of entries): parse each once.
cached_date = functools.lru_cache(maxsize=4096)(parse_datetime)


def drop_element(node) -> None:
    """Free an element read to the end, and the siblings read before it."""
    node.clear()
    parent = node.getparent()
    if parent is not None:
        while node.getprevious() is not None:
            del parent[0]
