"""The pages' JSON-LD, read by ``metadata.json_ld_objects``: what extruct's ``JsonLdExtractor``
(the reader it replaced, still installed as the reference) reads, on every fixture page, and the
blocks real pages break."""

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path

import pytest
from extruct.jsonld import JsonLdExtractor
from lxml import html as lxml_html

from crawler.extraction.metadata import _walk, json_ld_block, json_ld_objects

FIXTURES = Path(__file__).parent / "fixtures"
PROJECT = Path(__file__).resolve().parents[1]


def _page(path: Path) -> str:
    body = gzip.decompress(path.read_bytes()) if path.name.endswith(".gz") else path.read_bytes()
    return body.decode("utf-8", "replace")


PAGES = sorted(p for p in FIXTURES.rglob("*") if p.name.endswith((".html", ".html.gz")))


def _extruct_objects(tree) -> list:
    """What ``json_ld_objects`` gave when it read the page through extruct: every block at once,
    else block by block, a broken one skipped."""
    extractor = JsonLdExtractor()
    try:
        data = list(extractor.extract_items(tree))
    except Exception:
        data = []
        for script in tree.xpath('//script[@type="application/ld+json"]'):
            try:
                data.extend(extractor._extract_items(script))
            except Exception:
                continue
    return list(_walk(data))


def test_every_fixture_page_reads_as_extruct_reads_it():
    assert len(PAGES) >= 50
    with_json_ld = 0
    for path in PAGES:
        tree = lxml_html.fromstring(_page(path).encode("utf-8"))
        ours = json_ld_objects(tree, "https://example.org/a")
        assert ours == _extruct_objects(tree), path
        with_json_ld += bool(ours)
    assert with_json_ld >= 30  # most real article pages carry some


def _tree(*blocks: str) -> lxml_html.HtmlElement:
    scripts = "".join(f'<script type="application/ld+json">{block}</script>' for block in blocks)
    return lxml_html.fromstring(f"<html><head>{scripts}</head><body><p>Text.</p></body></html>")


def test_a_broken_block_is_skipped_and_the_others_kept():
    tree = _tree(
        '{"@type": "NewsArticle", "headline": "One"',  # cut short
        '[{"@type": "Person", "name": "A"}, {}, {"@type": "WebPage"}]',
        "not json at all",
        '{"@graph": [{"@type": "NewsArticle", "headline": "Two", "mainEntity": {"@type": "Thing"}}]}',
        "42",
    )
    types = [o.get("@type") for o in json_ld_objects(tree)]
    assert types == ["Person", "WebPage", None, "NewsArticle", "Thing"]
    assert json_ld_block(tree.xpath("//script")[-1]) == []  # JSON, but no object


@pytest.mark.parametrize(
    "block",
    [
        '{"@type": "NewsArticle", "articleBody": "Line one.\nLine two.\tTabbed."}',  # raw control characters
        '<!-- Yoast SEO -->\n{"@type": "NewsArticle", "articleBody": "x"}',
        '<!--\n{"@type": "NewsArticle", "articleBody": "x"}\n-->',
        '<![CDATA[{"@type": "NewsArticle", "articleBody": "x"}]]>',
        '\n//<![CDATA[\n{"@type": "NewsArticle", "articleBody": "x"}\n//]]>\n',  # Krautreporter's
        '// the schema\n{"@type": "NewsArticle", /* the body */ "articleBody": "x",}',
    ],
)
def test_blocks_as_real_pages_wrap_them_are_read(block):
    (found,) = json_ld_objects(_tree(block))
    assert found["@type"] == "NewsArticle" and found["articleBody"]


def test_the_workers_preload_loads_none_of_extructs_other_extractors():
    code = (
        "import sys, crawler.extraction.worker;"
        " print(sorted(m for m in ('extruct', 'bs4', 'rdflib', 'mf2py', 'pyRdfa') if m in sys.modules))"
    )
    run = subprocess.run([sys.executable, "-c", code], cwd=PROJECT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.strip() == "[]"
