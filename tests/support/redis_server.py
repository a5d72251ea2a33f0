"""A real Redis for tests: Debian's ``redis-server`` (bin/setup installs it), on 127.0.0.1 on a
free port, nothing saved to disk; stopped after."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.network import free_port

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


@contextmanager
def redis_server(folder: Path) -> Iterator[str]:
    """The redis:// URL of a running server whose working folder is ``folder``."""
    import redis

    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    line = [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    log = open(folder / "redis.log", "wb")
    proc = subprocess.Popen(line, stdout=log, stderr=subprocess.STDOUT, cwd=folder)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        client = redis.Redis.from_url(url)
        deadline = time.monotonic() + 30
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError("redis-server did not start: " + (folder / "redis.log").read_text()) from None
                time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
