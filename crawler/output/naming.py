"""File names derived from URLs: safe on any filesystem, never outside the root."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import Path
from urllib.parse import unquote, urlsplit

MAX_SEGMENT_BYTES = 120
MAX_SEGMENTS = 8
_UNSAFE = re.compile(r"[^\w.\-]+", re.UNICODE)
_WINDOWS_RESERVED = re.compile(r"^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$", re.I)


def _short_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:10]


def safe_segment(raw: str) -> str:
    """One path segment: letters (any script, NFC), digits, '.', '-', '_' only.

    A segment that had to be changed or cut gets a hash of the original, so two
    different segments never end up with one name.
    """
    text = unicodedata.normalize("NFC", unquote(raw))
    clean = re.sub(r"-{2,}", "-", _UNSAFE.sub("-", text)).strip(".-_ ")
    if _WINDOWS_RESERVED.match(clean):
        clean = "_" + clean
    changed = clean != text or not clean
    if len(clean.encode("utf-8")) > MAX_SEGMENT_BYTES - 11:
        clean = clean.encode("utf-8")[: MAX_SEGMENT_BYTES - 11].decode("utf-8", "ignore").rstrip(".-_")
        changed = True
    if changed:
        clean = f"{clean}-{_short_hash(text)}" if clean else _short_hash(text)
    return clean


#: Between a name and the hash of its URL. Never in a readable name's last segment
#: (``safe_segment`` folds runs of '-' into one), so a hashed name is never a readable one.
HASH_SEPARATOR = "--"
_EXTENSION = re.compile(r"\.(s?html?|php|aspx?)$", re.I)
#: How a later revision's file is named (``story.r2.md``): a readable stem must not look so.
_REVISION_LIKE = re.compile(r"\.r\d+$")


def url_hash(url: str) -> str:
    """The short hash of a whole URL that makes a name its own."""
    return _short_hash(url)


def _segments(url: str) -> tuple[list[str], bool]:
    """The URL's path segments as they name a file (query folded into the last), and whether
    anything of the path was dropped or merged on the way (see ``url_relative_path``)."""
    parts = urlsplit(url)
    raw = parts.path.split("/")
    # A leading "" (the path's first "/") and one trailing "" (a trailing "/") are no loss.
    inner = raw[1:] if raw and raw[0] == "" else raw
    if inner and inner[-1] == "":
        inner = inner[:-1]
    segments = [s for s in inner if s not in ("", ".", "..")]
    lossy = len(segments) != len(inner)
    decoded = unquote(parts.path)
    lossy = lossy or unicodedata.normalize("NFC", decoded) != decoded
    if segments:
        segments[-1] = _EXTENSION.sub("", segments[-1]) or segments[-1]
    if parts.query:
        # "?" is never safe, so the segment gets a hash of itself with the query.
        segments = (segments or ["index"])[:-1] + [(segments or ["index"])[-1] + "?" + parts.query]
    safe = [safe_segment(s) for s in segments] or ["index"]
    lossy = lossy or len(safe) > MAX_SEGMENTS or bool(_REVISION_LIKE.search(safe[-1]))
    return safe[-MAX_SEGMENTS:], lossy


def _host_segment(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or "no-host"
    return safe_segment(f"{host}_{parts.port}" if parts.port else host)


def _name(segments: list[str], url: str, hashed: bool, with_host: bool, suffix: str) -> Path:
    segments = list(segments)
    if hashed:
        tag = HASH_SEPARATOR + url_hash(url)
        room = MAX_SEGMENT_BYTES - len(tag)
        stem = segments[-1].encode("utf-8")[:room].decode("utf-8", "ignore")
        segments[-1] = stem + tag
    segments[-1] += suffix
    return Path(*([_host_segment(url)] if with_host else []), *segments)


def url_relative_path(url: str, suffix: str = ".md", with_host: bool = False) -> Path:
    """The relative path of a URL's text file: its last ``MAX_SEGMENTS`` path segments made
    safe (``safe_segment``; a query hashed into the last), a final .html/.php/.aspx dropped,
    and (``with_host``) the host (``host`` or ``host_port``) first.

    That readable name is used unless something of the URL's path would be lost or merged in
    it: more than ``MAX_SEGMENTS`` segments, an empty, '.' or '..' segment (a trailing '/'
    excepted), a path that is not in Unicode NFC, or a last segment that reads as a
    revision (``….r2``). Then the name is ``hashed_relative_path`` (``<stem>--<hash>.md``).
    What this cannot see (the scheme, an extension, a trailing '/', the host when
    ``with_host`` is off, letter case on a case-insensitive disk) the writer settles: it
    never replaces another URL's file, and writes the hashed name instead."""
    segments, lossy = _segments(url)
    return _name(segments, url, lossy, with_host, suffix)


def hashed_relative_path(url: str, suffix: str = ".md", with_host: bool = False) -> Path:
    """The readable name with ``--`` and ten hex digits of SHA-1 of the whole URL added to
    its last segment: a name no other URL has (the last segment stays within
    ``MAX_SEGMENT_BYTES``)."""
    segments, _ = _segments(url)
    return _name(segments, url, True, with_host, suffix)


def legacy_relative_path(url: str, suffix: str = ".md") -> Path:
    """The name every URL had before names were made collision-free (no host, never hashed):
    where archives written then hold their texts."""
    segments, _ = _segments(url)
    return _name(segments, url, False, False, suffix)


def revision_path(path: Path, revision: int) -> Path:
    """The file of a later revision beside the first: ``story.md`` → ``story.r2.md``."""
    return path if revision <= 1 else path.with_name(f"{path.stem}.r{revision}.md")


def text_name_candidates(url: str) -> list[Path]:
    """Every name a URL's text may have, new and old, most likely first (``scrapy history``)."""
    names = [
        url_relative_path(url, with_host=True),
        hashed_relative_path(url, with_host=True),
        url_relative_path(url),
        hashed_relative_path(url),
        legacy_relative_path(url),
    ]
    return list(dict.fromkeys(names))


def contained_path(root: Path, relative: Path) -> Path:
    """root/relative, refusing anything that would resolve outside root."""
    root = root.resolve()
    target = (root / relative).resolve()
    if target != root and root not in target.parents:
        raise ValueError(f"refusing path outside {root}: {relative}")
    return target
