"""A SIGKILL loop: kill scheduled runs at random moments, then check nothing is lost or corrupt.

    python -m tests.kill_loop [--kills 30] [--seed 1]

Serves The Moscow Times fixture site on loopback (slowed down so kills land mid-response,
mid-WARC-write and mid-text-file), starts ``scrapy crawlall`` again and again and kills it with
SIGKILL after a random delay, then lets one run finish. Afterwards: every WARC file passes
``warcio check``, no ``.open`` file is left, no temporary text file is left, and every item the
archive holds (conversion records, text files, state revisions) points at a response record
that is in the WARC files (``tests/support/integrity.py``). Not part of the test suite (it takes a
few minutes); the suite kills at three chosen points (``test_crash_points.py``) and once at a
random one (``test_scheduled_runs.py``).
"""

from __future__ import annotations

import argparse
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pytest_httpserver import HTTPServer

from tests.support.integrity import check
from tests.support.moscowtimes_site import moscowtimes_site
from tests.support.run import ENV, PROJECT, command


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kills", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    server = HTTPServer(host="127.0.0.1", threaded=True)
    server.start()
    try:
        site = moscowtimes_site(server)
        with tempfile.TemporaryDirectory(prefix="kill-loop-") as tmp:
            archive = Path(tmp)
            line = command(
                "crawlall", "moscowtimes", "-a", f"site={site.base}", "-s", "RECHECK_INTERVAL_HOURS=0", archive=archive
            )
            for number in range(args.kills):
                site.delay = rng.choice([0.0, 0.05, 0.2])
                proc = subprocess.Popen(
                    line, cwd=PROJECT, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                )
                time.sleep(rng.uniform(0.5, 4.0))
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                print(f"kill {number + 1}/{args.kills}", file=sys.stderr)
            site.delay = 0.0
            final = subprocess.run(line, cwd=PROJECT, env=ENV, capture_output=True, text=True)
            problems = check(archive)
            texts = len(list((archive / "text").rglob("*.md")))
            print(
                f"final run exit {final.returncode}; {texts} text files; "
                f"{len(list((archive / 'warc').rglob('*.warc.gz')))} WARC files"
            )
            for problem in problems:
                print("PROBLEM:", problem)
            if final.returncode != 0 or problems or texts < 3:
                return 1
            print("every WARC valid, every item traceable to its response record")
            return 0
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
