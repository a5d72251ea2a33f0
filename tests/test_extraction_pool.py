"""The extraction pool's clock: a page's time limit counts from when a worker takes it, not from
when it was handed to the pool (each worker has a second page waiting behind the one it runs)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time

import pytest

from crawler.extraction.pool import ExtractionPool, ExtractionTimeout, Limits
from tests.support.run import PROJECT

pytestmark = pytest.mark.slow  # starts a fork server and its worker


def test_a_page_waiting_behind_another_is_timed_from_when_its_worker_takes_it():
    pool = ExtractionPool(processes=True, workers=1)
    limits = Limits(timeout=2.0)

    async def two_pages() -> list:
        # One worker, two pages of 1.2 s each handed over at once: the second waits for the first
        # and ends 2.4 s after it was handed over, over the limit were that the page's clock.
        pages = [pool.run(limits, None, "pause", (1.2,), {}) for _ in range(2)]
        return await asyncio.gather(*pages, return_exceptions=True)

    async def long_page():
        return await pool.run(limits, None, "pause", (30.0,), {})

    try:
        asyncio.run(pool.run(limits, None, "pause", (0.0,), {}))  # the worker started first
        started = time.monotonic()
        first, second = asyncio.run(two_pages())
        assert [getattr(first, "skipped", first), getattr(second, "skipped", second)] == ["paused 1.2 s"] * 2
        assert time.monotonic() - started < 3.5  # one after the other, not one after a retry
        started = time.monotonic()
        with pytest.raises(ExtractionTimeout):  # and a page that runs over is still cut, at its limit
            asyncio.run(long_page())
        assert time.monotonic() - started < 5
    finally:
        pool.shutdown(wait=False)


def test_a_page_the_pool_lost_before_a_worker_took_it_is_handed_to_the_new_workers():
    pool = ExtractionPool(processes=True, workers=1)
    limits = Limits(timeout=1.0)

    async def long_then_short() -> list:
        # The long page is cut at 1 s and its pool killed, with the short one still waiting in it.
        pages = [pool.run(limits, None, "pause", (seconds,), {}) for seconds in (30.0, 0.1)]
        return await asyncio.gather(*pages, return_exceptions=True)

    try:
        asyncio.run(pool.run(limits, None, "pause", (0.0,), {}))
        long, short = asyncio.run(long_then_short())
        assert isinstance(long, ExtractionTimeout)
        assert getattr(short, "skipped", short) == "paused 0.1 s"  # not WorkerLost: it never ran
    finally:
        pool.shutdown(wait=False)


def test_the_crawler_process_never_loads_the_extraction_code_itself():
    """Results come back pickled, and unpickling imports the module of their class: that module
    must not pull in trafilatura and the rest, which only the workers need."""
    code = """
import asyncio, sys
from crawler.extraction.pool import ExtractionPool, NO_LIMITS
pool = ExtractionPool(processes=True, workers=1)
page = "<html><body><article><p>" + "Words of the article. " * 40 + "</p></article></body></html>"
result = asyncio.run(pool.run(NO_LIMITS, None, "run", (page,), {"url": "https://example.org/a"}))
pool.shutdown(wait=False)
print(result.fields.word_count, sorted(m for m in ("trafilatura", "extruct", "dateparser", "crawler.extraction.article") if m in sys.modules))
"""
    run = subprocess.run([sys.executable, "-c", code], cwd=PROJECT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.split() == ["160", "[]"], run.stdout


MAIN_SCRIPT = """
import os
with open(os.environ["RUNS_LOG"], "a") as log:  # each run of this script, as whichever module
    log.write(__name__ + "\\n")
if __name__ == "__main__":
    import asyncio
    from crawler.extraction.pool import ExtractionPool, NO_LIMITS

    async def pages(pool):
        await asyncio.gather(*(pool.run(NO_LIMITS, None, "pause", (0.2,), {}) for _ in range(4)))

    pool = ExtractionPool(processes=True, workers=2)
    asyncio.run(pages(pool))
    pool.shutdown(wait=True)
"""


def test_workers_started_from_a_script_do_not_run_the_script_again(tmp_path):
    """``scrapy``'s console script is a script: multiprocessing would run it again in each worker
    (as ``__mp_main__``), importing Scrapy there before the worker's first page."""
    script, log = tmp_path / "main_script.py", tmp_path / "runs.log"
    script.write_text(MAIN_SCRIPT)
    env = {"PYTHONPATH": str(PROJECT), "RUNS_LOG": str(log), "PATH": "/usr/bin:/bin"}
    run = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert log.read_text().split() == ["__main__"]


def test_shutting_down_with_a_page_running_kills_it_and_ends_the_pools_thread_first():
    # Python 3.11's exit hook wakes each process pool's thread through a pipe that thread closes
    # as it ends; ended before the hook runs, there is no race on that pipe.
    pool = ExtractionPool(processes=True, workers=1)
    limits = Limits(timeout=60.0)
    from functools import partial

    from crawler.extraction.pool import _call_in_worker

    asyncio.run(pool.run(limits, None, "pause", (0.0,), {}))
    executor, task = pool._submit_counted(partial(_call_in_worker, "pause", 0, (30.0,), {}, None))
    manager = executor._executor_manager_thread
    time.sleep(0.3)  # the worker has it
    started = time.monotonic()
    pool.shutdown(wait=True)
    assert time.monotonic() - started < 10  # killed, not waited for
    assert manager is not None and not manager.is_alive()
    assert task.done()


def test_the_exit_waits_for_a_warm_up_still_starting_its_pool():
    from crawler.extraction import pool as pools

    fresh = ExtractionPool(processes=True, workers=1)
    pools.warm_up(fresh)
    thread = pools._warm_ups[-1]
    pools.shutdown_executors()
    assert not thread.is_alive()  # its pool made (or refused) before the pools were stopped
    fresh.shutdown(wait=True)
