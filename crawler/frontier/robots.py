"""robots.txt fetched once per site per run for the whole cluster.

Scrapy's RobotsTxtMiddleware fetches a site's robots.txt once per process. Here the first worker
to need it fetches it (and archives it, as every response) and leaves its body in the run's
``robots`` hash; the others parse that body instead of fetching it again. The hash goes with the
run's other keys when the run is over.
"""

from __future__ import annotations

import asyncio
import logging

from redis.exceptions import RedisError
from scrapy import signals
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import NotConfigured
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler

from crawler.frontier.keys import SpiderKeys, async_server, frontier_on

logger = logging.getLogger(__name__)

#: Seconds a worker waits for robots.txt another worker is fetching before fetching it itself.
WAIT_FOR_OTHER = 15.0


def _as_bytes(value: bytes | str | None) -> bytes | None:
    return value.encode() if isinstance(value, str) else value


class SharedRobotsTxtMiddleware(RobotsTxtMiddleware):
    def __init__(self, crawler) -> None:
        super().__init__(crawler)
        settings = crawler.settings
        self.key = SpiderKeys(settings.get("FRONTIER_PREFIX"), crawler.spidercls.name).robots
        self.server = async_server(settings)
        self._looking: dict[str, asyncio.Lock] = {}

    @classmethod
    def from_crawler(cls, crawler):
        if not frontier_on(crawler.settings):
            raise NotConfigured
        middleware = super().from_crawler(crawler)
        crawler.signals.connect(middleware.close, signal=signals.spider_closed)
        return middleware

    async def close(self) -> None:
        await self.server.aclose()

    async def _shared(self, netloc: str) -> bytes | None:
        """The body another worker fetched; None when this worker is to fetch it."""
        try:
            body = await self.server.hget(self.key, netloc)
            if body is not None or await self.server.hsetnx(self.key, f"{netloc} fetching", "1"):
                return _as_bytes(body)
            for _ in range(int(WAIT_FOR_OTHER / 0.1)):
                await asyncio.sleep(0.1)
                if (body := await self.server.hget(self.key, netloc)) is not None:
                    return _as_bytes(body)
        except RedisError as exc:
            logger.warning("Frontier: robots.txt of %s not shared (%s): fetched here", netloc, exc)
        return None

    async def robot_parser(self, request):
        netloc = urlparse_cached(request).netloc
        if netloc not in self._parsers:
            async with self._looking.setdefault(netloc, asyncio.Lock()):
                if netloc not in self._parsers:
                    body = await self._shared(netloc)
                    if body is None:  # fetched here (Scrapy's own path, which _parse_robots shares)
                        return await super().robot_parser(request)
                    parser = build_from_crawler(self._parserimpl, self.crawler, body)
                    self._parsers[netloc] = parser
                    self._stats.inc_value("robotstxt/shared")
                    await self.crawler.signals.send_catch_log_async(
                        signal=signals.robots_parsed, robotparser=parser, request=request
                    )
        return await super().robot_parser(request)

    def _robots_error(self, exc, netloc) -> None:
        """This worker's fetch failed: the others need not wait for it (they fetch it themselves)."""
        super()._robots_error(exc, netloc)
        asyncio.ensure_future(self._unclaim(netloc))

    async def _unclaim(self, netloc: str) -> None:
        try:
            await self.server.hdel(self.key, f"{netloc} fetching")
        except RedisError:
            pass

    async def _parse_robots(self, response, netloc, request):
        try:
            await self.server.hset(self.key, netloc, response.body)
        except RedisError as exc:
            logger.warning("Frontier: robots.txt of %s not shared (%s)", netloc, exc)
        await super()._parse_robots(response, netloc, request)
