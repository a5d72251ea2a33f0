"""Extraction off the reactor thread, on a process pool sized to the cores.

One pool per process, shared by every crawl in it (``scrapy crawlall`` runs
several). Workers are started by a fork server that preloads the extraction
code, never forked from the reactor's process.

The pool survives its workers: a worker that dies (the OOM killer, a crash in C code) breaks a
``ProcessPoolExecutor`` for good, so ``ExtractionPool`` builds a new one from the same fork
server (a fork, no imports) and the pages that were in the broken one fail with ``WorkerLost``
for their caller to retry. Each page runs under limits (``Limits``):

- time: the crawler process awaits the page at most ``timeout`` seconds. A running task of a
  process pool cannot be cancelled, so a page over the limit has the pool's workers killed (the
  other pages then in the pool fail with ``WorkerLost`` and are retried); its caller gets
  ``ExtractionTimeout``. The clock starts when a worker starts the page (the worker writes the
  time into memory it shares with the crawler process), so it measures extraction, not time in
  a queue behind a long page. Each worker has a second page waiting (``QUEUED_PER_WORKER``): a
  worker that finishes one starts the next at once, instead of idling while its result and a
  new page pass through the crawler process (measured: ~18% of each worker's time on two cores).
  A page the pool loses before any worker took it (the pool killed for another page) is handed
  to the new workers, not counted as tried.
- memory: each worker may grow its address space by ``max_memory`` MB over what it had when it
  started (``RLIMIT_AS``, set in the worker; the kernel refuses the allocation that would pass it,
  so the page that needs it fails with ``ExtractionOverMemory`` and the worker lives on, before
  the OOM killer picks anything). The limit is on address space, not resident memory, counted
  from the worker's start because a fork server's worker starts with all the preloaded code
  mapped (~100 MB, shared).
- a stopping crawl (Ctrl-C): a page still running after the crawl began stopping is given up
  (``ExtractionAbandoned``) and the workers killed, so the shutdown does not wait for it.

With ``EXTRACTION_PROCESS_POOL`` off the pool is threads of the crawler process: a page over the
time limit is given up (``ExtractionTimeout``) but its thread runs on, holding its slot, and the
process cannot exit before it ends; there is no memory limit (the address space is the crawler's).
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from functools import partial
from importlib.machinery import ModuleSpec
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scrapy.settings import Settings

    from crawler.extraction.result import ExtractionResult

logger = logging.getLogger(__name__)

#: How often a page that is still running checks whether its crawl is stopping (seconds).
STOP_POLL = 0.5
#: Pages in a process pool at a time, per worker: the one running and the one it takes next.
QUEUED_PER_WORKER = 2
#: The pages whose start a worker notes in the shared clock, at least (beyond: timed from submission).
CLOCK_SLOTS = 256
#: How often a page the pool lost before any worker took it is handed over again.
UNSTARTED_RESUBMITS = 3
#: How long the process's exit waits for a thread of the pool (a warm-up, a killed pool's manager).
SHUTDOWN_JOIN = 30.0


class WorkerLost(Exception):
    """The pool broke while this page was in it (a worker died or was killed for another page)."""


class ExtractionTimeout(Exception):
    """The page ran over the time limit; the worker running it was killed."""


class ExtractionOverMemory(Exception):
    """The page needed more memory than the worker's limit allows (raised in the worker)."""


class ExtractionAbandoned(Exception):
    """The crawl began stopping while the page was running; it was given up, its worker killed."""


@dataclass(frozen=True)
class Limits:
    """What one page may take: seconds (0: no limit) and MB of address space per worker (0: none)."""

    timeout: float = 0.0
    max_memory: int = 0


NO_LIMITS = Limits()


def worker_count(setting: int) -> int:
    return setting if setting and setting > 0 else (os.cpu_count() or 1)


class ExtractionPool(Executor):
    """A process (or thread) pool that replaces its executor when a worker dies or is killed."""

    def __init__(self, processes: bool, workers: int) -> None:
        self.processes = processes
        self.workers = workers
        self._executor: Executor | None = None
        self._lock = threading.Lock()
        #: Tasks submitted and not done, per executor (at exit, killed rather than waited for).
        self._running: weakref.WeakKeyDictionary[Executor, int] = weakref.WeakKeyDictionary()
        #: Why we killed an executor (for the log lines of the pages it took down).
        self._killed: weakref.WeakKeyDictionary[Executor, str] = weakref.WeakKeyDictionary()
        self._slots: tuple[asyncio.AbstractEventLoop, asyncio.Semaphore] | None = None
        #: When each page in the pool was started by its worker (``time.monotonic()``, 0: not yet),
        #: by clock slot; shared with the workers (a process pool's).
        self._clock: Any = None
        self._free_clock_slots: deque[int] = deque()
        if processes:
            size = max(CLOCK_SLOTS, workers * QUEUED_PER_WORKER)
            self._clock = multiprocessing.get_context("forkserver").RawArray("d", size)
            self._free_clock_slots.extend(range(size))

    # -- the executor of the moment ------------------------------------------------------------

    def current(self) -> Executor:
        """The executor to submit to: the one in use, or a new one if it broke or was killed."""
        with self._lock:
            executor = self._executor
            if executor is not None and getattr(executor, "_broken", False):
                logger.warning("Extraction pool broken (%s): starting new workers", self.why_broken(executor))
                executor.shutdown(wait=False)
                executor = None
            if executor is None:
                executor = self._executor = self._new()
            return executor

    def _new(self) -> Executor:
        if self.processes:
            context = _forkserver_context()
            return ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=context,
                initializer=start_worker,
                initargs=(os.getpid(), self._clock),
            )
        return ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="extract")

    def why_broken(self, executor: Executor) -> str:
        """Why this executor's pages were lost: killed by us (and why), or how its workers ended."""
        if executor in self._killed:
            return self._killed[executor]
        ended = [
            f"worker pid {pid} {_ending(process.exitcode)}"
            for pid, process in list((getattr(executor, "_processes", None) or {}).items())
            if process.exitcode is not None and process.exitcode != -signal.SIGTERM
        ]
        return ", ".join(ended) if ended else "a worker ended"

    def kill(self, executor: Executor, why: str) -> None:
        """Kill the workers of ``executor`` (a process pool's running task cannot be cancelled):
        the pages still in it fail with ``WorkerLost``; the next page gets a new executor."""
        if not isinstance(executor, ProcessPoolExecutor):
            return
        with self._lock:
            if executor in self._killed:
                return
            self._killed[executor] = why
            if self._executor is executor:
                self._executor = None
        processes = list((executor._processes or {}).values())
        for process in processes:
            try:
                process.kill()
            except (OSError, ValueError, AttributeError):  # gone already
                pass
        executor.shutdown(wait=False)
        logger.warning("Extraction workers %s killed: %s", ", ".join(str(p.pid) for p in processes) or "-", why)

    # -- Executor ------------------------------------------------------------------------------

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        return self.current().submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Stop the workers; with pages still running (an exit mid-crawl), kill them rather than
        wait for them."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is None:
            return
        if self._running.get(executor):
            manager = getattr(executor, "_executor_manager_thread", None)
            self.kill(executor, "the process is exiting")
            if wait and manager is not None:
                # Python 3.11's exit hook wakes every process pool's thread through a pipe that
                # thread closes as it ends: ended first, the hook finds the pipe closed and
                # leaves it alone (else a race: "Exception ignored ... Bad file descriptor").
                manager.join(timeout=SHUTDOWN_JOIN)
        else:
            executor.shutdown(wait=wait, cancel_futures=cancel_futures)

    def limited(self, limits: Limits, stopping: Callable[[], bool] | None = None) -> Limited:
        """This pool under ``limits``, for one spider; ``stopping()`` true: give running pages up."""
        return Limited(self, limits, stopping)

    # -- one page ------------------------------------------------------------------------------

    def _slots_here(self) -> asyncio.Semaphore:
        """The pages that may be in the pool at a time (per event loop: the crawler has one): one
        per thread; on processes, the one each worker runs and the one it takes next."""
        loop = asyncio.get_running_loop()
        if self._slots is None or self._slots[0] is not loop:
            queued = QUEUED_PER_WORKER if self.processes else 1
            self._slots = (loop, asyncio.Semaphore(self.workers * queued))
        return self._slots[1]

    def _started(self, slot: int | None, submitted: float) -> float | None:
        """When the page's worker started it (None: still waiting for its worker). Threads start
        a page when it is submitted (at most one per thread); so does a page without a slot."""
        if slot is None:
            return submitted
        started: float = self._clock[slot]
        return started or None

    def _submit_counted(self, job: Callable[[], Any]) -> tuple[Executor, Future[Any]]:
        try:
            executor = self.current()
            task = executor.submit(job)
        except BrokenProcessPool:  # it broke since current() looked: nothing of this page ran
            executor = self.current()
            task = executor.submit(job)
        with self._lock:
            self._running[executor] = self._running.get(executor, 0) + 1

        def done(_: Future[Any]) -> None:
            with self._lock:
                self._running[executor] = self._running.get(executor, 1) - 1

        task.add_done_callback(done)
        return executor, task

    async def run(
        self,
        limits: Limits,
        stopping: Callable[[], bool] | None,
        function: str,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> ExtractionResult:
        loop = asyncio.get_running_loop()
        slots = self._slots_here()
        await slots.acquire()
        task: Future[Any] | None = None
        # A process pool's page notes in the shared clock when its worker starts it. Slots go
        # round (first freed, last taken again): a worker's late write, from a pool breaking
        # under it, cannot land on a slot that is in use again.
        slot = self._free_clock_slots.popleft() if self._free_clock_slots else None  # none on threads
        memory = limits.max_memory if self.processes else 0
        lost = ""
        try:
            # A page the pool lost before any worker took it (a pool killed for another page, or
            # broken by another page's worker) goes to the new workers: it has not been tried.
            for _ in range(UNSTARTED_RESUBMITS + 1):
                task = None
                if slot is not None:
                    self._clock[slot] = 0.0
                executor, task = self._submit_counted(partial(_call_in_worker, function, memory, args, kwargs, slot))
                submitted = time.monotonic()  # the workers' clock too (system-wide on Linux)
                try:
                    return await self._wait(executor, task, limits, stopping, slot, submitted)
                except BrokenProcessPool as exc:
                    if self._started(slot, submitted) is not None:
                        raise WorkerLost(self.why_broken(executor)) from exc
                    lost = self.why_broken(executor)
                    logger.debug("Extraction pool lost a page before a worker took it (%s): handed over again", lost)
            raise WorkerLost(f"{lost}; the page was lost before any worker took it, {UNSTARTED_RESUBMITS + 1} times")
        finally:
            if slot is not None:
                self._free_clock_slots.append(slot)
            if task is None or task.done() or self.processes:
                slots.release()
            else:  # a thread cannot be stopped: its slot stays taken until it ends
                task.add_done_callback(lambda _: loop.call_soon_threadsafe(slots.release))

    async def _wait(
        self,
        executor: Executor,
        task: Future[Any],
        limits: Limits,
        stopping: Callable[[], bool] | None,
        slot: int | None,
        submitted: float,
    ) -> ExtractionResult:
        """The page's result, under its limits (``BrokenProcessPool``: the pool lost it)."""
        waiting = asyncio.wrap_future(task)
        try:
            while True:
                step = STOP_POLL if stopping is not None else None
                deadline = None
                if limits.timeout > 0:
                    started = self._started(slot, submitted)
                    # Until its worker takes it, the page is looked at again every so often.
                    deadline = started + limits.timeout if started is not None else None
                    left = deadline - time.monotonic() if deadline is not None else min(limits.timeout, STOP_POLL)
                    step = left if step is None else min(step, left)
                if step is None or step > 0:
                    done, _ = await asyncio.wait({waiting}, timeout=step)
                    if done:
                        break
                if stopping is not None and stopping():
                    self._give_up(executor, task, waiting, "the crawl is stopping")
                    raise ExtractionAbandoned("the crawl is stopping")
                if deadline is not None and time.monotonic() >= deadline:
                    self._give_up(executor, task, waiting, f"a page ran over {limits.timeout:g} s")
                    stopped = (
                        "its worker killed" if self.processes else "its thread runs on (threads cannot be stopped)"
                    )
                    raise ExtractionTimeout(f"over the extraction time limit ({limits.timeout:g} s), {stopped}")
        except asyncio.CancelledError:
            self._give_up(executor, task, waiting, "a page's extraction was cancelled")
            raise
        result: ExtractionResult = waiting.result()
        return result

    def _give_up(self, executor: Executor, task: Future[Any], waiting: asyncio.Future[Any], why: str) -> None:
        """Stop waiting for the page: taken back if no worker has it yet, else its workers killed."""
        waiting.cancel()
        if not task.done() and not task.cancel():
            self.kill(executor, why)


class Limited(Executor):
    """A shared ``ExtractionPool`` seen by one spider: its limits, its crawl's stopping."""

    def __init__(self, pool: ExtractionPool, limits: Limits, stopping: Callable[[], bool] | None) -> None:
        self.pool = pool
        self.limits = limits
        self.stopping = stopping

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        return self.pool.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """The pool is the process's, not this spider's: left running."""


def _ending(exitcode: int | None) -> str:
    if exitcode is None:
        return "running"
    if exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        return f"killed by {name}" + (" (the OOM killer?)" if exitcode == -signal.SIGKILL else "")
    return f"exited with {exitcode}"


_pools: dict[tuple[bool, int], ExtractionPool] = {}


def get_executor(processes: bool = True, workers: int = 0) -> ExtractionPool:
    key = (processes, worker_count(workers))
    if key not in _pools:
        _pools[key] = ExtractionPool(*key)
        logger.debug("Extraction pool: %d %s", key[1], "processes" if processes else "threads")
    return _pools[key]


def settings_executor(settings: Settings) -> ExtractionPool:
    """The process's pool for these settings (``EXTRACTION_PROCESS_POOL``, ``EXTRACTION_WORKERS``)."""
    return get_executor(settings.getbool("EXTRACTION_PROCESS_POOL"), settings.getint("EXTRACTION_WORKERS"))


_warmed: set[int] = set()
#: The warm-ups' threads: the process's exit waits for them before it stops the pools.
_warm_ups: list[threading.Thread] = []

#: What the fork server imports before it forks any worker.
PRELOAD = ["crawler.extraction.worker"]


def _forkserver_context() -> Any:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    _main_script_left_out()
    return context


def _main_script_left_out() -> None:
    """Workers start without running the crawler process's main script again.

    A process started by a fork server (or spawned) first runs its parent's ``__main__`` again,
    as ``__mp_main__``, so that what is defined there can be unpickled, when that module is a
    script run by its path: ``scrapy``'s console script is one (``python -m scrapy`` is not; its
    ``__main__`` is known by name, ``scrapy.__main__``, and left alone). Each worker then imported
    Scrapy, Twisted and the reactor before its first page, into memory of its own (from a script
    importing ``scrapy.cmdline``, a new pool's first two pages came 0.49-0.55 s after it was
    made, against 0.32-0.42 s with this; three runs each). A worker needs nothing of
    ``__main__``: the pool sends it ``_call_in_worker`` and the name of a function of ``worker``.
    So the script's module is given the spec ``python -m`` would give it, named ``__main__``,
    which multiprocessing does not run again."""
    main = sys.modules.get("__main__")
    if main is not None and getattr(main, "__spec__", None) is None and getattr(main, "__file__", None):
        main.__spec__ = ModuleSpec("__main__", None)


def start_fork_server() -> None:
    """Start the workers' fork server now, and nothing else of the pool: its imports of the
    extraction code (~0.5 s of a core) then run on the other core while the command itself still
    starts (Scrapy, the spiders, the archive's index), instead of after it; the pool, made later,
    forks its workers from this server. No thread, pipe or executor is made here, so a command
    that stops before it extracts (a wrong path) exits as it would have: the server sees its
    parent gone and exits too, once its imports are done. Nothing happens if the server runs."""
    from multiprocessing import forkserver

    _forkserver_context()
    forkserver.ensure_running()


def _nothing() -> None:
    return None


def warm_up(executor: Executor) -> None:
    """Start the workers now, from a thread, so the fork server's imports (~0.3 s of trafilatura,
    lxml, dateparser) overlap the crawl's start (robots.txt, feeds, an archive's index)
    instead of holding up the first article."""
    pool = executor.pool if isinstance(executor, Limited) else executor
    if not isinstance(pool, ExtractionPool) or not pool.processes or id(pool) in _warmed:
        return
    _warmed.add(id(pool))

    def start() -> None:
        try:
            for _ in range(pool.workers):
                pool.submit(_nothing)
        except RuntimeError:  # shut down meanwhile
            pass

    thread = threading.Thread(target=start, name="extraction-warm-up", daemon=True)
    _warm_ups.append(thread)
    thread.start()


# -- in the worker ---------------------------------------------------------------------------

#: The worker's address space when it started (bytes), and the limit set on it (MB, 0: none).
_start_size = 0
_memory_limit = 0


#: The C library, opened before any limit is set (``_release_memory`` trims the heap with it).
_libc: Any = None


#: The crawler process's clock of page starts (see ``ExtractionPool._started``).
_clock: Any = None


def start_worker(crawler_pid: int, clock: Any = None) -> None:
    """Worker initializer: end with the crawler; note the size the memory limit counts from."""
    global _start_size, _libc, _clock
    exit_with(crawler_pid)
    _clock = clock
    try:
        import ctypes

        _libc = ctypes.CDLL("libc.so.6")
    except (ImportError, OSError):
        _libc = None
    _start_size = _address_space()


def _address_space() -> int:
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _limit_memory(megabytes: int) -> None:
    global _memory_limit
    import resource

    hard = resource.getrlimit(resource.RLIMIT_AS)[1]
    limit = _start_size + megabytes * 2**20 if megabytes > 0 and _start_size else hard
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    _memory_limit = megabytes


def _peak_address_space() -> int:
    """The largest the worker's address space has been (``VmPeak``, bytes; 0 if unknown)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmPeak:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _near_limit(exc: BaseException, peak_before: int) -> bool:
    """After a failure under a memory limit: was it a refused allocation? One shows in lxml and
    libxml2 as any exception ("XPathEvalError: unknown error", "Memory allocation failed"), or as
    another error raised while a MemoryError was being handled; and by the time it is caught the
    memory may be free again. So: a MemoryError in its chain, libxml2's message, or the address
    space close to the limit now or at its peak during this task."""
    if not _memory_limit:
        return False
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            break
        if isinstance(seen, MemoryError) or "memory allocation failed" in str(seen).lower():
            return True
        seen = seen.__cause__ or seen.__context__
    limit = _start_size + _memory_limit * 2**20
    margin = max(16 * 2**20, _memory_limit * 2**20 // 8)
    peak = _peak_address_space()
    return limit - _address_space() < margin or (peak > peak_before and limit - peak < margin)


def _release_memory() -> None:
    """Give what the refused task left back to the system. Nothing here may need memory it does not
    have: libc was opened when the worker started (importing ``ctypes`` now, at the limit, failed
    now and then, and its ImportError was taken for the page's own error)."""
    import gc

    gc.collect()
    if _libc is not None:
        try:
            _libc.malloc_trim(0)
        except (AttributeError, OSError, MemoryError):
            pass


def exit_with(crawler_pid: int) -> None:
    """End this worker when the crawler process ends, however it ends.

    A SIGKILLed crawler runs no clean-up. Its workers (children of the fork server, not of the
    crawler) would wait for work forever, and keep the fork server, and the stdout and stderr of
    whoever started the crawl (cron, a test), alive with them.
    """
    import select

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


def _call_in_worker(
    function: str, max_memory: int, args: tuple[Any, ...], kwargs: dict[str, Any], slot: int | None = None
) -> ExtractionResult:
    """Runs in the worker (the module is already loaded there by the fork server): the crawler
    process names the function, so it never imports the extraction code itself. ``max_memory``
    is 0 on threads (the crawler's own address space is never limited); ``slot``: where in the
    shared clock to note when the page started (None: nowhere)."""
    if slot is not None and _clock is not None:
        _clock[slot] = time.monotonic()
    from crawler.extraction import worker

    if max_memory != _memory_limit:
        _limit_memory(max_memory)
    peak_before = _peak_address_space() if max_memory else 0
    try:
        outcome: ExtractionResult = getattr(worker, function)(*args, **kwargs)
        return outcome
    except MemoryError:
        failure = f"over the extraction memory limit ({max_memory} MB)"
    except Exception as exc:
        if not _near_limit(exc, peak_before):
            raise
        failure = f"over the extraction memory limit ({max_memory} MB; it showed as {type(exc).__name__}: {exc})"
    # Raised out here, not in the except clause: the error would be its context, and its traceback
    # the frames holding the page's tree, alive until the worker's next task was unpickled, which
    # then failed for want of memory and ended the worker.
    _release_memory()
    raise ExtractionOverMemory(failure)


async def run_in_pool(executor: Executor, function: str, *args: Any, **kwargs: Any) -> ExtractionResult:
    """``crawler.extraction.worker.<function>(*args, **kwargs)`` on the pool, awaited, under the
    limits of a ``Limited`` pool (a plain ``Executor`` runs it without any)."""
    if isinstance(executor, Limited):
        return await executor.pool.run(executor.limits, executor.stopping, function, args, kwargs)
    if isinstance(executor, ExtractionPool):
        return await executor.run(NO_LIMITS, None, function, args, kwargs)
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(executor, partial(_call_in_worker, function, 0, args, kwargs))


def shutdown_executors() -> None:
    # A warm-up still starting a pool (a command that stopped at once) would otherwise make that
    # pool's executor while it is being shut down, its threads and pipes half made.
    for thread in _warm_ups:
        thread.join(timeout=SHUTDOWN_JOIN)
    _warm_ups.clear()
    for pool in _pools.values():
        pool.shutdown(wait=True, cancel_futures=True)
    _pools.clear()


# concurrent.futures joins its pools' threads before the atexit functions run, and a process
# pool's thread waits for the pages still running: this must run before it (threading's exit
# functions run last registered first, and concurrent.futures registered its own on import).
getattr(threading, "_register_atexit", atexit.register)(shutdown_executors)
