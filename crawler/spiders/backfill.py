"""History from another archive: ``-a source=wayback`` finds the outlet's article captures
through a CDX server API and fetches each in raw ``id_`` mode.

    scrapy crawl moscowtimes -a source=wayback [-a since=YYYY-MM-DD] [-a until=YYYY-MM-DD]
        [-a cdx=<CDX API URL>] [-a captures=<replay prefix>]

Defaults are the Internet Archive's (``https://web.archive.org/cdx/search/cdx`` and
``https://web.archive.org/web/``); a pywb collection is ``<base>/<coll>/cdx`` and
``<base>/<coll>/``. One query per declared domain (``url=<domain>/*``, 200s of ``text/html`` only,
``collapse=digest`` where the server knows it), followed page by page by its resume key where it
gives one (``showResumeKey``; pywb gives none and answers whole). Of the captures, those the
outlet's article rule accepts are fetched, each URL's oldest first and the next only once the
one before was read, so the revisions come in the order the page changed. The archive's host is
held to ``WAYBACK_REQUESTS_PER_MINUTE`` (AutoThrottle leaves it alone); its 429s and 503s wait
their ``Retry-After`` as every site's do. The capture is archived as the other archive's, at its
time (crawler/warc/provenance.py), and so are the page's stylesheets, images, fonts and scripts,
asked of the archive at the page's time (it answers with its nearest capture of each). A capture already archived is not fetched again (the state
knows it by URL and time), so a run stopped midway continues where it left off.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

import scrapy

from crawler.refs import DISCOVERY_PRIORITY
from crawler.warc.provenance import ARCHIVED_FROM_KEY, ArchivedFrom

if TYPE_CHECKING:
    from scrapy.http import Response

logger = logging.getLogger(__name__)

WAYBACK_CDX = "https://web.archive.org/cdx/search/cdx"
WAYBACK_CAPTURES = "https://web.archive.org/web/"
#: CDX rows asked for per page (the Wayback Machine's own pages are of this order).
PAGE = 5000
#: ``request.meta`` key: the later captures of the same URL, fetched one after another.
LATER_KEY = "backfill_later"


@dataclass(frozen=True)
class Backfill:
    cdx: str
    captures: str
    since: date | None
    until: date | None

    def query(self, domain: str, resume_key: str | None = None) -> str:
        params: list[tuple[str, str]] = [
            ("url", f"{domain}/*"),
            ("output", "json"),
            ("filter", "statuscode:200"),
            ("filter", "mimetype:text/html"),
            ("collapse", "digest"),
            ("showResumeKey", "true"),
            ("limit", str(PAGE)),
        ]
        if self.since:
            params.append(("from", self.since.strftime("%Y%m%d")))
        if self.until:
            params.append(("to", self.until.strftime("%Y%m%d") + "235959"))
        if resume_key:
            params.append(("resumeKey", resume_key))
        return f"{self.cdx}?{urlencode(params)}"

    def capture(self, timestamp: str, url: str) -> str:
        return f"{self.captures.rstrip('/')}/{timestamp}id_/{url}"


def cdx_rows(body: bytes) -> tuple[list[dict[str, str]], str | None]:
    """The rows of a CDX answer and its resume key (None: the last page). Both JSON forms: the
    Wayback Machine's (one array, a header row first, the resume key alone after an empty row)
    and pywb's (one object per line). A ValueError for anything else."""
    text = body.decode("utf-8", "replace").strip()
    if not text:
        return [], None
    if text.startswith("["):
        table = json.loads(text)
        if not table:
            return [], None
        header, rows, resume = table[0], [], None
        for i, row in enumerate(table[1:], 1):
            if not row:  # what follows the empty row is the resume key
                following = table[i + 1 :]
                resume = following[0][0] if following and following[0] else None
                break
            rows.append(dict(zip(header, row, strict=False)))
        return rows, resume
    rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    return [{"statuscode": r.get("status", ""), "mimetype": r.get("mime", ""), **r} for r in rows], None


class BackfillMixin:
    """``ArchiveSpider``'s backfill from another archive."""

    crawler: Any
    backfill: Backfill | None
    name: str

    if TYPE_CHECKING:

        def is_article_url(self, url: str) -> bool: ...
        def parse_article(self, response: Response) -> AsyncIterator[Any]: ...

    def backfill_domains(self) -> list[str]:
        return list(type(self).allowed_domains or [])  # type: ignore[attr-defined]

    def backfill_start(self) -> Iterator[scrapy.Request]:
        assert self.backfill is not None
        settings = self.crawler.settings
        per_minute = settings.getfloat("WAYBACK_REQUESTS_PER_MINUTE")
        hosts = {urlsplit(self.backfill.cdx).hostname, urlsplit(self.backfill.captures).hostname}
        slots = self.crawler.engine.downloader.per_slot_settings
        for host in hosts:  # one request at a time, a pause between, whatever AutoThrottle thinks
            slots[host] = {"concurrency": 1, "delay": 60.0 / per_minute, "jitter": 0.0}
        logger.info(
            "Backfill of %s from %s (captures from %s), %g requests a minute to it",
            self.name,
            self.backfill.cdx,
            self.backfill.captures,
            per_minute,
        )
        for domain in self.backfill_domains():
            yield self._cdx_request(domain)

    def _cdx_request(self, domain: str, resume_key: str | None = None) -> scrapy.Request:
        assert self.backfill is not None
        return scrapy.Request(
            self.backfill.query(domain, resume_key),
            callback=self.parse_cdx,
            cb_kwargs={"domain": domain},
            priority=DISCOVERY_PRIORITY,
            dont_filter=True,
            meta={"autothrottle_dont_adjust_delay": True},
        )

    def parse_cdx(
        self, response: Response, domain: str, carried: dict[str, list[str]] | None = None
    ) -> Iterator[scrapy.Request]:
        stats = self.crawler.stats
        try:
            rows, resume = cdx_rows(response.body)
        except ValueError as exc:
            logger.error("CDX answer %s could not be read: %s", response.url, exc)
            stats.inc_value("backfill/broken_cdx")
            return
        by_url: dict[str, list[str]] = {url: list(stamps) for url, stamps in (carried or {}).items()}
        for row in rows:
            url, timestamp = row.get("original") or row.get("url") or "", row.get("timestamp", "")
            if row.get("statuscode", "200") not in ("200", "") or "html" not in row.get("mimetype", "text/html"):
                stats.inc_value("backfill/not_a_page")
                continue
            if not url or len(timestamp) != 14 or not timestamp.isdigit():
                stats.inc_value("backfill/bad_row")
                continue
            if not self.is_article_url(url):
                stats.inc_value("backfill/not_article_url")
                continue
            by_url.setdefault(url, []).append(timestamp)
        stats.inc_value("backfill/cdx_rows", len(rows))
        logger.info("CDX %s: %d captures, of %d article URLs", response.url, len(rows), len(by_url))
        if len(rows) >= PAGE and not resume:
            stats.inc_value("backfill/cdx_page_full")
            logger.warning(
                "CDX %s answered a full page (%d rows) and no resume key: captures past them are not seen"
                " (narrow the query with -a since= / until=)",
                response.url,
                len(rows),
            )
        carry: dict[str, list[str]] = {}
        if resume and by_url:
            # The page's last URL may go on in the next: its captures wait for the rest of them,
            # so the URL's captures are still fetched oldest first.
            last = list(by_url)[-1]
            carry[last] = by_url.pop(last)
        for url, stamps in by_url.items():
            yield self.archived_request(url, sorted(set(stamps)))
        if resume:
            request = self._cdx_request(domain, resume)
            request.cb_kwargs["carried"] = carry
            yield request

    def archived_request(self, url: str, stamps: list[str]) -> scrapy.Request:
        assert self.backfill is not None
        self.crawler.stats.inc_value("backfill/requested")
        return scrapy.Request(
            self.backfill.capture(stamps[0], url),
            callback=self.parse_archived,
            errback=self.archived_failed,
            dont_filter=True,  # the chain's own: the state knows what is archived
            meta={
                ARCHIVED_FROM_KEY: ArchivedFrom(url, stamps[0], self.backfill.cdx),
                LATER_KEY: stamps[1:],
                "autothrottle_dont_adjust_delay": True,
            },
        )

    async def parse_archived(self, response: Response) -> AsyncIterator[Any]:
        """The capture read as a page of the outlet's (under its own URL), then the next capture
        of the same URL asked for, whatever the reading gave."""
        asked: ArchivedFrom = response.meta[ARCHIVED_FROM_KEY]
        try:
            async for output in self.parse_article(response):
                yield output  # its requisites asked of the archive (RequisitesMixin._requests)
        except Exception:
            self.crawler.stats.inc_value("backfill/read_errors")
            logger.exception("Backfill: reading %s's capture of %s failed", response.url, asked.url)
        later = self._later(response.meta)
        if later is not None:
            yield later

    def archived_failed(self, failure) -> Iterator[scrapy.Request]:
        """A capture the archive could not give (refused as an error or banner page, or failed
        after its retries): the URL's later captures are still asked for."""
        request = failure.request
        asked: ArchivedFrom = request.meta[ARCHIVED_FROM_KEY]
        self.crawler.stats.inc_value("backfill/failed")
        logger.info("Backfill: %s's capture of %s not had (%s)", request.url, asked.url, failure.getErrorMessage())
        later = self._later(request.meta)
        if later is not None:
            yield later

    def _later(self, meta: dict[str, Any]) -> scrapy.Request | None:
        later: list[str] = meta.get(LATER_KEY) or []
        return self.archived_request(meta[ARCHIVED_FROM_KEY].url, later) if later else None

    def archived_requisite(self, request: scrapy.Request, page: ArchivedFrom) -> scrapy.Request | None:
        """A stylesheet, image, font or script of the page as the other archive holds it nearest
                the page's capture (what the outlet serves today is not what the page showed then); its
                own stylesheets' references follow the same way (``parse_requisite`` yields them here). Once
        per run: a stylesheet most pages share is asked for once, not once per page (and the state
        does not ask again for one archived already); None when asked already."""
        assert self.backfill is not None
        asked = self.__dict__.setdefault("_requisites_asked", set())
        if request.url in asked:  # another page of this run asked for it: once is enough (the
            self.crawler.stats.inc_value("backfill/requisite_asked_already")  # archive's nearest)
            return None
        asked.add(request.url)
        self.crawler.stats.inc_value("backfill/requisites")
        meta = {**request.meta, ARCHIVED_FROM_KEY: ArchivedFrom(request.url, page.timestamp, page.archive)}
        meta["autothrottle_dont_adjust_delay"] = True
        return request.replace(url=self.backfill.capture(page.timestamp, request.url), meta=meta)
