"""``scrapy extract`` starts the extraction workers' fork server as soon as its options are read
(``pool.start_fork_server``), so the server's imports overlap the command's own start; only
where the pool will be used, and a command that then stops on a bad argument exits cleanly, its
fork server with it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]

# In a fresh interpreter: the fork server is one per process, and this one's may run already.
PROBE = r"""
import argparse, json, sys
from multiprocessing import forkserver
from scrapy.utils.project import get_project_settings
from crawler.commands.extract import Command

def started_by(argv):
    cmd = Command()
    cmd.settings = get_project_settings()
    parser = argparse.ArgumentParser()
    cmd.add_options(parser)
    opts, args = parser.parse_known_args(argv)
    cmd.process_options(args, opts)
    return forkserver._forkserver._forkserver_pid is not None

seen = {}
for name, argv in [
    ("no input", []),
    ("spark", ["--engine", "spark", "a.warc.gz", "-o", "out/"]),
    ("thread pool", ["-s", "EXTRACTION_PROCESS_POOL=0", "a.warc.gz"]),
    ("direct", ["a.warc.gz"]),
]:
    seen[name] = started_by(argv)
seen["preload"] = forkserver._forkserver._preload_modules
print(json.dumps(seen))
"""


def test_the_fork_server_starts_with_the_options_only_where_the_pool_will_extract():
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=PROJECT, capture_output=True, text=True, timeout=120, check=True
    )
    import json

    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen == {
        "no input": False,
        "spark": False,
        "thread pool": False,
        "direct": True,
        "preload": ["crawler.extraction.worker"],
    }


def _marked(mark: str) -> list[int]:
    """The processes whose environment holds ``mark``."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if mark.encode() in (entry / "environ").read_bytes():
                    pids.append(int(entry.name))
            except OSError:
                pass
    return pids


@pytest.mark.slow
def test_a_command_that_stops_on_a_wrong_path_exits_cleanly_and_its_fork_server_too(tmp_path):
    mark = f"FORK_SERVER_PROBE={uuid.uuid4()}"
    env = {**os.environ, mark.split("=")[0]: mark.split("=")[1]}
    done = subprocess.run(
        [sys.executable, "-m", "scrapy", "extract", str(tmp_path / "missing.warc.gz"), "-o", str(tmp_path / "x.jsonl")],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "no such file or directory" in done.stderr
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr
    deadline = time.monotonic() + 20
    while _marked(mark) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _marked(mark) == []
