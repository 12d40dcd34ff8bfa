"""Writing items into the archive: idempotent upserts keyed on the canonical URL, revisions kept.

One `Archive` is the single writer of a database file. Each item is committed in its own transaction in
WAL mode, so a crawl killed at any moment leaves every item stored before it and an intact database.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

from sqlite_utils import Database

from archive import search
from archive.schema import migrate
from crawler.items import Article, Reject


def utc_now() -> str:
    """The current time as ISO 8601 UTC, to the second."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def article_id(canonical_url: str) -> str:
    """Deterministic id of an article: the first 16 hex digits of SHA-256 of its canonical URL."""
    return hashlib.sha256(canonical_url.encode("utf-8")).hexdigest()[:16]


def content_sha256(title: str, body: str) -> str:
    """Hash of what a revision tracks: the title and the body text."""
    return hashlib.sha256(f"{title}\n\n{body}".encode()).hexdigest()


class Archive:
    """The SQLite archive at ``path``, created or migrated on open."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if self.path.parent and not self.path.parent.exists():
            self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(self.path), timeout=30)
        self.db = Database(conn)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        migrate(self.db)

    def close(self) -> None:
        """Checkpoint the WAL into the main file and close."""
        try:
            self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            self.db.conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- sources and runs -----------------------------------------------------------------------------

    def register_source(self, slug: str, **fields: Any) -> None:
        """Insert or update a source's identity (name, publisher, homepage, country, language)."""
        with self.db.atomic():
            self.db["sources"].upsert({"slug": slug, **fields}, pk="slug")

    def _ensure_source(self, slug: str) -> None:
        if not self.db.execute("select 1 from sources where slug = ?", [slug]).fetchone():
            self.db["sources"].insert({"slug": slug, "name": slug})

    def start_run(self, spider: str) -> int:
        """Record the start of a crawl; returns the run's id."""
        with self.db.atomic():
            table = self.db["crawl_runs"].insert({"spider": spider, "started": utc_now(), "status": "running"})
        return int(table.last_pk)

    def finish_run(self, run_id: int, status: str, **counts: int) -> None:
        """Record how a crawl ended (Scrapy's finish reason) and its counts."""
        with self.db.atomic():
            self.db["crawl_runs"].update(run_id, {"finished": utc_now(), "status": status, **counts})

    # --- items ----------------------------------------------------------------------------------------

    def store_article(self, item: Article, run_id: int | None = None) -> str:
        """Upsert one article; returns 'new', 'changed' (a revision was added) or 'unchanged'."""
        canonical = item.canonical_url or item.url
        aid = article_id(canonical)
        now = item.fetched_at or utc_now()
        digest = content_sha256(item.title, item.body)
        row = {
            "id": aid,
            "canonical_url": canonical,
            "url": item.url,
            "source": item.source,
            "title": item.title,
            "authors": json.dumps(item.authors, ensure_ascii=False),
            "editor": item.editor,
            "organization": item.organization,
            "published": item.published,
            "published_precision": item.published_precision,
            "published_raw": item.published_raw,
            "published_month": item.published[:7] if item.published else None,
            "body": item.body,
            "body_html": item.body_html,
            "language": item.language,
            "last_seen": now,
            "fetched_at": now,
            "page_sha256": item.page_sha256,
            "content_sha256": digest,
            "notes": json.dumps(item.notes, ensure_ascii=False),
        }
        with self.db.atomic():
            self._ensure_source(item.source)
            old = self.db.execute(
                "select title, body, content_sha256, revision from articles where id = ?", [aid]
            ).fetchone()
            if old is None:
                outcome, revision, changed = "new", 1, ["title", "body"]
                self.db["articles"].insert({**row, "first_seen": now, "revision": revision})
                search.index_row(self.db.conn, self._rowid(aid), item.title, item.body)
            else:
                old_title, old_body, old_digest, revision = old
                if old_digest == digest:
                    outcome, changed = "unchanged", []
                else:
                    outcome, revision = "changed", revision + 1
                    changed = [f for f, a, b in (("title", old_title, item.title), ("body", old_body, item.body))
                               if a != b]
                self.db["articles"].update(aid, {**row, "revision": revision})
                if changed:
                    # The index is contentless: it forgets the old text only when given it back.
                    rowid = self._rowid(aid)
                    search.unindex_row(self.db.conn, rowid, old_title, old_body)
                    search.index_row(self.db.conn, rowid, item.title, item.body)
            if changed:
                self.db["revisions"].insert({
                    "article_id": aid,
                    "revision": revision,
                    "fetched_at": now,
                    "changed": json.dumps(changed),
                    "title": item.title,
                    "body": item.body,
                    "body_html": item.body_html,
                    "content_sha256": digest,
                    "page_sha256": item.page_sha256,
                })
            self._replace_children("images", aid, [
                {"url": i.url, "caption": i.caption, "credit": i.credit} for i in item.images
            ])
            self._replace_children("attachments", aid, [{"url": a.url, "title": a.title} for a in item.attachments])
            # The page parses now: it is no longer a problem to report.
            self.db.execute("delete from rejects where spider = ? and url = ?", [item.source, item.url])
        return outcome

    def _rowid(self, aid: str) -> int:
        return int(self.db.execute("select rowid from articles where id = ?", [aid]).fetchone()[0])

    def _replace_children(self, table: str, aid: str, rows: list[dict[str, Any]]) -> None:
        current = [
            dict(r) for r in self.db.query(
                f"select * from [{table}] where article_id = ? order by position", [aid]
            )
        ]
        wanted = [{"article_id": aid, "position": i, **r} for i, r in enumerate(rows)]
        if current == wanted:
            return
        self.db.execute(f"delete from [{table}] where article_id = ?", [aid])
        if wanted:
            self.db[table].insert_all(wanted)

    def store_reject(self, reject: Reject, run_id: int | None = None) -> None:
        """Record a page that could not become an article; a page rejected again keeps one row."""
        now = utc_now()
        spider = reject.source or "unknown"
        with self.db.atomic():
            old = self.db.execute(
                "select first_seen, times from rejects where spider = ? and url = ?", [spider, reject.url]
            ).fetchone()
            self.db["rejects"].upsert({
                "spider": spider,
                "url": reject.url,
                "reason": reject.reason,
                "http_status": reject.http_status,
                "at": now,
                "first_seen": old[0] if old else now,
                "times": (old[1] or 0) + 1 if old else 1,
                "run_id": run_id,
            }, pk=("spider", "url"))

    def store(self, item: Article | Reject, run_id: int | None = None) -> str:
        """Store either kind of item; returns 'new', 'changed', 'unchanged' or 'rejected'."""
        if isinstance(item, Reject):
            self.store_reject(item, run_id)
            return "rejected"
        return self.store_article(item, run_id)
