"""Whether and how to fetch an article a feed or sitemap announced: a decision, no database.

New URLs are fetched; known ones only when a feed or sitemap dates them after their last
capture, or when the re-check interval has passed, and then with a conditional request
(``If-None-Match``, ``If-Modified-Since``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from crawler.extraction.normalize import parse_datetime
from crawler.state.database import StoredCapture


@dataclass(frozen=True)
class FetchPlan:
    fetch: bool
    #: "new", "announced as changed", "re-check" or "known" (not fetched).
    reason: str
    headers: dict[str, str] = field(default_factory=dict)


def plan_fetch(
    last: StoredCapture | None, announced: datetime | None, recheck: timedelta, now: datetime | None = None
) -> FetchPlan:
    """The plan for a URL whose newest processed capture is ``last`` (None: never archived)."""
    if last is None:
        return FetchPlan(True, "new")
    headers = {}
    if last.etag:
        headers["If-None-Match"] = last.etag
    if last.last_modified:
        headers["If-Modified-Since"] = last.last_modified
    fetched = parse_datetime(last.fetched_at)
    if announced is not None and fetched is not None and announced > fetched:
        return FetchPlan(True, "announced as changed", headers)
    now = now or datetime.now(UTC)
    if fetched is None or now - fetched >= recheck:
        return FetchPlan(True, "re-check", headers)
    return FetchPlan(False, "known")
