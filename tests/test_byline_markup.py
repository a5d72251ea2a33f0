"""``crawler.extraction.byline_markup``: trafilatura's byline search without copying the page
gives trafilatura's own answer, on every fixture page (real pages of the outlets and of the
article-extraction benchmark) and on the cases its rules exist for."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from trafilatura.metadata import extract_author as trafilatura_extract_author

from crawler.extraction import byline_markup
from crawler.extraction.markup import parse_html

FIXTURES = Path(__file__).parent / "fixtures"
PAGES = sorted(FIXTURES.rglob("*.html.gz")) + sorted(FIXTURES.rglob("*.html"))


def _tree(path: Path):
    data = path.read_bytes()
    if path.suffix == ".gz":
        data = gzip.decompress(data)
    return parse_html(data.decode("utf-8", "replace"))


def test_the_pinned_trafilatura_takes_the_fast_path():
    assert byline_markup._DISCARDED is not None


def test_every_fixture_page_gets_trafilaturas_byline():
    found = 0
    differ = []
    for path in PAGES:
        tree = _tree(path)
        expected = trafilatura_extract_author(tree)
        if byline_markup.extract_author(tree) != expected:
            differ.append(f"{path.relative_to(FIXTURES)}: {expected!r}")
        found += expected is not None
    assert not differ
    # Not a vacuous comparison: most pages have a byline, and several of them only because the
    # discarded parts are left out (the tests below name those rules).
    assert len(PAGES) >= 50 and found >= 30


PAGE = """<html><head><title>Drones over the Black Sea</title></head><body>
<div class="comments"><span class="author">Commenter Name</span></div>
{byline}
<p>Text of the article.</p></body></html>"""


@pytest.mark.parametrize(
    "byline",
    [
        '<span class="author">Jane Reporter</span>',
        # a <time> inside the byline is deleted from trafilatura's copy, its tail kept
        '<span class="author">Jane <time>2 hours ago</time>Reporter</span>',
        '<div class="byline">By <a rel="author">Jane Reporter</a><figure>Photo: AP</figure></div>',
        # in a sidebar: not trusted, the next candidate counts
        '<div class="sidebar"><span class="author">Sidebar Person</span></div><p class="byline">Jane Reporter</p>',
        '<figure><span class="author">Photo Credit</span></figure>',
    ],
)
def test_discarded_parts_are_left_out_as_trafilatura_leaves_them(byline):
    tree = parse_html(PAGE.format(byline=byline))
    expected = trafilatura_extract_author(tree)
    assert byline_markup.extract_author(tree) == expected
    assert expected != "Commenter Name"


def test_a_subtree_is_searched_by_trafilatura_itself():
    tree = parse_html(PAGE.format(byline='<span class="author">Jane Reporter</span>'))
    body = tree.find("body")
    assert byline_markup.extract_author(body) == trafilatura_extract_author(body)


def test_each_expression_has_its_matcher_with_the_pinned_trafilatura():
    assert all(matcher is not None for matcher in byline_markup._MATCHERS)


def _same_elements(tree) -> list[str]:
    """The expressions whose matcher finds other elements than lxml's node set on ``tree``."""
    return [
        expression.path
        for expression, matcher in zip(byline_markup.AUTHOR_XPATHS, byline_markup._MATCHERS, strict=True)
        if list(byline_markup.candidates(expression, matcher, tree)) != expression(tree)
    ]


def test_every_matcher_finds_its_expressions_elements_on_every_fixture_page():
    found = 0
    for path in PAGES:
        tree = _tree(path)
        assert _same_elements(tree) == [], path
        found += sum(len(expression(tree)) for expression in byline_markup.AUTHOR_XPATHS)
    assert found >= 200  # not a comparison of empty sets


@pytest.mark.parametrize(
    "element",
    [
        "<author>Jane Reporter</author>",
        '<span rel="author">Jane</span>',
        '<div id="author">Jane</div>',
        '<p class="author">Jane</p>',
        '<span itemprop="author name">Jane</span>',
        '<strong class="post-author-name">Jane</strong>',
        '<strong class="AuthorName">Jane</strong>',
        '<a data-testid="AuthorURL">Jane</a>',
        '<address data-testid="AuthorCard">Jane</address>',
        "<span><rel>me</rel>Jane</span>",  # trafilatura's rel='me' (a child element, not @rel)
        "<span><rel>not me</rel><rel>me</rel>Jane</span>",
        "<span><rel>m<b>e</b></rel>Jane</span>",  # a child's string value: all its text
        "<em><rel>me</rel>Jane</em>",  # not one of the first expression's elements
        '<h3 class="byline">Jane</h3>',
        '<h4 class="BBL">Jane</h4>',
        '<div class="username">Jane</div>',
        '<span itemprop="creator author">Jane</span>',
        '<p id="bianji">Jane</p>',
        '<span class="submitted-by">Jane</span>',
        '<section data-component="TopByline">Jane</section>',
        '<section id="mainAuthor">Jane</section>',
        '<li class="screenname">Jane</li>',
        '<li class="Writer">Jane</li>',  # no: the expressions are case-sensitive
        '<li class="byline-Byline">Jane</li>',
        '<span class="authorbox"><!-- a comment --><?pi x?>Jane</span>',
    ],
)
def test_each_condition_of_the_expressions_is_matched_as_lxml_matches_it(element):
    tree = parse_html(PAGE.format(byline=element))
    assert _same_elements(tree) == []
    assert byline_markup.extract_author(tree) == trafilatura_extract_author(tree)
