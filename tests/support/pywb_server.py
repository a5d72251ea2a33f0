"""pywb on loopback for tests: its ``wayback`` in a folder of collections (from pywb's own
environment, ``.venv-pywb``, made by bin/setup), on a free port; stopped after."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

from tests.support.network import free_port
from tests.support.run import PROJECT

PYWB_BIN = PROJECT / ".venv-pywb" / "bin"


class Wayback:
    """pywb's ``wayback`` on a free loopback port, in ``root``; stopped after."""

    def __init__(self, root: Path) -> None:
        assert (PYWB_BIN / "wayback").exists(), f"pywb is not installed in {PYWB_BIN}: run bin/setup"
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = open(root / "wayback.log", "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [str(PYWB_BIN / "wayback"), "-b", "127.0.0.1", "-p", str(self.port)],
            cwd=root,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise AssertionError("pywb did not start")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


def wb_manager(root: Path, *args: str) -> None:
    subprocess.run([str(PYWB_BIN / "wb-manager"), *args], cwd=root, check=True, capture_output=True)
