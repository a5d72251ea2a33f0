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
from pathlib import Path
from typing import Any

from itemadapter import ItemAdapter
from scrapy.exceptions import NotConfigured
from warcio.recordloader import ArcWarcRecord

from crawler.extraction.normalize import utc_now
from crawler.refs import ITEM_RECORD_PREFIX, REVISION_RECORD_PREFIX, WarcRef
from crawler.state.database import Placement, revisions_moved
from crawler.warc.capture import WarcCaptureMiddleware
from crawler.warc.records import warc_date
from crawler.warc.writer import WarcFileWriter

logger = logging.getLogger(__name__)


def item_json(item) -> bytes:
    return json.dumps(ItemAdapter(item).asdict(), ensure_ascii=False, sort_keys=True).encode("utf-8")


def _json_record(builder, target: str, kind: str, value: dict[str, Any] | bytes, refers: dict[str, str]):
    payload = value if isinstance(value, bytes) else json.dumps(value, ensure_ascii=False).encode("utf-8")
    return builder.create_warc_record(
        target,
        kind,
        payload=BytesIO(payload),
        length=len(payload),
        warc_content_type="application/json",
        warc_headers_dict={"WARC-Date": warc_date(utc_now()), **refers},
    )


def item_record(builder, item):
    """The ``conversion`` record of an item, pointing at its capture; None for an item of no record."""
    adapter = ItemAdapter(item)
    ref = WarcRef.from_value(adapter.get("warc"))
    if ref is None:
        return None
    target = ref.target_uri or adapter["url"]
    refers = {"WARC-Refers-To": ref.record_id, "WARC-Refers-To-Target-URI": target}
    if ref.date:
        refers["WARC-Refers-To-Date"] = ref.date
    return _json_record(builder, ITEM_RECORD_PREFIX + target, "conversion", item_json(item), refers)


def renumbering_records(builder, placement: Placement) -> list[ArcWarcRecord]:
    """A ``metadata`` record for each archived revision whose number or diff the placement changed."""
    return [
        _json_record(
            builder,
            REVISION_RECORD_PREFIX + revision.url,
            "metadata",
            {"revision": revision.revision, "diff": revision.diff},
            {
                "WARC-Refers-To": revision.record_id,
                "WARC-Refers-To-Target-URI": revision.url,
                "WARC-Refers-To-Date": revision.fetched_at,
            },
        )
        for revision in placement.changed
        if revision.record_id
    ]


class WarcItemRecordPipeline:
    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self.capture: WarcCaptureMiddleware | None = None
        #: ``IMPORT_ITEM_RECORDS``: a writer of its own (an extraction has no capture middleware).
        self.own: WarcFileWriter | None = None
        crawler.signals.connect(self.revisions_moved, signal=revisions_moved)

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        if settings.getbool("IMPORT_ITEM_RECORDS"):
            return cls(crawler)
        if not settings.getbool("WARC_ENABLED") or (
            settings.get("REPLAY_WARC") and not settings.getbool("REPLAY_WRITE_WARC")
        ):
            raise NotConfigured  # nothing archived: no WARC to write the items to (as WarcCaptureMiddleware)
        return cls(crawler)

    def open_spider(self) -> None:
        settings = self.crawler.settings
        if settings.getbool("IMPORT_ITEM_RECORDS"):
            spider = self.crawler.spider.name
            self.own = WarcFileWriter(
                Path(settings.get("ARCHIVE_DIR")) / "warc" / spider,
                f"{spider}-import-items",
                max_size=settings.getint("WARC_MAX_SIZE"),
                gzip_level=settings.getint("WARC_GZIP_LEVEL"),
                warcinfo={
                    "software": "defense-news-archive scrapy import",
                    "description": "the items extracted from the records imported beside this file",
                    "isPartOf": spider,
                },
            )
            return
        # None when nothing is being archived (WARC_ENABLED off, or a replay).
        self.capture = self.crawler.get_downloader_middleware(WarcCaptureMiddleware)

    def close_spider(self) -> None:
        if self.own is not None:
            self.own.close()
            self.own = None

    def _writer(self) -> WarcFileWriter | None:
        if self.own is not None:
            return self.own
        return self.capture.writer_for(self.crawler.spider.name) if self.capture is not None else None

    def revisions_moved(self, placement: Placement) -> None:
        """Each revision archived whose number or diff changed gets a record saying its new ones."""
        writer = self._writer()
        if writer is None:
            return
        for record in renumbering_records(writer.builder, placement):
            writer.write(record)
            self.crawler.stats.inc_value("warc/renumbering_records")

    def process_item(self, item):
        writer = self._writer()
        if writer is None:
            return item
        record = item_record(writer.builder, item)
        if record is not None:
            writer.write(record)
            self.crawler.stats.inc_value("warc/conversion_records")
        return item
