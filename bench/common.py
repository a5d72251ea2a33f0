"""What every benchmark shares: a process pool with a progress bar, a process tree's pids, and
the report header."""

from __future__ import annotations

import os
import platform
import subprocess
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version

from tqdm import tqdm


def run_pool(function: Callable, jobs: list, workers: int, label: str) -> list:
    """function(job) for every job, on a process pool, in order, with a progress bar."""
    if workers <= 1:
        return [function(job) for job in tqdm(jobs, desc=label, unit="page")]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(tqdm(pool.map(function, jobs, chunksize=4), total=len(jobs), desc=label, unit="page"))


def versions(
    packages: Iterable[str] = ("trafilatura", "lxml", "jstyleson", "htmldate", "pycld2", "scrapy", "warcio", "isal"),
) -> str:
    found = []
    for package in packages:
        try:
            found.append(f"{package} {version(package)}")
        except PackageNotFoundError:
            pass
    return ", ".join(found)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    memory = ""
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        memory = f", {pages / 2**30:.0f} GiB"
    except (ValueError, OSError):
        pass
    return f"{os.cpu_count()} cores ({cpu}){memory}, Python {platform.python_version()}, {platform.system()} {platform.release()}"


def revision() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def header(title: str, command: str) -> list[str]:
    return [
        f"# {title}",
        "",
        f"- date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- command: `{command}`",
        f"- code: {revision()}",
        f"- versions: {versions()}",
        f"- machine: {machine()}",
        "",
    ]


def quality_benchmark_main(module: str, doc: str, path_help: str, output: str, evaluate, report, argv=None) -> int:
    """The command line shared by the quality benchmarks: PATH [--limit N] [--workers N] [--output FILE]."""
    import argparse
    import sys
    from pathlib import Path

    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("path", type=Path, help=path_help)
    parser.add_argument("--limit", type=int, help="only the first N pages (a quick look; no report is written)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--output", type=Path, default=Path(output))
    args = parser.parse_args(argv)
    outcome = evaluate(args.path, args.limit, args.workers)
    text = report(outcome, f"python -m {module} " + " ".join(argv if argv is not None else sys.argv[1:]))
    print(text)
    if not args.limit:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text, encoding="utf-8")
    return 0


def process_tree(pid: int) -> list[int]:
    """``pid`` and every process descended from it (read from /proc: a parent's children)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="utf-8") as handle:
                    parent = int(handle.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(parent, []).append(int(entry))
    found, stack = [], [pid]
    while stack:
        current = stack.pop()
        found.append(current)
        stack += children.get(current, [])
    return found


def proc_bytes(pid: int, name: str, field: str) -> int | None:
    """A kB figure of ``/proc/<pid>/<name>`` (``field``: ``VmRSS:``, ``Pss:``) in bytes, or None."""
    try:
        with open(f"/proc/{pid}/{name}", encoding="utf-8") as handle:
            return next(int(line.split()[1]) * 1024 for line in handle if line.startswith(field))
    except (OSError, StopIteration):
        return None
