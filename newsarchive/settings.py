"""Scrapy settings for newsarchive.

Everything newsarchive-specific starts with ``NEWSARCHIVE_`` (or ``WARC_`` for the
archive files). The three paths most deployments change can also come from the
environment, which is what cron jobs and containers find easiest.
"""

import os

from newsarchive import __version__

BOT_NAME = "newsarchive"
SPIDER_MODULES = ["newsarchive.spiders"]
NEWSPIDER_MODULE = "newsarchive.spiders"
COMMANDS_MODULE = "newsarchive.commands"

# --- where things live ---------------------------------------------------------------
NEWSARCHIVE_DATA_DIR = os.environ.get("NEWSARCHIVE_DATA_DIR", "data")
NEWSARCHIVE_OUTLETS = os.environ.get("NEWSARCHIVE_OUTLETS", "outlets.toml")
# Any SQLAlchemy URL; empty means a SQLite file in NEWSARCHIVE_DATA_DIR.
NEWSARCHIVE_DB_URL = os.environ.get("NEWSARCHIVE_DB_URL", "")
# Distributed mode: every Redis key of the fleet starts with this (two fleets, one Redis db).
NEWSARCHIVE_REDIS_PREFIX = os.environ.get("NEWSARCHIVE_REDIS_PREFIX", "newsarchive")
# WARC files; empty means <NEWSARCHIVE_DATA_DIR>/warc.
WARC_DIR = os.environ.get("NEWSARCHIVE_WARC_DIR", "")
WARC_PREFIX = "newsarchive"
WARC_MAX_SIZE = 1_000_000_000
WARC_OPERATOR = os.environ.get("NEWSARCHIVE_OPERATOR", "")
WARC_DESCRIPTION = f"newsarchive crawl of the outlets in {NEWSARCHIVE_OUTLETS}"
NEWSARCHIVE_CONTACT_URL = os.environ.get(
    "NEWSARCHIVE_CONTACT_URL", "https://github.com/newsarchive/newsarchive"
)

# Where `-a recrawl=all` learns the known articles (swap it in tests or other deployments).
NEWSARCHIVE_RECHECK_SOURCE = "newsarchive.recheck.DatabaseRecheckSource"
# `newsarchive serve` links each version to its capture here (a pywb collection URL such as
# http://127.0.0.1:8080/news); empty means a download of the raw WARC record.
NEWSARCHIVE_REPLAY_URL = os.environ.get("NEWSARCHIVE_REPLAY_URL", "")
# `newsarchive replay` keeps pywb in this virtualenv of its own (made on first use); empty means
# ~/.cache/newsarchive/venv-pywb.
NEWSARCHIVE_PYWB_VENV = os.environ.get("NEWSARCHIVE_PYWB_VENV", "")

# --- politeness -----------------------------------------------------------------------
USER_AGENT = f"newsarchive/{__version__} (+{NEWSARCHIVE_CONTACT_URL})"
ROBOTSTXT_OBEY = True
ROBOTSTXT_PARSER = "scrapy.robotstxt.ProtegoRobotParser"
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
# Scrapy starts CONCURRENT_ITEMS worker tasks for every response's output (100 by default):
# an article page yields one item, and every item waits for the one storage thread anyway,
# so 100 tasks per page were pure reactor overhead (~1.3 ms a page, measured with py-spy on
# a re-check). Requests found on a sitemap or listing are only queued, so 8 keep up.
CONCURRENT_ITEMS = 8
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 60
DOWNLOAD_MAXSIZE = 20 * 1024 * 1024
DOWNLOAD_WARNSIZE = 5 * 1024 * 1024
RETRY_TIMES = 2
REDIRECT_MAX_TIMES = 10
# robots.txt Crawl-delay is applied per host (newsarchive.politeness), capped at this many seconds.
NEWSARCHIVE_CRAWL_DELAY_ENABLED = True
NEWSARCHIVE_CRAWL_DELAY_MAX = 60.0
# No Scrapy-wide depth cap: each outlet's max_depth bounds its listing hops (counted as
# depth_limited), with pattern_page_budget and max_pages. A DEPTH_LIMIT set here would cut
# an outlet's deeper pages silently; the spider warns at start if one is too low.
DEPTH_LIMIT = 0
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
# Scrapy's HTTP cache hides 304s and errors from the archive: keep it off.
HTTPCACHE_ENABLED = False

# --- what may be fetched (newsarchive.netguard) ----------------------------------------
# No request to loopback, private, link-local, multicast, reserved or metadata addresses:
# the resolver checks the address each connection uses, the middleware IP literals and
# off-outlet redirects. Exact addresses listed here are allowed (local tests and the demo).
NEWSARCHIVE_ALLOW_ADDRESSES = [a for a in os.environ.get("NEWSARCHIVE_ALLOW_ADDRESSES", "").split(",") if a]
TWISTED_DNS_RESOLVER = "newsarchive.netguard.GuardedResolver"

# --- the pipeline ---------------------------------------------------------------------
DOWNLOADER_MIDDLEWARES = {
    # First of all (before robots.txt fetches anything): refuse non-public addresses,
    # non-http(s) schemes and redirects that leave the outlet.
    "newsarchive.netguard.AddressGuardMiddleware": 50,
    # Both sit next to the downloader so they see every response as the server sent it:
    # each redirect hop, errors, compressed bodies. 950 runs first on the way back.
    "newsarchive.middlewares.warc.WarcCaptureMiddleware": 950,
    "newsarchive.middlewares.capture.CaptureLogMiddleware": 940,
    # Re-checks are conditional GETs (If-None-Match / If-Modified-Since from the URL's last
    # capture); inside the two above, so the WARC request record has the headers as sent.
    "newsarchive.middlewares.conditional.ConditionalRequestMiddleware": 900,
    # `newsarchive recrawl`'s wall-time budget (NEWSARCHIVE_RECRAWL_SECONDS, outlet recrawl_seconds):
    # a request not sent in time is dropped before it is fetched, so it stays due.
    "newsarchive.middlewares.budget.RecrawlBudgetMiddleware": 140,
    # Right after RobotsTxtMiddleware (100): robots.txt Crawl-delay -> the host's download slot.
    "newsarchive.politeness.CrawlDelayMiddleware": 120,
    # Sees each 3xx before RedirectMiddleware (600): A -> B -> A ends as a logged error.
    "newsarchive.middlewares.redirects.RedirectLoopMiddleware": 610,
    # Distributed mode only (NEWSARCHIVE_FLEET_POLITENESS, set by `newsarchive worker`): one
    # per-host spacing for the whole fleet, before the request reaches its download slot.
    "newsarchive.distributed.politeness.FleetPolitenessMiddleware": 130,
}
# Capture time = time on the wire: the handler stamps each request when the download slot
# lets it go (after DOWNLOAD_DELAY / Crawl-delay), then hands it to Scrapy's HTTP handler
# (or the one NEWSARCHIVE_WIRE_HANDLER names).
DOWNLOAD_HANDLERS = {
    "http": "newsarchive.wire.WireTimeDownloadHandler",
    "https": "newsarchive.wire.WireTimeDownloadHandler",
}
NEWSARCHIVE_WIRE_HANDLER = "scrapy.core.downloader.handlers.http11.HTTP11DownloadHandler"
EXTENSIONS = {
    "newsarchive.extensions.HealthMonitor": 490,
    "newsarchive.extensions.CrawlReport": 500,
}
# Extraction health (newsarchive.health): judged per outlet at the end of every run; a version
# storm's versions are held out of the change feed until `newsarchive health --confirm/--reject`.
NEWSARCHIVE_HEALTH_ENABLED = True
# POSTed a JSON object when an outlet's verdict changes (empty: no webhook).
NEWSARCHIVE_HEALTH_WEBHOOK = os.environ.get("NEWSARCHIVE_HEALTH_WEBHOOK", "")
# A run still "running" this long (or whose process is gone) is judged by the next crawl.
NEWSARCHIVE_HEALTH_STALE_HOURS = 12
# Thresholds: NEWSARCHIVE_HEALTH_SHORT_TEXT, _MIN_PAGES, _DEGRADED_RISE, _BROKEN_SHARE,
# _LENGTH_DEGRADED, _LENGTH_BROKEN, _STORM_MIN_CHECKED, _STORM_SHARE, _STORM_COMMON,
# _BOILERPLATE_SHARE, _BASELINE_RUNS (defaults and meaning: newsarchive.health.Thresholds).
# Each listing, feed and sitemap response says what it listed, so its poll interval adapts.
SPIDER_MIDDLEWARES = {
    "newsarchive.middlewares.poll.SourcePollMiddleware": 600,
}
# `newsarchive recrawl --budget N` / `-a recrawl=due`: at most this many article re-checks per
# run, most overdue first (0: no cap); and at most this many seconds of sending requests.
NEWSARCHIVE_RECRAWL_BUDGET = 0
NEWSARCHIVE_RECRAWL_SECONDS = 0
# Near-duplicates and syndication (newsarchive.syndication): every stored version is
# fingerprinted; versions at least this similar (0..1, common paragraphs left out) link their
# articles into one cluster (copies on several outlets, URL aliases on one).
NEWSARCHIVE_SYNDICATION_ENABLED = True
NEWSARCHIVE_SYNDICATION_THRESHOLD = os.environ.get("NEWSARCHIVE_SYNDICATION_THRESHOLD", "0.6")
# Fingerprint in a worker process beside the crawl (newsarchive.syndication_worker), not in the
# storing transaction: the crawl process keeps its core for fetching, extracting and storing.
NEWSARCHIVE_SYNDICATION_WORKER = True
ITEM_PIPELINES = {
    "newsarchive.pipelines.StoragePipeline": 500,
}

REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = os.environ.get("NEWSARCHIVE_LOG_LEVEL", "INFO")
