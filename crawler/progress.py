"""A live progress line per source while a crawl runs on an interactive terminal (``FOODNEWS_PROGRESS``).

`foodnews crawl` and `foodnews demo` turn it on when standard error is a terminal; under cron, systemd or a
pipe there is nothing but the log and the summary. tqdm draws the lines (a small, maintained library that
keeps several lines in place and degrades to nothing when switched off): pages fetched, items stored and
held articles not fetched again, per source, as they happen.
"""

from __future__ import annotations

import os
import sys
from itertools import count
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

#: Line positions, shared by the crawlers of one process (``foodnews crawl --all`` runs several).
_POSITIONS = count()


def _size() -> tuple[int, int]:
    """The terminal's columns and lines; 100 and 50 for one that does not say (a new pseudo-terminal is
    0 by 0, where tqdm draws nothing)."""
    try:
        size = os.get_terminal_size(sys.stderr.fileno())
        columns, lines = size.columns, size.lines
    except (OSError, ValueError):
        columns = lines = 0
    return (columns if columns >= 40 else 100), (lines if lines >= 5 else 50)


class Progress:
    """One tqdm line per source: its pages, items and held articles."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.bars: dict[str, Any] = {}
        self.items: dict[str, int] = {}
        crawler.signals.connect(self.response_received, signal=signals.response_received)
        crawler.signals.connect(self.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Progress:
        if not crawler.settings.getbool("FOODNEWS_PROGRESS"):
            raise NotConfigured("no progress display (FOODNEWS_PROGRESS is off)")
        return cls(crawler)

    def _bar(self, slug: str) -> Any:
        bar = self.bars.get(slug)
        if bar is None:
            from tqdm import tqdm

            columns, rows = _size()

            bar = self.bars[slug] = tqdm(
                desc=f"{slug:<16}",
                unit=" pages",
                position=next(_POSITIONS),
                file=sys.stderr,
                leave=True,
                ncols=columns,
                nrows=rows,
            )
            self.items[slug] = 0
        return bar

    def _slug(self, request: Any) -> str:
        slug = request.meta.get("source")
        spider = self.crawler.spider
        return str(slug or (spider.name if spider is not None else "?"))

    def _show(self, slug: str) -> None:
        stats = self.crawler.stats
        held = stats.get_value(f"incremental/skipped/{slug}", 0) if stats is not None else 0
        self._bar(slug).set_postfix_str(f"{self.items[slug]} items, {held} held", refresh=False)

    def response_received(self, response: Any, request: Any, spider: Any = None) -> None:
        slug = self._slug(request)
        self._bar(slug).update(1)
        self._show(slug)

    def item_scraped(self, item: Any, response: Any = None, spider: Any = None) -> None:
        slug = getattr(item, "source", None) or (
            self._slug(response.request) if response is not None else "?"
        )
        self._bar(slug)
        self.items[slug] += 1
        self._show(slug)

    def spider_closed(self, spider: Any = None) -> None:
        for slug, bar in self.bars.items():
            self._show(slug)
            bar.close()
