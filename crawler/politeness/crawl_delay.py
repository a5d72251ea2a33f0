"""Honour robots.txt ``Crawl-delay``, which Scrapy's RobotsTxtMiddleware reads but does not apply.

Before each request reaches its downloader slot, the slot's delay is raised to the
site's Crawl-delay for our user agent, without random jitter (AutoThrottle may lower
a slot's delay after a response; this puts it back before the next request goes out).
"""

from __future__ import annotations

import logging

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import NotConfigured

logger = logging.getLogger(__name__)


class CrawlDelayMiddleware:
    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self.user_agent = crawler.settings.get("ROBOTSTXT_USER_AGENT") or crawler.settings.get("USER_AGENT")
        self.announced: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("ROBOTSTXT_OBEY"):
            raise NotConfigured
        return cls(crawler)

    async def crawl_delay(self, request) -> float | None:
        """The Crawl-delay robots.txt asks of us on the request's site (None: none asked)."""
        if request.meta.get("dont_obey_robotstxt"):
            return None
        robots = self.crawler.get_downloader_middleware(RobotsTxtMiddleware)
        if robots is None:
            return None
        parser = await robots.robot_parser(request)
        delay = parser.crawl_delay(self.user_agent) if parser is not None else None
        return float(delay) if delay else None

    async def process_request(self, request):
        delay = await self.crawl_delay(request)
        if not delay:
            return None
        downloader = self.crawler.engine.downloader
        key = downloader.get_slot_key(request)
        slot = downloader.slots.get(key)
        # A floor, not an average: no random jitter below what the site asked for.
        if slot is not None:
            slot.delay = max(slot.delay, float(delay))
            slot.jitter = 0.0
        else:
            settings = downloader.per_slot_settings.setdefault(key, {})
            settings["delay"] = max(float(settings.get("delay", 0)), float(delay))
            settings["jitter"] = 0.0
        if key not in self.announced:
            self.announced.add(key)
            self.crawler.stats.set_value(f"robotstxt/crawl_delay/{key}", float(delay))
            logger.info("Honouring robots.txt Crawl-delay of %s s for %s", delay, key)
        return None
