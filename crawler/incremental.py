"""Incremental crawls: what the archive already holds of a source decides what a re-crawl fetches.

A list page's links to articles the archive holds are not followed unless the article is due for a
re-check, and pagination stops after a source's ``known_pages`` list pages in a row whose articles are
all held (when the source's last run finished: after a killed or failed one, every list page is read). How often an article is re-checked depends on its age (a notice edited the day after it was
published is common, a year after rare): every ``share`` of its age, at least ``min_interval`` and at
most ``max_interval`` apart. A re-check is a conditional request (``If-None-Match`` /
``If-Modified-Since`` from the validators the server sent last time): ``304 Not Modified`` costs the
server no page and the archive no revision; ``404``/``410`` marks the article withdrawn (its content is
kept).

Settings: ``FOODNEWS_INCREMENTAL`` (default on; off fetches everything, as a first crawl does),
``FOODNEWS_RECHECK_MIN_HOURS`` (6), ``FOODNEWS_RECHECK_MAX_DAYS`` (30), ``FOODNEWS_RECHECK_SHARE`` (0.25).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

#: Statuses of a re-checked article that are not errors: not modified, and withdrawn.
NOT_MODIFIED = 304
GONE = (404, 410)


@dataclass(frozen=True)
class Schedule:
    """When a held article is fetched again: every ``share`` of its age, within the bounds."""

    min_interval: timedelta = timedelta(hours=6)
    max_interval: timedelta = timedelta(days=30)
    share: float = 0.25

    def interval(self, age: timedelta) -> timedelta:
        return min(self.max_interval, max(self.min_interval, age * self.share))

    def due(self, now: datetime, checked: datetime, born: datetime) -> bool:
        """Whether an article first published (or first seen) at ``born`` and last fetched at ``checked`` is
        to be fetched again at ``now``."""
        return now - checked >= self.interval(now - born)


@dataclass(frozen=True)
class Held:
    """What the archive holds of one article URL."""

    checked: datetime
    born: datetime
    etag: str | None
    last_modified: str | None
    removed: bool


def _time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


class Known:
    """The articles (and rejected pages) the archive at ``path`` holds, read once per source, when the
    crawl first meets one of its links. An archive that does not exist yet holds nothing."""

    def __init__(self, path: str | Path | None, schedule: Schedule, enabled: bool = True):
        self.path = Path(path) if path else None
        self.schedule = schedule
        self.enabled = enabled and self.path is not None
        self._articles: dict[str, dict[str, Held]] = {}
        self._rejected: dict[str, set[str]] = {}
        self._complete: dict[str, bool] = {}

    @classmethod
    def from_settings(cls, settings: Any) -> Known:
        return cls(
            settings.get("FOODNEWS_DB"),
            Schedule(
                min_interval=timedelta(hours=settings.getfloat("FOODNEWS_RECHECK_MIN_HOURS", 6)),
                max_interval=timedelta(days=settings.getfloat("FOODNEWS_RECHECK_MAX_DAYS", 30)),
                share=settings.getfloat("FOODNEWS_RECHECK_SHARE", 0.25),
            ),
            enabled=settings.getbool("FOODNEWS_INCREMENTAL", True),
        )

    def _load(self, source: str) -> None:
        articles: dict[str, Held] = {}
        rejected: set[str] = set()
        complete = False
        if self.enabled and self.path is not None and self.path.is_file():
            # Read-only, and only what a decision needs: the crawl's own writer is the archive pipeline.
            conn = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, timeout=60)
            try:
                columns = {row[1] for row in conn.execute("pragma table_info(articles)")}
                if "removed_at" in columns:  # an archive the crawl has not migrated yet holds no validators
                    for url, canonical, seen, published, first, etag, modified, removed in conn.execute(
                        "select url, canonical_url, last_seen, published, first_seen, etag, last_modified,"
                        " removed_at from articles where source = ?",
                        [source],
                    ):
                        checked = _time(seen) or _time(first)
                        if checked is None:
                            continue
                        held = Held(
                            checked,
                            _time(published) or _time(first) or checked,
                            etag,
                            modified,
                            bool(removed),
                        )
                        articles[url] = articles[canonical] = held
                rejected = {r[0] for r in conn.execute("select url from rejects where source = ?", [source])}
                last = conn.execute(
                    "select status from crawl_runs where coalesce(source, spider) = ? and status != 'running'"
                    " order by id desc limit 1",
                    [source],
                ).fetchone()
                complete = last is not None and last[0] == "finished"
            except sqlite3.DatabaseError:
                articles, rejected = {}, set()  # not an archive: the pipeline says so, and stops the crawl
            finally:
                conn.close()
        self._articles[source] = articles
        self._rejected[source] = rejected
        self._complete[source] = complete

    def complete(self, source: str) -> bool:
        """Whether the source's last run before this one finished: only then does a list page whose
        articles are all held say that the pages after it are held too (a killed or failed run may have
        stored the first page of a list and never reached the others)."""
        if source not in self._complete:
            self._load(source)
        return self._complete[source]

    def held(self, source: str, url: str) -> Held | None:
        if source not in self._articles:
            self._load(source)
        return self._articles[source].get(url)

    def seen_before(self, source: str, url: str) -> bool:
        """Whether the archive holds the URL as an article or a rejected page."""
        if source not in self._rejected:
            self._load(source)
        return url in self._articles[source] or url in self._rejected[source]

    def fresh(self, source: str, url: str, now: datetime | None = None) -> bool:
        """Whether the article at ``url`` is held and not yet due for a re-check (a withdrawn one is
        re-checked like any other: it may come back)."""
        held = self.held(source, url)
        return held is not None and not self.schedule.due(now or datetime.now(UTC), held.checked, held.born)
