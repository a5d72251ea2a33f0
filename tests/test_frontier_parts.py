"""The shared frontier's parts, each against a real Redis (Debian's redis-server on loopback):
what the add-on turns on (and that without FRONTIER_URL nothing changes), the reliable queue's
bookkeeping of requests in flight, and the site slot's scripts (one holder, the next moment in
the server's time, a dead holder's lease, Retry-After)."""

from __future__ import annotations

import asyncio
import time

import pytest
import redis
from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.settings import Settings
from scrapy.utils.project import get_project_settings

from crawler.frontier.addon import FrontierAddon
from crawler.frontier.keys import SpiderKeys, site_key
from crawler.frontier.politeness import SLOT_KEY, ClusterSlotMiddleware
from crawler.frontier.queue import INFLIGHT_KEY, ReliableQueue
from spiders.moscowtimes import MoscowTimesSpider


def configured(**overrides) -> Settings:
    settings = get_project_settings().copy()
    settings.setdict(overrides, priority="cmdline")
    FrontierAddon().update_settings(settings)
    return settings


def test_without_frontier_url_the_crawl_is_as_it_was():
    plain = get_project_settings()
    settings = configured()
    for name in ("SCHEDULER", "DUPEFILTER_CLASS", "DOWNLOADER_MIDDLEWARES", "SPIDER_MIDDLEWARES", "EXTENSIONS"):
        assert settings[name] == plain[name], name
    assert "frontier" not in repr(settings.getdict("DOWNLOADER_MIDDLEWARES"))


def test_frontier_url_turns_on_the_shared_scheduler_and_the_clusters_parts():
    settings = configured(FRONTIER_URL="redis://127.0.0.1:1/0")
    assert settings["SCHEDULER"] == "crawler.frontier.scheduler.FrontierScheduler"
    assert settings["DUPEFILTER_CLASS"] == "scrapy_redis.dupefilter.RFPDupeFilter"
    assert settings["SCHEDULER_QUEUE_KEY"] == "dna:%(spider)s:requests"
    downloader = settings.getdict("DOWNLOADER_MIDDLEWARES")
    assert downloader["scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware"] is None
    # The site slot is held around the transfer only: after the WARC capture (950) takes the
    # request, first to see the answer (a capture that retries or refuses it cannot keep the slot).
    assert downloader["crawler.frontier.politeness.ClusterSlotMiddleware"] > 950
    assert "crawler.frontier.workers.FrontierWorkers" in settings.getdict("EXTENSIONS")
    # A replay reads the archive: no frontier for it.
    replay = configured(FRONTIER_URL="redis://127.0.0.1:1/0", REPLAY_WARC="x.warc.gz")
    assert replay["SCHEDULER"] == get_project_settings()["SCHEDULER"]


@pytest.fixture
def server(redis_url):
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.close()


def spider_for(redis_url: str, worker: str):
    from scrapy.utils.test import get_crawler

    crawler = get_crawler(
        MoscowTimesSpider,
        {"FRONTIER_URL": redis_url, "FRONTIER_PREFIX": "dna", "WORKER_ID": worker, "FRONTIER_LEASE": 5},
    )
    return MoscowTimesSpider.from_crawler(crawler)


def queue_of(server, redis_url: str, worker: str) -> ReliableQueue:
    return ReliableQueue(server, spider_for(redis_url, worker), "dna:%(spider)s:requests")


def test_a_request_taken_is_in_flight_until_done_and_a_dead_workers_are_queued_again(server, redis_url):
    a = queue_of(server, redis_url, "a")
    spider = a.spider
    for n in range(3):
        a.push(Request(f"https://www.themoscowtimes.com/2024/12/0{n + 1}/x-a{n}", callback=spider.parse_article))
    keys = SpiderKeys("dna", "moscowtimes")
    first, second = a.pop(), a.pop()
    assert len(a) == 1 and server.hlen(keys.inflight("a")) == 2
    assert server.get(keys.alive("a")) == b"busy"
    a.done(first.meta[INFLIGHT_KEY])
    assert server.hlen(keys.inflight("a")) == 1
    # Worker a dies holding the second request: b and c find it; only one of them requeues it.
    b, c = queue_of(server, redis_url, "b"), queue_of(server, redis_url, "c")
    assert b.requeue("a") == 0  # alive (its lease runs): nobody takes its requests
    server.sadd(keys.workers, "a", "b", "c")
    server.delete(keys.alive("a"))  # its lease runs out
    assert b.requeue("a") + c.requeue("a") == 1
    assert server.smembers(keys.workers) == {b"b", b"c"}
    assert len(a) == 2 and not server.exists(keys.inflight("a"))
    again = {b.pop().url, b.pop().url}
    assert second.url in again


def slot_middleware(redis_url: str, delay: float) -> ClusterSlotMiddleware:
    from scrapy.utils.test import get_crawler

    crawler = get_crawler(
        MoscowTimesSpider,
        {"FRONTIER_URL": redis_url, "FRONTIER_PREFIX": "dna", "FRONTIER_SLOT_LEASE": 1, "RETRY_AFTER_MAX": 600},
    )
    middleware = ClusterSlotMiddleware.from_crawler(crawler)

    async def fixed(request) -> float:  # the slot's delay as Scrapy's downloader would say it
        return delay

    middleware._delay = fixed  # type: ignore[method-assign]
    return middleware


def test_one_request_per_site_at_a_time_and_the_next_only_after_the_delay(server, redis_url):
    async def scenario():
        first, second = slot_middleware(redis_url, 0.3), slot_middleware(redis_url, 0.3)
        one, two = Request("https://www.themoscowtimes.com/a"), Request("https://www.themoscowtimes.com/b")
        await first.process_request(one)
        assert SLOT_KEY in one.meta
        waiting = asyncio.ensure_future(second.process_request(two))
        await asyncio.sleep(0.2)
        assert not waiting.done()  # the site's slot is held by the first request
        freed = time.monotonic()
        await first.process_response(one, HtmlResponse(one.url, status=200))
        await waiting
        waited = time.monotonic() - freed
        await first.close()
        await second.close()
        return waited

    assert asyncio.run(scenario()) >= 0.9 * 0.3
    assert server.exists(site_key("dna", "www.themoscowtimes.com", "slot"))


def test_a_dead_holders_slot_frees_itself_and_retry_after_holds_for_everyone(server, redis_url):
    async def scenario():
        dead, alive = slot_middleware(redis_url, 0.0), slot_middleware(redis_url, 0.0)
        held = Request("https://www.themoscowtimes.com/held")
        await dead.process_request(held)  # and never answers: its lease is 1 s
        start = time.monotonic()
        busy = Request("https://www.themoscowtimes.com/busy")
        await alive.process_request(busy)
        took_over = time.monotonic() - start
        answer = HtmlResponse(busy.url, status=429, headers={"Retry-After": "1"})
        await alive.process_response(busy, answer)
        after = time.monotonic()
        await dead.process_request(Request("https://www.themoscowtimes.com/next"))
        paused = time.monotonic() - after
        await dead.close()
        await alive.close()
        return took_over, paused

    took_over, paused = asyncio.run(scenario())
    assert 0.8 <= took_over < 3
    assert paused >= 0.9 * 1  # the other worker waited the Retry-After too


def test_a_clock_off_the_frontiers_is_measured_against_the_redis_servers(server):
    from crawler.frontier.workers import clock_skew

    assert abs(clock_skew(server)) < 5
    assert 3590 < clock_skew(server, lambda: time.time() + 3600) < 3610  # an hour ahead
    assert -3610 < clock_skew(server, lambda: time.time() - 3600) < -3590


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({}, "moscowtimes"),
        ({"WORKER_ID": "w7"}, "moscowtimes-w7"),
        ({"FRONTIER_URL": "redis://127.0.0.1:1/0"}, "moscowtimes-HOST"),
        ({"ARCHIVE_STORE": "s3://b/p"}, "moscowtimes-HOST"),
    ],
)
def test_warc_files_of_a_cluster_worker_carry_its_name_even_without_worker_id(settings, named, tmp_path):
    """Two workers writing to one bucket in the same second never make one file name."""
    import os
    import socket

    from scrapy.utils.test import get_crawler

    from crawler.warc.capture import WarcCaptureMiddleware

    crawler = get_crawler(MoscowTimesSpider, {"ARCHIVE_DIR": str(tmp_path), "WARC_ENABLED": True, **settings})
    writer = WarcCaptureMiddleware(crawler).writer_for("moscowtimes")
    assert writer.prefix == named.replace("HOST", f"{socket.gethostname()}-{os.getpid()}")
