"""Honour ``Retry-After`` on 429 and 503 answers: the site's slot waits that long before its next request.

Scrapy's RetryMiddleware retries 429 and 503 but at once; a server that says when to come back
is asking for less. The delay is capped by RETRY_AFTER_MAX (seconds).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

logger = logging.getLogger(__name__)


def retry_after_seconds(value: bytes | str | None) -> float | None:
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


class RetryAfterMiddleware:
    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self.cap = crawler.settings.getfloat("RETRY_AFTER_MAX")

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_response(self, request, response):
        if response.status in (429, 503):
            seconds = retry_after_seconds(response.headers.get("Retry-After"))
            if seconds:
                delay = min(seconds, self.cap)
                downloader = self.crawler.engine.downloader
                key = downloader.get_slot_key(request)
                slot = downloader.slots.get(key)
                if slot is not None and slot.delay < delay:
                    slot.delay = delay
                self.crawler.stats.inc_value("retry_after/honoured")
                logger.info(
                    "%s answered %d with Retry-After %s: waiting %.0f s before its next request",
                    key,
                    response.status,
                    response.headers.get("Retry-After", b"").decode("latin-1"),
                    delay,
                )
        return response
