"""Item pipelines: validate and normalise, then write into the SQLite archive.

Nothing is dropped silently: an item that fails validation becomes a `Reject` with the reason and is
stored in the ``rejects`` table like a page that could not be parsed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from crawler.extract.text import normalize_space
from crawler.items import Article, Reject


def validate(item: Article, min_body_chars: int = 20) -> str | None:
    """Why an article is not valid, or None. Checks what every consumer of the archive relies on."""
    if not item.url or not item.url.startswith(("http://", "https://")):
        return f"invalid url: {item.url!r}"
    if not normalize_space(item.title):
        return "missing title"
    if len(normalize_space(item.body)) < min_body_chars:
        return f"body shorter than {min_body_chars} characters"
    if item.published:
        try:
            parsed = datetime.fromisoformat(item.published)
        except ValueError:
            return f"published is not ISO 8601: {item.published!r}"
        if parsed.tzinfo is None:
            return f"published has no UTC offset: {item.published!r}"
    return None


class ValidationPipeline:
    """Turns invalid articles into rejects; trims stray whitespace from single-line fields."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.min_body = crawler.settings.getint("FOODNEWS_MIN_BODY_CHARS", 20)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ValidationPipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, Article):
            return item
        item.title = normalize_space(item.title)
        item.authors = [a for a in (normalize_space(a) for a in item.authors) if a]
        reason = validate(item, self.min_body)
        if reason:
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value("validation/rejected")
            return Reject(url=item.url, reason=f"invalid item: {reason}", source=item.source)
        return item


class ArchivePipeline:
    """Writes articles and rejects into the archive at ``FOODNEWS_DB``; records the crawl run."""

    def __init__(self, crawler: Crawler, path: str):
        self.crawler = crawler
        self.path = path
        self.archive: Any = None
        self.run_id: int | None = None
        self.counts = {"new": 0, "changed": 0, "unchanged": 0, "rejected": 0}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivePipeline:
        path = crawler.settings.get("FOODNEWS_DB")
        if not path:
            raise NotConfigured("FOODNEWS_DB is empty: items are not archived")
        pipeline = cls(crawler, path)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def open_spider(self) -> None:
        from archive.store import Archive

        spider = self.crawler.spider
        assert spider is not None
        self.archive = Archive(self.path)
        self.archive.register_source(
            spider.name,
            name=getattr(spider, "site_name", spider.name),
            publisher=getattr(spider, "publisher", None),
            homepage=getattr(spider, "homepage", None),
            country=getattr(spider, "country", None),
            language=getattr(spider, "language", None),
        )
        self.run_id = self.archive.start_run(spider.name)

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, Article | Reject):
            return item
        outcome = self.archive.store(item, self.run_id)
        self.counts[outcome] += 1
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"archive/{outcome}")
        return item

    def spider_closed(self, spider: Spider, reason: str) -> None:
        """Close the run with Scrapy's finish reason ('finished', 'shutdown', 'closespider_*')."""
        if self.archive is None:
            return
        stats = self.crawler.stats
        assert stats is not None and self.run_id is not None
        self.archive.finish_run(
            self.run_id,
            reason,
            pages_fetched=stats.get_value("response_received_count", 0),
            items_new=self.counts["new"],
            items_changed=self.counts["changed"],
            items_unchanged=self.counts["unchanged"],
            items_rejected=self.counts["rejected"],
        )
        self.archive.close()
        self.archive = None
