"""The normalized text file of an article: YAML front matter, then Markdown.

The shape follows the seed rendering: title, byline, date, the lead image
caption with its credit, the body paragraphs, and the original URL. The same
item always renders to the same bytes.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from itemadapter import ItemAdapter

logger = logging.getLogger(__name__)

FRONT_MATTER_FIELDS = (
    "url",
    "canonical_url",
    "outlet",
    "title",
    "subtitle",
    "authors",
    "organizations",
    "published",
    "modified",
    "published_source",
    "language",
    "section",
    "tags",
    "access",
    "revision",
    "word_count",
    "fetched_at",
    "warc",
)


def _display_date(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).strftime("%B %d, %Y")
    except ValueError:
        return value


def byline(authors: list[str]) -> str | None:
    if not authors:
        return None
    if len(authors) == 1:
        return f"By {authors[0]}"
    return "By " + ", ".join(authors[:-1]) + " and " + authors[-1]


def render(item) -> str:
    data = ItemAdapter(item).asdict()
    front = {key: data.get(key) for key in FRONT_MATTER_FIELDS if data.get(key) not in (None, [], "")}
    lines = ["---", yaml.safe_dump(front, allow_unicode=True, sort_keys=False, width=1000).rstrip("\n"), "---", ""]
    if data.get("title"):
        lines += [f"# {data['title']}", ""]
    if data.get("subtitle"):
        lines += [f"*{data['subtitle']}*", ""]
    by = byline((data.get("authors") or []) + (data.get("organizations") or []))
    if by:
        lines += [by, ""]
    shown = _display_date(data.get("published"))
    if shown:
        lines += [shown, ""]
    image = data.get("image") or {}
    caption = " ".join(filter(None, [image.get("caption"), f"**{image['credit']}**" if image.get("credit") else None]))
    if caption:
        lines += [caption, ""]
    if data.get("text"):
        lines += [data["text"], ""]
    lines += ["Original url:", "", f"<{data['url']}>", ""]
    return "\n".join(lines)


def _front_matter_end(text: str) -> int | None:
    """Where a text file's front matter ends (the newline before its closing ``---``), or None."""
    if not text.startswith("---\n"):
        return None
    end = text.find("\n---\n", 3)
    return end if end >= 0 else None


def front_matter(path: Path) -> dict[str, Any] | None:
    """A text file's front matter: None if there is no such file, {} if it has none readable."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            head = handle.read(64 * 1024)
    except (FileNotFoundError, NotADirectoryError):
        return None  # nothing there (writing it may still fail: that is the writer's to report)
    except OSError:
        return {}
    end = _front_matter_end(head)
    if end is None:
        return {}
    try:
        front = yaml.safe_load(head[4:end])
    except yaml.YAMLError:
        return {}
    return front if isinstance(front, dict) else {}


def front_matter_url(path: Path) -> str | None:
    """The ``url`` a text file's front matter names: None if there is no such file, "" if it
    has no readable front matter (then it is nobody's to replace)."""
    front = front_matter(path)
    if front is None:
        return None
    url = front.get("url")
    return url if isinstance(url, str) else ""


_REVISION_LINE = re.compile(r"^revision: \d+$", re.M)


def renumbered(content: str, revision: int) -> str:
    """A text file's content with the revision its front matter gives changed (or added)."""
    end = _front_matter_end(content)
    if end is None:
        return content
    front = content[: end + 1]
    line = f"revision: {revision}"
    front = _REVISION_LINE.sub(line, front, count=1) if _REVISION_LINE.search(front) else front + line + "\n"
    return front + content[end + 1 :]


PARTIAL_PREFIX, PARTIAL_SUFFIX = ".tmp-", ".part"


def _file_mode() -> int:
    """The mode a new file gets under the process' umask (as the WARC files get): temporary files
    are created 0600, and a text file must be readable by whoever may read the archive."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


#: Read once: changing the umask to read it is not safe while other threads create files.
FILE_MODE = _file_mode()


def write_atomically(path: Path, content: str) -> None:
    """Write to a temporary file beside ``path``, fsync, then rename over it.

    The temporary file is locked (``flock``) while written, so a later run can tell one
    a crash left behind from one a live writer is filling (``remove_stale_partials``).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=path.parent, prefix=PARTIAL_PREFIX, suffix=PARTIAL_SUFFIX, delete=False
    )
    try:
        with handle:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            handle.write(content)
            handle.flush()
            os.fchmod(handle.fileno(), FILE_MODE)
            os.fsync(handle.fileno())
        os.replace(handle.name, path)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise


def remove_stale_partials(directory: Path) -> list[Path]:
    """Delete the temporary text files a crashed run left under ``directory``.

    Only files no live writer holds are removed; the article's capture was never marked
    done, so the next run extracts it again and writes its text file whole.
    """
    removed: list[Path] = []
    if not directory.exists():
        return removed
    for path in directory.rglob(PARTIAL_PREFIX + "*" + PARTIAL_SUFFIX):
        try:
            with open(path, "rb") as handle:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                path.unlink()
        except BlockingIOError:
            continue  # a live writer's
        except FileNotFoundError:
            continue  # renamed into place meanwhile
        logger.warning("Removed half-written text file %s left by a crash", path)
        removed.append(path)
    return removed
