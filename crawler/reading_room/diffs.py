"""A readable diff of two revisions' texts: lines removed and added, with the words changed marked."""

from __future__ import annotations

import difflib
from dataclasses import dataclass


@dataclass
class DiffLine:
    """One line of a diff: ``kind`` is "same", "removed", "added" or "gap" (unchanged lines left
    out); ``parts`` the line's words, each (text, changed) where a word differs from its pair."""

    kind: str
    parts: list[tuple[str, bool]]


def _word_parts(old: str, new: str) -> tuple[list[tuple[str, bool]], list[tuple[str, bool]]]:
    a, b = old.split(" "), new.split(" ")
    left: list[tuple[str, bool]] = []
    right: list[tuple[str, bool]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if i2 > i1:
            left.append((" ".join(a[i1:i2]), tag != "equal"))
        if j2 > j1:
            right.append((" ".join(b[j1:j2]), tag != "equal"))
    return left, right


def revision_diff(old: str, new: str, context: int = 1) -> list[DiffLine]:
    """The lines of ``new`` against ``old`` (paragraphs, as the text holds them), with ``context``
    unchanged lines around each change; a changed line pair shows which of its words changed."""
    a = [line for line in old.splitlines() if line.strip()]  # paragraphs, not the blank lines between
    b = [line for line in new.splitlines() if line.strip()]
    lines: list[DiffLine] = []
    for group in difflib.SequenceMatcher(None, a, b, autojunk=False).get_grouped_opcodes(context):
        if lines:
            lines.append(DiffLine("gap", [("…", False)]))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines += [DiffLine("same", [(line, False)]) for line in a[i1:i2]]
                continue
            olds, news = a[i1:i2], b[j1:j2]
            for k in range(max(len(olds), len(news))):
                if k < len(olds) and k < len(news) and tag == "replace":
                    left, right = _word_parts(olds[k], news[k])
                    lines += [DiffLine("removed", left), DiffLine("added", right)]
                elif k < len(olds):
                    lines.append(DiffLine("removed", [(olds[k], True)]))
                else:
                    lines.append(DiffLine("added", [(news[k], True)]))
    return lines
