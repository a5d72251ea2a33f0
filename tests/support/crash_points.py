"""Deterministic crash points for tests: the crawl SIGKILLs itself at a chosen moment.

Enabled in a test's ``scrapy`` subprocess with::

    -s EXTENSIONS={"tests.support.crash_points.CrashPoint": 0}
    -s CRASH_POINT=warc-mid-record  (or text-mid-file)  -s CRASH_AFTER=N

``warc-mid-record``: the N-th call that writes records to a WARC file writes the first half of
the first record's bytes (flushed to the ``.open`` file, as a kernel would have them when the
process dies), then the process kills itself with SIGKILL.
``text-mid-file``: the N-th text file gets half its content into its temporary file, then SIGKILL.

Nothing of the production code changes: the extension wraps the very functions the crawl
calls, from inside the crawl's own process. (A crash mid-response needs no help here: the
test site holds a response half-sent and the test kills the process from outside.)
"""

from __future__ import annotations

import os
import signal
import tempfile

from scrapy.exceptions import NotConfigured

import crawler.output.text_files
from crawler.warc.writer import WarcFileWriter, serialize_record


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


class CrashPoint:
    def __init__(self, point: str, after: int) -> None:
        self.calls = 0
        self.after = after
        if point == "warc-mid-record":
            self._wrap_warc_writer()
        elif point == "text-mid-file":
            self._wrap_text_files()
        else:
            raise ValueError(f"unknown CRASH_POINT {point!r}")

    @classmethod
    def from_crawler(cls, crawler):
        point = crawler.settings.get("CRASH_POINT")
        if not point:
            raise NotConfigured
        return cls(point, crawler.settings.getint("CRASH_AFTER", 1))

    def _due(self) -> bool:
        self.calls += 1
        return self.calls >= self.after

    def _wrap_warc_writer(self) -> None:
        original = WarcFileWriter.write
        point = self

        def write(writer, *records):
            if writer._file is None or not point._due():
                return original(writer, *records)
            member = serialize_record(records[0], writer.gzip_level)
            writer._file.write(member[: len(member) // 2])
            writer._file.flush()
            _die()

        WarcFileWriter.write = write

    def _wrap_text_files(self) -> None:
        original = tempfile.NamedTemporaryFile
        point = self

        class Torn:
            """The temporary file object, whose write stops halfway and kills the process."""

            def __init__(self, handle):
                self.handle = handle
                self.name = handle.name

            def __enter__(self):
                self.handle.__enter__()
                return self

            def __exit__(self, *exc):
                return self.handle.__exit__(*exc)

            def fileno(self):
                return self.handle.fileno()

            def flush(self):
                self.handle.flush()

            def write(self, text):
                if not point._due():
                    return self.handle.write(text)
                self.handle.write(text[: len(text) // 2])
                self.handle.flush()
                _die()

        class TempfileModule:
            def __getattr__(self, name):
                return getattr(tempfile, name)

            @staticmethod
            def NamedTemporaryFile(*args, **kwargs):  # noqa: N802 - the name it stands in for
                return Torn(original(*args, **kwargs))

        crawler.output.text_files.tempfile = TempfileModule()
