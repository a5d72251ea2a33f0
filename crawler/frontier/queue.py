"""scrapy-redis' priority queue, with every request a worker takes remembered until it is done.

A plain pop loses the requests a worker took when it dies (Scrapy takes many ahead of the
download slots). Here one Lua script pops the best request and files it under the worker's
``inflight`` hash, and marks the worker busy; the request carries the field's token in its meta
and ``workers.FrontierWorkers`` drops the token once the response came (or the request was
dropped). What a dead worker (its lease expired) or a restarted one (the same ``WORKER_ID``)
left there is pushed back into the queue, past the duplicate filter, which has seen it.
"""

from __future__ import annotations

import logging

from scrapy import Request
from scrapy_redis.queue import PriorityQueue

from crawler.frontier.keys import SpiderKeys, worker_name

logger = logging.getLogger(__name__)

#: ``request.meta`` key: the request's field in its worker's inflight hash.
INFLIGHT_KEY = "frontier_token"

_POP = """
local items = redis.call('ZRANGE', KEYS[1], 0, 0)
if #items == 0 then return false end
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, 0)
local token = redis.sha1hex(items[1])
redis.call('HSET', KEYS[2], token, items[1])
redis.call('SET', KEYS[3], 'busy', 'PX', ARGV[1])
return {token, items[1]}
"""


class ReliableQueue(PriorityQueue):
    """The queue of one spider's requests for every worker; ``pop`` keeps what it hands out."""

    def __init__(self, server, spider, key, serializer=None) -> None:
        super().__init__(server, spider, key, serializer)
        settings = spider.crawler.settings
        self.keys = SpiderKeys(settings.get("FRONTIER_PREFIX"), spider.name)
        self.worker = worker_name(settings)
        self.lease_ms = int(settings.getfloat("FRONTIER_LEASE") * 1000)
        self._pop = server.register_script(_POP)

    def pop(self, timeout=0) -> Request | None:
        found = self._pop(
            keys=[self.key, self.keys.inflight(self.worker), self.keys.alive(self.worker)], args=[self.lease_ms]
        )
        if not found:
            return None
        token, data = found
        request: Request = self._decode_request(data)
        request.meta[INFLIGHT_KEY] = token.decode() if isinstance(token, bytes) else token
        return request

    def done(self, token: str) -> None:
        self.server.hdel(self.keys.inflight(self.worker), token)

    def forget_inflight(self) -> None:
        """Nothing is in flight here (the worker is idle): a finished request whose token was not
        dropped (a download that failed for good) is not put back by anyone."""
        self.server.delete(self.keys.inflight(self.worker))

    def requeue(self, worker: str) -> int:
        """Put back what ``worker`` took and never finished. The hash is renamed first, so of two
        workers that find the same dead one, one requeues and the other finds nothing."""
        claimed = f"{self.keys.inflight(worker)}:claimed-by:{self.worker}"
        try:
            self.server.rename(self.keys.inflight(worker), claimed)
        except Exception as exc:  # redis.ResponseError "no such key": nothing left, or taken already
            if "no such key" in str(exc).lower():
                return 0
            raise
        count = 0
        for data in self.server.hvals(claimed):
            request = self._decode_request(data)
            request.meta.pop(INFLIGHT_KEY, None)
            self.push(request)
            count += 1
        self.server.delete(claimed)
        return count
