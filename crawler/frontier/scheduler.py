"""scrapy-redis' scheduler, with the frontier's failures said in one line instead of tracebacks.

The server is not asked anything when the scheduler is made (scrapy-redis pings it there, which
turns an unreachable Redis into a traceback before the spider opens): ``open`` tries it, and
``workers.FrontierWorkers`` closes the crawl with ``frontier_error`` when it failed. A server lost
mid-crawl makes ``enqueue_request`` and ``next_request`` fail: the first failure is logged,
each is counted (``frontier/errors``), and the crawl is closed the same way; what was fetched
is in the WARC files already.
"""

from __future__ import annotations

import asyncio
import logging

from redis.exceptions import RedisError
from scrapy import Request
from scrapy_redis import connection
from scrapy_redis.scheduler import Scheduler

from crawler.frontier.queue import INFLIGHT_KEY, ReliableQueue
from crawler.refs import FRONTIER_ERROR

logger = logging.getLogger(__name__)


class FrontierScheduler(Scheduler):
    queue: ReliableQueue
    #: Why the frontier cannot be used (set once: at open, or at the first failure mid-crawl).
    error: str | None

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        instance = cls(
            server=connection.from_settings(settings),
            persist=True,  # the run's keys are cleared by the last worker done, not by each one
            queue_key=settings.get("SCHEDULER_QUEUE_KEY"),
            queue_cls=settings.get("SCHEDULER_QUEUE_CLASS"),
            dupefilter_key=settings.get("SCHEDULER_DUPEFILTER_KEY"),
            dupefilter_cls=settings.get("DUPEFILTER_CLASS"),
            serializer=None,
        )
        instance.stats = crawler.stats
        instance.crawler = crawler
        instance.error = None
        return instance

    def open(self, spider):
        try:
            super().open(spider)
        except RedisError as exc:
            self.error = f"{type(exc).__name__}: {exc}"
            if not hasattr(self, "queue"):
                raise

    def _failed(self, exc: RedisError, doing: str) -> None:
        self.stats.inc_value("frontier/errors")
        if self.error is None:
            self.error = f"{type(exc).__name__}: {exc}"
            self.stats.set_value("frontier/error", self.error)
            logger.error("Frontier lost while %s: %s; closing the crawl", doing, self.error)
            engine = self.crawler.engine
            if engine is not None:
                asyncio.ensure_future(engine.close_spider_async(reason=FRONTIER_ERROR))

    def mark_done(self, request: Request) -> None:
        """``request`` is no longer this worker's to finish: answered and its callback's output
        queued, failed for good, dropped, or queued again (a retry, a redirect)."""
        token = request.meta.pop(INFLIGHT_KEY, None)
        if token and self.error is None:
            try:
                self.queue.done(token)
            except RedisError as exc:
                self._failed(exc, "marking a request done")

    def enqueue_request(self, request: Request) -> bool:
        if self.error is not None:
            self.stats.inc_value("frontier/not_enqueued")
            return False
        token = request.meta.pop(INFLIGHT_KEY, None)
        try:
            queued: bool = super().enqueue_request(request)
        except RedisError as exc:
            self._failed(exc, "queueing a request")
            self.stats.inc_value("frontier/not_enqueued")
            return False
        except Exception as exc:  # a request that cannot be serialized (its callback is no spider method)
            logger.error("Frontier: %s cannot be queued (%s: %s); not fetched", request, type(exc).__name__, exc)
            self.stats.inc_value("frontier/not_enqueued")
            return False
        if token:  # a retry or redirect of a request in flight: it is in the queue again
            request.meta[INFLIGHT_KEY] = token
            self.mark_done(request)
        return queued

    def next_request(self) -> Request | None:
        if self.error is not None:
            return None
        try:
            request: Request | None = super().next_request()
            return request
        except RedisError as exc:
            self._failed(exc, "taking a request")
            return None

    def has_pending_requests(self) -> bool:
        if self.error is not None:
            return False
        try:
            pending: bool = super().has_pending_requests()
            return pending
        except RedisError as exc:
            self._failed(exc, "counting the queue")
            return False
