"""A resolver that sends an outlet's hostnames to loopback (sample-WARC builder only)."""

from __future__ import annotations

from scrapy.resolver import CachingThreadedResolver
from twisted.internet import defer

LOOPBACK_HOSTS = {"www.themoscowtimes.com", "static.themoscowtimes.com", "themoscowtimes.com"}


class LoopbackResolver(CachingThreadedResolver):
    def getHostByName(self, name, timeout=()):
        if name in LOOPBACK_HOSTS:
            return defer.succeed("127.0.0.1")
        return defer.fail(OSError(f"{name} is not a fixture host; refusing to resolve it"))
