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
from urllib.parse import urlsplit

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider, NotConfigured
from scrapy.utils.defer import deferred_from_coro

from crawler.extract.text import normalize_space
from crawler.health import RunTally, problems
from crawler.items import Article, Attachment, Rechecked, Reject
from crawler.sources import SLUG, Source, for_url, of_spider, registry, source

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
    try:
        host = urlsplit(url).hostname
    except ValueError as exc:
        return f"is not a URL ({exc}): {url[:60]!r}"
    return None if host else f"has no host: {url[:60]!r}"


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
    texts = [
        (f, getattr(item, f))
        for f in (
            "title",
            "body",
            "body_html",
            "editor",
            "organization",
            "published_raw",
            "language",
            "page_sha256",
            "etag",
            "last_modified",
        )
    ]
    texts += [("authors", a) for a in item.authors] + [("notes", n) for n in item.notes]
    texts += [("images", t) for i in item.images for t in (i.caption, i.credit)]
    texts += [("attachments", t) for a in item.attachments for t in (a.title, a.media_type, a.error)]
    if item.alert is not None:
        alert = item.alert
        texts += [("alert", t) for t in (alert.notation, alert.status, alert.reporting_business)]
        texts += [("alert", t) for t in (alert.risk_statement, *alert.allergens, *alert.countries)]
    return [(name, text) for name, text in texts if text]


def malformed(item: Article) -> str | None:
    """Why an article's fields are not in their documented formats, or None.

    URLs http(s) without spaces or control characters, a slug for the source, no control characters or
    lone surrogates in any text, ISO 8601 times with an offset. An item that fails this was not made by
    the engine (an edited or foreign JSON Lines file, say): ``foodnews import`` reports its line.
    """
    for name, url, optional in (
        ("url", item.url, False),
        ("canonical_url", item.canonical_url or None, True),
    ):
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
    records: list[Article | Attachment] = [item, *item.attachments]
    for record in records:
        warc_problem = _warc_problem(record.warc_file, record.warc_offset)
        if warc_problem:
            return warc_problem
    for attachment in item.attachments:
        problem = url_problem(attachment.url) or _kept_file_problem(attachment)
        if problem:
            return (
                f"attachment {problem}"
                if not problem.startswith(("sha256", "size", "path", "workbooks"))
                else problem
            )
    if item.alert is not None and (
        not isinstance(item.alert.notation, str) or not item.alert.notation.strip()
    ):
        return "alert has no notation"
    return None


#: Where an attachment's file is kept, relative to the files folder (crawler/files.py).
KEPT_PATH = re.compile(r"sha256/[0-9a-f]{2}/[0-9a-f]{64}(\.[a-z0-9]{1,8})?")


#: A WARC file's name as `crawler.warc.WarcWriter` makes it (a bare name: it is looked up in the warc folder).
WARC_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,200}\.warc\.gz")


def _warc_problem(name: Any, offset: Any) -> str | None:
    if name is None and offset is None:
        return None
    if not isinstance(name, str) or not WARC_NAME.fullmatch(name):
        return f"warc_file is not the name of a WARC file: {str(name)[:60]!r}"
    if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
        return f"warc_offset is not a byte offset: {str(offset)[:20]!r}"
    return None


def _kept_file_problem(attachment: Attachment) -> str | None:
    if attachment.sha256 is not None and not re.fullmatch(r"[0-9a-f]{64}", str(attachment.sha256)):
        return "sha256 of an attachment is not 64 hex digits"
    if attachment.size is not None and (not isinstance(attachment.size, int) or attachment.size < 0):
        return "size of an attachment is not a byte count"
    if attachment.path is not None and not KEPT_PATH.fullmatch(str(attachment.path)):
        return f"path of an attachment is not a kept file's path: {str(attachment.path)[:60]!r}"
    return _workbooks_problem(attachment.workbooks)


#: What an entry of ``Attachment.workbooks`` holds besides its failed rows (crawler/workbooks.py).
_SHEET_FIELDS = {
    "workbook": str,
    "sheet": str,
    "status": str,
    "reason": str,
    "failed_samples": int,
    "passed_samples": int,
}


def _workbooks_problem(workbooks: list[Any]) -> str | None:
    """An imported attachment's workbooks must be what the reader gives: texts, counts, and failed rows of
    texts (and a row number), so that nothing else reaches the archive's tables."""
    for sheet in workbooks:
        if not isinstance(sheet, dict) or not isinstance(sheet.get("failed", []), list):
            return "workbooks of an attachment are not sheets"
        for key, kind in _SHEET_FIELDS.items():
            value = sheet.get(key)
            if value is not None and (not isinstance(value, kind) or isinstance(value, bool)):
                return f"workbooks of an attachment: {key} is not a {kind.__name__}"
        for row in sheet.get("failed", []):
            if not isinstance(row, dict) or not all(
                v is None or isinstance(v, str) or (k == "row" and isinstance(v, int)) for k, v in row.items()
            ):
                return "workbooks of an attachment: a failed row holds other than text"
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
    if reject.http_status is not None and (
        not isinstance(reject.http_status, int) or not 100 <= reject.http_status <= 999
    ):
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


def _crawled_sources(spider: Spider) -> list[Source]:
    """The sources this crawl visits: those of its start URLs (a family spider's crawl of three bureaus is
    three runs, not one per bureau of the family), else every source of the spider."""
    starts = getattr(spider, "starts", None)
    found = [source for _, source in starts()] if starts else of_spider(spider.name)
    return list({s.slug: s for s in found}.values())


class ArchivePipeline:
    """Writes articles and rejects into the archive at ``FOODNEWS_DB``; records a run per source.

    Every source of the spider gets its row in ``sources`` and a run in ``crawl_runs``, closed with its
    counts and checked against the source's expectations (`crawler.health`). Stats: ``archive/new``,
    ``archive/changed``, ``archive/unchanged``, ``archive/rejected`` (stored), ``archive/lost`` (not stored
    because the archive failed), ``archive/error`` (why, one line), ``archive/cause``, and
    ``health/failed`` (each source whose run missed its expectations, with why).
    """

    def __init__(self, crawler: Crawler, path: str):
        self.crawler = crawler
        self.path = path
        self.timeout = crawler.settings.getfloat("FOODNEWS_DB_TIMEOUT", 60.0)
        self.archive: Any = None
        self.runs: dict[str, int] = {}
        self.tallies: dict[str, RunTally] = {}
        self.error: str | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivePipeline:
        path = crawler.settings.get("FOODNEWS_DB")
        if not path:
            raise NotConfigured("FOODNEWS_DB is empty: items are not archived")
        pipeline = cls(crawler, path)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(pipeline.response_received, signal=signals.response_received)
        return pipeline

    def open_spider(self) -> None:
        """Open the archive and record a run per source; a crawl whose items could not be stored does not start."""
        from archive.store import Archive, ArchiveError

        spider = self.crawler.spider
        assert spider is not None
        try:
            self.archive = Archive(self.path, timeout=self.timeout)
            # Every source of the registry has its row, crawled yet or not (a family's bureaus too).
            self.archive.register_sources([s.row() for s in registry().values()])
            crawled: list[Source | None] = [*_crawled_sources(spider)]
            for source in crawled or [None]:
                slug = source.slug if source else spider.name
                self.runs[slug] = self.archive.start_run(spider.name, slug)
                self.tallies[slug] = RunTally()
        except ArchiveError as exc:
            assert self.crawler.stats is not None
            self.crawler.stats.set_value("archive/runs", len(self.runs) + bool(exc.recorded_run))
            if exc.unclosed_run:
                self.crawler.stats.set_value("archive/unclosed_run", exc.unclosed_run)
            self._fail(exc, stop=False)
            if self.archive is not None:
                for run in self.runs.values():  # those already started: the crawl does not run
                    self._finish(run, "failed", str(exc), RunTally())
                self.archive.close()
                self.archive = None
            raise CloseSpider("failed") from None
        assert self.crawler.stats is not None
        self.crawler.stats.set_value("archive/runs", len(self.runs))
        self.crawler.stats.set_value("archive/run_ids", list(self.runs.values()))

    def _slug(self, source: str | None) -> str:
        """The run an item or page counts towards: its source's, else the spider's first."""
        return source if source in self.runs else next(iter(self.runs))

    def response_received(self, response: Any, request: Any, spider: Any = None) -> None:
        """Count a response towards its source's run (robots.txt, asked by Scrapy, by its host's source)."""
        if self.runs:
            slug = request.meta.get("source")
            if slug is None:
                found = for_url(request.url)
                slug = found.slug if found else None
            self.tallies[self._slug(slug)].pages += 1

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, Article | Reject | Rechecked):
            return item
        from archive.store import ArchiveError

        if self.error is None:
            try:
                self._count(item, self.archive.store(item, self.runs[self._slug(item.source)]))
                return item
            except ArchiveError as exc:
                if not exc.fatal:
                    # This item's own problem: it is kept as a reject, and the crawl goes on.
                    logger.error("cannot store %s: %s", item.url, exc)
                    try:
                        reject = Reject(url=item.url, reason=f"cannot store: {exc}"[:500], source=item.source)
                        self._count(reject, self.archive.store(reject, self.runs[self._slug(item.source)]))
                        return item
                    except ArchiveError as again:
                        exc = again
                self._fail(exc)
        self._count(item, "lost")
        return item

    def _count(self, item: Article | Reject | Rechecked, outcome: str) -> None:
        tally = self.tallies[self._slug(item.source)] if self.tallies else RunTally()
        if isinstance(item, Article) and outcome in ("new", "changed", "unchanged"):
            tally.article(item, outcome)
        elif isinstance(item, Rechecked) and outcome == "unchanged":
            tally.outcomes["not_modified"] += 1
        else:
            tally.outcomes[outcome] += 1
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

    def _finish(self, run: int, status: str, error: str | None, tally: RunTally) -> None:
        self.archive.finish_run(
            run,
            status,
            error=error,
            pages_fetched=tally.pages,
            items_new=tally.outcomes["new"],
            items_changed=tally.outcomes["changed"],
            items_unchanged=tally.outcomes["unchanged"] + tally.outcomes["not_modified"],
            items_rejected=tally.outcomes["rejected"],
            items_lost=tally.outcomes["lost"],
            items_removed=tally.outcomes["removed"],
            items_skipped=tally.skipped,
        )

    def spider_closed(self, spider: Spider, reason: str) -> None:
        """Close each source's run: 'failed' when the archive failed or the source missed its expectations,
        else Scrapy's finish reason ('finished', 'shutdown', 'closespider_*')."""
        from archive.store import ArchiveError

        if self.archive is None:
            return
        stats = self.crawler.stats
        assert stats is not None
        unhealthy = []
        try:
            for slug, run in self.runs.items():
                tally = self.tallies[slug]
                tally.skipped = stats.get_value(f"incremental/skipped/{slug}", 0)
                missed = problems(source(slug), tally, stats.get_stats()) if slug in registry() else []
                unkept = stats.get_value("warc/failed", 0)
                if self.error:
                    status, error = "failed", self.error
                elif unkept:
                    status = "failed"
                    error = f"{unkept} responses could not be kept as WARC records ({stats.get_value('warc/error')})"
                elif missed and reason == "finished":
                    status, error = "failed", "expectations not met: " + "; ".join(missed)
                    unhealthy.append(f"{slug}: {'; '.join(missed)}")
                    logger.error("%s: %s", slug, error)
                else:
                    status, error = reason, None
                self._finish(run, status, error, tally)
        except ArchiveError as exc:
            stats.set_value("archive/unrecorded", str(exc))
            logger.error("cannot record the end of the crawl's runs: %s", exc)
        finally:
            if unhealthy:
                stats.set_value("health/failed", " | ".join(unhealthy))
            self.archive.close()
            self.archive = None
