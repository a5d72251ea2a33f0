"""Name resolution for test crawls: nothing a test crawls ever leaves the machine.

``LoopbackResolver`` sends the Moscow Times' hostnames to loopback (the sample-WARC builder serves
the fixture site under them), resolves ``localhost`` and IP literals as usual, and refuses every
other name without asking any DNS server: a URL of a real site in a fixture page (a CDN image, an
outlet a bare ``crawlall`` would crawl) fails at once, logged, instead of reaching out. Every
crawl the tests start uses it (``tests/support/run.py``).
"""

from __future__ import annotations

import ipaddress

from scrapy.resolver import CachingThreadedResolver
from twisted.internet import defer

LOOPBACK_HOSTS = {"www.themoscowtimes.com", "static.themoscowtimes.com", "themoscowtimes.com"}


def _local(name: str) -> bool:
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name.strip("[]")).is_loopback
    except ValueError:
        return False


class LoopbackResolver(CachingThreadedResolver):
    def getHostByName(self, name, timeout=()):
        if name in LOOPBACK_HOSTS:
            return defer.succeed("127.0.0.1")
        if _local(name):
            return super().getHostByName(name, timeout)
        return defer.fail(OSError(f"{name} is not a loopback or fixture host; tests never resolve it"))
