"""The one owner of what the archive knows about each article, during a crawl.

``ArticleStateMiddleware`` is a spider middleware, as scrapy-deltafetch is: it sees what every
callback yields and is the only component that reads or writes ``ARCHIVE_DIR/state.sqlite3``.

- **Requests.** A discovered article request (``ANNOUNCED_KEY`` in its meta) is planned:
  skipped when known and not due (``planning.plan_fetch``), else sent with conditional headers,
  and with the newest archived payload of its URL attached for capture's revisit decision.
- **Captures.** ``WarcCaptureMiddleware`` records each capture through ``record_capture`` and
  asks ``previous_payload`` what a revisit would refer to; a recovered WARC's cut records are
  forgotten through ``forget_cut_records``.
- **Outcomes.** Every capture a callback handled gets its outcome: ``article`` once its item went
  through every pipeline, ``unchanged`` (same text as the last revision: the item is dropped
  here), ``not_modified`` (a 304), or what the spider left in ``OUTCOME_KEY`` (``not_article``,
  ``error``); a callback that raised marks ``error``. Only a capture with an outcome makes its
  URL known to the next run, so a crash in between leaves it to be fetched again.
- **Revisions.** The item's revision number and its diff against the previous revision are
  decided once, here, and put on the item; pipelines only read them. The revision is stored
  once the item went through every pipeline.

Without the database (a replay, ``scrapy extract``, or ``INCREMENTAL_ENABLED`` off) nothing is
planned or recorded, and an item whose text equals the item the archive holds for the capture
(``ARCHIVED_ITEM_KEY``) takes that item's revision and diff.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy import Request, signals
from scrapy.exceptions import CloseSpider
from twisted.python.failure import Failure

from crawler.engine import started_engine
from crawler.items import ArticleItem
from crawler.refs import (
    ANNOUNCED_KEY,
    ARCHIVED_ITEM_KEY,
    OUTCOME_KEY,
    PREVIOUS_PAYLOAD_KEY,
    REQUISITE_KEY,
    STATE_ERROR,
    WARC_META_KEY,
    WarcRef,
)
from crawler.spiders.backfill import LATER_KEY
from crawler.state.backend import StateUnavailable
from crawler.state.database import (
    ArchiveState,
    Revision,
    StoredCapture,
    moment,
    next_revision,
    place_revision,
    revisions_moved,
    text_hash,
)
from crawler.state.planning import plan_fetch
from crawler.warc.provenance import ARCHIVED_FROM_KEY, ArchivedFrom


def _iso_seconds(timestamp: str) -> str:
    """yyyymmddhhmmss as the state's capture times begin (yyyy-mm-ddThh:mm:ss)."""
    t = timestamp
    return f"{t[:4]}-{t[4:6]}-{t[6:8]}T{t[8:10]}:{t[10:12]}:{t[12:14]}"


if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)


class ArticleStateMiddleware:
    def __init__(
        self, crawler: Crawler, archive_dir: Path | None, recheck: timedelta, requisite_recheck: timedelta | None = None
    ) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        #: None: no state database this run (replay, extract, INCREMENTAL_ENABLED off).
        self.archive_dir = archive_dir
        self.recheck = recheck
        self.requisite_recheck = requisite_recheck if requisite_recheck is not None else recheck
        self._db: ArchiveState | None = None
        #: STATE_URL: a PostgreSQL server shared by a cluster's workers (empty: SQLite in archive_dir).
        self.state_url = crawler.settings.get("STATE_URL", "")
        #: Why the state cannot be used this run (it could not be opened, or was lost).
        self.error: str | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArticleStateMiddleware:
        settings = crawler.settings
        use_db = settings.getbool("INCREMENTAL_ENABLED") and not settings.get("REPLAY_WARC")
        archive_dir = Path(settings.get("ARCHIVE_DIR")) if use_db else None
        middleware = cls(
            crawler,
            archive_dir,
            timedelta(hours=settings.getfloat("RECHECK_INTERVAL_HOURS")),
            timedelta(hours=settings.getfloat("REQUISITES_RECHECK_HOURS")),
        )
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(middleware.item_scraped, signal=signals.item_scraped)
        return middleware

    @classmethod
    def for_extraction(cls, crawler: Crawler) -> ArticleStateMiddleware:
        """The state's part in an extraction of captures copied into the archive (``scrapy
        import``): their revisions numbered, placed and stored as a crawl of them would have;
        the extraction calls ``number``, ``item_scraped`` and ``finish`` itself."""
        settings = crawler.settings
        middleware = cls(crawler, Path(settings.get("ARCHIVE_DIR")), timedelta(0))
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    # -- the database ------------------------------------------------------------------
    @property
    def db(self) -> ArchiveState | None:
        """The state database, opened on first use; None without one this run, or once it could
        not be opened or was lost (``error`` says why; ``spider_opened`` closes the crawl)."""
        if self._db is None and self.archive_dir is not None and self.error is None:
            try:
                self._db = ArchiveState(self.archive_dir, self.state_url)
            except (StateUnavailable, ValueError) as exc:
                self.error = str(exc)  # said once (spider_opened), not tried again per response
                return None
            self._db.backend.on_lost = self._lost
        return self._db

    def _lost(self, message: str) -> None:
        """The state server went away mid-crawl: one line, and the crawl closes (exit 1); what was
        fetched is in the WARC files, and the next run fetches again what was not recorded."""
        logger.error("State lost: %s; closing the crawl", message)
        self.stats.set_value("state/error", message)
        # From here on the crawl goes on as one without state until it is closed: each response
        # still archived, nothing more recorded (the next run fetches again what was not).
        self.error = message
        if self._db is not None:
            with contextlib.suppress(Exception):
                self._db.close()
            self._db = None
        engine = started_engine(self.crawler)
        if engine is None:  # an extraction (scrapy import): nothing more is numbered (``number``)
            return
        if engine.spider is not None:
            asyncio.ensure_future(engine.close_spider_async(reason=STATE_ERROR))

    def spider_opened(self, spider) -> None:
        db = self.db
        if self.error is not None:
            logger.error("State STATE_URL: %s; nothing fetched, closing", self.error)
            self.stats.set_value("state/error", self.error)
            raise CloseSpider(STATE_ERROR)
        if db is not None:
            known = db.known_urls(spider.name)
            logger.info("Incremental state %s: %d articles of %s known", db.path, known, spider.name)

    def spider_closed(self, spider) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def _spider_name(self) -> str:
        """Whose state this is: what is known is known per spider (see ``crawler.state.database``)."""
        return self.crawler.spider.name if self.crawler.spider is not None else ""

    # -- what capture asks and tells -------------------------------------------------------
    def previous_payload(self, request: Request, url: str) -> StoredCapture | None:
        """The newest full response archived for ``url``: planned with the request, else looked up."""
        if PREVIOUS_PAYLOAD_KEY in request.meta:
            planned: StoredCapture | None = request.meta[PREVIOUS_PAYLOAD_KEY]
            return planned
        return self.db.last_payload(url, self._spider_name()) if self.db is not None else None

    def record_capture(self, capture: StoredCapture) -> None:
        if self.db is not None:
            self.db.record_capture(capture)

    def forget_cut_records(self, warc_file: str, from_offset: int) -> int:
        return self.db.forget_records(warc_file, from_offset) if self.db is not None else 0

    def mark(self, ref: WarcRef | None, outcome: str) -> None:
        """Record what became of a capture; only then is its URL known to the next run."""
        if ref is not None and self.db is not None:
            self.db.set_outcome(ref.record_id, outcome)

    # -- spider middleware -----------------------------------------------------------------
    def process_spider_output(self, response: Response, result: Iterable[Any]) -> Iterator[Any]:
        produced = False
        for output in result:
            output = self._handle(response, output)
            if output is not None:
                produced = produced or isinstance(output, ArticleItem)
                yield output
        self._finish(response, produced)

    async def process_spider_output_async(self, response: Response, result: AsyncIterator[Any]) -> AsyncIterator[Any]:
        produced = False
        async for output in result:
            output = self._handle(response, output)
            if output is not None:
                produced = produced or isinstance(output, ArticleItem)
                yield output
        self._finish(response, produced)

    def process_spider_exception(self, response: Response, exception: Exception) -> None:
        self.mark(response.meta.get(WARC_META_KEY), "error")

    def number(self, response: Response, item: ArticleItem) -> ArticleItem | None:
        """An item's revision number and diff, as for a crawl's item (an extraction that keeps the
        state calls this, ``item_scraped`` and ``finish`` itself); None if its text is unchanged,
        or if the state was lost (then nothing is numbered, nor written as revision 1)."""
        if self.db is None:
            self.stats.inc_value("state/not_numbered")
            return None
        return self._revision(response, item)

    def finish(self, response: Response, produced: bool) -> None:
        """A capture's outcome when it gave no article (see ``number``)."""
        self._finish(response, produced)

    def _handle(self, response: Response, output: Any) -> Any:
        if isinstance(output, Request):
            return self._plan(output)
        if isinstance(output, ArticleItem):
            return self._revision(response, output)
        return output

    def _finish(self, response: Response, produced: bool) -> None:
        """A capture that yielded no article: its outcome, as the response or the spider says."""
        if produced:
            return  # marked once the item went through the pipelines (item_scraped)
        if response.status == 304:
            logger.debug("Not modified since the last capture: %s", response.url)
            kind = "requisites" if REQUISITE_KEY in response.meta else "articles"
            self.stats.inc_value(f"{kind}/not_modified")
            self.mark(response.meta.get(WARC_META_KEY), "not_modified")
        elif OUTCOME_KEY in response.meta:
            self.mark(response.meta.get(WARC_META_KEY), response.meta[OUTCOME_KEY])

    def _plan(self, request: Request) -> Request | None:
        asked = request.meta.get(ARCHIVED_FROM_KEY)
        if asked is not None and self.db is not None:
            return self._plan_backfill(request, asked)
        requisite = REQUISITE_KEY in request.meta
        if (ANNOUNCED_KEY not in request.meta and not requisite) or self.db is None:
            return request
        last = self.db.last_processed(request.url, self._spider_name())
        if requisite:
            # A stylesheet or image archived in an earlier run: re-checked after its own interval.
            plan = plan_fetch(last, None, self.requisite_recheck)
            prefix = "requisites"
        else:
            plan = plan_fetch(last, request.meta[ANNOUNCED_KEY], self.recheck)
            prefix = "incremental"
        if not plan.fetch:
            self.stats.inc_value(f"{prefix}/skipped_known")
            return None
        self.stats.inc_value(f"{prefix}/{plan.reason.replace(' ', '_')}")
        if plan.headers:
            for name, value in plan.headers.items():
                request.headers[name] = value
            request.meta["handle_httpstatus_list"] = [304]
        request.meta[PREVIOUS_PAYLOAD_KEY] = self.db.last_payload(request.url, self._spider_name())
        return request

    def _plan_backfill(self, request: Request, asked: ArchivedFrom) -> Request | None:
        """Another archive's capture archived already (a run stopped midway, run again): the next
        capture of the URL instead, or nothing when every one is archived. A capture fetched by
        a run that stopped or crashed before processing it is asked again, as a crawl's page is."""
        assert self.db is not None
        spider = self._spider_name()
        if REQUISITE_KEY in request.meta and any(c.spider == spider for c in self.db.captures(asked.url)):
            # A stylesheet or image archived already: the archive's nearest capture of it is
            # most likely the one held; not asked again (a backfill's requests are few a minute).
            self.stats.inc_value("backfill/requisite_known")
            return None
        have = {c.fetched_at[:19] for c in self.db.processed_captures(asked.url, spider)}
        stamps = [asked.timestamp, *request.meta.get(LATER_KEY, [])]
        while stamps and _iso_seconds(stamps[0]) in have:
            self.stats.inc_value("backfill/known")
            stamps.pop(0)
        if not stamps:
            return None
        if stamps[0] == asked.timestamp:
            return request
        later: Request = self.crawler.spider.archived_request(asked.url, stamps)  # type: ignore[union-attr]
        return later

    def _revision(self, response: Response, item: ArticleItem) -> ArticleItem | None:
        ref = WarcRef.from_value(item.warc)
        if self.db is None:
            return revision_from_archive(item, response.meta.get(ARCHIVED_ITEM_KEY))
        spider = self._spider_name()
        last = self.db.last_revision(item.url, spider)
        if last is not None and item.fetched_at and moment(item.fetched_at) < moment(last.fetched_at):
            return self._place_older(response, item, ref, spider)
        revision = next_revision(
            last, item.url, spider, item.fetched_at or "", ref.record_id if ref else "", item.text or ""
        )
        if revision is None:
            assert last is not None
            self._unchanged(response, ref)
            logger.debug("Unchanged since revision %d: %s", last.revision, item.url)
            return None
        item.revision, item.diff = revision.revision, revision.diff
        self.stats.inc_value("articles/new" if last is None else "articles/updated")
        return item

    def _unchanged(self, response: Response, ref: WarcRef | None) -> None:
        """The capture's text is a revision's already: counted, marked, its item dropped."""
        self.stats.inc_value("articles/unchanged")
        self.mark(ref, "unchanged")
        response.meta[OUTCOME_KEY] = "unchanged"

    def _place_older(
        self, response: Response, item: ArticleItem, ref: WarcRef | None, spider: str
    ) -> ArticleItem | None:
        """A capture made before the newest revision (another archive's, brought in later): an
        older revision, placed among the others by its time; the later ones move up one, their text
        files, WARC items and catalogue links with them (``revisions_moved``), then the state."""
        assert self.db is not None and item.fetched_at
        placement = place_revision(
            self.db.spider_revisions(item.url, spider),
            item.url,
            spider,
            item.fetched_at,
            ref.record_id if ref else "",
            item.text or "",
        )
        if placement is None:
            self._unchanged(response, ref)
            self.stats.inc_value("backfill/earlier_capture_of_a_revision")
            logger.debug("%s captured %s: the text of a revision next to it in time", item.url, item.fetched_at)
            return None
        # The files, WARC records and links first; if any could not follow, the state does not
        # move and the capture is left to the next run (a file moved already is not moved again).
        answers = self.crawler.signals.send_catch_log(revisions_moved, placement=placement)
        if any(isinstance(answer, Failure) for _, answer in answers):
            logger.error("%s captured %s: not placed before its later revisions this run", item.url, item.fetched_at)
            self.stats.inc_value("backfill/not_placed")
            self.mark(ref, "error")
            return None
        self.db.make_room(placement)
        placed = placement.revision
        item.revision, item.diff = placed.revision, placed.diff
        self.stats.inc_value("articles/placed_before_later")
        logger.info(
            "%s captured %s: revision %d, before the %d revision(s) captured later (numbered up one)",
            item.url,
            item.fetched_at,
            placed.revision,
            len(placement.moved),
        )
        return item

    def item_scraped(self, item: Any, response: Response, spider) -> None:
        """The item went through every pipeline (text file written): store its revision."""
        if self.db is None or not isinstance(item, ArticleItem) or not item.revision:
            return
        ref = WarcRef.from_value(item.warc)
        text = item.text or ""
        stored = self.db.store_revision(
            Revision(
                item.url,
                item.revision,
                spider.name,
                item.fetched_at or "",
                ref.record_id if ref else "",
                text_hash(text),
                text,
                item.diff,
            )
        )
        if not stored:
            logger.warning("Revision %d of %s was stored meanwhile by another run", item.revision, item.url)
        self.mark(ref, "article")


def revision_from_archive(item: ArticleItem, archived: dict[str, Any] | None) -> ArticleItem:
    """A replay's item: when its text is the text of the item archived with the capture, the
    archive says which revision it was (and its diff); otherwise it is left unnumbered."""
    if archived and archived.get("text") == item.text:
        item.revision = archived.get("revision")
        item.diff = archived.get("diff")
    return item
