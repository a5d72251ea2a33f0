"""A fixture site on loopback: serves stored files the way a real web server would.

Files are served with the headers a production nginx sends (Date, ETag,
Last-Modified, Content-Type with charset), gzip-encoded when the client accepts
it, and with the outlet's own origins rewritten to the loopback origin so that
links between pages keep working. Unknown paths are 404s.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from werkzeug import Request, Response


@dataclass
class Route:
    file: Path
    content_type: str = "text/html; charset=UTF-8"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    #: Answer If-None-Match with 304 when the ETag matches (as nginx does for static files).
    conditional: bool = True


class FixtureSite:
    def __init__(self, httpserver, origins: tuple[str, ...] = ()) -> None:
        self.server = httpserver
        self.origins = origins
        self.routes: dict[str, Route] = {}
        self.requests: list[Request] = []
        #: Seconds every response waits before it is sent (a slow site).
        self.delay = 0.0
        #: path -> (set once half the body is sent, set to send the rest): a response held midway.
        self.held: dict[str, tuple[threading.Event, threading.Event]] = {}
        httpserver.no_handler_status_code = 404
        httpserver.expect_request("").respond_with_handler(self._handle)

    @property
    def base(self) -> str:
        return self.server.url_for("/").rstrip("/")

    def add(self, path: str, file: Path, content_type: str = "text/html; charset=UTF-8", **kwargs) -> None:
        self.routes[path] = Route(Path(file), content_type, **kwargs)

    def rewrite(self, data: bytes) -> bytes:
        """Point the outlet's origins at this server (inside gzip files too)."""
        if not self.origins:
            return data
        if data[:2] == b"\x1f\x8b":
            return gzip.compress(self.rewrite(gzip.decompress(data)), mtime=0)
        for origin in self.origins:
            data = data.replace(origin.encode(), self.base.encode())
        return data

    def body_of(self, path: str) -> bytes:
        return self.rewrite(self.routes[path].file.read_bytes())

    def hold_midway(self, path: str) -> tuple[threading.Event, threading.Event]:
        """Serve ``path`` half, then wait: returns (half sent, release). Uncompressed, with Content-Length."""
        self.held[path] = (threading.Event(), threading.Event())
        return self.held[path]

    def _held_response(self, body: bytes, events, **kwargs) -> Response:
        half_sent, release = events

        def stream():
            yield body[: len(body) // 2]
            half_sent.set()
            release.wait(60)
            yield body[len(body) // 2 :]

        response = Response(stream(), **kwargs)
        response.headers["Content-Length"] = str(len(body))
        return response

    def count(self, path: str) -> int:
        return sum(1 for r in self.requests if r.path == path)

    def _handle(self, request: Request) -> Response:
        self.requests.append(request)
        if self.delay:
            time.sleep(self.delay)
        route = self.routes.get(request.path)
        if route is None:
            return Response("<html><body><h1>404 Not Found</h1></body></html>", status=404, content_type="text/html")
        body = self.body_of(request.path)
        etag = '"' + hashlib.md5(body).hexdigest()[:16] + '"'
        headers = {
            "ETag": etag,
            "Last-Modified": "Wed, 24 Nov 2021 08:41:00 GMT",
            "Cache-Control": "max-age=60",
            "Vary": "Accept-Encoding",
            **route.headers,
        }
        if route.conditional and request.headers.get("If-None-Match") == etag:
            return Response(status=304, headers={"ETag": etag, "Cache-Control": "max-age=60"})
        if request.path in self.held:
            return self._held_response(
                body, self.held[request.path], status=route.status, headers=headers, content_type=route.content_type
            )
        if "gzip" in request.headers.get("Accept-Encoding", ""):
            body = gzip.compress(body, mtime=0)
            headers["Content-Encoding"] = "gzip"
        return Response(body, status=route.status, headers=headers, content_type=route.content_type)


#: Content types of the files under a manifest's ``assets`` directory, by suffix (as nginx's mime.types).
ASSET_TYPES = {
    ".css": "text/css",
    ".js": "application/javascript",
    ".b": "application/javascript",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".gif": "image/gif",
    ".svg": "image/svg+xml",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
}


def manifest_site(httpserver, directory: Path) -> tuple[FixtureSite, list[str]]:
    """A fixture site from ``<fixtures>/<spider>/site.json``; returns it and the spider arguments.

    ``"assets": "<dir>"`` serves every file under ``<dir>`` at its path there (a request's query
    string is not part of the path: ``/style.css?ver=6.4`` is ``<dir>/style.css``)."""
    manifest = json.loads((directory / "site.json").read_text(encoding="utf-8"))
    site = FixtureSite(httpserver, tuple(manifest["origins"]))
    if manifest.get("assets"):
        assets = directory / manifest["assets"]
        for file in sorted(p for p in assets.rglob("*") if p.is_file()):
            content_type = ASSET_TYPES.get(file.suffix.lower(), "application/octet-stream")
            site.add("/" + file.relative_to(assets).as_posix(), file, content_type)
    for path, route in manifest["routes"].items():
        site.add(path, directory / route["file"], route["content_type"])
    args = [arg.replace("{base}", site.base) for arg in manifest["start"]]
    return site, args
