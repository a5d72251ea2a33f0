"""``s3://bucket/key`` and ``s3://bucket/prefix/``: WARC files in object storage, read with boto3.

Any S3 server: AWS, or one of an institution's own (SeaweedFS, Ceph); where and as whom come
from Scrapy's own settings, as its feed storage reads them: ``AWS_ENDPOINT_URL``,
``AWS_REGION_NAME``, ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_SESSION_TOKEN``
(unset: boto3's usual chain, the environment and ``~/.aws``).

A WARC file is read from a local copy: ``fetch`` downloads it (as ``.part``, renamed when whole)
into a cache folder, and a copy of the same size and ETag is used again, so a run that resumes
downloads nothing twice. What cannot be read (no such bucket, no access, no server) is one
``S3Error`` naming the part and the URL.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PREFIX = "s3://"
#: The names a WARC file has in a bucket (as ``warc.index.WARC_SUFFIXES``; not ``.open``: a file
#: still being written is never uploaded).
WARC_SUFFIXES = (".warc", ".warc.gz")


class S3Error(Exception):
    """Object storage could not be read: the message names the part (server, bucket, key)."""


def is_s3(path: object) -> bool:
    return isinstance(path, str) and path.startswith(PREFIX)


def split(url: str) -> tuple[str, str]:
    """``s3://bucket/some/key`` -> (``bucket``, ``some/key``)."""
    bucket, _, key = url[len(PREFIX) :].partition("/")
    if not is_s3(url) or not bucket:
        raise S3Error(f"not an S3 URL with a bucket: {url!r}")
    return bucket, key


@dataclass(frozen=True)
class S3Object:
    url: str
    size: int
    etag: str


def client(settings: Any):
    """A boto3 S3 client configured from Scrapy's ``AWS_*`` settings."""
    import boto3
    from botocore.config import Config

    def value(name: str) -> Any:
        return settings.get(name) or None

    return boto3.client(
        "s3",
        endpoint_url=value("AWS_ENDPOINT_URL"),
        region_name=value("AWS_REGION_NAME"),
        aws_access_key_id=value("AWS_ACCESS_KEY_ID"),
        aws_secret_access_key=value("AWS_SECRET_ACCESS_KEY"),
        aws_session_token=value("AWS_SESSION_TOKEN"),
        config=Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=10, read_timeout=60),
    )


def _explained(exc: Exception, url: str, endpoint: str | None) -> S3Error:
    from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError

    where = f" at {endpoint}" if endpoint else ""
    if isinstance(exc, EndpointConnectionError):
        return S3Error(f"object storage{where} cannot be reached ({url}): {exc}")
    if isinstance(exc, NoCredentialsError):
        return S3Error(
            f"no credentials for object storage{where} ({url}): set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
        )
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code", "")
        if code in ("NoSuchBucket", "404", "NoSuchKey"):
            return S3Error(f"no such bucket or object{where}: {url}")
        if code in ("AccessDenied", "403", "InvalidAccessKeyId", "SignatureDoesNotMatch"):
            return S3Error(f"access to {url} refused by object storage{where} ({code}): check the credentials")
        return S3Error(f"object storage{where} refused {url}: {code or exc}")
    return S3Error(f"object storage{where}: {url}: {exc.__class__.__name__}: {exc}")


def list_warcs(s3, url: str) -> list[S3Object]:
    """The WARC files at ``url``: the object itself, or every WARC file under a prefix (``/``)."""
    bucket, key = split(url)
    endpoint = s3.meta.endpoint_url
    try:
        if key and not key.endswith("/"):
            head = s3.head_object(Bucket=bucket, Key=key)
            return [S3Object(url, int(head["ContentLength"]), head.get("ETag", "").strip('"'))]
        found = []
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=key):
            for entry in page.get("Contents", []):
                if entry["Key"].endswith(WARC_SUFFIXES):
                    found.append(
                        S3Object(
                            f"{PREFIX}{bucket}/{entry['Key']}", int(entry["Size"]), entry.get("ETag", "").strip('"')
                        )
                    )
        return sorted(found, key=lambda o: o.url)
    except Exception as exc:
        raise _explained(exc, url, endpoint) from exc


def cached_path(cache: Path, url: str) -> Path:
    """Where the local copy of ``url`` is kept: ``cache/<bucket>/<key>``."""
    bucket, key = split(url)
    return cache / bucket / key


def fetch(s3, obj: S3Object, cache: Path) -> Path:
    """The local copy of ``obj`` (downloaded unless a copy of its size and ETag is there)."""
    local = cached_path(cache, obj.url)
    stamp = local.with_name(local.name + ".s3.json")
    if local.exists() and stamp.exists():
        try:
            known = json.loads(stamp.read_text(encoding="utf-8"))
        except ValueError:
            known = {}
        if known.get("size") == obj.size and known.get("etag") == obj.etag and local.stat().st_size == obj.size:
            return local
    local.parent.mkdir(parents=True, exist_ok=True)
    partial = local.with_name(local.name + ".part")
    bucket, key = split(obj.url)
    try:
        s3.download_file(bucket, key, str(partial))
    except Exception as exc:
        partial.unlink(missing_ok=True)
        raise _explained(exc, obj.url, s3.meta.endpoint_url) from exc
    got = partial.stat().st_size
    if got != obj.size:
        partial.unlink(missing_ok=True)
        raise S3Error(f"{obj.url}: downloaded {got} bytes of {obj.size}")
    partial.replace(local)
    stamp.write_text(json.dumps({"url": obj.url, "size": obj.size, "etag": obj.etag}), encoding="utf-8")
    return local


def url_digest(url: str) -> str:
    return hashlib.sha1(url.encode("utf-8")).hexdigest()[:8]


def cache_dir(settings: Any) -> Path:
    """Where local copies of object storage's WARC files are kept (``S3_CACHE_DIR``, else
    ``ARCHIVE_DIR/cache/s3``)."""
    return Path(settings.get("S3_CACHE_DIR") or Path(settings.get("ARCHIVE_DIR") or "archives") / "cache" / "s3")


def localise(args: list[str], settings: Any, progress=None) -> list[str]:
    """``args`` with every ``s3://`` URL replaced by local copies of the WARC files it names
    (downloaded into ``cache_dir``, kept for the next run); other arguments unchanged."""
    if not any(is_s3(a) for a in args):
        return list(args)
    s3 = client(settings)
    local: list[str] = []
    for arg in args:
        if not is_s3(arg):
            local.append(arg)
            continue
        objects = list_warcs(s3, arg)
        if not objects:
            raise S3Error(f"no WARC files at {arg}")
        for obj in objects:
            local.append(str(fetch(s3, obj, cache_dir(settings))))
            if progress is not None:
                progress(obj)
    return local


#: Files at least this large go up in parts (S3's multipart upload), this large each.
MULTIPART_BYTES = 64 * 2**20


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class ObjectStore:
    """The bucket and prefix of ``ARCHIVE_STORE`` (``s3://bucket/prefix``), for uploads."""

    def __init__(self, url: str, settings: Any) -> None:
        self.bucket, prefix = split(url)
        self.url = url.rstrip("/")
        self.prefix = prefix.strip("/")
        self.s3 = client(settings)

    def key_for(self, relative: str) -> str:
        return f"{self.prefix}/{relative}" if self.prefix else relative

    def url_of(self, key: str) -> str:
        return f"{PREFIX}{self.bucket}/{key}"

    def check_writable(self) -> None:
        """Raise ``S3Error`` unless the bucket exists and takes a write (a probe object, removed)."""
        endpoint = self.s3.meta.endpoint_url
        try:
            self.s3.head_bucket(Bucket=self.bucket)
        except Exception as exc:
            raise _explained(exc, f"{PREFIX}{self.bucket}", endpoint) from exc
        probe = self.key_for(f".write-check-{hashlib.sha1(str(time.time()).encode()).hexdigest()[:12]}")
        try:
            self.s3.put_object(Bucket=self.bucket, Key=probe, Body=b"")
            self.s3.delete_object(Bucket=self.bucket, Key=probe)
        except Exception as exc:
            error = _explained(exc, self.url_of(probe), endpoint)
            raise S3Error(f"{error} (the bucket does not take a write: read-only?)") from exc

    def upload(self, path: Path, key: str, sha256: str) -> dict[str, Any]:
        """Upload ``path`` (in parts when large) and verify it: the stored object's size and the
        sha256 it carries must be the local file's. Returns what was verified; ``S3Error`` else."""
        from boto3.s3.transfer import TransferConfig

        size = path.stat().st_size
        config = TransferConfig(multipart_threshold=MULTIPART_BYTES, multipart_chunksize=MULTIPART_BYTES)
        try:
            self.s3.upload_file(str(path), self.bucket, key, ExtraArgs={"Metadata": {"sha256": sha256}}, Config=config)
            head = self.s3.head_object(Bucket=self.bucket, Key=key)
        except Exception as exc:
            raise _explained(exc, self.url_of(key), self.s3.meta.endpoint_url) from exc
        stored_size, stored_sha = int(head["ContentLength"]), head.get("Metadata", {}).get("sha256")
        if stored_size != size or stored_sha != sha256:
            raise S3Error(
                f"{self.url_of(key)}: stored {stored_size} bytes (sha256 {stored_sha}) for {size} bytes"
                f" (sha256 {sha256}) sent"
            )
        return {"size": size, "sha256": sha256, "etag": head.get("ETag", "").strip('"')}
