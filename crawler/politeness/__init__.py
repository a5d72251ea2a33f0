"""Politeness beyond Scrapy's own: robots.txt Crawl-delay and Retry-After honoured."""
