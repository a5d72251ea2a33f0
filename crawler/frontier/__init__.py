"""A shared frontier for several crawl processes (``FRONTIER_URL=redis://…``).

Built on scrapy-redis (its scheduler, priority queue and duplicate filter in Redis), with what a
cluster of archive workers needs beside it: requests a worker took but never finished put back
when it dies (``queue``), the feeds and sitemaps sent once per run (``start``), workers kept alive
while others may still find work and the run's keys cleared when the last one is done
(``workers``), one request at a time per site for the whole cluster (``politeness``) and
robots.txt fetched once per site per run (``robots``). ``addon`` turns it all on; without the
setting nothing of this is loaded.
"""
