"""One request at a time per site for the whole cluster, and the site's delay between them.

Scrapy keeps a site's politeness per process (its downloader slot: one request at a time, the
download delay, AutoThrottle's delay, and here the robots.txt Crawl-delay and Retry-After, which
all set the slot's ``delay``); scrapy-redis shares the queue, not the slot, so three workers
would send three requests at once. Here each request, just before it goes out, takes the site's
slot in Redis (``site:<host>:slot``, a lease of ``FRONTIER_SLOT_LEASE`` seconds that a dead
worker cannot hold longer), and only once the site's ``next`` moment has come; when the answer
(or the failure) is back the slot is freed and ``next`` set to now plus the slot's delay (the
longer of that and a ``Retry-After`` on a 429/503). Times are the Redis server's (``TIME`` in the
scripts), so a worker whose clock is off keeps the same pace as the others.
"""

from __future__ import annotations

import asyncio
import logging
import uuid

from redis.exceptions import RedisError
from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.httpobj import urlparse_cached

from crawler.frontier.keys import async_server, frontier_on, site_key
from crawler.politeness.crawl_delay import CrawlDelayMiddleware
from crawler.politeness.retry_after import retry_after_seconds

logger = logging.getLogger(__name__)

#: ``request.meta`` key: (host, token) of the site slot a request holds.
SLOT_KEY = "frontier_slot"
#: Seconds between two looks at a slot another worker holds.
POLL = 0.01

_NOW = "local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
_ACQUIRE = (
    _NOW
    + """
if redis.call('EXISTS', KEYS[1]) == 1 then return -1 end
local nxt = tonumber(redis.call('GET', KEYS[2]) or '0')
if now < nxt then return nxt - now end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 0
"""
)
_RELEASE = (
    _NOW
    + """
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
local nxt = math.max(tonumber(redis.call('GET', KEYS[2]) or '0'), now + tonumber(ARGV[2]))
redis.call('SET', KEYS[2], nxt, 'PX', nxt - now + 60000)
return nxt - now
"""
)


class ClusterSlotMiddleware:
    def __init__(self, crawler) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.prefix = settings.get("FRONTIER_PREFIX")
        lease = settings.getfloat("FRONTIER_SLOT_LEASE") or settings.getfloat("DOWNLOAD_TIMEOUT") + 30
        self.lease_ms = int(lease * 1000)
        self.retry_after_cap = settings.getfloat("RETRY_AFTER_MAX")
        self.server = async_server(settings)
        self._acquire = self.server.register_script(_ACQUIRE)
        self._release = self.server.register_script(_RELEASE)
        self.failed = False

    @classmethod
    def from_crawler(cls, crawler):
        if not frontier_on(crawler.settings):
            raise NotConfigured
        middleware = cls(crawler)
        crawler.signals.connect(middleware.close, signal=signals.spider_closed)
        return middleware

    async def close(self) -> None:
        await self.server.aclose()

    def _keys(self, host: str) -> list[str]:
        return [site_key(self.prefix, host, "slot"), site_key(self.prefix, host, "next")]

    def _lost(self, exc: RedisError) -> None:
        self.failed = True
        scheduler = self.crawler.engine.scheduler
        if hasattr(scheduler, "_failed"):
            scheduler._failed(exc, "taking a site's slot")

    async def process_request(self, request):
        if self.failed:
            return None  # the crawl is closing; Scrapy's own slot still keeps this worker polite
        host = urlparse_cached(request).hostname or ""
        token = uuid.uuid4().hex
        keys = self._keys(host)
        waited = 0.0
        try:
            while (wait := await self._acquire(keys=keys, args=[token, self.lease_ms])) != 0:
                pause = POLL if wait < 0 else wait / 1000
                waited += pause
                await asyncio.sleep(pause)
        except RedisError as exc:
            self._lost(exc)
            return None
        request.meta[SLOT_KEY] = (host, token)
        logger.debug("Site slot of %s taken for %s (waited %.3f s)", host, request.url, waited)
        if waited:
            self.crawler.stats.inc_value("frontier/slot_wait_ms", int(waited * 1000))
        return None

    async def _free(self, request, delay: float) -> None:
        held = request.meta.pop(SLOT_KEY, None)
        if held is None or self.failed:
            return
        host, token = held
        try:
            pause = await self._release(keys=self._keys(host), args=[token, int(delay * 1000)])
            logger.debug("Site slot of %s freed by %s: next request in %s ms", host, request.url, pause)
        except RedisError as exc:
            self._lost(exc)

    async def _delay(self, request) -> float:
        """The site's delay as this worker's slot has it (the download delay, AutoThrottle's), but
        never below its robots.txt Crawl-delay (AutoThrottle lowers the slot's delay after an
        answer; CrawlDelayMiddleware raises it again only before this worker's next request)."""
        downloader = self.crawler.engine.downloader
        slot = downloader.slots.get(downloader.get_slot_key(request))
        delay = float(slot.delay) if slot is not None else self.crawler.settings.getfloat("DOWNLOAD_DELAY")
        robots = self.crawler.get_downloader_middleware(CrawlDelayMiddleware)
        asked = await robots.crawl_delay(request) if robots is not None else None
        return max(delay, asked or 0.0)

    async def process_response(self, request, response):
        if SLOT_KEY not in request.meta:
            return response
        delay = await self._delay(request)
        if response.status in (429, 503):
            asked = retry_after_seconds(response.headers.get("Retry-After"))
            if asked:
                delay = max(delay, min(asked, self.retry_after_cap))
        await self._free(request, delay)
        return response

    async def process_exception(self, request, exception):
        if SLOT_KEY in request.meta:  # refused before it took a slot: nothing to free
            await self._free(request, await self._delay(request))
        return None
