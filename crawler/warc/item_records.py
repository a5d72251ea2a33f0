"""Put what was extracted beside what was captured: a ``conversion`` record per item.

The record holds the item as JSON (``application/json``) and points at its response record with
``WARC-Refers-To``, ``WARC-Refers-To-Target-URI`` and ``WARC-Refers-To-Date``, so the WARC alone
carries both the capture and its text. Its own target URI is ``urn:item:<the response's URL>``, the
``urn:<kind>:<url>`` convention browsertrix-crawler uses for its derived records
(``urn:text:``, ``urn:pageinfo:``): pywb's indexer, which indexes every record but requests,
revisits and warcinfo, files it under that URN and never serves it for the page. WARCs written
before this put the item under the page's own URL; everything that reads the archive here goes by
``WARC-Refers-To`` and reads both (``crawler.warc.index``), and ``scrapy pywb`` indexes old files
with cdxj-indexer, which leaves conversion records out.

A WARC file is never rewritten: when an older revision is placed before revisions archived
already (another archive's capture brought in later), each of them gets a ``metadata`` record
(``urn:revision:<url>``, ``WARC-Refers-To`` its capture) with its new number and diff, which
readers take over the item's own.
"""

from __future__ import annotations

import json
import logging
from io import BytesIO

from itemadapter import ItemAdapter
from scrapy.exceptions import NotConfigured

from crawler.extraction.normalize import utc_now
from crawler.refs import ITEM_RECORD_PREFIX, REVISION_RECORD_PREFIX, WarcRef
from crawler.state.database import Placement, revisions_moved
from crawler.warc.capture import WarcCaptureMiddleware
from crawler.warc.records import warc_date

logger = logging.getLogger(__name__)


def item_json(item) -> bytes:
    return json.dumps(ItemAdapter(item).asdict(), ensure_ascii=False, sort_keys=True).encode("utf-8")


class WarcItemRecordPipeline:
    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self.capture: WarcCaptureMiddleware | None = None
        crawler.signals.connect(self.revisions_moved, signal=revisions_moved)

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        if not settings.getbool("WARC_ENABLED") or (
            settings.get("REPLAY_WARC") and not settings.getbool("REPLAY_WRITE_WARC")
        ):
            raise NotConfigured  # nothing archived: no WARC to write the items to (as WarcCaptureMiddleware)
        return cls(crawler)

    def open_spider(self) -> None:
        # None when nothing is being archived (WARC_ENABLED off, or a replay).
        self.capture = self.crawler.get_downloader_middleware(WarcCaptureMiddleware)

    def revisions_moved(self, placement: Placement) -> None:
        """Each revision archived whose number or diff changed gets a record saying its new ones."""
        if self.capture is None:
            return
        writer = self.capture.writer_for(self.crawler.spider.name)
        changed = {r.revision: r for r in (*placement.moved, placement.following)}
        for revision in changed.values():
            if not revision.record_id:
                continue
            payload = json.dumps({"revision": revision.revision, "diff": revision.diff}, ensure_ascii=False).encode()
            record = writer.builder.create_warc_record(
                REVISION_RECORD_PREFIX + revision.url,
                "metadata",
                payload=BytesIO(payload),
                length=len(payload),
                warc_content_type="application/json",
                warc_headers_dict={
                    "WARC-Date": warc_date(utc_now()),
                    "WARC-Refers-To": revision.record_id,
                    "WARC-Refers-To-Target-URI": revision.url,
                    "WARC-Refers-To-Date": revision.fetched_at,
                },
            )
            writer.write(record)
            self.crawler.stats.inc_value("warc/renumbering_records")

    def process_item(self, item):
        adapter = ItemAdapter(item)
        ref = WarcRef.from_value(adapter.get("warc"))
        if self.capture is None or ref is None:
            return item
        writer = self.capture.writer_for(self.crawler.spider.name)
        payload = item_json(item)
        target = ref.target_uri or adapter["url"]
        refers = {"WARC-Refers-To": ref.record_id, "WARC-Refers-To-Target-URI": target}
        if ref.date:
            refers["WARC-Refers-To-Date"] = ref.date
        record = writer.builder.create_warc_record(
            ITEM_RECORD_PREFIX + target,
            "conversion",
            payload=BytesIO(payload),
            length=len(payload),
            warc_content_type="application/json",
            warc_headers_dict={"WARC-Date": warc_date(utc_now()), **refers},
        )
        writer.write(record)
        self.crawler.stats.inc_value("warc/conversion_records")
        return item
