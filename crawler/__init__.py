"""defense-news-archive: a Scrapy crawler that archives news outlets into WARC files."""

__version__ = "0.1.0"
