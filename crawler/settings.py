"""Every setting of the archive, with its default, in one place.

Scrapy's own settings keep their meaning; the archive's settings are the block
below them. Override any of them with ``-s NAME=value`` or in a spider's
``custom_settings``.
"""

from scrapy.settings import default_settings as scrapy_defaults

from crawler import __version__

BOT_NAME = "defense-news-archive"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"
COMMANDS_MODULE = "crawler.commands"

# --- Politeness -----------------------------------------------------------
#: Who we are and where to complain. Sites see this on every request.
ARCHIVE_CONTACT_URL = "https://github.com/defense-news-archive/defense-news-archive"
USER_AGENT = f"defense-news-archive/{__version__} (+{ARCHIVE_CONTACT_URL})"
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS_PER_DOMAIN = 1
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
#: Never send cookies we were not configured with (see docs on containment).
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
#: Off, as the telnet console is: Scrapy's remote control (2.19, on by default) serves an HTTP
#: endpoint on localhost that runs any Python code sent to it, its token in a job file under the
#: user's profile. Taken out of EXTENSIONS_BASE too (below), so its module is not even imported
#: (aiohttp's web server: ~0.24 s at every command's start). A ``None`` for it in EXTENSIONS
#: would not do: Scrapy loads every key of EXTENSIONS to compare it with the base's.
REMOTE_CONTROL_ENABLED = False
DOWNLOAD_TIMEOUT = 60
DOWNLOAD_MAXSIZE = 32 * 1024 * 1024
DOWNLOAD_WARNSIZE = 8 * 1024 * 1024
RETRY_TIMES = 2
#: A connection lost mid-body still hands over the bytes that came (flag "dataloss"): the
#: capture archives them as a truncated record (WARC-Truncated: disconnect) and retries the
#: request, so the spider never sees a torn page and nothing received is lost.
DOWNLOAD_FAIL_ON_DATALOSS = False
#: Longest wait a Retry-After header may impose on a site's next request (seconds).
RETRY_AFTER_MAX = 600
#: Items processed in parallel *per response*. An article page yields one item; Scrapy starts
#: this many asyncio tasks for every response's output, so its default (100) cost ~1 ms per page
#: here for nothing (measured with cProfile on the speed benchmark's crawl).
CONCURRENT_ITEMS = 8
#: Back-pressure from extraction to downloading: Scrapy stops taking new responses into the
#: scraper while those being processed (waiting for an extraction worker, mostly) add up to this
#: many body bytes. ~12 article pages keep two workers busy; the default (5 MB) only adds memory.
SCRAPER_SLOT_MAX_ACTIVE_SIZE = 2_000_000
#: Periodic progress line ("Crawled N pages ..., scraped N items ...").
LOGSTATS_INTERVAL = 60.0

# --- Components -------------------------------------------------------------
#: http and https only: Scrapy's file, ftp, s3 and data handlers would let a hostile page,
#: feed, sitemap or WARC record make the crawler read local files or open other connections.
DOWNLOAD_HANDLERS: dict[str, str | None] = {"file": None, "ftp": None, "s3": None, "data": None}
DOWNLOADER_MIDDLEWARES = {
    # First of all (process_request in ascending order): a request that is not http(s) is
    # refused, logged and counted, wherever it came from (crawler/schemes.py).
    "crawler.schemes.SchemeGuardMiddleware": 1,
    # Downloader side of every built-in middleware (HttpCompression is 590,
    # Redirect 600, HttpCache 900): sees the bytes exactly as they came off
    # the wire, before anything decodes, follows or swallows them.
    "crawler.warc.capture.WarcCaptureMiddleware": 950,
    # Right after RobotsTxtMiddleware (100): applies its Crawl-delay.
    "crawler.politeness.crawl_delay.CrawlDelayMiddleware": 110,
    # A page's requisites within REQUISITES_MAX_PAGE_BYTES (before the download, after robots.txt).
    "crawler.spiders.requisites.RequisiteBudgetMiddleware": 120,
    # Sees 429/503 answers before RetryMiddleware (550) schedules the retry.
    "crawler.politeness.retry_after.RetryAfterMiddleware": 560,
}
SPIDER_MIDDLEWARES = {
    # The one owner of per-article state: plans article requests, records what became of each
    # capture, numbers revisions. Closest to the engine, so it sees the output every other
    # spider middleware let through.
    "crawler.state.middleware.ArticleStateMiddleware": 50,
}
ITEM_PIPELINES = {
    "crawler.warc.item_records.WarcItemRecordPipeline": 300,
    "crawler.output.pipeline.TextFilePipeline": 400,
    # After the text file (it links each revision to it): the catalogue of articles and revisions.
    "crawler.catalog.pipeline.CatalogPipeline": 500,
    "crawler.output.quality.QualityStatsPipeline": 900,
}
#: Scrapy's own extensions, as its defaults name them, but the remote control (above).
EXTENSIONS_BASE = {
    path: order
    for path, order in scrapy_defaults.EXTENSIONS_BASE.items()
    if path != "scrapy.extensions.remote_control.RemoteControl"
}
EXTENSIONS = {
    "crawler.output.summary.ArchiveProgress": 500,
    # When the crawl ends: its new articles placed in stories, their copies found.
    "crawler.stories.extension.StoriesExtension": 510,
    # ARCHIVE_STORE set: closed WARC files uploaded, verified and recorded (crawler/storage/uploads.py).
    "crawler.storage.uploads.ArchiveStoreExtension": 520,
}
ADDONS = {
    # Swaps the network for the archive when REPLAY_WARC is set.
    "crawler.warc.replay.ReplayAddon": 0,
    # Shares one frontier between workers when FRONTIER_URL is set (crawler/frontier/).
    "crawler.frontier.addon.FrontierAddon": 10,
}

TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"

# --- Archive ----------------------------------------------------------------
#: Root of everything the archive writes: warc/, text/, runs/, state.
ARCHIVE_DIR = "archives"
#: Local copies of WARC files read from object storage (s3://…; scrapy extract, scrapy index);
#: empty: ARCHIVE_DIR/cache/s3. Where and as whom: Scrapy's AWS_ENDPOINT_URL, AWS_REGION_NAME,
#: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY.
S3_CACHE_DIR = ""
#: Object storage for the WARC files (s3://bucket/prefix): each, once closed, uploaded to
#: <prefix>/<spider>/<file>, verified (size, sha256) and recorded in state.sqlite3's uploads table;
#: empty: WARC files stay local only. ARCHIVE_STORE_REMOVE_LOCAL: remove the local file once
#: verified (the reading room and replay then need the store). ARCHIVE_STORE_INTERVAL: seconds
#: between uploads of the files closed meanwhile (and always when a crawl ends).
ARCHIVE_STORE = ""
#: This worker's name in its WARC files' names (<spider>-<WORKER_ID>-<time>-<serial>.warc.gz), so
#: the files of several workers writing to one store never share a name; empty: <spider>-<time>-….
WORKER_ID = ""
ARCHIVE_STORE_REMOVE_LOCAL = False
#: One request queue and duplicate filter for every worker of a run, on any machine
#: (redis://host:port/db; scrapy-redis), with one request at a time per site for all of them and
#: robots.txt fetched once (docs/CLUSTER.md); empty: the crawl is this process's alone, as ever.
FRONTIER_URL = ""
#: Where the captures, outcomes, revisions and uploads are remembered: empty, SQLite at
#: ARCHIVE_DIR/state.sqlite3 (one machine); postgresql://user@host/db, one PostgreSQL database
#: every worker of a cluster shares, so each knows what the others captured.
STATE_URL = ""
#: The frontier's keys begin with this (two archives may share one Redis under two prefixes).
FRONTIER_PREFIX = "dna"
#: Seconds a worker's lease lasts without renewal (renewed every third of it): a worker silent
#: that long is gone, and what it had taken is queued again by the others.
FRONTIER_LEASE = 10.0
#: A worker whose clock is further than this (seconds) from the Redis server's does not start
#: (its WARC-Dates and capture times would misplace its captures among the other workers').
FRONTIER_MAX_CLOCK_SKEW = 30.0
#: One request at a time per site for the whole cluster, the site's delay between any two
#: workers' requests (off: each worker is polite on its own, as Scrapy is; for a site that is
#: yours, or to measure the frontier alone).
FRONTIER_SITE_SLOTS = True
#: Seconds a site's slot may be held by one request at most (a dead worker's slot frees itself
#: then); 0: DOWNLOAD_TIMEOUT + 30.
FRONTIER_SLOT_LEASE = 0.0
ARCHIVE_STORE_INTERVAL = 60.0
#: Write WARC files at all (off: extraction only, nothing preserved).
WARC_ENABLED = True
#: Roll over to a new WARC file once the current one reaches this many bytes.
WARC_MAX_SIZE = 1_000_000_000
#: gzip level of each WARC record (1 fast .. 9 small). warcio's default is 9.
WARC_GZIP_LEVEL = 6
#: An extraction of captures copied into the archive (``scrapy import`` sets it): the items'
#: records (and any renumbering) go into WARC files of its own, ``<spider>-import-items-…``.
IMPORT_ITEM_RECORDS = False
#: Write the normalized Markdown text file of each article.
TEXT_FILES_ENABLED = True

#: Keep ARCHIVE_DIR/catalog.sqlite3 up to date as items are scraped: every article, its
#: revisions and a full-text index (``scrapy search``, ``scrapy serve``; ``scrapy index``
#: rebuilds it from WARC files).
CATALOG_ENABLED = True
#: When a crawl ends, place its new articles in stories (one event across outlets) and find
#: their copies (one text in several places): ``scrapy stories``, the reading room's story pages.
STORIES_ENABLED = True
#: The reading room's link to the replay of a capture: ``{timestamp}`` (its WARC-Date as
#: yyyymmddHHMMSS) and ``{url}``. pywb's form, as ``scrapy pywb`` serves it.
REPLAY_URL = "http://127.0.0.1:8080/archive/{timestamp}/{url}"

#: Requests a minute to another archive in a backfill (-a source=wayback): its CDX server and
#: its captures, one at a time. The Internet Archive limits clients; this stays well inside.
WAYBACK_REQUESTS_PER_MINUTE = 12.0

# --- Discovery ----------------------------------------------------------------
#: Sitemap indexes followed below a declared sitemap (an outlet's index of monthly indexes is 2).
SITEMAP_MAX_DEPTH = 3
#: Sitemap files one spider fetches in one run at most (a monthly index since 1992 is ~400).
SITEMAP_MAX_FILES = 5000

# --- Page requisites (what a browser needs to render an archived page) ---------------------
#: "articles": fetch the stylesheets (with their imports, fonts and background images), images,
#: scripts and icons of every article page; "pages": of every HTML page an article request
#: fetched (video and gallery pages too); "off". From the page's host, the spider's domains and
#: its ``requisite_hosts``; never ad, analytics or tracking hosts. Off in replay.
REQUISITES = "articles"
#: Of an image's ``srcset``: "largest" (what a high-density screen fetches), "smallest", "all", "none".
REQUISITES_SRCSET = "largest"
#: Requisite requests one page may make at most (its stylesheets' references count for them).
REQUISITES_MAX_PER_PAGE = 60
#: A requisite over this many bytes is archived truncated (its first bytes) and not used further.
REQUISITES_MAX_BYTES = 10 * 1024 * 1024
#: All of one page's requisites together at most (bytes; 0: no limit): past it, its further
#: requisites are not fetched, and the one that crosses it is archived truncated.
REQUISITES_MAX_PAGE_BYTES = 50 * 1024 * 1024
#: Stylesheet ``@import`` levels followed (a loop of imports stops at the first repeat anyway).
REQUISITES_MAX_DEPTH = 3
#: A requisite archived in an earlier run is checked again (conditionally) after this many hours.
REQUISITES_RECHECK_HOURS = 168.0

# --- Scheduled runs ------------------------------------------------------------
#: Remember captures and text revisions in ARCHIVE_DIR/state.sqlite3 and skip
#: known articles on the next run (off during replay).
INCREMENTAL_ENABLED = True
#: Re-check a known article (with a conditional request) after this many hours,
#: even when no feed or sitemap says it changed.
RECHECK_INTERVAL_HOURS = 24.0
#: ``crawlall`` calls a spider failed when it logged more ERROR lines than this.
CRAWLALL_MAX_ERRORS = 10

# --- Replay -----------------------------------------------------------------
#: A WARC file or a directory of them: serve every request from the archive.
REPLAY_WARC = None
#: yyyymmddHHMMSS: serve the capture closest to this time (default: newest).
REPLAY_AT = None
#: In replay, also write what is fetched into new WARC files.
REPLAY_WRITE_WARC = False

#: Where ``scrapy pywb`` finds pywb's ``wayback`` (its own environment, made by bin/setup).
PYWB_BIN = ".venv-pywb/bin"
#: Where ``scrapy pack`` finds py-wacz's ``wacz`` (its own environment, made by bin/setup).
WACZ_BIN = ".venv-wacz/bin"

# --- Extraction ---------------------------------------------------------------
#: Extract articles at all (off: archive only; used by the speed benchmarks).
EXTRACTION_ENABLED = True
#: Worker processes for extraction (0: one per core). Extraction never runs
#: on the reactor thread: a long page must not stall the crawl.
EXTRACTION_WORKERS = 0
#: False runs extraction on a thread of this process instead (debugging).
EXTRACTION_PROCESS_POOL = True
#: An article whose text has fewer words than this is logged and counted.
EXTRACTION_MIN_WORDS = 50
#: Longest one page's extraction may take (seconds; 0: no limit). An article page takes 0.01-0.1 s;
#: a flat ``<div><p>`` page 4 s at 1 MB, 32 s at 4 MB, minutes beyond. A process pool's running
#: task cannot be cancelled, so the worker running a page over the limit is killed and the pool
#: rebuilt (a fork from the fork server, no imports); the other pages then in it are retried
#: once. The page is logged with its URL and WARC record, counted (``extract/timeout``) and its
#: capture marked "error": the next run tries it again (or ``scrapy extract`` with a higher limit).
#: On threads (EXTRACTION_PROCESS_POOL off) the page is given up but its thread runs on.
EXTRACTION_TIMEOUT = 60.0
#: Memory one extraction worker may take beyond what it starts with (MB; 0: no limit). Set in each
#: worker as ``RLIMIT_AS`` (address space, counted from the worker's start, since a fork server's
#: worker starts with ~100 MB of shared preloaded code mapped): the kernel refuses the allocation
#: that would pass it, the page fails (``extract/memory``, logged like a timeout, capture "error")
#: and the worker lives on, before the OOM killer picks a process. Article pages add < 10 MB; a
#: 12 MB flat page took 843 MB. Not applied on threads (it would limit the crawler itself).
EXTRACTION_MAX_MEMORY = 1024
#: Warn when more than this share of a crawl's items miss a title, date, credit or text.
QUALITY_WARN_SHARE = 0.2
