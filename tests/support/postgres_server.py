"""A real PostgreSQL for tests: Debian's ``postgresql`` (bin/setup installs it), a cluster made
with ``initdb`` in a temporary folder and started with ``pg_ctl`` on 127.0.0.1 on a free port
(as the ``postgres`` user when the tests run as root: PostgreSQL refuses to run as root);
stopped and removed after."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.network import free_port


def postgres_bin() -> Path | None:
    """The newest installed PostgreSQL's bin folder, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    return Path(found[-1]).parent if found else None


def _as_owner(line: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *line] if os.geteuid() == 0 else line


@contextmanager
def postgres_server() -> Iterator[str]:
    """The postgresql:// URL of a running server with an empty database ``archive``."""
    import psycopg

    bin_dir = postgres_bin()
    assert bin_dir is not None, "no PostgreSQL (bin/setup installs Debian's postgresql)"
    # Not under pytest's tmp_path: the postgres user must reach the folder.
    folder = Path(tempfile.mkdtemp(prefix="archive-pg-"))
    os.chmod(folder, 0o755)
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    data, port = folder / "data", free_port()
    subprocess.run(
        _as_owner([str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "archive", "--no-sync"]),
        check=True,
        capture_output=True,
    )
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
    start = _as_owner(
        [str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w", "start"]
    )
    subprocess.run(start, check=True, capture_output=True)
    url = f"postgresql://archive@127.0.0.1:{port}/archive"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with psycopg.connect(f"postgresql://archive@127.0.0.1:{port}/postgres", autocommit=True) as conn:
                    conn.execute("CREATE DATABASE archive")
                break
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield url
    finally:
        subprocess.run(
            _as_owner([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]), capture_output=True
        )
        shutil.rmtree(folder, ignore_errors=True)
