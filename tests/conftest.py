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
