"""Every Redis key the frontier uses, named in one place.

Per spider and run: ``<prefix>:<spider>:requests`` (scrapy-redis' priority queue),
``…:dupefilter`` (its fingerprints), ``…:seeded`` (who sent the run's feeds and sitemaps),
``…:workers`` (the names of the workers that joined), ``…:alive:<worker>`` (a worker's lease, its
value ``busy`` or ``idle``), ``…:inflight:<worker>`` (requests it took and has not finished), ``…:robots`` (each site's
robots.txt as fetched this run).
Per site, shared by every spider: ``<prefix>:site:<host>:slot`` (who may send to it now) and
``…:next`` (when, in the server's milliseconds, the next request may go).
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass

from scrapy.settings import BaseSettings

#: The Redis connection's limits, one set for every part (scrapy-redis' and the async clients).
REDIS_TIMEOUTS = {"socket_connect_timeout": 5, "socket_timeout": 10}


def frontier_on(settings: BaseSettings) -> bool:
    """The frontier is in use: ``FRONTIER_URL`` set, and no replay (which reads the archive)."""
    return bool(settings.get("FRONTIER_URL")) and not (settings.get("REPLAY_WARC") or settings.get("REPLAY_INDEX"))


def async_server(settings: BaseSettings):
    """An asyncio Redis client of the frontier's server (the site slots, robots.txt)."""
    import redis.asyncio

    return redis.asyncio.from_url(settings.get("FRONTIER_URL"), **REDIS_TIMEOUTS)


def worker_name(settings: BaseSettings) -> str:
    """``WORKER_ID``, else host and process: unique among the workers that share a frontier."""
    return settings.get("WORKER_ID") or f"{socket.gethostname()}-{os.getpid()}"


@dataclass(frozen=True)
class SpiderKeys:
    prefix: str
    spider: str

    @property
    def base(self) -> str:
        return f"{self.prefix}:{self.spider}"

    @property
    def requests(self) -> str:
        return f"{self.base}:requests"

    @property
    def dupefilter(self) -> str:
        return f"{self.base}:dupefilter"

    @property
    def seeded(self) -> str:
        return f"{self.base}:seeded"

    @property
    def workers(self) -> str:
        return f"{self.base}:workers"

    @property
    def robots(self) -> str:
        return f"{self.base}:robots"

    def alive(self, worker: str) -> str:
        return f"{self.base}:alive:{worker}"

    def inflight(self, worker: str) -> str:
        return f"{self.base}:inflight:{worker}"

    def run_keys(self) -> list[str]:
        """What one run leaves behind once every worker is done (the queue is empty by then); the
        queue first and the worker list second, as ``workers._FINISH`` reads them."""
        return [self.requests, self.workers, self.dupefilter, self.seeded, self.robots]


def site_key(prefix: str, host: str, what: str) -> str:
    return f"{prefix}:site:{host}:{what}"
