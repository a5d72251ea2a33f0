"""What the archive remembers between runs: captures, their outcomes and text revisions.

``database`` is the SQLite store; ``middleware`` is its one owner during a crawl (what is
fetched again and how, what became of each capture, which revision an item is), deciding
fetches with ``planning``; ``run_lock`` keeps scheduled runs from overlapping.
"""
