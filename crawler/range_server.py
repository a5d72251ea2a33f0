"""A static file server on loopback that answers ``Range`` requests with 206.

ReplayWeb.page reads a WACZ by ranges (its central directory, then each record it needs) and
gives up on a server that answers a ``Range`` request with the whole file, as Python's own
``http.server`` does. This one serves a fixed map of URL paths to files:
``Range: bytes=a-b``, ``bytes=a-`` and ``bytes=-n`` get 206 with ``Content-Range``; a range past
the end gets 416; every answer says ``Accept-Ranges: bytes``.
"""

from __future__ import annotations

import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

CONTENT_TYPES = {
    ".wacz": "application/wacz",
    ".js": "application/javascript; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".json": "application/json",
}
RANGE = re.compile(r"bytes=(\d*)-(\d*)$")


def byte_range(header: str, size: int) -> tuple[int, int] | None:
    """(first, last) of a single ``bytes=`` range, inclusive; None when it cannot be satisfied."""
    match = RANGE.match(header.strip())
    if not match or match.groups() == ("", ""):
        return None
    first, last = match.groups()
    if first == "":  # the last n bytes
        n = int(last)
        return (max(0, size - n), size - 1) if n and size else None
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    return (start, end) if start <= end and start < size else None


class RangeServer:
    """``paths`` (URL path -> file) on 127.0.0.1 and a free port, in a thread: ``start()``, ``stop()``."""

    def __init__(self, paths: dict[str, Path], bind: str = "127.0.0.1", port: int = 0) -> None:
        self.paths = {path: Path(file) for path, file in paths.items()}
        self.requests: list[tuple[str, str, str]] = []  # (method, path, Range header)
        self.httpd = ThreadingHTTPServer((bind, port), self._handler())
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="range-server", daemon=True)

    @property
    def base(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> RangeServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(10)

    def __enter__(self) -> RangeServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's name
                pass

            def do_HEAD(self) -> None:  # noqa: N802 - http.server's naming
                self._serve(body=False)

            def do_GET(self) -> None:  # noqa: N802
                self._serve(body=True)

            def _serve(self, body: bool) -> None:
                path = urlsplit(self.path).path
                server.requests.append((self.command, path, self.headers.get("Range", "")))
                file = server.paths.get(path)
                if file is None or not file.is_file():
                    self._send(404, b"not found\n", "text/plain", body)
                    return
                size = file.stat().st_size
                kind = CONTENT_TYPES.get(file.suffix, "application/octet-stream")
                header = self.headers.get("Range")
                if header is None:
                    self._send(200, file.read_bytes(), kind, body)
                    return
                wanted = byte_range(header, size)
                if wanted is None:
                    self._send(416, b"", kind, body, {"Content-Range": f"bytes */{size}"})
                    return
                first, last = wanted
                with open(file, "rb") as stream:  # a WACZ may be large: read only the range
                    stream.seek(first)
                    data = stream.read(last - first + 1)
                self._send(206, data, kind, body, {"Content-Range": f"bytes {first}-{last}/{size}"})

            def _send(
                self, status: int, data: bytes, kind: str, body: bool, extra: dict[str, str] | None = None
            ) -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Accept-Ranges", "bytes")
                self.send_header("Cache-Control", "no-store")
                for name, value in (extra or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                if body:
                    self.wfile.write(data)

        return Handler
