"""What runs in an extraction worker: the extraction code, loaded once in the fork server.

The fork server imports this module before it forks any worker, so the workers share
its pages (the language model of py3langid alone is ~100 MB) instead of each loading
its own copy.
"""

from __future__ import annotations

import py3langid

from crawler.extraction.article import ExtractionResult, extract_article

py3langid.classify("Warm the language model up once, before the workers are forked.")


def run(html: str, **kwargs) -> ExtractionResult:
    return extract_article(html, **kwargs)
