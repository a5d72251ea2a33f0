"""``scrapy replaywebpage FILE.wacz [--port N]``: a WACZ opened in ReplayWeb.page, offline.

Serves the pinned ReplayWeb.page that ``bin/setup`` puts in ``replay/dist/`` (``ui.js``, and
``sw.js`` at ``./replay/sw.js`` as its service worker needs), ``replay/index.html`` and the WACZ
on 127.0.0.1 (unless told otherwise), answering ``Range`` requests with 206 as ReplayWeb.page
requires, until Ctrl-C. Open the printed address in a browser: the first article of the
package's page list is shown; its list and full-text search hold every article.
"""

from __future__ import annotations

import json
import sys
import time
import zipfile
from pathlib import Path
from urllib.parse import urlencode

from scrapy.exceptions import UsageError

from crawler.range_server import RangeServer
from crawler.tool_command import ArchiveToolCommand

REPLAY = Path(__file__).resolve().parents[2] / "replay"


def first_page(package: Path) -> str | None:
    """The URL of the first article in a WACZ's page list, if it has one."""
    try:
        with zipfile.ZipFile(package) as wacz:
            lines = wacz.read("pages/pages.jsonl").decode("utf-8").splitlines()
    except (KeyError, zipfile.BadZipFile, OSError):
        return None
    for line in lines[1:]:
        url = json.loads(line).get("url")
        if url:
            return str(url)
    return None


class Command(ArchiveToolCommand):
    def syntax(self) -> str:
        return "FILE.wacz [--port N] [--bind ADDRESS]"

    def short_desc(self) -> str:
        return "Open a WACZ in ReplayWeb.page, offline (on 127.0.0.1 unless told otherwise)"

    def add_options(self, parser) -> None:
        super().add_options(parser)
        parser.add_argument("--port", type=int, default=8090)
        parser.add_argument("--bind", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")

    def run(self, args, opts) -> None:
        if len(args) != 1:
            raise UsageError("replaywebpage takes one WACZ file", print_help=False)
        package = Path(args[0])
        if not package.is_file() or not zipfile.is_zipfile(package):
            raise UsageError(f"{package} is not a WACZ file (make one with scrapy pack)", print_help=False)
        missing = [name for name in ("ui.js", "sw.js") if not (REPLAY / "dist" / name).is_file()]
        if missing:
            raise UsageError(f"ReplayWeb.page is not installed ({', '.join(missing)}): run bin/setup", print_help=False)
        paths = {
            "/index.html": REPLAY / "index.html",
            "/replay/ui.js": REPLAY / "dist" / "ui.js",
            "/replay/sw.js": REPLAY / "dist" / "sw.js",
            "/archive.wacz": package,
        }
        server = RangeServer(paths, bind=opts.bind, port=opts.port).start()
        query = {"source": "archive.wacz", **({"url": url} if (url := first_page(package)) else {})}
        print(f"replaywebpage: {server.base}/index.html?{urlencode(query)} (Ctrl-C stops)", file=sys.stderr)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
        finally:
            server.stop()
