"""Item pipelines: validate and normalise, then write into the SQLite archive.

Nothing is dropped silently: an item that fails validation becomes a `Reject` with the reason and is
stored in the ``rejects`` table like a page that could not be parsed. An item that cannot be written
because the archive failed (a full disk, a read-only file, a lock held too long) stops the crawl: the run
is recorded as ``failed`` with the reason and the number of items it could not store.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider, NotConfigured
from scrapy.utils.defer import deferred_from_coro

from crawler.extract.text import normalize_space
from crawler.items import Article, Reject
from crawler.sources import SLUG, of_spider

logger = logging.getLogger(__name__)

MAX_URL_CHARS = 4096
MAX_TITLE_CHARS = 1000
#: Longest body stored (FOODNEWS_MAX_BODY_CHARS): longer is a page the engine misread, or not news.
MAX_BODY_CHARS = 500_000
# C0 controls other than tab, line feed and carriage return; DEL; lone surrogates (not encodable).
_BAD_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_URL_BAD = re.compile("[\x00-\x20\x7f\ud800-\udfff]")


def url_problem(url: Any, *, optional: bool = False) -> str | None:
    """Why ``url`` is not an absolute http(s) URL that can be stored and linked, or None."""
    if optional and url is None:
        return None
    if not isinstance(url, str) or not url:
        return "missing"
    if len(url) > MAX_URL_CHARS:
        return f"longer than {MAX_URL_CHARS} characters"
    if not url.lower().startswith(("http://", "https://")):
        return f"not http(s): {url[:60]!r}"
    if _URL_BAD.search(url):
        return f"holds a space or control character: {url[:60]!r}"
    return None


def _timestamp_problem(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return f"is not ISO 8601: {value[:40]!r}"
    return None if parsed.tzinfo is not None else f"has no UTC offset: {value[:40]!r}"


def _texts(item: Article) -> list[tuple[str, str]]:
    """Every text of an item with its field's name, for the character checks."""
    texts = [(f, getattr(item, f)) for f in ("title", "body", "body_html", "editor", "organization",
                                             "published_raw", "language", "page_sha256")]
    texts += [("authors", a) for a in item.authors] + [("notes", n) for n in item.notes]
    texts += [("images", t) for i in item.images for t in (i.caption, i.credit)]
    texts += [("attachments", a.title) for a in item.attachments]
    return [(name, text) for name, text in texts if text]


def malformed(item: Article) -> str | None:
    """Why an article's fields are not in their documented formats, or None.

    URLs http(s) without spaces or control characters, a slug for the source, no control characters or
    lone surrogates in any text, ISO 8601 times with an offset. An item that fails this was not made by
    the engine (an edited or foreign JSON Lines file, say): ``foodnews import`` reports its line.
    """
    for name, url, optional in (("url", item.url, False), ("canonical_url", item.canonical_url or None, True)):
        problem = url_problem(url, optional=optional)
        if problem:
            return f"{name} {problem}" if name != "url" or url else "invalid url: missing"
    if not isinstance(item.source, str) or not SLUG.fullmatch(item.source):
        return f"source is not a slug (a-z, 0-9, '_', '.', '-', at most 64): {str(item.source)[:70]!r}"
    for name, text in _texts(item):
        bad = _BAD_CHARS.search(text)
        if bad:
            return f"{name} holds the character U+{ord(bad.group()):04X}"
    for name in ("published", "fetched_at"):
        problem = _timestamp_problem(getattr(item, name))
        if problem:
            return f"{name} {problem}"
    if item.published_precision not in (None, "day", "minute", "second"):
        return f"published_precision is not day, minute or second: {item.published_precision[:20]!r}"
    for image in item.images:
        problem = url_problem(image.url, optional=True)
        if problem:
            return f"image url {problem}"
    for attachment in item.attachments:
        problem = url_problem(attachment.url)
        if problem:
            return f"attachment url {problem}"
    return None


def validate(item: Article, min_body_chars: int = 20, max_body_chars: int = MAX_BODY_CHARS) -> str | None:
    """Why an article is not valid, or None: its fields are malformed, or it has no article to store."""
    problem = malformed(item)
    if problem:
        return problem
    if not normalize_space(item.title):
        return "missing title"
    if len(item.title) > MAX_TITLE_CHARS:
        return f"title longer than {MAX_TITLE_CHARS} characters"
    body_chars = len(normalize_space(item.body))
    if body_chars < min_body_chars:
        return f"body shorter than {min_body_chars} characters"
    if body_chars > max_body_chars:
        return f"body of {body_chars:,} characters is over the limit of {max_body_chars:,} (FOODNEWS_MAX_BODY_CHARS)"
    return None


def reject_problem(reject: Reject) -> str | None:
    """Why a reject record's fields are not in their documented formats, or None."""
    problem = url_problem(reject.url)
    if problem:
        return f"url {problem}"
    if not isinstance(reject.source, str) or not SLUG.fullmatch(reject.source):
        return f"source is not a slug: {str(reject.source)[:70]!r}"
    if not isinstance(reject.reason, str) or _BAD_CHARS.search(reject.reason):
        return "reason is not a line of text"
    if reject.http_status is not None and (not isinstance(reject.http_status, int)
                                           or not 100 <= reject.http_status <= 999):
        return f"http_status is not an HTTP status: {reject.http_status!r}"
    return None


class ValidationPipeline:
    """Turns invalid articles into rejects; trims stray whitespace from single-line fields."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.min_body = crawler.settings.getint("FOODNEWS_MIN_BODY_CHARS", 20)
        self.max_body = crawler.settings.getint("FOODNEWS_MAX_BODY_CHARS", MAX_BODY_CHARS)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ValidationPipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, Article):
            return item
        item.title = normalize_space(item.title)
        item.authors = [a for a in (normalize_space(a) for a in item.authors) if a]
        reason = validate(item, self.min_body, self.max_body)
        if reason:
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value("validation/rejected")
            return Reject(url=item.url, reason=f"invalid item: {reason}", source=item.source)
        return item


class ArchivePipeline:
    """Writes articles and rejects into the archive at ``FOODNEWS_DB``; records the crawl run.

    Stats: ``archive/new``, ``archive/changed``, ``archive/unchanged``, ``archive/rejected`` (stored),
    ``archive/lost`` (not stored because the archive failed) and ``archive/error`` (why, one line).
    """

    def __init__(self, crawler: Crawler, path: str):
        self.crawler = crawler
        self.path = path
        self.timeout = crawler.settings.getfloat("FOODNEWS_DB_TIMEOUT", 60.0)
        self.archive: Any = None
        self.run_id: int | None = None
        self.counts = {"new": 0, "changed": 0, "unchanged": 0, "rejected": 0, "lost": 0}
        self.error: str | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivePipeline:
        path = crawler.settings.get("FOODNEWS_DB")
        if not path:
            raise NotConfigured("FOODNEWS_DB is empty: items are not archived")
        pipeline = cls(crawler, path)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def open_spider(self) -> None:
        """Open the archive and record the run; a crawl whose items could not be stored does not start."""
        from archive.store import Archive, ArchiveError

        spider = self.crawler.spider
        assert spider is not None
        try:
            self.archive = Archive(self.path, timeout=self.timeout)
            for source in of_spider(spider.name):
                self.archive.register_source(**source.row())
            self.run_id = self.archive.start_run(spider.name)
        except ArchiveError as exc:
            self._fail(exc, stop=False)
            if self.archive is not None:
                self.archive.close()
                self.archive = None
            raise CloseSpider("failed") from None

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, Article | Reject):
            return item
        from archive.store import ArchiveError

        if self.error is None:
            try:
                self._count(self.archive.store(item, self.run_id))
                return item
            except ArchiveError as exc:
                if not exc.fatal:
                    # This item's own problem: it is kept as a reject, and the crawl goes on.
                    logger.error("cannot store %s: %s", item.url, exc)
                    try:
                        reject = Reject(url=item.url, reason=f"cannot store: {exc}"[:500], source=item.source)
                        self._count(self.archive.store(reject, self.run_id))
                        return item
                    except ArchiveError as again:
                        exc = again
                self._fail(exc)
        self._count("lost")
        return item

    def _count(self, outcome: str) -> None:
        self.counts[outcome] += 1
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"archive/{outcome}")

    def _fail(self, exc: Exception, stop: bool = True) -> None:
        """The archive can take no more items: say why once, and stop the crawl."""
        if self.error is not None:
            return
        self.error = str(exc)
        assert self.crawler.stats is not None
        self.crawler.stats.set_value("archive/error", self.error)
        self.crawler.stats.set_value("archive/cause", getattr(exc, "cause", type(exc).__name__))
        logger.error("%s: %s", "stopping the crawl" if stop else "not starting the crawl", self.error)
        if stop and self.crawler.engine is not None:
            deferred_from_coro(self.crawler.engine.close_spider_async(reason="failed"))

    def spider_closed(self, spider: Spider, reason: str) -> None:
        """Close the run with Scrapy's finish reason ('finished', 'shutdown', 'closespider_*'), or 'failed'."""
        from archive.store import ArchiveError

        if self.archive is None:
            return
        stats = self.crawler.stats
        assert stats is not None
        try:
            if self.run_id is not None:
                self.archive.finish_run(
                    self.run_id,
                    "failed" if self.error else reason,
                    error=self.error,
                    pages_fetched=stats.get_value("response_received_count", 0),
                    items_new=self.counts["new"],
                    items_changed=self.counts["changed"],
                    items_unchanged=self.counts["unchanged"],
                    items_rejected=self.counts["rejected"],
                    items_lost=self.counts["lost"],
                )
        except ArchiveError as exc:
            stats.set_value("archive/unrecorded", str(exc))
            logger.error("cannot record the end of run %s: %s", self.run_id, exc)
        finally:
            self.archive.close()
            self.archive = None
