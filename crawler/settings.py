"""Scrapy settings of the foodnews crawler. Environment variables override the archive path and contact."""

import os

BOT_NAME = "foodnews"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"
#: `scrapy crawl` exits 1 when the run failed (crawler/commands/crawl.py), as `foodnews crawl` does
COMMANDS_MODULE = "crawler.commands"

# Identify ourselves with a way to reach us; operators set their own contact URL.
FOODNEWS_CONTACT_URL = os.environ.get("FOODNEWS_CONTACT_URL", "https://github.com/foodnews-archive/foodnews")
USER_AGENT = f"foodnews/0.1 (+{FOODNEWS_CONTACT_URL})"

# Politeness: regulators' sites are small; we are one of many visitors.
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
RETRY_TIMES = 2
DOWNLOAD_TIMEOUT = 60
# Bounded downloads: no article page seen is over 1.5 MB (docs/reliability.md); a bigger response, before
# or after decompression (a gzip bomb), is cancelled and recorded as a reject.
DOWNLOAD_MAXSIZE = 4 * 1024 * 1024
DOWNLOAD_WARNSIZE = 1024 * 1024
# The WARC middleware sits next to the downloader (after Scrapy's at 900), so it keeps responses as served,
# before decompression (590) and redirects (600).
DOWNLOADER_MIDDLEWARES = {
    "crawler.middlewares.RedirectLoopMiddleware": 610,
    "crawler.warc.WarcMiddleware": 950,
}
# Scrapy's HTTP/1.1 handler, or, with FOODNEWS_REPLAY set (the demo, the tests), a local replay of the sites.
DOWNLOAD_HANDLERS = {
    "http": "crawler.replay.ReplayDownloadHandler",
    "https": "crawler.replay.ReplayDownloadHandler",
}
FOODNEWS_REPLAY = os.environ.get("FOODNEWS_REPLAY", "")
# A source that keeps failing stops the run instead of hammering the site.
CLOSESPIDER_ERRORCOUNT = 50

FOODNEWS_DB = os.environ.get("FOODNEWS_DB", "data/foodnews.db")
FOODNEWS_MIN_BODY_CHARS = 20
# A longer body is a page the engine misread, or not news: rejected, not stored.
FOODNEWS_MAX_BODY_CHARS = 500_000
# Seconds a write waits for another writer (a crawl of another source, an import) to release the archive.
FOODNEWS_DB_TIMEOUT = 60

# Attachments (sampling workbooks, PDFs) are kept as evidence, content-addressed, in FOODNEWS_FILES
# (default: ``files`` beside the archive); a bigger file is recorded with the reason, not kept.
FOODNEWS_FILES = os.environ.get("FOODNEWS_FILES", "")
FOODNEWS_MAX_ATTACHMENT_BYTES = 50 * 1024 * 1024

# Responses of article pages and attachments kept as WARC records in FOODNEWS_WARC (default: ``warc`` beside
# the archive), in files of at most FOODNEWS_WARC_MAX_BYTES (crawler/warc.py).
FOODNEWS_WARC = os.environ.get("FOODNEWS_WARC", "")
FOODNEWS_WARC_MAX_BYTES = 1024**3

# A live line per source on an interactive terminal (crawler/progress.py); the foodnews command turns it on
# when standard error is a terminal.
EXTENSIONS = {"crawler.progress.Progress": 500}
FOODNEWS_PROGRESS = False

ITEM_PIPELINES = {
    "crawler.pipelines.ValidationPipeline": 100,
    "crawler.files.AttachmentsPipeline": 300,
    "crawler.workbooks.WorkbooksPipeline": 400,
    "crawler.pipelines.ArchivePipeline": 800,
}

FEED_EXPORT_ENCODING = "utf-8"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
LOG_LEVEL = os.environ.get("FOODNEWS_LOG_LEVEL", "INFO")
