"""Page requisites as requests: an article page's stylesheets, images, fonts, scripts and icons.

After an article page (every HTML page with ``REQUISITES = "pages"``), the spider asks for what
a browser needs to render it, so the archive replays it styled and with its images
(``crawler.requisites`` reads them from the markup and the CSS). Each request carries the page
as ``Referer`` (py-wacz and ReplayWeb.page find pages by it), is filtered as seen like any other
(fetched once per crawl), goes through robots.txt and the same politeness as pages, and holds
``REQUISITE_KEY`` so the state plans it: a requisite archived in an earlier run is re-checked,
conditionally, only after ``REQUISITES_RECHECK_HOURS`` (a 304 or an identical payload becomes a
revisit record). Bounds: ``REQUISITES_MAX_PER_PAGE`` requests per page, ``REQUISITES_MAX_BYTES``
per file (a bigger one is archived truncated, as any response over its limit),
``REQUISITES_MAX_PAGE_BYTES`` for all of one page's requisites (``RequisiteBudgetMiddleware``),
stylesheets followed ``REQUISITES_MAX_DEPTH`` imports deep; what is left out is counted and
logged once per kind.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse

from crawler.refs import OUTCOME_KEY, REQUISITE_KEY, REQUISITE_OF_KEY
from crawler.requisites import Requisite, css_requisites, html_requisites, refusal, unique
from crawler.warc.provenance import ARCHIVED_FROM_KEY

logger = logging.getLogger(__name__)


class RequisitesMixin:
    """The requisite requests of ``ArchiveSpider``."""

    crawler: Any
    allowed_domains: list[str]

    def requisites_mode(self) -> str:
        settings = self.crawler.settings
        if settings.get("REPLAY_WARC"):
            return "off"  # a replay serves what the archive holds; it fetches nothing new
        return str(settings.get("REQUISITES") or "off").lower()

    def requisite_requests(self, response: Response, article: bool) -> Iterator[scrapy.Request]:
        """The requests for a page's requisites (none unless the setting asks for this page)."""
        mode = self.requisites_mode()
        if mode == "off" or (mode == "articles" and not article) or not isinstance(response, TextResponse):
            return
        if "html" not in (response.headers.get("Content-Type") or b"").decode("latin-1").lower():
            return
        policy = str(self.crawler.settings.get("REQUISITES_SRCSET"))
        yield from self._requests(response, html_requisites(response.text, response.url, policy), depth=0)

    def parse_requisite(self, response: Response) -> Iterator[scrapy.Request]:
        """A fetched requisite: archived already; a stylesheet's own references followed."""
        response.meta[OUTCOME_KEY] = "requisite"
        depth = int(response.meta.get(REQUISITE_KEY) or 0)
        page = response.meta.get(REQUISITE_OF_KEY) or response.url
        content_type = (response.headers.get("Content-Type") or b"").decode("latin-1").lower()
        if response.status != 200 or "css" not in content_type or not isinstance(response, TextResponse):
            return
        if depth >= self.crawler.settings.getint("REQUISITES_MAX_DEPTH"):
            self._left_out("deep", f"stylesheet {response.url} is {depth} imports deep: its references not followed")
            return
        found = css_requisites(response.text, response.url)
        yield from self._requests(response, found, depth=depth + 1, page=page)

    def _requests(
        self, response: Response, found: list[Requisite], depth: int, page: str | None = None
    ) -> Iterator[scrapy.Request]:
        settings, stats = self.crawler.settings, self.crawler.stats
        limit = settings.getint("REQUISITES_MAX_PER_PAGE")
        page_host = (urlsplit(response.url).hostname or "").lower()
        own = getattr(self, "allowed_domains", [])  # the spider's domains, its requisite_hosts among them
        sent = 0
        for requisite in unique(found):
            reason = refusal(requisite.url, page_host, own)
            if reason is not None:
                stats.inc_value(f"requisites/skipped_{reason}")
                if reason != "scheme":
                    self._left_out(
                        reason, f"requisite {requisite.url[:200]} of {response.url} is {reason}: not fetched"
                    )
                continue
            if sent >= limit:
                stats.inc_value("requisites/over_limit")
                self._left_out("many", f"{response.url} references more than REQUISITES_MAX_PER_PAGE ({limit})")
                continue
            sent += 1
            stats.inc_value("requisites/requested")
            request = scrapy.Request(
                requisite.url,
                callback=self.parse_requisite,
                headers={"Referer": response.url},
                meta={
                    REQUISITE_KEY: depth,
                    REQUISITE_OF_KEY: page or response.url,
                    "download_maxsize": settings.getint("REQUISITES_MAX_BYTES"),
                },
            )
            archived = response.meta.get(ARCHIVED_FROM_KEY)
            if archived is not None:  # of another archive's capture: the requisite as it holds it
                request = self.archived_requisite(request, archived)  # type: ignore[attr-defined]
                if request is None:
                    continue
            yield request

    def _left_out(self, kind: str, message: str) -> None:
        logged = self.__dict__.setdefault("_requisites_logged", set())
        if kind not in logged:
            logged.add(kind)
            logger.info("%s (further ones of this kind only counted: requisites/...)", message)


class RequisiteBudgetMiddleware:
    """Downloader middleware: all of one page's requisites together stay within
    ``REQUISITES_MAX_PAGE_BYTES``. Each requisite may take what is left of its page's budget (its
    ``download_maxsize`` is lowered to it: over it, its first bytes are archived truncated); once
    the budget is spent, the page's further requisites are not fetched (counted, logged once)."""

    #: Pages whose spending is remembered at once (the oldest forgotten first).
    REMEMBERED_PAGES = 10_000

    def __init__(self, crawler: Any) -> None:
        self.stats = crawler.stats
        self.budget = crawler.settings.getint("REQUISITES_MAX_PAGE_BYTES")
        self.spent: dict[str, int] = {}
        self.logged = False

    @classmethod
    def from_crawler(cls, crawler: Any) -> RequisiteBudgetMiddleware:
        middleware = cls(crawler)
        if middleware.budget > 0:
            crawler.signals.connect(middleware.bytes_received, signal=signals.bytes_received)
        return middleware

    def process_request(self, request: scrapy.Request) -> None:
        page = request.meta.get(REQUISITE_OF_KEY)
        if page is None or self.budget <= 0:
            return
        left = self.budget - self.spent.get(page, 0)
        if left <= 0:
            self.stats.inc_value("requisites/over_page_bytes")
            if not self.logged:
                self.logged = True
                logger.info(
                    "Requisites of %s passed REQUISITES_MAX_PAGE_BYTES (%d): the rest not fetched "
                    "(further pages only counted: requisites/over_page_bytes)",
                    page,
                    self.budget,
                )
            raise IgnoreRequest(f"requisite budget of {page} spent: {request.url}")
        request.meta["download_maxsize"] = min(int(request.meta.get("download_maxsize") or left), left)

    def bytes_received(self, data: bytes, request: scrapy.Request, spider: Any) -> None:
        """Every byte of a requisite counts, whatever becomes of its response (a truncated one too)."""
        page = request.meta.get(REQUISITE_OF_KEY)
        if page is not None:
            self.spent[page] = self.spent.pop(page, 0) + len(data)
            while len(self.spent) > self.REMEMBERED_PAGES:
                del self.spent[next(iter(self.spent))]
