"""The workers of one frontier: who is there, who is busy, when the run is over.

Each worker keeps a lease in Redis (``alive:<worker>``, renewed every third of
``FRONTIER_LEASE`` with ``busy`` or ``idle``) and is listed under ``workers``. When its engine
runs out of work (Scrapy's ``spider_idle``), a worker

- drops what it still listed as in flight (nothing is, it is idle),
- puts back the in-flight requests of workers whose lease expired (killed, or their machine
  lost), so nothing they took is lost,
- and stays open (``DontCloseSpider``) while the queue holds requests or another worker is busy:
  a busy worker may still find articles for everyone. A worker that starts while the queue is
  momentarily empty (the first one is fetching the sitemaps) waits the same way.

A worker whose clock is more than ``FRONTIER_MAX_CLOCK_SKEW`` seconds off the Redis server's
does not start: its WARC-Dates and capture times would misplace its captures among the others'.

The last worker to find the queue empty and nobody busy ends the run: one Lua script checks that
and deletes the run's queue, duplicate filter, seed mark, worker list and robots.txt together, so the next run (the next
cron start) begins afresh, its state deciding what is due again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from redis.exceptions import RedisError
from scrapy import signals
from scrapy.exceptions import CloseSpider, DontCloseSpider, NotConfigured

from crawler.frontier.keys import SpiderKeys, frontier_on, worker_name
from crawler.refs import FRONTIER_ERROR

if TYPE_CHECKING:
    from crawler.frontier.scheduler import FrontierScheduler

logger = logging.getLogger(__name__)

#: Seconds between two looks at the lease and the queue.
TICK = 0.5

_FINISH = """
if redis.call('ZCARD', KEYS[1]) > 0 then return 0 end
for _, w in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  if w ~= ARGV[1] then
    if redis.call('GET', ARGV[2] .. ':alive:' .. w) == 'busy' then return 0 end
    if redis.call('HLEN', ARGV[2] .. ':inflight:' .. w) > 0 then return 0 end
  end
end
redis.call('DEL', unpack(KEYS))
return 1
"""


def clock_skew(server, now: Callable[[], float] = time.time) -> float:
    """Seconds this machine's clock is ahead of the Redis server's (negative: behind)."""
    seconds, micros = server.time()
    return float(now() - (seconds + micros / 1e6))


class FrontierWorkers:
    def __init__(self, crawler) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.url = settings.get("FRONTIER_URL")
        self.keys = SpiderKeys(settings.get("FRONTIER_PREFIX"), crawler.spidercls.name)
        self.worker = worker_name(settings)
        self.lease = settings.getfloat("FRONTIER_LEASE")
        self.max_skew = settings.getfloat("FRONTIER_MAX_CLOCK_SKEW")
        self._beat: asyncio.Task[None] | None = None
        self.scheduler: FrontierScheduler | None = None

    @classmethod
    def from_crawler(cls, crawler):
        if not frontier_on(crawler.settings):
            raise NotConfigured
        extension = cls(crawler)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(extension.request_done, signal=signals.request_dropped)
        return extension

    @property
    def server(self):
        assert self.scheduler is not None
        return self.scheduler.server

    def spider_opened(self, spider) -> None:
        self.scheduler = self.crawler.engine.scheduler
        stats = self.crawler.stats
        error = self.scheduler.error
        if error is None:
            try:
                skew = clock_skew(self.server)
                if abs(skew) > self.max_skew:
                    logger.error(
                        "Frontier: this worker's clock is %.0f s %s the frontier's (Redis at %s): its WARC-Dates and"
                        " capture times would be wrong and its revisions out of order; set its clock (NTP), closing",
                        abs(skew),
                        "ahead of" if skew > 0 else "behind",
                        self.url,
                    )
                    stats.set_value("frontier/error", f"clock off by {skew:.0f} s")
                    raise CloseSpider(FRONTIER_ERROR)
                self._renew("busy")
                # A worker restarted under the same WORKER_ID takes back what it had taken.
                mine = self.scheduler.queue.requeue(self.worker)
                if mine:
                    logger.info("Frontier: %d requests this worker had taken before it stopped, queued again", mine)
                    stats.inc_value("frontier/requeued", mine)
            except RedisError as exc:
                error = f"{type(exc).__name__}: {exc}"
        if error is not None:
            logger.error("Frontier FRONTIER_URL=%s cannot be reached: %s; nothing fetched, closing", self.url, error)
            stats.set_value("frontier/error", error)
            raise CloseSpider(FRONTIER_ERROR)
        logger.info(
            "Frontier: worker %s on %s (%d requests queued, %d workers listed)",
            self.worker,
            self.keys.base,
            len(self.scheduler.queue),
            self.server.scard(self.keys.workers),
        )
        self._beat = asyncio.ensure_future(self._heartbeat())

    def _renew(self, state: str) -> None:
        """The lease and the listing together: a worker taken for dead (a stall longer than its
        lease) and unlisted by another lists itself again with its next beat."""
        pipe = self.server.pipeline()
        pipe.set(self.keys.alive(self.worker), state, px=int(self.lease * 1000))
        pipe.sadd(self.keys.workers, self.worker)
        pipe.execute()

    async def _heartbeat(self) -> None:
        """Renew the lease; and when this worker is idle but the queue is not (another worker
        queued what it found), wake the engine now rather than at its next 5-second heartbeat."""
        engine = self.crawler.engine
        assert self.scheduler is not None
        while self.scheduler.error is None:
            try:
                idle = engine.spider_is_idle()
                self._renew("idle" if idle else "busy")
                if idle and len(self.scheduler.queue) and engine._slot is not None:
                    engine._slot.nextcall.schedule()
            except RedisError as exc:
                self.scheduler._failed(exc, "renewing the worker's lease")
            except RuntimeError:  # the engine's slot is gone: the spider is closing
                return
            await asyncio.sleep(min(TICK, self.lease / 3))

    def request_done(self, request, spider, **kwargs) -> None:
        if self.scheduler is not None:
            self.scheduler.mark_done(request)

    def requeue_dead(self) -> int:
        """The in-flight requests of listed workers whose lease expired, queued again."""
        assert self.scheduler is not None
        count = 0
        for member in self.server.smembers(self.keys.workers):
            name = member.decode() if isinstance(member, bytes) else member
            if name == self.worker:
                continue
            taken = self.scheduler.queue.requeue(name)
            if taken:
                logger.warning(
                    "Frontier: worker %s is gone (its lease expired); its %d requests queued again", name, taken
                )
                self.crawler.stats.inc_value("frontier/requeued", taken)
            count += taken
        return count

    def spider_idle(self, spider) -> None:
        scheduler = self.scheduler
        if scheduler is None or scheduler.error is not None:
            return  # closing: the frontier failed
        try:
            scheduler.queue.forget_inflight()
            self._renew("idle")
            if self.requeue_dead():
                raise DontCloseSpider
            finish = self.server.register_script(_FINISH)
            done = finish(
                keys=self.keys.run_keys(),
                args=[self.worker, self.keys.base],
            )
        except RedisError as exc:
            scheduler._failed(exc, "checking whether the run is over")
            return
        if not done:
            self.crawler.stats.inc_value("frontier/waited")
            raise DontCloseSpider
        logger.info("Frontier: the queue is empty and no worker is busy; the run is over (its keys cleared)")

    def spider_closed(self, spider, reason: str) -> None:
        if self._beat is not None:
            self._beat.cancel()
        scheduler = self.scheduler
        if scheduler is None or scheduler.error is not None:
            return
        try:
            # Gone at once: another worker puts back what this one still held (a shutdown, an
            # error) without waiting for the lease to run out.
            self.server.delete(self.keys.alive(self.worker))
            if reason == "finished":
                self.server.srem(self.keys.workers, self.worker)
        except RedisError as exc:
            logger.warning("Frontier: could not sign off (%s)", exc)


class FrontierFailureMiddleware:
    """A downloader middleware last in line for failures (``process_exception`` runs from the
    highest number down and stops at the first that retries): a request whose failure reaches it
    failed for good (robots.txt forbids it, it was refused, its retries ran out) and is no longer
    in flight, so a worker that dies later does not have it fetched again."""

    def __init__(self, crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        if not frontier_on(crawler.settings):
            raise NotConfigured
        return cls(crawler)

    def process_exception(self, request, exception):
        scheduler = self.crawler.engine.scheduler
        if hasattr(scheduler, "mark_done"):
            scheduler.mark_done(request)
        return None
