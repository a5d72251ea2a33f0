"""Another institution's web archive on loopback: a real pywb holding captures of The Moscow
Times made in 2021 and 2024, for the backfill tests.

The WARC files are written here from the fixture pages (the outlet's template and real texts),
dated as the other archive made them: the 2021 article captured the day after it appeared, the
2024 article captured when it appeared and again after an edit (one sentence changed), the home
page (not an article), and a capture whose body is a Wayback banner page in place of the page.
pywb indexes them (``wb-manager add``) and serves its CDX server API and ``id_`` captures, the
same API as the Internet Archive's Wayback Machine.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from warcio.warcwriter import WARCWriter

from tests.support.moscowtimes_site import FIXTURES, static_assets
from tests.support.pywb_server import Wayback, wb_manager
from tests.support.warcs import write_response

SITE = "https://www.themoscowtimes.com"
STATIC = "https://static.themoscowtimes.com"
#: Referenced with a version query by the pages.
VERSIONED = ("/css/main.css", "/js/main.js")
A75651 = f"{SITE}/2021/11/24/us-russian-military-chiefs-speak-on-the-phone-a75651"
A87242 = f"{SITE}/2024/12/05/russia-us-army-chiefs-hold-rare-call-amid-ukraine-escalation-a87242"
BANNERED = f"{SITE}/2024/12/03/gallery-winter-in-moscow-a87220"
OLD_SENTENCE = "It did not mention Ukraine or any other topic."
NEW_SENTENCE = "It did not mention Ukraine, the ministry said in a later correction."
#: (WARC-Date, URL, file of the page, edit) of every capture the other archive holds.
CAPTURES = [
    ("2021-11-25T08:00:00Z", A75651, "a75651.html", None),
    ("2024-12-05T12:00:00Z", A87242, "a87242.html", None),
    ("2024-12-20T09:30:00Z", A87242, "a87242.html", (OLD_SENTENCE, NEW_SENTENCE)),
    ("2024-12-06T10:00:00Z", f"{SITE}/", "a90011.html", None),
]
#: What a careless archive serves in place of a raw capture: its replay banner around the page.
BANNER = (
    '<html><head><script src="/_static/wombat.js"></script><script>__wm.init("https://web.archive.org/web");'
    '</script></head><body><div id="wm-ipp-base">The Wayback Machine</div></body></html>'
)


def _response(writer: WARCWriter, when: str, url: str, body: bytes, kind: str = "text/html; charset=UTF-8") -> None:
    write_response(writer, url, body, when, [("Content-Type", kind), ("Content-Length", str(len(body)))])


def write_warcs(folder: Path) -> list[Path]:
    """The other archive's WARC files: one for 2021, one for 2024."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {year: folder / f"other-archive-{year}.warc.gz" for year in ("2021", "2024")}
    handles = {year: open(path, "wb") for year, path in files.items()}  # noqa: SIM115 - closed below
    try:
        writers = {year: WARCWriter(handle, gzip=True) for year, handle in handles.items()}
        for when, url, page, edit in CAPTURES:
            body = (FIXTURES / "pages" / page).read_text(encoding="utf-8")
            if edit:
                assert edit[0] in body
                body = body.replace(*edit)
            _response(writers[when[:4]], when, url, body.encode("utf-8"))
        _response(writers["2024"], "2024-12-07T10:00:00Z", BANNERED, BANNER.encode("utf-8"))
        # The static origin's files, as the pages reference them (the stylesheet and script with
        # their version query), captured with the 2024 pages.
        for path, file, kind in static_assets():
            versioned = "?v=1700000000" if path in VERSIONED else ""
            _response(writers["2024"], "2024-12-05T12:00:05Z", f"{STATIC}{path}{versioned}", file.read_bytes(), kind)
    finally:
        for handle in handles.values():
            handle.close()
    return list(files.values())


@contextmanager
def other_archive(root: Path) -> Iterator[str]:
    """A running pywb with collection ``other`` of those captures: its base URL."""
    root.mkdir(parents=True, exist_ok=True)
    wb_manager(root, "init", "other")
    wb_manager(root, "add", "other", *map(str, write_warcs(root / "incoming")))
    wayback = Wayback(root)
    try:
        yield f"{wayback.base}/other"
    finally:
        wayback.stop()
