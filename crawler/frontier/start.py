"""The run's feeds and sitemaps, sent once for the whole cluster; a request done once what its
callback found is queued.

A spider's ``start()`` yields its feeds, sitemaps and listing pages with ``dont_filter`` (a run
reads them every time), so the shared duplicate filter would let every worker fetch them again.
The first worker of a run marks it seeded (``SET … NX``) and sends them; the others send nothing
of their own and take their work from the queue.

A request a worker took stays filed under it (``queue``) until its callback's output went
through here, closest to the engine: by then every request it found is in the queue, so a
worker killed mid-sitemap has the sitemap fetched again rather than its articles lost.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

from redis.exceptions import RedisError
from scrapy.exceptions import NotConfigured

from crawler.frontier.keys import SpiderKeys, frontier_on, worker_name

logger = logging.getLogger(__name__)


class FrontierStartMiddleware:
    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self.keys = SpiderKeys(crawler.settings.get("FRONTIER_PREFIX"), crawler.spidercls.name)
        self.worker = worker_name(crawler.settings)

    @classmethod
    def from_crawler(cls, crawler):
        if not frontier_on(crawler.settings):
            raise NotConfigured
        return cls(crawler)

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        scheduler = self.crawler.engine.scheduler
        if scheduler.error is not None:
            return
        try:
            seeding, holder = False, None
            for _ in range(2):  # twice: the run may end between the two steps
                seeding = bool(scheduler.server.set(self.keys.seeded, self.worker, nx=True))
                holder = None if seeding else scheduler.server.get(self.keys.seeded)
                if seeding or holder is not None:
                    break
            holder = holder.decode() if isinstance(holder, bytes) else holder
            # The seeder itself, restarted under its WORKER_ID: it may have died halfway through.
            seeding = seeding or holder == self.worker
        except RedisError as exc:
            scheduler._failed(exc, "seeding the run")
            return
        if not seeding:
            logger.info("Frontier: this run was started by %s; taking requests from the queue", holder)
            self.crawler.stats.set_value("frontier/seeded_by", holder)
            return
        logger.info("Frontier: starting the run (feeds and sitemaps queued for every worker)")
        self.crawler.stats.set_value("frontier/seeded_by", self.worker)
        async for item in start:
            yield item

    # -- a request is done once its callback's output is queued ---------------------------
    def _done(self, response) -> None:
        scheduler = self.crawler.engine.scheduler
        if response is not None and hasattr(scheduler, "mark_done"):
            scheduler.mark_done(response.request)

    def process_spider_output(self, response, result):
        yield from result
        self._done(response)

    async def process_spider_output_async(self, response, result):
        async for item in result:
            yield item
        self._done(response)

    def process_spider_exception(self, response, exception):
        self._done(response)
        return None
