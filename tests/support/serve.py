"""A real ``scrapy serve`` (the reading room) for browser tests: started on a free loopback port
over an archive, waited for until it answers, stopped after."""

from __future__ import annotations

import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.network import free_port
from tests.support.run import ENV, PROJECT, command


@contextmanager
def serving(archive: Path) -> Iterator[tuple[str, int, subprocess.Popen[str]]]:
    """The base URL, port and process of ``scrapy serve`` over ``archive``, once it answers."""
    port = free_port()
    line = command("serve", "--port", str(port), archive=archive)
    proc = subprocess.Popen(line, cwd=PROJECT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(base + "/", timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    output = proc.stdout.read() if proc.stdout else ""
                    raise AssertionError(f"scrapy serve did not start: {output}") from None
                time.sleep(0.3)
        yield base, port, proc
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        if proc.stdout:
            proc.stdout.close()
