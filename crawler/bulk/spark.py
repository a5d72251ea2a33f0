"""``scrapy extract --engine spark PATH... -o FOLDER/ [--master URL]``: re-extraction on Apache Spark.

The web-archive field's engine for work over many WARC files (the Archives Unleashed Toolkit,
ArchiveSpark, Common Crawl's cc-pyspark run on it). The tasks are

- **WARC files**, when there are at least two for each of Spark's cores: the driver lists them,
  each task indexes its own file and extracts it;
- **ranges of records** of fewer, larger files: the driver indexes the files once and hands each
  task ``RANGE_CAPTURES`` captures with the part of the index they need
  (``ReplayIndex.subset``: their revisits' originals, their archived items).

Either way a task runs in an executor's Python exactly what the direct path runs on one machine
(``bulk.direct.extract_part``: the outlet's spider, the rules valid at each capture's date, the
same items) and writes its items into the output folder as one file (``bulk.output``); the
folder says which files and ranges are done, so a run that died resumes without redoing them.
Each task returns its counts, which the driver prints per task. ``local[*]`` (every core of this
machine) is the default master; a cluster's master URL runs the same job on its executors,
which then need this project installed and the output folder on storage they all see.

Files in object storage (``s3://``) are whole-file tasks: each executor downloads its own file
(``storage.s3``) into a temporary folder, extracts it and removes it; its output is named after
the URL, so a rerun on any machine knows what is done.

In a task, extraction runs on the task's own thread (``EXTRACTION_PROCESS_POOL`` off, one
worker): Spark gives each task a core, and forking a pool inside its Python worker would take
cores Spark has given to other tasks.

Limit: a task of a whole file indexes that file only, so a revisit record whose original is in
another file (an incremental crawl's "unchanged" capture) is counted as unreadable, not
extracted; the text it stands for is extracted from the file that holds the original. Ranges
(the driver's index of every file) resolve them.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import tempfile
import threading
import time
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tqdm import tqdm

from crawler.bulk.direct import captures_by_file, extract_files, extract_part, merged_skips, skips_text
from crawler.bulk.output import OutputFolder
from crawler.storage.s3 import S3Error, client, fetch, is_s3, list_warcs
from crawler.warc.index import close_open_files

if TYPE_CHECKING:
    from scrapy.settings import Settings

logger = logging.getLogger(__name__)

PROJECT = Path(__file__).resolve().parents[2]
#: Settings a task takes from the command line (picklable values only), besides its own.
TASK_SETTINGS = {"EXTRACTION_PROCESS_POOL": False, "EXTRACTION_WORKERS": 1, "LOG_LEVEL": "WARNING"}


#: Captures a task of a range of records extracts (fixed, so the ranges are the same next run).
RANGE_CAPTURES = 250


def task_settings(overrides: dict[str, Any]):
    """An executor's settings: the project's, the command line's, the task's own."""
    from scrapy.utils.log import configure_logging
    from scrapy.utils.project import get_project_settings

    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    settings = get_project_settings()
    settings.setdict({**overrides, **TASK_SETTINGS}, priority="cmdline")
    configure_logging(settings, install_root_handler=True)
    return settings


def extract_warc_task(
    source: str, output: str, fmt: str, spider: str | None, overrides: dict[str, Any]
) -> dict[str, Any]:
    """A task of one WARC file: indexed and extracted into the output folder (in the executor)."""
    import asyncio

    from scrapy.spiderloader import SpiderLoader

    from crawler.commands.extract import extraction_settings, plan_extraction

    settings = task_settings(overrides)
    started = time.monotonic()
    download = None
    local, aliases = source, {}
    if is_s3(source):  # a file in object storage: a copy in this executor's temporary folder
        s3 = client(settings)
        download = tempfile.mkdtemp(prefix="extract-s3-")
        local = str(fetch(s3, list_warcs(s3, source)[0], Path(download)))
        aliases = {Path(local): source}
    try:
        plan = plan_extraction(settings, SpiderLoader.from_settings(settings), [local], spider, None)
        extraction_settings(settings, plan.warcs, {})
        folder = OutputFolder(output, fmt, aliases, {"spider": spider} if spider else None)
        results = asyncio.run(extract_files(plan.index, plan.groups.items(), settings, folder, sources=plan.warcs))
    finally:
        if download is not None:
            close_open_files()  # the Python worker is reused: its descriptors would keep the copy's space
            shutil.rmtree(download, ignore_errors=True)
    problems = plan.index.errors + plan.index.skipped
    return task_result(source, "", results, problems, started)


def extract_range_task(
    payload: tuple[Any, ...], output: str, fmt: str, spider: str | None, overrides: dict[str, Any]
) -> dict[str, Any]:
    """A task of a range of one file's records, with its part of the driver's index."""
    import asyncio

    from scrapy.spiderloader import SpiderLoader

    from crawler.commands.extract import SpiderLookup, extraction_settings
    from crawler.spiders.generic import GenericArticleSpider

    source, part, index, named = payload
    settings = task_settings(overrides)
    started = time.monotonic()
    loader = SpiderLoader.from_settings(settings)
    groups = [
        (GenericArticleSpider if name == GenericArticleSpider.name else SpiderLookup.crawling_spider(name, loader), c)
        for name, c in named
    ]
    extraction_settings(settings, [Path(source)], {})
    folder = OutputFolder(output, fmt, selection={"spider": spider} if spider else None)
    result = asyncio.run(extract_part(index, groups, settings, folder, Path(source), part))  # type: ignore[arg-type]
    return task_result(source, part, [result], [], started)


def task_result(source: str, part: str, results: list[Any], problems: list[str], started: float) -> dict[str, Any]:
    return {
        "source": source,
        "part": part,
        "captures": sum(r.captures for r in results),
        "items": sum(r.items for r in results),
        "skipped": merged_skips(results),
        "unreadable": len(problems),
        "problems": problems[:5],
        "seconds": round(time.monotonic() - started, 2),
        "host": os.uname().nodename,
    }


def session(master: str):
    """A Spark session for the job: the executors run this interpreter, with the project importable."""
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    python_path = os.pathsep.join(p for p in (str(PROJECT), os.environ.get("PYTHONPATH", "")) if p)
    return (
        SparkSession.builder.master(master)
        .appName("defense-news-archive: scrapy extract")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.executorEnv.PYTHONPATH", python_path)
        .config(
            "spark.executorEnv.SCRAPY_SETTINGS_MODULE", os.environ.get("SCRAPY_SETTINGS_MODULE", "crawler.settings")
        )
        .config("spark.task.maxFailures", "2")
        .getOrCreate()
    )


def command_line_settings(settings: Settings) -> dict[str, Any]:
    """The settings given on the command line (``-s``), for the tasks."""
    from scrapy.settings import SETTINGS_PRIORITIES

    given = {}
    for name in settings:
        value = settings[name]
        if settings.getpriority(name) == SETTINGS_PRIORITIES["cmdline"] and isinstance(
            value, (str, int, float, bool, type(None))
        ):
            given[name] = value
    return given


def run_spark(
    args: list[str], output: str, master: str, spider: str | None, fmt: str, settings: Settings, loader
) -> int:  # noqa: PLR0912 - one job's steps, said in order
    """The job: WARC files or ranges of their records as tasks; per-task counts; the exit code
    (1 when a file could not be read whole or the job failed)."""
    from crawler.commands.extract import input_files

    remote = [a for a in args if is_s3(a)]
    warcs, pages = input_files([a for a in args if not is_s3(a)])
    if pages:
        print(f"extract: --engine spark reads WARC files; {len(pages)} saved pages left out", file=sys.stderr)
    objects = []
    if remote:
        s3 = client(settings)
        try:
            objects = [obj for url in remote for obj in list_warcs(s3, url)]
        except S3Error as exc:
            print(f"extract: {exc}", file=sys.stderr)
            return 2
    folder = OutputFolder(output, fmt, selection={"spider": spider} if spider else None)
    spark = session(master)
    context = spark.sparkContext
    context.setLogLevel("WARN")
    overrides = {k: v for k, v in command_line_settings(settings).items() if k not in TASK_SETTINGS}
    out = str(Path(output).resolve())
    problems: list[str] = []
    try:
        if objects or len(warcs) >= 2 * context.defaultParallelism:
            # Files in object storage are always whole-file tasks: each executor reads its own.
            todo = [str(w) for w in warcs if folder.done(w) is None]
            todo += [o.url for o in objects if folder.done(o.url, size=o.size) is None]
            task = partial(extract_warc_task, output=out, fmt=fmt, spider=spider, overrides=overrides)
            kind = "files"
        else:
            todo, problems = ranges(warcs, folder, spider, settings, loader)
            task = partial(extract_range_task, output=out, fmt=fmt, spider=spider, overrides=overrides)
            kind = f"ranges of {RANGE_CAPTURES} captures"
        print(
            f"extract: {len(warcs) + len(objects)} WARC files; {len(todo)} tasks ({kind}) to do on Spark ({master},"
            f" {context.defaultParallelism} cores)",
            file=sys.stderr,
        )
        results, failed = run_tasks(context, todo, task) if todo else ([], None)
    finally:
        spark.stop()
    for problem in problems:
        print(f"extract: {problem}", file=sys.stderr)
    if failed is not None:
        print(f"extract: the Spark job failed: {str(failed).splitlines()[0]}", file=sys.stderr)
        print("extract: the tasks it finished are kept; run the command again to do the others", file=sys.stderr)
        return 1
    if results:
        print("extract: per task (file[range]: captures -> articles; no article; seconds; host)", file=sys.stderr)
    for result in results:
        skipped = skips_text(result["skipped"]) or "-"
        print(
            f"extract:   {Path(result['source']).name}{result['part']}: {result['captures']} -> {result['items']};"
            f" {skipped}; {result['seconds']} s; {result['host']}",
            file=sys.stderr,
        )
        for problem in result["problems"]:
            print(f"extract:     {problem}", file=sys.stderr)
    total = sum(r["items"] for r in results)
    print(f"extract: {total} articles from {len(results)} tasks in {folder.root}", file=sys.stderr)
    return 1 if problems or any(r["unreadable"] for r in results) else 0


def ranges(warcs: list[Path], folder: OutputFolder, spider: str | None, settings: Settings, loader):
    """The tasks of ranges of records: the files indexed here once, their captures cut into
    ``RANGE_CAPTURES``, each with its part of the index; files without an article capture are
    marked done here. Returns the tasks to do and what the index could not read."""
    from crawler.commands.extract import plan_extraction

    # The driver only plans: the executors extract (no workers of its own to start).
    plan = plan_extraction(settings, loader, [str(w) for w in warcs], spider, None, warm=False)
    by_file = captures_by_file(plan.groups.items())
    tasks = []
    for source in plan.warcs:
        if source not in by_file and folder.done(source) is None:
            folder.finish(source, folder.open(source), {"captures": 0, "items": 0, "skipped": {}})
    for source, groups in by_file.items():
        if folder.done(source) is not None:
            continue  # done whole (by the direct path, or as a file task of an earlier run)
        # In the file's own order: the same ranges whatever else the run reads.
        flat = sorted(((cls.name, c) for cls, captures in groups for c in captures), key=lambda nc: nc[1].offset)
        for k in range(0, len(flat), RANGE_CAPTURES):
            part = f"-r{k // RANGE_CAPTURES:04d}"
            if folder.done(source, part) is not None:
                continue
            chunk = flat[k : k + RANGE_CAPTURES]
            named: dict[str, list[Any]] = {}
            for name, capture in chunk:
                named.setdefault(name, []).append(capture)
            index = plan.index.subset([c for _, c in chunk])
            tasks.append((str(source), part, index, list(named.items())))
    return tasks, plan.index.errors + plan.index.skipped


def run_tasks(context, todo: list[Any], task) -> tuple[list[dict[str, Any]], Exception | None]:
    """Every task on Spark, one partition each, with a progress bar of the tasks finished."""
    progress = tqdm(total=len(todo), desc="extract (spark tasks)", unit="task", file=sys.stderr)
    stop = threading.Event()
    watcher = threading.Thread(target=_watch, args=(context, progress, stop), daemon=True)
    watcher.start()
    try:
        return context.parallelize(todo, len(todo)).map(task).collect(), None
    except Exception as exc:  # a task failed on every attempt: what finished is kept, the rest redone next run
        return [], exc
    finally:
        stop.set()
        watcher.join()
        progress.close()


def _watch(context, progress, stop: threading.Event) -> None:
    """The progress bar: tasks finished, from Spark's status tracker."""
    tracker = context.statusTracker()
    while not stop.wait(0.5):
        done = 0
        for stage in tracker.getActiveStageIds():
            info = tracker.getStageInfo(stage)
            if info is not None:
                done += info.numCompletedTasks
        if done > progress.n:
            progress.update(done - progress.n)
