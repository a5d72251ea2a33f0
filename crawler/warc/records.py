"""WARC records of one exchange, built from what capture saw and what the archive already holds.

The decision lives here, the writing in ``writer`` (warcprox keeps them apart the same way): a
response becomes a ``response`` record, or a ``revisit`` record when the state says the same
payload is archived (``identical-payload-digest``) or the server answered 304 to our
conditional request (``server-not-modified``); its request becomes a ``request`` record
concurrent to it. And the ``warcinfo`` fields every file starts with.
"""

from __future__ import annotations

import platform
import socket
from datetime import UTC, datetime
from http import HTTPStatus
from importlib.metadata import PackageNotFoundError, version
from io import BytesIO
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import datetime_to_iso_date
from warcio.utils import Digester

from crawler import __version__
from crawler.refs import ORIG_HEADER_PREFIX

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from warcio.recordbuilder import RecordBuilder

    from crawler.state.database import StoredCapture

#: Headers that describe the transfer, not the payload. The body Scrapy hands
#: us has had its chunked framing removed, so the header must not claim it.
_HOP_BY_HOP = {b"transfer-encoding"}
SERVER_NOT_MODIFIED = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"


def software_versions() -> str:
    parts = [f"defense-news-archive/{__version__}"]
    for package in ("scrapy", "warcio", "trafilatura", "twisted"):
        try:
            parts.append(f"{package}/{version(package)}")
        except PackageNotFoundError:  # pragma: no cover
            pass
    parts.append(f"python/{platform.python_version()}")
    return " ".join(parts)


def warcinfo_fields(crawler: Crawler, spider_name: str) -> dict[str, str]:
    settings = crawler.settings
    return {
        "software": software_versions(),
        "hostname": socket.gethostname(),
        "operator": settings.get("ARCHIVE_CONTACT_URL") or "",
        "isPartOf": spider_name,
        "description": f"Crawl of spider {spider_name!r}",
        "http-header-user-agent": settings.get("USER_AGENT") or "",
        "robots": "obey" if settings.getbool("ROBOTSTXT_OBEY") else "ignore",
        "format": "WARC File Format 1.1",
    }


def warc_date(moment: datetime) -> str:
    date: str = datetime_to_iso_date(moment.astimezone(UTC).replace(tzinfo=None), use_micros=True)
    return date


def _header_pairs(headers) -> list[tuple[str, str]]:
    pairs = []
    for name, values in headers.items():
        text_name = name.decode("latin-1")
        hop = name.lower() in _HOP_BY_HOP
        for value in values:
            pairs.append((ORIG_HEADER_PREFIX + text_name if hop else text_name, value.decode("latin-1")))
    return pairs


def request_http_headers(request: Request) -> StatusAndHeaders:
    parts = urlsplit(request.url)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    pairs = _header_pairs(request.headers)
    if not any(name.lower() == "host" for name, _ in pairs):
        pairs.insert(0, ("Host", parts.netloc))
    # warcio splits "GET /path HTTP/1.1" into method and the rest itself.
    return StatusAndHeaders(f"{request.method} {target} HTTP/1.1", pairs, is_http_request=True)


def response_http_headers(response: Response) -> StatusAndHeaders:
    try:
        reason = HTTPStatus(response.status).phrase
    except ValueError:
        reason = ""
    statusline = f"{response.status} {reason}".strip()
    protocol = response.protocol or "HTTP/1.1"
    return StatusAndHeaders(statusline, _header_pairs(response.headers), protocol=protocol)


def payload_digest(body: bytes) -> str:
    digester = Digester("sha1")
    digester.update(body)
    return str(digester)


def exchange_records(
    builder: RecordBuilder,
    request: Request,
    response: Response,
    headers: dict[str, str],
    previous: StoredCapture | None,
    date: str,
) -> tuple[Any, Any]:
    """The response (or revisit) record and its request record, digests computed.

    ``previous`` is the newest full response the archive holds for the URL, if any.
    """
    record = response_record(builder, response, headers, response_http_headers(response), previous)
    body = request.body or b""
    request_record = builder.create_warc_record(
        request.url,
        "request",
        payload=BytesIO(body),
        length=len(body),
        http_headers=request_http_headers(request),
        warc_headers_dict={
            # A capture another archive made was asked for now, whatever its own date.
            "WARC-Date": headers.get("WARC-Creation-Date", date),
            "WARC-Concurrent-To": record.rec_headers.get_header("WARC-Record-ID"),
        },
    )
    return record, request_record


def response_record(builder: RecordBuilder, response: Response, headers: dict[str, str], http_headers, previous):
    """A response record, or a revisit record where the payload is already archived."""
    if previous is not None and previous.payload_digest:
        if response.status == 304:
            record = builder.create_revisit_record(
                response.url,
                previous.payload_digest,
                previous.url,
                previous.fetched_at,
                http_headers=http_headers,
                warc_headers_dict={**headers, "WARC-Refers-To": previous.record_id},
            )
            record.rec_headers.replace_header("WARC-Profile", SERVER_NOT_MODIFIED)
            return record
        if payload_digest(response.body) == previous.payload_digest:
            return builder.create_revisit_record(
                response.url,
                previous.payload_digest,
                previous.url,
                previous.fetched_at,
                http_headers=http_headers,
                warc_headers_dict={**headers, "WARC-Refers-To": previous.record_id},
            )
    return builder.create_warc_record(
        response.url,
        "response",
        payload=BytesIO(response.body),
        length=len(response.body),
        http_headers=http_headers,
        warc_headers_dict=headers,
    )
