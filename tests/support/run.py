"""Run the real ``scrapy`` command line in a subprocess, as a user would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
#: Politeness off for loopback tests only: the fixture server is ours.
FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_START_DELAY=0", "-s", "LOG_LEVEL=INFO"]
#: Every test crawl resolves only loopback and fixture hosts (tests/support/fixture_dns.py).
FAST += ["-s", "DNS_RESOLVER=tests.support.fixture_dns.LoopbackResolver"]


@dataclass
class Run:
    returncode: int
    log: str
    items: list[dict]


def command(*args: str, archive: Path, items: Path | None = None) -> list[str]:
    line = [sys.executable, "-m", "scrapy", *args, "-s", f"ARCHIVE_DIR={archive}", *FAST]
    if items is not None:
        line += ["-O", f"{items}:jsonlines"]
    return line


ENV = {**os.environ, "PYTHONPATH": str(PROJECT)}


def scrapy(*args: str, archive: Path, items: Path | None = None, timeout: int = 120) -> Run:
    line = command(*args, archive=archive, items=items)
    proc = subprocess.run(line, cwd=PROJECT, env=ENV, capture_output=True, text=True, timeout=timeout)
    loaded = []
    if items is not None and items.exists():
        loaded = [json.loads(line) for line in items.read_text(encoding="utf-8").splitlines() if line.strip()]
    return Run(proc.returncode, proc.stdout + proc.stderr, loaded)
