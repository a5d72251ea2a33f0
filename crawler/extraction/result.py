"""``ExtractionResult``: what an extraction worker sends back for one page.

In a module of its own, with nothing heavy imported: the crawler process unpickles every result,
and unpickling imports the module that defines the class. Defined beside ``extract_article``, it
made the crawler process load trafilatura, extruct and dateparser (~0.4 s, then) on the first result,
which the process pool exists to spare it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from crawler.extraction.fields import ArticleFields


@dataclass
class ExtractionResult:
    """Fields for an ``ArticleItem``, or why the page yields none."""

    fields: ArticleFields | None = None
    skipped: str | None = None
    warnings: list[str] = field(default_factory=list)
    #: Corrections worth a DEBUG line and a stat, not a warning, by stat name: the language when
    #: detection overrules the page; the text when it came from the page's data, not its markup.
    notes: dict[str, str] = field(default_factory=dict)
