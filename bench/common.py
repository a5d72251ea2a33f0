"""What every benchmark shares: a process pool with a progress bar, and the report header."""

from __future__ import annotations

import os
import platform
import subprocess
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from typing import Callable, Iterable

from tqdm import tqdm


def run_pool(function: Callable, jobs: list, workers: int, label: str) -> list:
    """function(job) for every job, on a process pool, in order, with a progress bar."""
    if workers <= 1:
        return [function(job) for job in tqdm(jobs, desc=label, unit="page")]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(tqdm(pool.map(function, jobs, chunksize=4), total=len(jobs), desc=label, unit="page"))


def versions(packages: Iterable[str] = ("trafilatura", "lxml", "extruct", "htmldate", "scrapy", "warcio")) -> str:
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
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def header(title: str, command: str) -> list[str]:
    return [
        f"# {title}",
        "",
        f"- date: {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- command: `{command}`",
        f"- code: {revision()}",
        f"- versions: {versions()}",
        f"- machine: {machine()}",
        "",
    ]
