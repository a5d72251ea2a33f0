"""Two scheduled runs of the Moscow Times fixture site, the site moving on in between: two new
articles, one edited (``OLD_SENTENCE`` becomes ``NEW_SENTENCE``), one unchanged (answers 304),
the video page served again byte for byte by a server that ignores If-None-Match.

Used by the scheduled-run tests and by the reading room's (whose archive must hold an edit).
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

from pytest_httpserver import HTTPServer

from tests.support.moscowtimes_site import FIXTURES, moscowtimes_site
from tests.support.run import ENV, PROJECT, command
from tests.support.warcs import records

A75651 = "/2021/11/24/us-russian-military-chiefs-speak-on-the-phone-a75651"
A87242 = "/2024/12/05/russia-us-army-chiefs-hold-rare-call-amid-ukraine-escalation-a87242"
A90011 = "/2025/03/14/why-the-military-hotline-still-matters-a90011"
VIDEO = "/2024/12/04/video-inside-a-drone-factory-a87230"
GALLERY = "/2024/12/03/gallery-winter-in-moscow-a87220"
NEW = ["/2025/03/20/hotline-tested-again-a90100", "/2025/03/21/generals-agree-on-notification-rules-a90101"]
OLD_SENTENCE = "It did not mention Ukraine or any other topic."
NEW_SENTENCE = "It did not mention Ukraine, the ministry said in a later correction."


def crawlall(site, archive: Path, *extra: str) -> subprocess.CompletedProcess:
    line = command("crawlall", "moscowtimes", "-a", f"site={site.base}", *extra, archive=archive)
    return subprocess.run(line, cwd=PROJECT, env=ENV, capture_output=True, text=True, timeout=180)


def rss(site, entries: list[tuple[str, str, datetime]]) -> str:
    items = "".join(
        f"<item><title>{title}</title><link>{site.base}{path}</link><guid>{site.base}{path}</guid>"
        f"<pubDate>{format_datetime(when, usegmt=True)}</pubDate></item>"
        for title, path, when in entries
    )
    return f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>News</title><link>{site.base}</link>{items}</channel></rss>'


def new_page(path: str, title: str) -> str:
    page = (FIXTURES / "pages" / "a90011.html").read_text(encoding="utf-8")
    return page.replace(A90011, path).replace("Why the Military Hotline Still Matters", title)


def warc_records(archive: Path) -> list:
    out = []
    for path in sorted((archive / "warc" / "moscowtimes").glob("*.warc.gz")):
        out += [(path, *r) for r in records(path)]
    return out


@contextmanager
def two_runs(work: Path, *settings: str) -> Iterator[tuple]:
    """The site, the archive, both runs' processes and the requests of each (first, second);
    ``settings`` (``-s NAME=value`` …) given to both runs (``STATE_URL``: the state in PostgreSQL)."""
    server = HTTPServer(host="127.0.0.1")
    server.start()
    site = moscowtimes_site(server)
    archive = work / "archive"

    first = crawlall(site, archive, *settings)
    first_requests = list(site.requests)
    time.sleep(1.2)  # the feed's new dates must be later than the first captures

    # The site moves on: two new articles, one edited, one unchanged (answers 304),
    # the video page served again byte for byte by a server that ignores If-None-Match.
    now = datetime.now(UTC).replace(microsecond=0)
    edited = (FIXTURES / "pages" / "a87242.html").read_text(encoding="utf-8").replace(OLD_SENTENCE, NEW_SENTENCE)
    (work / "a87242.html").write_text(edited, encoding="utf-8")
    site.add(A87242, work / "a87242.html")
    for path, title in zip(NEW, ["Hotline Tested Again", "Generals Agree on Notification Rules"], strict=True):
        (work / path.rsplit("-", 1)[-1]).write_text(new_page(path, title), encoding="utf-8")
        site.add(path, work / path.rsplit("-", 1)[-1])
    site.add(VIDEO, FIXTURES / "pages" / "video.html", conditional=False)
    feed = rss(
        site,
        [
            ("edited", A87242, now),
            ("unchanged", A90011, now),
            ("video", VIDEO, now),
            ("new 1", NEW[0], now),
            ("new 2", NEW[1], now),
            ("old", A75651, datetime(2021, 11, 23, 21, 22, tzinfo=UTC)),
        ],
    )
    (work / "news.xml").write_text(feed, encoding="utf-8")
    site.add("/rss/news", work / "news.xml", "application/rss+xml; charset=UTF-8")

    second = crawlall(site, archive, *settings)
    second_requests = site.requests[len(first_requests) :]
    try:
        yield site, archive, first, second, first_requests, second_requests
    finally:
        server.stop()
