"""trafilatura's byline search (``trafilatura.metadata.extract_author``), without copying the page.

trafilatura copies the whole tree, deletes from the copy every part where a byline is not to be
trusted (comments, sidebars, quotes, ``<time>``, ``<figure>``: ``AUTHOR_DISCARD_XPATHS``), then
takes the first element its ``AUTHOR_XPATHS`` find whose text is 3-119 characters long. The copy
and the deletions cost about 3 ms a page here, more than the search itself, and on an article page
the search stops at one of the first few elements it finds.

The same result, on the page as parsed: each candidate is taken, in trafilatura's order, unless
it or an ancestor is one of the discarded parts (the discarding expressions test only tag names
and attributes, which deleting other elements does not change); its text is read from a copy of
that one element with trafilatura's own deletions applied inside it, so the text is exactly what
the copied page would give. A test compares the two on every fixture page and the benchmark pages.

Written for the expressions of the pinned trafilatura: where their form is not the one expected
(a new version), the module uses trafilatura's own function.
"""

from __future__ import annotations

import logging
from copy import deepcopy

from lxml.etree import XPath
from trafilatura.htmlprocessing import prune_unwanted_nodes
from trafilatura.json_metadata import normalize_authors
from trafilatura.metadata import extract_author as trafilatura_extract_author
from trafilatura.utils import trim
from trafilatura.xpaths import AUTHOR_DISCARD_XPATHS, AUTHOR_XPATHS, REGEXP_NS

logger = logging.getLogger(__name__)

#: trafilatura's limit on a byline's length (``extract_author``'s ``len_limit``).
LENGTH_LIMIT = 120


def _ancestor_forms(paths: list[str]) -> XPath | None:
    """One expression true on an element that is, or is inside, what ``paths`` select from the
    page's root: ``.//X[…]`` (the root's descendants) becomes ``ancestor-or-self::X[parent::*][…]``
    (not the root itself), ``//X|//Y`` becomes ``ancestor-or-self::X | ancestor-or-self::Y``.
    None for any other form."""
    branches = []
    for path in paths:
        path = path.strip()
        if path.startswith(".//"):  # one step with predicates (a regular expression may hold "|")
            step, bracket, rest = path[3:].partition("[")
            if "/" in step or "|" in step:
                return None
            branches.append(f"ancestor-or-self::{step}[parent::*]{bracket}{rest}")
            continue
        for branch in path.split("|"):
            branch = branch.strip()
            if not branch.startswith("//") or any(c in branch[2:] for c in "/[]()@:"):
                return None
            branches.append(f"ancestor-or-self::{branch[2:]}")
    return XPath(" | ".join(branches), namespaces={"re": REGEXP_NS}) if branches else None


_DISCARDED = _ancestor_forms([expression.path for expression in AUTHOR_DISCARD_XPATHS])
if _DISCARDED is None:  # pragma: no cover - another trafilatura
    logger.warning("trafilatura's byline expressions are not of the expected form: its own byline search is used")


def extract_author(tree) -> str | None:
    """What ``trafilatura.metadata.extract_author(tree)`` returns for the page's root ``tree``."""
    if _DISCARDED is None or tree.getparent() is not None:
        return trafilatura_extract_author(tree)
    for expression in AUTHOR_XPATHS:
        for element in expression(tree):
            if _DISCARDED(element):
                continue  # deleted from trafilatura's copy
            alone = prune_unwanted_nodes(deepcopy(element), AUTHOR_DISCARD_XPATHS)
            content = trim(" ".join(alone.itertext()))
            if content and 2 < len(content) < LENGTH_LIMIT:
                return normalize_authors(None, content)
    return None
