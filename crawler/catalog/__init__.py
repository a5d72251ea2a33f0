"""The catalogue: every archived article, its revisions and a full-text index, in one SQLite file.

``schema`` (the tables), ``lemmas`` (what the index holds), ``store`` (writing), ``query`` (the
search language), ``search`` (ranked results, snippets, facets), ``pipeline`` (a crawl keeps it
up to date), ``indexing`` (``scrapy index`` rebuilds it from WARC files).
"""
