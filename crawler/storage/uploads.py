"""``ARCHIVE_STORE=s3://bucket/prefix``: every WARC file, once closed and renamed, uploaded.

``ArchiveStoreExtension`` (a Scrapy extension; nothing without the setting):

- when the spider opens, the bucket must take a write (a probe object): if it does not (no
  bucket, read-only, wrong credentials, no server), one error line names the part and the
  spider closes before anything is fetched (``archive_store_error``: ``scrapy crawl`` exits 1);
- then, and every ``ARCHIVE_STORE_INTERVAL`` seconds, and when the engine stops, the closed WARC
  files under ``ARCHIVE_DIR/warc/<spider>/`` that the ledger does not hold are uploaded (on a thread; in
  parts when large) to ``<prefix>/<spider>/<file>``, verified (the stored size and the sha256 the
  object carries must be the local file's) and recorded in the ledger (the ``uploads`` table of
  ``ARCHIVE_DIR/state.sqlite3``: file, key, size, sha256, ETag, when); with
  ``ARCHIVE_STORE_REMOVE_LOCAL`` the local file is then removed;
- a file still ``.open`` (being written, or cut by a crash until recovery closes it) is never
  uploaded; an upload that fails is logged with the file and the part, counted
  (``archive_store/failed``: the crawl exits 1), and the file stays until a later run uploads it:
  files of earlier runs are uploaded when the next one starts.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.exceptions import CloseSpider, NotConfigured

from crawler.refs import ARCHIVE_STORE_ERROR
from crawler.state.backend import StateBackend, StateUnavailable, open_backend
from crawler.state.database import ArchiveState
from crawler.storage.s3 import ObjectStore, S3Error, sha256_of

logger = logging.getLogger(__name__)
#: Held by the upload pass under way (a thread), so two passes never upload or remove one file.
_PASS = threading.Lock()

LEDGER = """
CREATE TABLE IF NOT EXISTS uploads (
    file TEXT PRIMARY KEY,  -- relative to ARCHIVE_DIR/warc
    key TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    etag TEXT,
    uploaded TEXT NOT NULL
)
"""


class UploadLedger:
    """Which WARC files are in the store, verified: the ``uploads`` table of the state database
    (SQLite under ARCHIVE_DIR, or the cluster's PostgreSQL with ``STATE_URL``)."""

    def __init__(self, archive_dir: Path, url: str = "") -> None:
        self.archive_dir = archive_dir
        self.url = url

    def _connect(self) -> StateBackend:
        backend = open_backend(self.archive_dir, self.url, ArchiveState.FILENAME)
        try:
            backend.schema(LEDGER, "defense-news-archive uploads")
        except BaseException:
            backend.close()
            raise
        return backend

    def rows(self) -> list[tuple[str, str, int, str | None]]:
        """Every file uploaded: (file, key, size, ETag), by file."""
        conn = self._connect()
        try:
            return [
                tuple(row) for row in conn.execute("SELECT file, key, size, etag FROM uploads ORDER BY file").fetchall()
            ]
        finally:
            conn.close()

    def uploaded(self) -> dict[str, int]:
        return {file: size for file, _, size, _ in self.rows()}

    def record(self, file: str, key: str, verified: dict[str, Any]) -> None:
        conn = self._connect()
        try:
            conn.execute(
                "INSERT INTO uploads (file, key, size, sha256, etag, uploaded) VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (file) DO UPDATE SET key = excluded.key, size = excluded.size,"
                " sha256 = excluded.sha256, etag = excluded.etag, uploaded = excluded.uploaded",
                (
                    file,
                    key,
                    verified["size"],
                    verified["sha256"],
                    verified.get("etag"),
                    datetime.now(UTC).isoformat(),
                ),
            )
        finally:
            conn.close()


def closed_warcs(root: Path) -> list[Path]:
    """The WARC files under ``root`` that are whole (renamed away from ``.open``)."""
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob("*") if p.is_file() and p.name.endswith((".warc.gz", ".warc")))


class ArchiveStoreExtension:
    def __init__(
        self,
        crawler,
        store: ObjectStore | None,
        archive_dir: Path,
        remove_local: bool,
        interval: float,
        error: str | None = None,
    ) -> None:
        self.crawler = crawler
        self.store = store  # None when ARCHIVE_STORE is no bucket URL (``error`` says why)
        self.error = error
        self.root = archive_dir / "warc"
        #: This crawl's own folder (``crawlall`` runs one crawl per spider in one process: each
        #: uploads its own spider's files, never another's at the same time).
        self.folder = self.root / crawler.spidercls.name
        self.ledger = UploadLedger(archive_dir, crawler.settings.get("STATE_URL", ""))
        self.remove_local = remove_local
        self.interval = interval
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self.healthy = False

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        url = settings.get("ARCHIVE_STORE")
        if not url:
            raise NotConfigured
        if settings.get("REPLAY_WARC"):
            raise NotConfigured  # a replay writes no WARC
        try:
            store, error = ObjectStore(url, settings), None
        except S3Error as exc:  # said when the spider opens: one line and exit 1, not a traceback
            store, error = None, f"ARCHIVE_STORE={url!r}: {exc}"
        extension = cls(
            crawler,
            store,
            Path(settings.get("ARCHIVE_DIR")),
            settings.getbool("ARCHIVE_STORE_REMOVE_LOCAL"),
            settings.getfloat("ARCHIVE_STORE_INTERVAL"),
            error,
        )
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.engine_stopped, signal=signals.engine_stopped)
        return extension

    async def spider_opened(self, spider) -> None:
        if self.store is None:
            logger.error("Archive store: %s; nothing fetched, closing", self.error)
            self.crawler.stats.set_value("archive_store/error", self.error)
            raise CloseSpider(ARCHIVE_STORE_ERROR)
        try:
            await asyncio.to_thread(self.store.check_writable)
        except S3Error as exc:
            logger.error("Archive store %s cannot be written: %s; nothing fetched, closing", self.store.url, exc)
            self.crawler.stats.set_value("archive_store/error", str(exc))
            raise CloseSpider(ARCHIVE_STORE_ERROR) from exc
        self.healthy = True
        logger.info("Archive store: closed WARC files go to %s", self.store.url)
        await self.upload_pending()  # what earlier runs left (a failed upload, a crash)
        self._task = asyncio.ensure_future(self._every_interval())

    async def _every_interval(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.upload_pending()
            except Exception:  # the next pass (or the last, when the crawl ends) tries again
                logger.exception("Archive store: an upload pass failed")

    async def engine_stopped(self) -> None:
        if self._task is not None:
            self._task.cancel()  # a pass under way goes on in its thread; the one below waits for it
        if self.healthy:
            await self.upload_pending()  # the files the crawl closed as it ended

    async def upload_pending(self) -> None:
        async with self._lock:
            await asyncio.to_thread(self._upload_pending)

    def _upload_pending(self) -> None:
        with _PASS:  # one pass at a time in the process, whichever crawl or thread asks
            try:
                self._upload_folder()
            except StateUnavailable as exc:  # the ledger's database (STATE_URL) is down
                self.crawler.stats.inc_value("archive_store/failed")
                logger.error(
                    "Archive store: uploads cannot be recorded (%s); the WARC files stay local for the next run", exc
                )

    def _upload_folder(self) -> None:
        store = self.store
        if store is None:  # never healthy: nothing is uploaded (spider_opened closed the crawl)
            return
        stats = self.crawler.stats
        done = self.ledger.uploaded()
        for path in closed_warcs(self.folder):
            relative = path.relative_to(self.root).as_posix()
            try:
                if done.get(relative) == path.stat().st_size:
                    continue
                key = store.key_for(relative)
                verified = store.upload(path, key, sha256_of(path))
            except (S3Error, OSError) as exc:
                logger.error("Archive store: %s not uploaded, kept here for the next run: %s", path, exc)
                stats.inc_value("archive_store/failed")
                continue
            self.ledger.record(relative, key, verified)
            stats.inc_value("archive_store/uploaded")
            stats.inc_value("archive_store/bytes", verified["size"])
            logger.info(
                "Archive store: %s uploaded to %s (%d bytes, sha256 verified)",
                path.name,
                store.url_of(key),
                verified["size"],
            )
            if self.remove_local:
                path.unlink()


def fetch_uploaded(settings, spiders: list[str], local: set[str]) -> list[Path]:
    """The WARC files of ``spiders`` that the ledger says are in ``ARCHIVE_STORE`` but are not
    here (``ARCHIVE_STORE_REMOVE_LOCAL``): fetched into ``S3_CACHE_DIR`` (checked by size), for a
    command that reads the archive's files (``scrapy pack``)."""
    from crawler.storage.s3 import S3Object, cache_dir, fetch

    archive_dir = Path(settings.get("ARCHIVE_DIR"))
    store = ObjectStore(settings.get("ARCHIVE_STORE"), settings)
    fetched = []
    for file, key, size, etag in UploadLedger(archive_dir, settings.get("STATE_URL", "")).rows():
        spider, _, name = file.partition("/")
        if spider in spiders and name not in local:
            fetched.append(fetch(store.s3, S3Object(store.url_of(key), size, etag or ""), cache_dir(settings)))
    return fetched
