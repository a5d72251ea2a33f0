"""One scheduled run at a time: an exclusive lock under ARCHIVE_DIR.

The lock is an ``flock`` on ``ARCHIVE_DIR/crawlall.lock``: the operating system
releases it when its process dies, however it dies, so a lock left behind by a
dead run is simply taken over. The file records who holds it, for the message
a second run prints.
"""

from __future__ import annotations

import fcntl
import os
import socket
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO


class LockHeld(Exception):
    pass


class RunLock:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._handle: TextIO | None = None

    def acquire(self) -> str | None:
        """Take the lock; returns a note if a dead holder's lock was taken over. Raises LockHeld."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown process"
            handle.close()
            raise LockHeld(f"another run holds {self.path} ({holder})") from None
        handle.seek(0)
        previous = handle.read().strip()
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} on {socket.gethostname()} since {datetime.now(UTC).isoformat()}\n")
        handle.flush()
        self._handle = handle
        return f"took over a lock left by a dead run ({previous})" if previous else None

    def release(self) -> None:
        if self._handle is not None:
            self._handle.seek(0)
            self._handle.truncate()
            fcntl.flock(self._handle, fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()
