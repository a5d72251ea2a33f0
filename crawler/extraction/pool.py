"""Extraction off the reactor thread, on a process pool sized to the cores.

One pool per process, shared by every crawl in it (``scrapy crawlall`` runs
several). Workers are started by a fork server that preloads the extraction
code, never forked from the reactor's process.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import multiprocessing
import os
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from functools import partial
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from crawler.extraction.article import ExtractionResult

logger = logging.getLogger(__name__)

_executors: dict[tuple[bool, int], Executor] = {}


def worker_count(setting: int) -> int:
    return setting if setting and setting > 0 else (os.cpu_count() or 1)


def get_executor(processes: bool = True, workers: int = 0) -> Executor:
    key = (processes, worker_count(workers))
    if key not in _executors:
        if processes:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["crawler.extraction.worker"])
            _executors[key] = ProcessPoolExecutor(
                max_workers=key[1], mp_context=context, initializer=exit_with, initargs=(os.getpid(),)
            )
        else:
            _executors[key] = ThreadPoolExecutor(max_workers=key[1], thread_name_prefix="extract")
        logger.debug("Extraction pool: %d %s", key[1], "processes" if processes else "threads")
    return _executors[key]


_warmed: set[int] = set()


def _nothing() -> None:
    return None


def warm_up(executor: Executor) -> None:
    """Start the workers now, from a thread, so the fork server's imports (~1 s of trafilatura,
    extruct, dateparser) overlap the crawl's start (robots.txt, feeds, an archive's index)
    instead of holding up the first article."""
    import threading

    if not isinstance(executor, ProcessPoolExecutor) or id(executor) in _warmed:
        return
    _warmed.add(id(executor))

    def start() -> None:
        try:
            for _ in range(executor._max_workers):
                executor.submit(_nothing)
        except RuntimeError:  # shut down meanwhile
            pass

    threading.Thread(target=start, name="extraction-warm-up", daemon=True).start()


def exit_with(crawler_pid: int) -> None:
    """Worker initializer: end this worker when the crawler process ends, however it ends.

    A SIGKILLed crawler runs no clean-up. Its workers (children of the fork server, not of the
    crawler) would wait for work forever, and keep the fork server, and the stdout and stderr of
    whoever started the crawl (cron, a test), alive with them.
    """
    import select
    import threading

    def watch() -> None:
        try:
            handle = os.pidfd_open(crawler_pid)
        except (AttributeError, OSError):  # no pidfd (old kernel): poll
            while _alive(crawler_pid):
                threading.Event().wait(1.0)
        else:
            select.select([handle], [], [])
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-crawler", daemon=True).start()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _call_in_worker(function: str, *args: Any, **kwargs: Any) -> ExtractionResult:
    """Runs in the worker (the module is already loaded there by the fork server): the crawler
    process names the function, so it never imports the extraction code itself."""
    from crawler.extraction import worker

    return getattr(worker, function)(*args, **kwargs)


async def run_in_pool(executor: Executor, function: str, *args: Any, **kwargs: Any) -> ExtractionResult:
    """``crawler.extraction.worker.<function>(*args, **kwargs)`` on the pool, awaited."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(executor, partial(_call_in_worker, function, *args, **kwargs))


async def extract_in_pool(executor: Executor, html: str, **kwargs: Any) -> ExtractionResult:
    """``extract_article(html, **kwargs)`` on the pool."""
    return await run_in_pool(executor, "run", html, **kwargs)


@atexit.register
def shutdown_executors() -> None:
    for executor in _executors.values():
        executor.shutdown(wait=True, cancel_futures=True)
    _executors.clear()
