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


def url_relative_path(url: str, suffix: str = ".md") -> Path:
    """A relative path for a URL: its path segments made safe, query hashed in."""
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s not in ("", ".", "..")]
    if segments:
        segments[-1] = re.sub(r"\.(s?html?|php|aspx?)$", "", segments[-1], flags=re.I) or segments[-1]
    if parts.query:
        # "?" is never safe, so the segment gets a hash of itself with the query.
        segments = (segments or ["index"])[:-1] + [(segments or ["index"])[-1] + "?" + parts.query]
    safe = [safe_segment(s) for s in segments][-MAX_SEGMENTS:] or ["index"]
    safe[-1] = safe[-1] + suffix
    return Path(*safe)


def contained_path(root: Path, relative: Path) -> Path:
    """root/relative, refusing anything that would resolve outside root."""
    root = root.resolve()
    target = (root / relative).resolve()
    if target != root and root not in target.parents:
        raise ValueError(f"refusing path outside {root}: {relative}")
    return target
