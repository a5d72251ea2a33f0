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

The candidates themselves are found in one lazy walk over the page's elements, each tested in
Python against what trafilatura's expression asks of it (``_MATCHERS``), instead of by lxml's
XPath: an XPath builds the node set of the whole page before the first candidate is looked at
(~3 ms a page for each of the three expressions on the benchmark pages), while the walk stops at
the first byline. A test compares each matcher's elements with its expression's node set on
every fixture page and on the cases each condition is for.

Written for the expressions of the pinned trafilatura: where their form is not the one expected
(a new version), the module uses trafilatura's own function, and an expression whose text is
not the one a matcher was written for is evaluated by lxml.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from copy import deepcopy
from typing import Any

from lxml.etree import Element, XPath
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


def _has_child(element, tag: str, value: str) -> bool:
    """XPath's ``tag='value'`` on ``element``: a child ``tag`` whose string value is ``value``."""
    if element.find(tag) is None:  # most elements: no such child at all
        return False
    return any(child.xpath("string()") == value for child in element.iterchildren(tag))


_NAME_0 = re.compile("author-?name|AuthorName|authorName")
_TAGS_0 = frozenset({"a", "address", "div", "link", "p", "span", "strong"})
_ID_1 = re.compile("author|zuozhe|bianji|xiaobian")
_CLASS_1 = re.compile("author|channel-name|zuozhe|bianji|xiaobian|submitted-by|posted-by|journalist-name")
_TAGS_1 = frozenset({"a", "div", "h3", "h4", "p", "span"})
_ID_2 = re.compile("[Aa]uthor")
_CLASS_2 = re.compile("[Aa]uthor|screenname|writer|[Bb]yline")


def _first(element) -> bool:
    if element.tag == "author":  # ``| //author``
        return True
    if element.tag not in _TAGS_0:
        return False
    get = element.get
    return (
        get("rel") == "author"
        or get("id") == "author"
        or get("class") == "author"
        or get("itemprop") == "author name"
        or get("data-testid") in ("AuthorCard", "AuthorURL")
        or _NAME_0.search(get("class") or "") is not None
        or _has_child(element, "rel", "me")  # trafilatura's ``rel='me'``, without the ``@``
    )


def _second(element) -> bool:
    if element.tag not in _TAGS_1:
        return False
    get = element.get
    return (
        get("class") in ("byline", "username", "byl", "BBL")
        or "author" in (get("itemprop") or "")
        or _ID_1.search(get("id") or "") is not None
        or _CLASS_1.search(get("class") or "") is not None
    )


def _third(element) -> bool:
    get = element.get
    return (
        "Byline" in (get("data-component") or "")
        or "author" in (get("itemprop") or "")
        or _ID_2.search(get("id") or "") is not None
        or _CLASS_2.search(get("class") or "") is not None
    )


#: Each matcher and the text (whitespace collapsed) of the trafilatura expression it stands for.
_WRITTEN_FOR: list[tuple[str, Callable[[Any], bool]]] = [
    (
        "//*[self::a or self::address or self::div or self::link or self::p or self::span or self::strong][ "
        "@rel='author' or @id='author' or @class='author' or @itemprop='author name' or rel='me' or "
        "@data-testid='AuthorCard' or @data-testid='AuthorURL' or "
        "re:test(@class, 'author-?name|AuthorName|authorName')]|//author",
        _first,
    ),
    (
        "//*[self::a or self::div or self::h3 or self::h4 or self::p or self::span][ "
        "@class='byline' or @class='username' or @class='byl' or @class='BBL' or "
        "contains(@itemprop, 'author') or re:test(@id, 'author|zuozhe|bianji|xiaobian') or "
        "re:test(@class, 'author|channel-name|zuozhe|bianji|xiaobian|submitted-by|posted-by|journalist-name')]",
        _second,
    ),
    (
        "//*[ contains(@data-component, 'Byline') or contains(@itemprop, 'author') or "
        "re:test(@id, '[Aa]uthor') or re:test(@class, '[Aa]uthor|screenname|writer|[Bb]yline')]",
        _third,
    ),
]


def _matcher_for(expression: XPath) -> Callable[[Any], bool] | None:
    text = " ".join(expression.path.split())
    return next((matcher for written, matcher in _WRITTEN_FOR if written == text), None)


#: Per expression of ``AUTHOR_XPATHS``, its matcher (None: that expression is evaluated by lxml).
_MATCHERS = [_matcher_for(expression) for expression in AUTHOR_XPATHS]


def candidates(expression: XPath, matcher: Callable[[Any], bool] | None, tree) -> Iterator[Any]:
    """The elements ``expression`` selects on the page ``tree``, in document order, found lazily."""
    if matcher is None:
        yield from expression(tree)
        return
    for element in tree.iter(Element):  # elements only, as ``//*``: no comments or instructions
        if matcher(element):
            yield element


def extract_author(tree) -> str | None:
    """What ``trafilatura.metadata.extract_author(tree)`` returns for the page's root ``tree``."""
    if _DISCARDED is None or tree.getparent() is not None:
        return trafilatura_extract_author(tree)
    for expression, matcher in zip(AUTHOR_XPATHS, _MATCHERS, strict=True):
        for element in candidates(expression, matcher, tree):
            if _DISCARDED(element):
                continue  # deleted from trafilatura's copy
            alone = prune_unwanted_nodes(deepcopy(element), AUTHOR_DISCARD_XPATHS)
            content = trim(" ".join(alone.itertext()))
            if content and 2 < len(content) < LENGTH_LIMIT:
                return normalize_authors(None, content)
    return None
