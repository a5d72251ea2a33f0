"""Several workers, one archive: real Redis (Debian's redis-server) and a real S3 server
(SeaweedFS) on loopback, 2–3 ``scrapy crawl`` processes against one Moscow Times site of up to 300 pages.

Every page captured exactly once across every worker's WARC files, every WARC valid and
uploaded with matching digests, the site never answering two requests at once, robots.txt and
the sitemaps fetched once for the whole cluster; a worker SIGKILLed mid-run and restarted loses
nothing; an unreachable Redis is one line and exit 1 before anything is fetched.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest
import redis

from crawler.state.database import ArchiveState
from tests.support import integrity
from tests.support.cluster_site import ClusterSite
from tests.support.network import free_port
from tests.support.run import ENV, PROJECT, command, scrapy
from tests.support.warcs import records, warc_files

pytestmark = pytest.mark.slow  # starts Redis and S3, runs several crawls at once


def worker(site: ClusterSite, redis_url: str, name: str, archive: Path, *extra: str) -> list[str]:
    return command(
        "crawl",
        "moscowtimes",
        "-a",
        f"site={site.base}",
        "-s",
        f"FRONTIER_URL={redis_url}",
        "-s",
        f"WORKER_ID={name}",
        "-s",
        "FRONTIER_LEASE=3",
        *extra,
        archive=archive,
    )


def start(line: list[str], log: Path) -> subprocess.Popen:
    # A session of its own: SIGKILL reaches the crawl and its extraction workers together.
    with open(log, "w") as out:  # the child has its own copy of the descriptor
        return subprocess.Popen(
            line, cwd=PROJECT, env=ENV, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def captured(archives: list[Path]) -> Counter[str]:
    """Response records per URL path, across every worker's WARC files."""
    paths: Counter[str] = Counter()
    for archive in archives:
        for path in warc_files(archive, "moscowtimes"):
            for kind, headers, _, _ in records(path):
                if kind == "response":
                    uri = headers.get_header("WARC-Target-URI")
                    paths["/" + uri.split("/", 3)[3]] += 1
    return paths


@pytest.fixture(scope="module")
def state_url():
    """A real PostgreSQL on loopback for the cluster's shared state."""
    from tests.support.postgres_server import postgres_bin, postgres_server

    if postgres_bin() is None:
        pytest.skip("no PostgreSQL (bin/setup installs Debian's postgresql)")
    with postgres_server() as url:
        yield url


def test_three_workers_share_the_frontier_the_state_the_site_and_the_bucket(redis_url, s3, state_url, tmp_path):
    client, s3_settings = s3
    client.create_bucket(Bucket="cluster")
    archives = [tmp_path / f"machine-{n}" for n in range(3)]
    shared = ["-s", "ARCHIVE_STORE=s3://cluster/archive", *s3_settings, "-s", f"STATE_URL={state_url}"]
    with ClusterSite(250) as site:
        procs = [
            start(worker(site, redis_url, f"w{n}", archive, *shared), tmp_path / f"w{n}.log")
            for n, archive in enumerate(archives)
        ]
        codes = [proc.wait(timeout=300) for proc in procs]
        logs = [(tmp_path / f"w{n}.log").read_text() for n in range(3)]
        assert codes == [0, 0, 0], "\n".join(log[-3000:] for log in logs)

        articles = set(site.article_paths())
        # The site: each article asked for once, never two requests at a time, robots.txt and the
        # sitemap index once for the whole cluster.
        assert {path: n for path, n in site.hits.items() if n > 1} == {}
        assert articles <= set(site.hits)
        assert site.max_active == 1
        assert site.hits["/robots.txt"] == 1 and site.hits["/sitemap/sitemap.xml"] == 1

        # The next run, on two other machines: the shared state tells them what the three
        # captured, so no article is fetched again (none is due); the feeds and sitemaps are read.
        site.hits.clear()
        later = [tmp_path / f"machine-{n}" for n in (3, 4)]
        procs = [
            start(worker(site, redis_url, f"w{n}", archive, *shared), tmp_path / f"later{n}.log")
            for n, archive in zip((3, 4), later, strict=True)
        ]
        assert [proc.wait(timeout=300) for proc in procs] == [0, 0]
        assert site.hits["/sitemap/sitemap.xml"] == 1
        assert not articles & set(site.hits)

    # The archive: every article captured exactly once across the three machines' WARC files,
    # and every worker took a share.
    seen = captured(archives)
    assert {path: seen[path] for path in articles if seen[path] != 1} == {}
    shares = [sum(1 for p in captured([a]) if p in articles) for a in archives]
    assert all(share > 0 for share in shares), shares
    for archive in archives + later:
        assert integrity.check(archive, state=False) == []
    # The shared state points only at records the machines' WARC files hold.
    every_record = set().union(*(integrity.response_ids(a) for a in archives + later))
    assert integrity.state_refers_to(ArchiveState(archives[0], state_url), every_record) == []
    state = ArchiveState(archives[0], state_url)
    try:  # one state for every machine: each worker's captures in it, numbered once
        assert state.known_urls("moscowtimes") == 250
        workers = {c.warc_file.split("-")[1] for p in articles for c in state.captures(site.base + p)}
        assert workers == {"w0", "w1", "w2"}
    finally:
        state.close()

    # Every WARC file uploaded, byte for byte, its sha256 recorded with it.
    for n, archive in enumerate(archives):
        for path in warc_files(archive, "moscowtimes"):
            key = f"archive/moscowtimes/{path.name}"
            assert f"-w{n}-" in path.name  # the worker's id keeps names apart in the bucket
            body = client.get_object(Bucket="cluster", Key=key)["Body"].read()
            assert body == path.read_bytes()
            assert (
                client.head_object(Bucket="cluster", Key=key)["Metadata"]["sha256"] == hashlib.sha256(body).hexdigest()
            )

    # The run is over: its queue, duplicate filter, seed mark, worker list and robots.txt are gone,
    # so the next run starts afresh (only the sites' politeness marks, which expire, stay).
    left = sorted(k.decode() for k in redis.Redis.from_url(redis_url).keys("dna:moscowtimes:*"))
    assert left == []


def test_a_worker_killed_mid_run_and_restarted_loses_nothing(redis_url, tmp_path):
    archives = [tmp_path / "machine-a", tmp_path / "machine-b"]
    logs = [tmp_path / "a.log", tmp_path / "b.log", tmp_path / "b-again.log"]
    with ClusterSite(300, latency=0.01) as site:
        articles = set(site.article_paths())
        a = start(worker(site, redis_url, "a", archives[0]), logs[0])
        b = start(worker(site, redis_url, "b", archives[1]), logs[1])
        deadline = time.monotonic() + 120
        while sum(site.hits[p] for p in articles) < 100 and time.monotonic() < deadline:
            time.sleep(0.05)
        os.killpg(b.pid, signal.SIGKILL)
        b.wait()
        assert list((archives[1] / "warc" / "moscowtimes").glob("*.open"))  # killed mid-file
        again = start(worker(site, redis_url, "b", archives[1]), logs[2])
        codes = [a.wait(timeout=300), again.wait(timeout=300)]
        text = "\n".join(log.read_text() for log in logs)
        assert codes == [0, 0], text[-4000:]

    seen = captured(archives)
    assert {p for p in articles if seen[p] == 0} == set()  # nothing lost
    # At most what the killed worker had taken and not finished is fetched twice.
    twice = {p for p in articles if seen[p] > 1}
    assert len(twice) <= 16, twice
    assert "queued again" in text  # what it had taken went back into the queue
    for archive in archives:
        assert integrity.check(archive) == []  # its .open WARC recovered, every file valid


def test_an_unreachable_frontier_is_one_line_and_exit_1_before_anything_is_fetched(tmp_path):
    with ClusterSite(5) as site:
        run = scrapy(
            "crawl",
            "moscowtimes",
            "-a",
            f"site={site.base}",
            "-s",
            f"FRONTIER_URL=redis://127.0.0.1:{free_port()}/0",
            archive=tmp_path,
        )
        assert run.returncode == 1, run.log[-3000:]
        assert "Frontier FRONTIER_URL=redis://127.0.0.1:" in run.log and "cannot be reached" in run.log
        assert "Traceback" not in run.log
        assert sum(site.hits.values()) == 0


def test_the_sites_crawl_delay_and_retry_after_hold_for_the_whole_cluster(redis_url, tmp_path):
    """Two workers, one site asking for a Crawl-delay of 0.2 s and once for a pause of 2 s
    (429 Retry-After): the site sees its pace kept between every two requests, whichever worker
    sent them. Each worker keeping the pace only for itself would halve the gaps."""
    with ClusterSite(30, crawl_delay=0.2) as site:
        throttled = site.article_path(12)
        site.busy_once[throttled] = 2
        procs = [start(worker(site, redis_url, f"p{n}", tmp_path / f"m{n}"), tmp_path / f"p{n}.log") for n in range(2)]
        codes = [proc.wait(timeout=300) for proc in procs]
        assert codes == [0, 0], "\n".join((tmp_path / f"p{n}.log").read_text()[-3000:] for n in range(2))
        arrivals = list(site.arrivals)
    assert site.hits[throttled] == 2  # refused once, fetched when the site allowed it
    # From the first request after robots.txt on (its Crawl-delay is known from then).
    gaps = [(later - earlier, path) for (earlier, path), (later, _) in zip(arrivals[1:], arrivals[2:], strict=False)]
    assert len(gaps) > 20
    assert min(gap for gap, _ in gaps) >= 0.9 * 0.2, sorted(gaps)[:5]
    after_429 = next(gap for gap, path in gaps if path == throttled)
    assert after_429 >= 0.9 * 2, after_429


def test_redis_lost_mid_crawl_closes_the_crawl_with_exit_1_and_keeps_what_was_fetched(tmp_path):
    from tests.support.redis_server import redis_server

    with ClusterSite(200, latency=0.01) as site:
        articles = set(site.article_paths())
        with redis_server(tmp_path / "redis") as url:
            proc = start(worker(site, url, "lonely", tmp_path / "machine"), tmp_path / "lonely.log")
            deadline = time.monotonic() + 120
            while sum(site.hits[p] for p in articles) < 30 and time.monotonic() < deadline:
                time.sleep(0.05)
        code = proc.wait(timeout=120)  # the server stopped as the block ended
    log = (tmp_path / "lonely.log").read_text()
    assert code == 1, log[-3000:]
    assert "Frontier lost while" in log
    assert integrity.check(tmp_path / "machine") == []  # WARC files closed and valid
    fetched = {p for p, n in site.hits.items() if p in articles}
    kept = set(captured([tmp_path / "machine"]))
    assert fetched and fetched <= kept  # every page the site sent is in the WARC files


def test_a_worker_whose_clock_is_off_does_not_start(redis_url, tmp_path):
    # No clock can be set back here: a bound below zero makes any clock "off" by more than it.
    with ClusterSite(5) as site:
        run = scrapy(
            *worker(site, redis_url, "skewed", tmp_path)[3:], "-s", "FRONTIER_MAX_CLOCK_SKEW=-1", archive=tmp_path
        )
        assert run.returncode == 1, run.log[-3000:]
        assert "this worker's clock is" in run.log and "set its clock (NTP), closing" in run.log
        assert "Traceback" not in run.log
        assert sum(site.hits.values()) == 0


def test_a_torn_answer_frees_the_sites_slot_at_once(redis_url, tmp_path):
    """The capture archives a torn answer as truncated and retries it (its process_response
    returns a request, which ends the chain): the site's slot must be freed before that, or every
    worker waits out the slot's lease (DOWNLOAD_TIMEOUT + 30 s = 90 s) before the site's next request."""
    with ClusterSite(20) as site:
        torn = site.article_path(7)
        site.torn_once.add(torn)
        began = time.monotonic()
        procs = [start(worker(site, redis_url, f"t{n}", tmp_path / f"m{n}"), tmp_path / f"t{n}.log") for n in range(2)]
        codes = [proc.wait(timeout=300) for proc in procs]
        took = time.monotonic() - began
        assert codes == [0, 0], "\n".join((tmp_path / f"t{n}.log").read_text()[-3000:] for n in range(2))
        assert site.hits[torn] == 2  # torn once, fetched again
        assert site.max_active == 1
    assert took < 60, took
    seen = captured([tmp_path / "m0", tmp_path / "m1"])
    assert seen[torn] == 2  # both archived: the torn one as truncated
