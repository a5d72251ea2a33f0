"""Page rules by date: an outlet's earlier designs, and the one a capture was made under.

An outlet that redesigns its pages keeps the rules of each earlier design in
``rules_history``, as ``((valid_until, PageRules), ...)`` with ``valid_until`` a
``datetime.date``: a version applies to captures made strictly before that day
(UTC), the outlet's ``rules`` to everything after the last one. A capture is read
with the version valid at its WARC-Date, so re-extracting an old archive after a
redesign still reads the old pages right (fundus' ``ParserProxy`` and
``VALID_UNTIL`` do the same for its parsers).

``validate_history`` runs when a spider class is defined, so a history that
cannot be read (a string for a date, two versions ending the same day) fails at
import, not in the middle of a re-extraction.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

from crawler.extraction.normalize import parse_datetime
from crawler.extraction.rules import PageRules

#: ``((valid_until, rules), ...)``, oldest first.
History = tuple[tuple[date, PageRules], ...]

_TIMESTAMP = re.compile(r"\d{8}(?:\d{6})?")  # a CDX/Wayback timestamp: 20170315 or 20170315120000


def validate_history(history: Iterable[Any], owner: str = "rules_history") -> History:
    """The history as ``((valid_until, rules), ...)`` sorted by date, or an error naming what is wrong.

    ``owner`` names the declaration in messages (``"MoscowTimesSpider.rules_history"``).
    Raises ``TypeError`` for an entry that is not a ``(datetime.date, PageRules)`` pair
    (a ``str`` or a ``datetime`` is refused: a version ends on a day), ``ValueError``
    for two versions that end on the same day.
    """
    if isinstance(history, str | bytes | dict) or not isinstance(history, Iterable):
        raise TypeError(f"{owner} is a tuple of (valid_until date, PageRules) pairs, not {type(history).__name__}")
    entries: list[tuple[date, PageRules]] = []
    for position, entry in enumerate(history):
        if not isinstance(entry, tuple | list) or len(entry) != 2:
            raise TypeError(f"{owner}[{position}] is a (valid_until date, PageRules) pair, not {entry!r}")
        valid_until, rules = entry
        if isinstance(valid_until, datetime) or not isinstance(valid_until, date):
            hint = ""
            if isinstance(valid_until, str):
                hint = f": write date.fromisoformat({valid_until!r})"
            raise TypeError(
                f"{owner}[{position}]: valid_until is a datetime.date (the first day the version no longer "
                f"applies), not {type(valid_until).__name__} {valid_until!r}{hint}"
            )
        if not isinstance(rules, PageRules):
            raise TypeError(f"{owner}[{position}] ({valid_until}): rules are a PageRules, not {type(rules).__name__}")
        entries.append((valid_until, rules))
    entries.sort(key=lambda entry: entry[0])
    for (earlier, _), (later, _) in zip(entries, entries[1:], strict=False):
        if earlier == later:
            raise ValueError(
                f"{owner}: two versions are valid until {earlier.isoformat()}; "
                "each earlier design ends on its own day (merge them or date one differently)"
            )
    return tuple(entries)


def capture_day(when: str | datetime | date | None) -> date | None:
    """The UTC day of a capture: a WARC-Date or other ISO 8601 string, a CDX timestamp
    (``20170315120000``), a ``datetime`` (naive ones are UTC) or a ``date``; None for None or ``""``."""
    if when is None or when == "":
        return None
    if isinstance(when, datetime):
        moment = when if when.tzinfo is not None else when.replace(tzinfo=UTC)
        return moment.astimezone(UTC).date()
    if isinstance(when, date):
        return when
    if not isinstance(when, str):
        raise TypeError(f"a capture date is an ISO 8601 string, a datetime or a date, not {type(when).__name__}")
    text = when.strip()
    if _TIMESTAMP.fullmatch(text):
        fmt = "%Y%m%d%H%M%S" if len(text) == 14 else "%Y%m%d"
        return datetime.strptime(text, fmt).date()
    parsed = parse_datetime(text)
    if parsed is None:
        raise ValueError(f"not a capture date: {when!r} (expected ISO 8601, e.g. a WARC-Date)")
    return parsed.astimezone(UTC).date()


def rules_at(current: PageRules, history: Iterable[Any], when: str | datetime | date | None) -> PageRules:
    """The rules valid at ``when``: the earliest version whose ``valid_until`` is after the
    capture's day, else ``current`` (also for ``when`` None: a live page is read as it is now)."""
    day = capture_day(when)
    if day is None:
        return current
    for valid_until, rules in validate_history(history):
        if day < valid_until:
            return rules
    return current
