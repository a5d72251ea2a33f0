"""What a crawl writes besides WARCs: text files, their names, quality counts, the summary."""
