"""``FRONTIER_URL=redis://…`` turns the shared frontier on; without it nothing here is loaded.

An add-on, as replay is: it sets scrapy-redis' scheduler (ours, ``scheduler.FrontierScheduler``,
with the reliable queue) and duplicate filter under the run's keys, and adds the frontier's
components: the cluster's site slots (a downloader middleware after the WARC capture, 950: the
last before the download and the first to see its answer or failure, so a slot is held for the
transfer only and freed whatever the capture then does), robots.txt shared (in RobotsTxtMiddleware's place), the
run's feeds and sitemaps sent once (a spider middleware) and the workers' leases and end of run
(an extension). A replay (``REPLAY_WARC``) reads the archive, not a frontier: it is left alone.
"""

from __future__ import annotations

from scrapy.settings import Settings

from crawler.frontier.keys import REDIS_TIMEOUTS, frontier_on

#: Above a spider's ``custom_settings`` (30), below the command line (``-s``, 40), as replay's.
PRIORITY = 35

_ROBOTS = "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware"


class FrontierAddon:
    def update_settings(self, settings: Settings) -> None:
        if not frontier_on(settings):
            return
        url = settings.get("FRONTIER_URL")
        prefix = settings.get("FRONTIER_PREFIX")
        for name, value in (
            ("SCHEDULER", "crawler.frontier.scheduler.FrontierScheduler"),
            ("SCHEDULER_QUEUE_CLASS", "crawler.frontier.queue.ReliableQueue"),
            ("DUPEFILTER_CLASS", "scrapy_redis.dupefilter.RFPDupeFilter"),
            ("SCHEDULER_QUEUE_KEY", f"{prefix}:%(spider)s:requests"),
            ("SCHEDULER_DUPEFILTER_KEY", f"{prefix}:%(spider)s:dupefilter"),
            ("REDIS_URL", url),
            ("REDIS_PARAMS", {**REDIS_TIMEOUTS, "retry_on_timeout": True}),
        ):
            settings.set(name, value, priority=PRIORITY)
        downloader = dict(settings.getdict("DOWNLOADER_MIDDLEWARES"))
        downloader.update({_ROBOTS: None, "crawler.frontier.robots.SharedRobotsTxtMiddleware": 100})
        if settings.getbool("FRONTIER_SITE_SLOTS"):
            downloader["crawler.frontier.politeness.ClusterSlotMiddleware"] = 960
        settings.set("DOWNLOADER_MIDDLEWARES", downloader, priority=PRIORITY)
        spider = dict(settings.getdict("SPIDER_MIDDLEWARES"))
        spider["crawler.frontier.start.FrontierStartMiddleware"] = 40
        settings.set("SPIDER_MIDDLEWARES", spider, priority=PRIORITY)
        # Last to see a failure (process_exception runs from the highest number down and stops at
        # a retry): a request that reaches it failed for good, and is no longer in flight.
        downloader["crawler.frontier.workers.FrontierFailureMiddleware"] = 5
        extensions = dict(settings.getdict("EXTENSIONS"))
        extensions["crawler.frontier.workers.FrontierWorkers"] = 490
        settings.set("EXTENSIONS", extensions, priority=PRIORITY)
