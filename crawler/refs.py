"""What every subsystem passes around: a reference to a WARC record, and the request meta keys.

The bottom of the project: it imports nothing of it, so capture, state, replay, spiders and
pipelines can all name these without importing each other.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

#: Prefix of a response header archived under another name (``Transfer-Encoding``: the body
#: handed on has had its chunked framing removed, so the header must not claim it).
ORIG_HEADER_PREFIX = "X-Archive-Orig-"
#: ``request.meta`` key (and ``response.meta``) under which capture or replay leaves the
#: ``WarcRef`` of the response record a response was archived in (or served from).
WARC_META_KEY = "warc"
#: ``request.meta`` key: what the feed or sitemap said of an article (``Entry.discovered``).
DISCOVERED_KEY = "discovered"
#: ``request.meta`` key marking a discovered article request, whose fetch the state plans.
#: Its value is the date the feed or sitemap announced for the article (an ISO string) or None.
ANNOUNCED_KEY = "article_announced"
#: ``request.meta`` key: the newest full response archived for the URL, as the state found it
#: when it planned the request (a ``StoredCapture``); capture writes a revisit against it.
PREVIOUS_PAYLOAD_KEY = "archive_previous_payload"
#: ``request.meta`` key marking a page requisite (stylesheet, image, font, script, icon); its
#: value is how many stylesheet imports led to it (0: the page referenced it).
REQUISITE_KEY = "page_requisite"
#: ``request.meta`` key: the page whose requisite this is (its stylesheets' references included).
REQUISITE_OF_KEY = "page_requisite_of"
#: ``response.meta`` key: why a capture yielded no article ("not_article", "error", ...),
#: set by the spider for the state to record.
OUTCOME_KEY = "archive_outcome"
#: ``request.meta`` key pinning one archived capture (an ``IndexedCapture``) for replay to serve
#: (``scrapy extract`` goes through every capture, not only the newest).
REPLAY_CAPTURE_KEY = "replay_capture"
#: Scheduler priority of feeds, feed listings and sitemaps: read before the articles they announce.
DISCOVERY_PRIORITY = 10
#: The spider close reason of a crawl stopped because the archive could not be written.
ARCHIVE_WRITE_ERROR = "archive_write_error"
#: The close reason of a crawl whose object storage (ARCHIVE_STORE) takes no write.
ARCHIVE_STORE_ERROR = "archive_store_error"
#: The close reason of a crawl whose shared frontier (FRONTIER_URL) cannot be reached or was lost.
FRONTIER_ERROR = "frontier_error"
#: The close reason of a crawl whose state database (STATE_URL) cannot be reached or was lost.
STATE_ERROR = "state_error"
#: Namespace of the target URI of the record that holds an item beside its response: the
#: convention browsertrix-crawler follows for its derived records (``urn:text:<url>``,
#: ``urn:pageinfo:<url>``), so no replay tool takes the item for a capture of the page.
ITEM_RECORD_PREFIX = "urn:item:"
#: Namespace of a ``metadata`` record that renumbers an item archived earlier (an older revision
#: was placed before it): ``{"revision": n, "diff": …}`` for the record it refers to, read over
#: that item by everything that reads the archive (crawler/warc/index.py).
REVISION_RECORD_PREFIX = "urn:revision:"
#: ``response.meta`` key: the item a crawl extracted from the capture being replayed.
ARCHIVED_ITEM_KEY = "archived_item"


@dataclass(frozen=True)
class WarcRef:
    """Where one record lies: WARC file name, record id, payload digest, byte offset, WARC-Date,
    and the record's target URI (the URL fetched, which for an API answer is not the article's)."""

    file: str
    record_id: str
    payload_digest: str | None = None
    offset: int | None = None
    date: str | None = None
    target_uri: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_value(cls, value: WarcRef | dict[str, Any] | None) -> WarcRef | None:
        """A reference from what an item or an archived item's JSON holds (dict form), or None."""
        if value is None or isinstance(value, WarcRef):
            return value
        if not value.get("record_id"):
            return None
        return cls(
            file=value.get("file") or "",
            record_id=value["record_id"],
            payload_digest=value.get("payload_digest"),
            offset=value.get("offset"),
            date=value.get("date"),
            target_uri=value.get("target_uri"),
        )
