"""``ARCHIVE_STORE``: a crawl's closed WARC files uploaded to a real S3 server (SeaweedFS on
loopback), verified and recorded; a bucket that takes no write stops the crawl before it fetches
anything; what an earlier run left is uploaded when the next one starts; a file still ``.open``
never is."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3

import pytest

from tests.support.moscowtimes_site import spider_args
from tests.support.run import scrapy

pytestmark = pytest.mark.slow  # starts S3, crawls


def stored(client, bucket: str, prefix: str) -> dict[str, bytes]:
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    keys = [entry["Key"] for page in pages for entry in page.get("Contents", [])]
    return {key: client.get_object(Bucket=bucket, Key=key)["Body"].read() for key in keys}


def ledger(archive) -> dict[str, tuple]:
    conn = sqlite3.connect(archive / "state.sqlite3")
    rows = conn.execute("SELECT file, key, size, sha256 FROM uploads").fetchall()
    conn.close()
    return {row[0]: row[1:] for row in rows}


def test_closed_warcs_are_uploaded_verified_and_recorded(s3, mt_site, tmp_path):
    client, settings = s3
    client.create_bucket(Bucket="crawls")
    archive = tmp_path / "archive"
    store = ["-s", "ARCHIVE_STORE=s3://crawls/newsroom-a"]
    run = scrapy("crawl", "moscowtimes", *spider_args(mt_site), *store, *settings, archive=archive)
    assert run.returncode == 0, run.log
    local = {p.relative_to(archive / "warc").as_posix(): p.read_bytes() for p in (archive / "warc").rglob("*.warc.gz")}
    assert local and all(name.startswith("moscowtimes/") for name in local)
    remote = stored(client, "crawls", "newsroom-a/")
    assert remote == {f"newsroom-a/{name}": data for name, data in local.items()}  # every byte, every file
    recorded = ledger(archive)
    for name, data in local.items():
        key, size, sha256 = recorded[name]
        assert (key, size, sha256) == (f"newsroom-a/{name}", len(data), hashlib.sha256(data).hexdigest())
        head = client.head_object(Bucket="crawls", Key=key)
        assert head["Metadata"]["sha256"] == sha256
    assert "sha256 verified" in run.log


def test_a_bucket_that_takes_no_write_stops_the_crawl_before_it_fetches(s3, mt_site, tmp_path):
    _, settings = s3
    before = len(mt_site.requests)
    archive = tmp_path / "archive"
    store = ["-s", "ARCHIVE_STORE=s3://no-such-bucket/x"]
    run = scrapy("crawl", "moscowtimes", *spider_args(mt_site), *store, *settings, archive=archive)
    assert run.returncode == 1, run.log
    assert "cannot be written" in run.log and "no such bucket" in run.log and "no-such-bucket" in run.log
    assert len(mt_site.requests) == before  # nothing fetched
    assert "'finish_reason': 'archive_store_error'" in run.log
    for wrong in ("s3://", "/var/archive"):  # no bucket named: the same one line, no traceback
        bad = scrapy("crawl", "moscowtimes", *spider_args(mt_site), "-s", f"ARCHIVE_STORE={wrong}", archive=archive)
        assert bad.returncode == 1 and "Traceback" not in bad.log, bad.log
        assert f"ARCHIVE_STORE={wrong!r}: not an S3 URL with a bucket" in bad.log
    assert len(mt_site.requests) == before


def test_what_an_earlier_run_left_is_uploaded_when_the_next_starts(s3, mt_site, tmp_path):
    client, settings = s3
    client.create_bucket(Bucket="later")
    first = tmp_path / "first"
    assert scrapy("crawl", "moscowtimes", *spider_args(mt_site), archive=first).returncode == 0  # no store
    archive = tmp_path / "archive"
    shutil.copytree(first / "warc", archive / "warc")
    left = sorted(p.relative_to(archive / "warc").as_posix() for p in (archive / "warc").rglob("*.warc.gz"))
    torn = archive / "warc" / "moscowtimes" / "moscowtimes-20260101000000-00000.warc.gz.open"
    torn.write_bytes(b"half a record")
    store = ["-s", "ARCHIVE_STORE=s3://later/p", "-s", "ARCHIVE_STORE_REMOVE_LOCAL=True", "-s", "WORKER_ID=w2"]
    run = scrapy("crawl", "moscowtimes", *spider_args(mt_site), *store, *settings, archive=archive)
    assert run.returncode == 0, run.log
    keys = set(stored(client, "later", "p/"))
    assert {f"p/{name}" for name in left} <= keys  # the earlier run's files, at this run's start
    assert not any(k.endswith(".open") for k in keys)
    own = keys - {f"p/{name}" for name in left}
    assert own and all("/moscowtimes-w2-" in k for k in own)  # and this run's own, named by its worker
    assert not list((archive / "warc").rglob("*.warc.gz"))  # removed once verified (REMOVE_LOCAL)
    assert set(ledger(archive)) == {k.removeprefix("p/") for k in keys}
    # scrapy pack fetches what is only in the store back (into S3_CACHE_DIR) and packs it all.
    wacz = tmp_path / "all.wacz"
    pack = scrapy("pack", "moscowtimes", "-o", str(wacz), *store, *settings, archive=archive)
    assert pack.returncode == 0, pack.log
    import zipfile

    packed = {n.rsplit("/", 1)[-1] for n in zipfile.ZipFile(wacz).namelist() if n.startswith("archive/")}
    assert packed == {k.rsplit("/", 1)[-1] for k in keys}


def test_a_replay_reads_its_warc_from_the_store(s3, tmp_path):
    from tests.support.run import PROJECT

    client, settings = s3
    client.create_bucket(Bucket="replay")
    sample = PROJECT / "samples" / "moscowtimes-sample.warc.gz"
    client.upload_file(str(sample), "replay", "2024/moscowtimes-sample.warc.gz")
    items = tmp_path / "items.jsonl"
    replay = ["-s", "REPLAY_WARC=s3://replay/2024/moscowtimes-sample.warc.gz"]
    run = scrapy("crawl", "moscowtimes", *replay, *settings, archive=tmp_path / "archive", items=items)
    assert run.returncode == 0, run.log
    assert len(run.items) == 3  # the demo's three articles, as from the local file
