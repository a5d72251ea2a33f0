"""Stories and copies: one event across outlets and languages, one text in several places.

``texts`` (what is compared), ``copies`` (MinHash and LSH), ``features`` and ``clustering`` (the
online story finder), ``store`` (their results in the catalogue), ``queries`` (reading them back),
``extension`` (a crawl's new articles placed when it ends). See docs/STORIES.md.
"""
