"""The furniture patterns joined into fewer expressions find what they find one by one.

``boilerplate`` joins the patterns that start at a paragraph's start (``^``) or at a word
boundary (``\\b``) into one expression per flags, the lead taken out in front. Each test checks
the joined check against the plain one-by-one search over every pattern, on the families' own
examples and lookalikes, on every paragraph trafilatura reads from the fixture pages, and on
patterns made to break a careless join.
"""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest

from crawler.extraction import boilerplate
from crawler.extraction.vocabulary import FURNITURE

FIXTURES = Path(__file__).parent / "fixtures"


def one_by_one(paragraph: str, patterns=boilerplate.GENERIC_PARAGRAPHS) -> bool:
    return any(p.search(paragraph) for p in patterns)


def test_the_joined_expressions_hold_every_pattern_once():
    joined = [p for p in boilerplate.GENERIC_PARAGRAPHS if p in boilerplate._JOINED]
    assert len(joined) + len(boilerplate._ANYWHERE) == len(boilerplate.GENERIC_PARAGRAPHS)
    assert len(boilerplate._AT_WORD) >= 1 and len(boilerplate._AT_START) >= 1  # the joins are in use
    assert len(boilerplate._led_by(r"\b")) >= 5


def test_examples_and_lookalikes_are_judged_as_one_by_one():
    lines = [line for family in FURNITURE for examples in family.examples.values() for line in examples]
    lines += [line for family in FURNITURE for line in family.lookalikes]
    assert len(lines) > 80
    for line in lines:
        for variant in (line, f"Intro. {line}", f"x{line}", f"{line} and more", line.upper()):
            assert boilerplate.is_generic_boilerplate(variant) == one_by_one(variant), variant


def test_every_paragraph_of_the_fixture_pages_is_judged_as_one_by_one():
    from lxml import html as lxml_html

    paragraphs = []
    for page in sorted([*FIXTURES.rglob("*.html"), *FIXTURES.rglob("*.html.gz")]):
        data = page.read_bytes()
        try:
            tree = lxml_html.document_fromstring(gzip.decompress(data) if page.suffix == ".gz" else data)
        except (ValueError, lxml_html.etree.ParserError):
            continue
        paragraphs += [" ".join(node.text_content().split()) for node in tree.iter("p", "li", "h2", "h3", "figcaption")]
    paragraphs = [p for p in paragraphs if p]
    assert len(paragraphs) > 2000
    assert sum(map(one_by_one, paragraphs)) > 10  # some are furniture
    assert [boilerplate.is_generic_boilerplate(p) for p in paragraphs] == [one_by_one(p) for p in paragraphs]


@pytest.mark.parametrize(
    ("pattern", "one_branch"),
    [
        (r"foo|bar", False),
        (r"(foo|bar)", True),
        (r"[|]foo", True),
        (r"\|foo", True),
        (r"[\]|]foo", True),
        (r"(a(b|c))|d", False),
        (r"sign(ing)? up", True),
    ],
)
def test_a_pattern_of_two_branches_is_not_joined(pattern: str, one_branch: bool):
    assert boilerplate._one_branch(pattern) is one_branch


def test_a_join_keeps_each_patterns_meaning(monkeypatch):
    # \bfoo|bar: bar anywhere, not only at a word's start. Joined blindly as \b(?:foo|bar), it would
    # miss "xbar"; ^start|end likewise.
    patterns = tuple(re.compile(p, re.I) for p in (r"\bfoo|bar", r"\bqux", r"^start|end", r"^lead"))
    monkeypatch.setattr(boilerplate, "GENERIC_PARAGRAPHS", patterns)
    at_word = boilerplate._led_by(r"\b")
    at_start = boilerplate._led_by("^")
    assert [p.pattern for p in at_word] == [r"\bqux"]
    assert [p.pattern for p in at_start] == [r"^lead"]


def test_each_joined_expression_finds_what_its_patterns_find():
    lines = [line for family in FURNITURE for examples in family.examples.values() for line in examples]
    lines += [line for family in FURNITURE for line in family.lookalikes]
    for joined, members, find in (
        (boilerplate._AT_WORD, boilerplate._led_by(r"\b"), "search"),
        (boilerplate._AT_START, boilerplate._led_by("^"), "match"),
    ):
        variants = [v for line in lines for v in (line, f"So: {line.lower()}")]
        # A letter glued in front of each match: no word boundary, no paragraph's start there.
        variants += [
            line[: m.start()] + "x" + line[m.start() :] for line in lines for p in members if (m := p.search(line))
        ]
        matched = 0
        for variant in variants:
            alone = any(p.search(variant) for p in members)
            assert any(getattr(p, find)(variant) for p in joined) == alone, variant
            matched += alone
        assert 0 < matched < len(variants)
