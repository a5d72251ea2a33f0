"""Captures another archive made, archived as what they are.

A backfill (``-a source=wayback``) fetches another archive's raw capture (``id_`` mode) of a
page. The record is written the way pywb's recorder writes what it takes from a remote archive:
``WARC-Target-URI`` the page's own URL, ``WARC-Date`` the moment the *other* archive captured it
(its ``Memento-Datetime``, else the 14 digits of the capture URL), ``WARC-Source-URI`` where we
fetched it from, ``WARC-Creation-Date`` when we did. The HTTP headers are those the other archive
sent, as it sent them. So replay, extraction, the state and the revisions place it at its own
time, and nobody takes it for a fetch of ours.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from scrapy.http import Response

#: ``request.meta`` key: the page a request asks another archive for (an ``ArchivedFrom``).
ARCHIVED_FROM_KEY = "archived_from"
_TIMESTAMP = re.compile(r"/(\d{14})(?:[a-z]{2}_)?/")
#: What a replay banner leaves in a page that is not the raw capture (the Wayback Machine's
#: toolbar and its script, pywb's wombat rewriting).
_BANNER_MARKS = (b'id="wm-ipp', b"__wm.init(", b"/_static/wombat.js", b"wombat.js", b"WB_wombat_")


@dataclass(frozen=True)
class ArchivedFrom:
    url: str  # the page's own URL
    timestamp: str  # the capture's, as the archive's CDX index gave it (yyyymmddhhmmss)
    archive: str  # the archive's CDX server API


def capture_time(response: Response, asked: ArchivedFrom) -> datetime:
    """When the other archive captured what it sent: its Memento-Datetime (a closest match may
    be another capture than the one asked for), else the 14 digits in the URL it answered from."""
    memento = response.headers.get("Memento-Datetime")
    if memento:
        try:
            return parsedate_to_datetime(memento.decode("latin-1")).astimezone(UTC)
        except (TypeError, ValueError):
            pass
    match = _TIMESTAMP.search(response.url)
    digits = match.group(1) if match else asked.timestamp
    return datetime.strptime(digits, "%Y%m%d%H%M%S").replace(tzinfo=UTC)


def looks_like_banner(body: bytes, coding: bytes | None = None) -> bool:
    """A replay page (the archive's toolbar and rewriting around the page), not the raw capture.
    The body as the archive sent it: gzip or deflate undone first (at most 8 MB of it)."""
    name = (coding or b"").decode("latin-1").strip().lower()
    if name in ("gzip", "x-gzip", "deflate"):
        try:
            inflater = zlib.decompressobj(zlib.MAX_WBITS | 32 if name != "deflate" else zlib.MAX_WBITS)
            body = inflater.decompress(body, 8 << 20)
        except zlib.error:
            return False  # not what it says: the capture is archived as it came, extraction decides
    head = body[:200_000]
    return any(mark in head for mark in _BANNER_MARKS)
