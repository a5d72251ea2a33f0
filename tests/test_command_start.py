"""What every ``scrapy`` command loads before it does anything: Scrapy's spider loader imports
every spider module, and a crawl or an extraction loads every item pipeline's module, even the
catalogue's when the catalogue is off. Libraries only some runs use (the public suffix list of
the feed spider, the catalogue's lemmatiser) are imported when first used, not there."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]

PROBE = r"""
import sys
from scrapy.spiderloader import SpiderLoader
from scrapy.utils.misc import load_object
from scrapy.utils.project import get_project_settings

settings = get_project_settings()
loader = SpiderLoader.from_settings(settings)
for path in settings.getdict("ITEM_PIPELINES"):
    load_object(path)
print(len(loader.list()), sorted(m for m in ("simplemma", "tldextract") if m in sys.modules))
from crawler.catalog.lemmas import lemma_text
from crawler.spiders.generic_feed import registered_domain
print(registered_domain("https://news.bbc.co.uk/feed.xml"), lemma_text("Києві", "uk"))
print(sorted(m for m in ("simplemma", "tldextract") if m in sys.modules))
"""


def test_spider_modules_and_pipelines_load_without_the_lemmatiser_or_the_suffix_list():
    run = subprocess.run([sys.executable, "-c", PROBE], cwd=PROJECT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    loaded, used, after = run.stdout.splitlines()
    spiders, before = loaded.split(" ", 1)
    assert int(spiders) > 5
    assert before == "[]"
    # Both still work on first use, and are loaded then.
    assert used == "bbc.co.uk київ"
    assert after == "['simplemma', 'tldextract']"
