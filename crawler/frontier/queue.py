"""scrapy-redis' priority queue, with every request a worker takes remembered until it is done.

A plain pop loses the requests a worker took when it dies (Scrapy takes many ahead of the
download slots). Here one Lua script pops the best request and files it under the worker's
``inflight`` hash, and marks the worker busy; the request carries the field's token in its meta
and ``workers.FrontierWorkers`` drops the token once the response came (or the request was
dropped). What a dead worker (its lease expired) or a restarted one (the same ``WORKER_ID``)
left there is put back into the queue (with its priority), past the duplicate filter, which has
seen it.
"""

from __future__ import annotations

import logging

from scrapy import Request
from scrapy_redis.queue import PriorityQueue

from crawler.frontier.keys import SpiderKeys, worker_name

logger = logging.getLogger(__name__)

#: ``request.meta`` key: the request's field in its worker's inflight hash.
INFLIGHT_KEY = "frontier_token"

#: Pop the best request, file it (with its score, for a requeue) under the worker's in-flight
#: hash, mark the worker busy and listed.
_POP = """
local items = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #items == 0 then return false end
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, 0)
local token = redis.sha1hex(items[1])
redis.call('HSET', KEYS[2], token, items[2] .. '\\n' .. items[1])
redis.call('SET', KEYS[3], 'busy', 'PX', ARGV[1])
return {token, items[1]}
"""
#: Put back every request of a worker's in-flight hash, in one step: with ARGV[2] = 1 only if the
#: worker's lease (KEYS[3]) is gone, and then it leaves the worker list (KEYS[4]) too.
_REQUEUE = """
if ARGV[2] == '1' and redis.call('EXISTS', KEYS[3]) == 1 then return -1 end
local values = redis.call('HVALS', KEYS[1])
for _, v in ipairs(values) do
  local cut = string.find(v, '\\n', 1, true)
  redis.call('ZADD', KEYS[2], string.sub(v, 1, cut - 1), string.sub(v, cut + 1))
end
redis.call('DEL', KEYS[1])
if ARGV[2] == '1' then redis.call('SREM', KEYS[4], ARGV[1]) end
return #values
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
        self._requeue = server.register_script(_REQUEUE)

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
        """Put back what ``worker`` took and never finished: another worker's only if its lease is
        gone (it then leaves the worker list), this worker's own (restarted) at once. One script,
        so two workers that find the same dead one cannot both requeue it, and nothing is lost
        between taking the hash and pushing its requests."""
        mine = worker == self.worker
        keys = [self.keys.inflight(worker), self.key, self.keys.alive(worker), self.keys.workers]
        count = int(self._requeue(keys=keys, args=[worker, "0" if mine else "1"]))
        return max(count, 0)
