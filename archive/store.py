"""Writing items into the archive: idempotent upserts keyed on the canonical URL, revisions kept.

One `Archive` is one writer of a database file. Each item is committed in its own transaction in WAL mode,
so a crawl killed at any moment leaves every item stored before it and an intact database. Every write
transaction takes SQLite's write lock up front (``BEGIN IMMEDIATE``) and waits up to ``timeout`` seconds
for it, so that several writers (two crawls, a crawl and an import) take turns instead of failing.

A write that fails raises `ArchiveError` naming the cause ('disk full', 'read-only', 'locked', ...);
`ArchiveError.fatal` tells a failure of the archive itself, after which no later write can succeed, from a
problem with one item.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import socket
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import fields
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Self

from sqlite_utils import Database

from archive import search
from archive.schema import INSPECTION_COLUMNS, INSPECTION_ORIGIN, migrate, migrations
from crawler.items import Alert, Article, Attachment, Image, Rechecked, Reject
from crawler.workbooks import stated_failures

#: The columns a replaced row keeps of a failed row (its id as ``result_id``).
_KEPT_COLUMNS = ", ".join([*INSPECTION_ORIGIN, *INSPECTION_COLUMNS])
#: What ``inspection_workbooks`` holds of each sheet read, as ``Attachment.workbooks`` gives it.
_SHEET_KEYS = ("workbook", "sheet", "status", "reason", "failed_samples", "passed_samples")
#: The names a search of the failed rows finds: who made it, what it is, who sold it, what failed.
SEARCHED_COLUMNS = (
    "producer",
    "product",
    "brand",
    "sampled_business",
    "failed_item",
    "category",
    "producer_address",
    "sampled_address",
    "testing_institution",
)

#: Seconds a write waits for another writer's lock before it fails as 'locked' (``FOODNEWS_DB_TIMEOUT``).
DEFAULT_TIMEOUT = float(os.environ.get("FOODNEWS_DB_TIMEOUT") or 60)
#: Free space below which an I/O error is taken for a full disk (SQLite reports some of those as I/O errors,
#: e.g. when it cannot grow the WAL's index file).
LOW_SPACE = 1024 * 1024
#: Bytes kept free beside the archive while a run is open, so that a full disk can still record the
#: run's failure: enough for the few pages that updating one crawl_runs row writes.
RESERVE_BYTES = 256 * 1024
HOST = socket.gethostname()

# SQLite's primary result codes (the low byte of an extended code) that mean the archive itself failed.
_FATAL = {
    sqlite3.SQLITE_PERM: "read-only",
    sqlite3.SQLITE_BUSY: "locked",
    sqlite3.SQLITE_LOCKED: "locked",
    sqlite3.SQLITE_NOMEM: "out of memory",
    sqlite3.SQLITE_READONLY: "read-only",
    sqlite3.SQLITE_IOERR: "I/O error",
    sqlite3.SQLITE_CORRUPT: "corrupt",
    sqlite3.SQLITE_FULL: "disk full",
    sqlite3.SQLITE_CANTOPEN: "cannot open",
    sqlite3.SQLITE_NOTADB: "not a database",
}
_ERRNO = {
    errno.ENOSPC: "disk full",
    errno.EDQUOT: "disk full",
    errno.EROFS: "read-only",
    errno.EACCES: "read-only",
    errno.EPERM: "read-only",
}


class ArchiveError(Exception):
    """The archive could not be opened or written.

    ``cause`` names the problem in a few words ('disk full', 'read-only', 'locked', 'I/O error', 'corrupt',
    'not a database', 'not a foodnews archive', 'busy', ...); ``fatal`` is true when the archive itself
    failed (no later write can be expected to succeed), false for a problem with the item being written.
    """

    def __init__(self, cause: str, path: str | Path, detail: str = "", fatal: bool = True):
        super().__init__(f"{cause}: {path}" + (f" ({detail})" if detail else ""))
        self.cause = cause
        self.fatal = fatal
        #: The run this failure was recorded in as ``failed``, when it was.
        self.recorded_run: int | None = None
        #: a run whose start was recorded, but not its failure (the disk filled in between)
        self.unclosed_run: int | None = None


class SourceBusy(ArchiveError):
    """Another live process is crawling the same source into the same archive."""

    def __init__(self, path: str | Path, detail: str):
        super().__init__("busy", path, detail)


def archive_error(exc: BaseException, path: str | Path) -> ArchiveError:
    """The `ArchiveError` for an exception raised by SQLite or the file system while using ``path``."""
    if isinstance(exc, ArchiveError):
        return exc
    if isinstance(exc, sqlite3.Error):
        code = getattr(exc, "sqlite_errorcode", None)
        cause = _FATAL.get(code & 0xFF) if isinstance(code, int) else None
        if cause == "cannot open" and _read_only(Path(path)):
            cause = "read-only"  # SQLite could not create the WAL's index file beside it
        elif cause == "I/O error" and _free_bytes(Path(path)) < LOW_SPACE:
            cause = "disk full"
        elif cause is None and "Could not decode" in str(exc):
            cause = "corrupt"  # text that is not UTF-8 where the archive only ever wrote UTF-8
        if cause is None and isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
            cause = "locked"
        if cause:
            return ArchiveError(cause, path, str(exc))
        return ArchiveError("cannot store the item", path, f"{type(exc).__name__}: {exc}", fatal=False)
    if isinstance(exc, OSError):
        return ArchiveError(_ERRNO.get(exc.errno or 0, "cannot write"), path, exc.strerror or str(exc))
    return ArchiveError("cannot store the item", path, f"{type(exc).__name__}: {exc}", fatal=False)


def _free_bytes(path: Path) -> int:
    """Bytes free for a writer on the file system of ``path``'s folder (a large number when unknown)."""
    try:
        st = os.statvfs(path.parent)
    except OSError:
        return 2**62
    return st.f_bavail * st.f_frsize


def _read_only(path: Path) -> bool:
    """Whether the file, or the folder it is in, cannot be written (a read-only mount or permissions)."""
    folder = path.parent
    try:
        if os.statvfs(folder).f_flag & os.ST_RDONLY:
            return True
    except OSError:
        return False
    return not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK))


def utc_now() -> str:
    """The current time as ISO 8601 UTC, to the second."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def article_id(canonical_url: str) -> str:
    """Deterministic id of an article: the first 16 hex digits of SHA-256 of its canonical URL."""
    return hashlib.sha256(canonical_url.encode("utf-8")).hexdigest()[:16]


def content_sha256(title: str, body: str) -> str:
    """Hash of what a revision tracks: the title and the body text."""
    return hashlib.sha256(f"{title}\n\n{body}".encode()).hexdigest()


def _process_started(pid: int) -> datetime | None:
    """When process ``pid`` started (from /proc), or None where that cannot be read."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        ticks = int(stat.rsplit(")", 1)[1].split()[19])
        boot = next(
            int(line.split()[1])
            for line in Path("/proc/stat").read_text().splitlines()
            if line.startswith("btime ")
        )
    except (OSError, ValueError, IndexError, StopIteration):
        return None
    return datetime.fromtimestamp(boot + ticks / os.sysconf("SC_CLK_TCK"), UTC)


def process_alive(pid: int, since: str) -> bool:
    """Whether the process ``pid`` of this host that started a run at ``since`` is still running.

    A process that started after the run did is another one that was given the same pid.
    """
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # alive, and another user's
    started = _process_started(pid)
    return started is None or started <= datetime.fromisoformat(since) + timedelta(seconds=2)


def foreign_tables(db: Database) -> list[str]:
    """The tables of a database that is not a foodnews archive (tables, and no foodnews migration applied);
    empty for an archive or an empty file."""
    tables = sorted(
        r[0]
        for r in db.execute("select name from sqlite_master where type = 'table' and name not like 'sqlite%'")
    )
    return tables if tables and not migrations.applied(db) else []


class Archive:
    """The SQLite archive at ``path``, created or migrated on open (which fails at once when it can't be written).

    ``timeout`` is how many seconds a write waits for another writer to release the lock.
    """

    def __init__(self, path: str | Path, timeout: float = DEFAULT_TIMEOUT):
        self.path = Path(path)
        if self.path.exists() and not self.path.is_file():
            raise ArchiveError("not a file", self.path, "a folder, device or pipe cannot hold an archive")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(self.path), timeout=timeout)
        except (sqlite3.Error, OSError) as exc:
            raise archive_error(exc, self.path) from None
        try:
            self.db = Database(conn)
            deadline = time.monotonic() + timeout
            while True:
                try:
                    self._set_up()
                    break
                except (sqlite3.OperationalError, ArchiveError) as exc:
                    # Two processes switching a new file to WAL at once: SQLite answers one of them busy at
                    # once, without waiting (it would deadlock). Try again, within the busy timeout.
                    if "locked" not in str(exc) or time.monotonic() >= deadline:
                        raise
                    time.sleep(0.05)
        except BaseException as exc:
            conn.close()
            if isinstance(exc, sqlite3.Error | OSError):
                raise archive_error(exc, self.path) from None
            raise

    def _set_up(self) -> None:
        self._check_is_archive()  # before anything changes the file, even its journal mode
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        # Inside the write lock, so that two processes opening a new file create its schema once. The
        # version number written back is a real write: a file that cannot take one fails here, at open.
        with self._write():
            migrate(self.db)
            version = self.db.execute("pragma user_version").fetchone()[0]
            self.db.execute(f"pragma user_version = {int(version)}")

    def _check_is_archive(self) -> None:
        tables = foreign_tables(self.db)
        if tables:
            raise ArchiveError(
                "not a foodnews archive", self.path, f"it holds other tables: {', '.join(tables[:5])}"
            )

    def close(self) -> None:
        """Checkpoint the WAL into the main file and close.

        A checkpoint that fails (a full disk) leaves the committed items in the WAL, which the next open
        of the file reads back: nothing is lost.
        """
        try:
            self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.Error:
            pass
        finally:
            self.db.conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[None]:
        """One write transaction, holding SQLite's write lock from its start (``BEGIN IMMEDIATE``).

        A deferred transaction that reads first can only fail when it comes to write after another writer
        (SQLite answers busy at once, since waiting could not help); taking the lock up front makes it wait
        up to the busy timeout instead. Errors come out as `ArchiveError`.
        """
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise archive_error(exc, self.path) from None
        try:
            yield
            self.db.execute("COMMIT")
        except BaseException as exc:
            if self.db.conn.in_transaction:
                with contextlib.suppress(sqlite3.Error):  # an I/O error may have ended it already
                    self.db.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error | OSError | ValueError):
                raise archive_error(exc, self.path) from exc
            raise

    # --- sources and runs -----------------------------------------------------------------------------

    def register_sources(self, rows: list[dict[str, Any]]) -> None:
        """Insert or update sources' identities (``Source.row()``: name, publisher, homepage, ...), in one
        transaction; a row already as given is not rewritten."""
        if not rows:
            return
        with self._write():
            current = {r["slug"]: r for r in self.db.query("select * from sources")}
            changed = [r for r in rows if {**current.get(r["slug"], {}), **r} != current.get(r["slug"])]
            if changed:
                self.db.table("sources").upsert_all(changed, pk="slug")

    def _ensure_source(self, slug: str) -> None:
        if not self.db.execute("select 1 from sources where slug = ?", [slug]).fetchone():
            self.db.table("sources").insert({"slug": slug, "name": slug})

    def start_run(self, spider: str, source: str | None = None) -> int:
        """Record the start of a crawl of ``source`` (by default the spider's own) by ``spider``; returns the
        run's id.

        Runs left ``running`` by a process of this host that has ended are marked ``interrupted`` first.
        Raises `SourceBusy` while another live process crawls the same source into this archive, and
        `ArchiveError` ('disk full') when there is no room for the run's reserve (the run is then
        recorded as failed).
        """
        now = utc_now()
        with self._write():
            self._close_dead_runs(now)
        with self._write():
            source = source or spider
            busy = self.db.execute(
                "select id, pid, host, started from crawl_runs where status = 'running' "
                "and coalesce(source, spider) = ?",
                [source],
            ).fetchone()
            if busy:
                run, pid, host, started = busy
                raise SourceBusy(
                    self.path,
                    f"{source} is being crawled into it by process {pid} on {host} "
                    f"(run {run}, started {started})",
                )
            table = self.db.table("crawl_runs").insert(
                {
                    "spider": spider,
                    "source": source,
                    "started": now,
                    "status": "running",
                    "host": HOST,
                    "pid": os.getpid(),
                }
            )
        assert table.last_rowid is not None
        run_id = table.last_rowid
        try:
            self._reserve(run_id)
        except ArchiveError as exc:
            try:
                self.finish_run(run_id, "failed", error=f"{exc.cause}: no room for the run's reserve")
                exc.recorded_run = run_id
            except ArchiveError:
                exc.unclosed_run = run_id  # left running: the next start marks it interrupted
            raise
        return run_id

    def _close_dead_runs(self, now: str) -> None:
        rows = self.db.execute(
            "select id, pid, host, started from crawl_runs where status = 'running'"
        ).fetchall()
        for run, pid, host, started in rows:
            if pid is None:
                why = "no process recorded (a run of an earlier version)"
            elif host == HOST and not process_alive(pid, started):
                why = f"process {pid} ended without closing the run (killed or crashed); noticed {now}"
            else:
                continue
            self.db.execute(
                "update crawl_runs set status = 'interrupted', error = ? where id = ?", [why, run]
            )
            self._reserve_path(run).unlink(missing_ok=True)

    def finish_run(self, run_id: int, status: str, error: str | None = None, **counts: int) -> None:
        """Record how a crawl ended (Scrapy's finish reason, or 'failed' with ``error``) and its counts.

        On a full disk the run's reserve is given back first, so that the record can still be written.
        """
        now = datetime.now(UTC)
        values: dict[str, Any] = {
            "finished": now.replace(microsecond=0).isoformat(),
            "status": status,
            "error": error,
            **counts,
        }
        started = self.db.execute("select started from crawl_runs where id = ?", [run_id]).fetchone()
        if started and started[0]:
            values["seconds"] = round((now - datetime.fromisoformat(started[0])).total_seconds(), 1)

        def record() -> None:
            with self._write():
                self.db.table("crawl_runs").update(run_id, values)

        try:
            record()
        except ArchiveError as exc:
            reserve = self._reserve_path(run_id)
            if exc.cause != "disk full" or not reserve.exists():
                raise
            reserve.unlink()
            record()
        self._reserve_path(run_id).unlink(missing_ok=True)

    def _reserve_path(self, run_id: int) -> Path:
        return self.path.with_name(f"{self.path.name}-reserve.{run_id}")

    def _reserve(self, run_id: int) -> None:
        """Take ``RESERVE_BYTES`` of the disk beside the archive (real zeros: a sparse file reserves nothing)."""
        path = self._reserve_path(run_id)
        try:
            with path.open("wb") as f:
                f.write(bytes(RESERVE_BYTES))
                f.flush()
                os.fsync(f.fileno())
        except OSError as exc:
            path.unlink(missing_ok=True)
            raise archive_error(exc, self.path) from None

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
            "organization_group": search.organization_group(item.organization),
            "body": item.body,
            "body_html": item.body_html,
            "language": item.language,
            "last_seen": now,
            "fetched_at": now,
            "page_sha256": item.page_sha256,
            "content_sha256": digest,
            "notes": json.dumps(item.notes, ensure_ascii=False),
            "etag": item.etag,
            "last_modified": item.last_modified,
            "warc_file": item.warc_file,
            "warc_offset": item.warc_offset,
            "removed_at": None,  # served again: no longer withdrawn
        }
        with self._write():
            self._ensure_source(item.source)
            old = self.db.execute(
                "select title, body, content_sha256, revision from articles where id = ?", [aid]
            ).fetchone()
            if old is None:
                outcome, revision, changed = "new", 1, ["title", "body"]
                self.db.table("articles").insert({**row, "first_seen": now, "revision": revision})
                search.index_row(self.db.conn, self._rowid(aid), item.title, item.body)
            else:
                old_title, old_body, old_digest, revision = old
                if old_digest == digest:
                    outcome, changed = "unchanged", []
                else:
                    outcome, revision = "changed", revision + 1
                    changed = [
                        f
                        for f, a, b in (("title", old_title, item.title), ("body", old_body, item.body))
                        if a != b
                    ]
                self.db.table("articles").update(aid, {**row, "revision": revision})
                if changed:
                    # The index is contentless: it forgets the old text only when given it back.
                    rowid = self._rowid(aid)
                    search.unindex_row(self.db.conn, rowid, old_title, old_body)
                    search.index_row(self.db.conn, rowid, item.title, item.body)
            if changed:
                self.db.table("revisions").insert(
                    {
                        "article_id": aid,
                        "revision": revision,
                        "fetched_at": now,
                        "changed": json.dumps(changed),
                        "title": item.title,
                        "body": item.body,
                        "body_html": item.body_html,
                        "content_sha256": digest,
                        "page_sha256": item.page_sha256,
                        "warc_file": item.warc_file,
                        "warc_offset": item.warc_offset,
                    }
                )
            self._replace_children(
                "images", aid, [{"url": i.url, "caption": i.caption, "credit": i.credit} for i in item.images]
            )
            self._replace_children("attachments", aid, self._attachment_rows(aid, item))
            self._store_inspections(aid, item, revision, now)
            if item.alert is not None:
                self._store_alert(aid, item.alert)
            # The page parses now: it is no longer a problem to report.
            self.db.execute("delete from rejects where source = ? and url = ?", [item.source, item.url])
        return outcome

    def _attachment_rows(self, aid: str, item: Article) -> list[dict[str, Any]]:
        """The item's attachments as rows. A file that could not be downloaded this time keeps the copy
        downloaded before (same URL): the evidence outlives the link."""
        kept = {
            row["url"]: row
            for row in self.db.query(
                "select url, sha256, size, media_type, path, warc_file, warc_offset from attachments "
                "where article_id = ? and sha256 is not null",
                [aid],
            )
        }
        rows = []
        for a in item.attachments:
            row = {
                "url": a.url,
                "title": a.title,
                "sha256": a.sha256,
                "size": a.size,
                "media_type": a.media_type,
                "path": a.path,
                "error": a.error,
                "warc_file": a.warc_file,
                "warc_offset": a.warc_offset,
            }
            old = kept.get(a.url)
            if a.sha256 is None and old is not None:
                row.update({k: old[k] for k in ("sha256", "size", "media_type", "path")})
                if a.error:
                    row["error"] = f"{a.error} (the copy downloaded before is kept)"
            if a.warc_file is None and old is not None and row["sha256"] == old["sha256"]:
                # (held already, so not fetched again: the record it came in is still its evidence)
                row.update({k: old[k] for k in ("warc_file", "warc_offset")})
            rows.append(row)
        return rows

    def _store_inspections(self, aid: str, item: Article, revision: int, now: str) -> None:
        """The failed rows and sample counts of the item's workbooks, in the article's transaction.

        An attachment read this time replaces its rows; the rows of a file that changed, or that the notice
        no longer links, are kept in ``inspection_results_replaced`` (with the notice's revision). An
        attachment not downloaded this time keeps the rows read from the copy kept before.
        """
        stated = stated_failures(item.title, item.body) if item.attachments else None
        if stated is None:
            self.db.execute("delete from inspection_notices where article_id = ?", [aid])
        else:
            self.db.table("inspection_notices").upsert(
                {"article_id": aid, "stated_failed_samples": stated[0], "stated_as": stated[1]},
                pk="article_id",
            )
        held = dict(
            self.db.execute(
                "select attachment_url, attachment_sha256 from inspection_workbooks where article_id = ?",
                [aid],
            ).fetchall()
        )
        fresh = {a.url: a for a in item.attachments if a.sha256 is not None}
        listed = {a.url for a in item.attachments}
        for url, sha in held.items():
            if url not in listed or (url in fresh and fresh[url].sha256 != sha):
                self.db.execute(
                    f"insert into inspection_results_replaced (result_id, {_KEPT_COLUMNS}, replaced_at,"
                    f" notice_revision) select id, {_KEPT_COLUMNS}, ?, ? from inspection_results"
                    " where article_id = ? and attachment_url = ?",
                    [now, revision, aid, url],
                )
            if url not in listed:
                self._drop_inspections(aid, url)
        for a in fresh.values():
            if (
                a.url in held
                and a.sha256 == held[a.url]
                and (any(sheet.get("transient") for sheet in a.workbooks) or self._read_alike(aid, a))
            ):
                # The same file: read as before (its rows keep their ids), or not read this time for a
                # reason of the crawl's, not the file's (its rows as read before stay).
                continue
            if a.url in held or a.workbooks:
                self._drop_inspections(aid, a.url)
            for sheet in a.workbooks:
                self.db.table("inspection_workbooks").insert(
                    {
                        "article_id": aid,
                        "attachment_url": a.url,
                        "attachment_sha256": a.sha256,
                        "workbook": sheet.get("workbook"),
                        "sheet": sheet.get("sheet"),
                        "status": sheet.get("status"),
                        "reason": sheet.get("reason"),
                        "failed_samples": sheet.get("failed_samples"),
                        "failed_rows": len(sheet.get("failed") or []),
                        "passed_samples": sheet.get("passed_samples"),
                    }
                )
                for failed in sheet.get("failed") or []:
                    row = {
                        "article_id": aid,
                        "attachment_url": a.url,
                        "attachment_sha256": a.sha256,
                        "attachment_path": a.path,
                        "workbook": sheet.get("workbook"),
                        "sheet": sheet.get("sheet"),
                        "row": failed.get("row"),
                        **{c: failed.get(c) for c in INSPECTION_COLUMNS},
                    }
                    rowid = self.db.table("inspection_results").insert(row).last_rowid
                    names = " ".join(str(row[c]) for c in SEARCHED_COLUMNS if row[c])
                    self.db.execute(
                        "insert into inspection_results_search (rowid, names) values (?, ?)",
                        [rowid, search.index_text(names)],
                    )

    def _read_alike(self, aid: str, attachment: Attachment) -> bool:
        """Whether the archive holds exactly what was read from ``attachment`` now: sheets and rows."""
        sheets = [
            (*(sheet.get(k) for k in _SHEET_KEYS), len(sheet.get("failed") or []))
            for sheet in attachment.workbooks
        ]
        held_sheets = self.db.execute(
            f"select {', '.join(_SHEET_KEYS)}, failed_rows from inspection_workbooks"
            " where article_id = ? and attachment_url = ? order by rowid",
            [aid, attachment.url],
        ).fetchall()
        if sheets != held_sheets:
            return False
        rows = [
            (
                sheet.get("workbook"),
                sheet.get("sheet"),
                failed.get("row"),
                *(failed.get(c) for c in INSPECTION_COLUMNS),
            )
            for sheet in attachment.workbooks
            for failed in sheet.get("failed") or []
        ]
        held_rows = self.db.execute(
            f"select workbook, sheet, row, {', '.join(INSPECTION_COLUMNS)} from inspection_results"
            " where article_id = ? and attachment_url = ? order by id",
            [aid, attachment.url],
        ).fetchall()
        return rows == held_rows

    def _drop_inspections(self, aid: str, url: str) -> None:
        """Remove what was read from one attachment of an article (its rows, their index entries, its counts)."""
        where = "where article_id = ? and attachment_url = ?"
        self.db.execute(
            f"delete from inspection_results_search where rowid in (select id from inspection_results {where})",
            [aid, url],
        )
        self.db.execute(f"delete from inspection_results {where}", [aid, url])
        self.db.execute(f"delete from inspection_workbooks {where}", [aid, url])

    def _store_alert(self, aid: str, alert: Alert) -> None:
        batches = [code for product in alert.products for code in product.get("batch_codes") or []]
        self.db.table("alerts").upsert(
            {
                "article_id": aid,
                "notation": alert.notation,
                "alert_type": alert.alert_type,
                "status": alert.status,
                "allergens": json.dumps(alert.allergens, ensure_ascii=False),
                "products": json.dumps(alert.products, ensure_ascii=False),
                "batch_codes": json.dumps(batches, ensure_ascii=False),
                "reporting_business": alert.reporting_business,
                "countries": json.dumps(alert.countries, ensure_ascii=False),
                "risk_statement": alert.risk_statement,
                "created": alert.created,
                "modified": alert.modified,
                "api_url": alert.api_url,
            },
            pk="article_id",
        )

    def article(self, aid: str) -> Article | None:
        """The article ``aid`` as an item again (its images, attachments and alert included), or None."""
        rows = list(self.db.query("select * from articles where id = ?", [aid]))
        if not rows:
            return None
        row = rows[0]
        names = {f.name for f in fields(Article)} - {"authors", "notes", "images", "attachments", "alert"}
        item = Article(
            **{k: row[k] for k in names if k in row},
            authors=json.loads(row["authors"] or "[]"),
            notes=json.loads(row["notes"] or "[]"),
        )
        item.images = [
            Image(url=r["url"], caption=r["caption"], credit=r["credit"])
            for r in self.db.query("select * from images where article_id = ? order by position", [aid])
        ]
        kept = {f.name for f in fields(Attachment)}
        item.attachments = [
            Attachment(**{k: v for k, v in r.items() if k in kept})
            for r in self.db.query("select * from attachments where article_id = ? order by position", [aid])
        ]
        for r in self.db.query("select * from alerts where article_id = ?", [aid]):
            lists = ("allergens", "products", "countries")
            item.alert = Alert(
                **{k: v for k, v in r.items() if k in {f.name for f in fields(Alert)} and k not in lists},
                **{k: json.loads(r[k] or "[]") for k in lists},
            )
        return item

    def _rowid(self, aid: str) -> int:
        return int(self.db.execute("select rowid from articles where id = ?", [aid]).fetchone()[0])

    def _replace_children(self, table: str, aid: str, rows: list[dict[str, Any]]) -> None:
        current = [
            dict(r)
            for r in self.db.query(f"select * from [{table}] where article_id = ? order by position", [aid])
        ]
        wanted = [{"article_id": aid, "position": i, **r} for i, r in enumerate(rows)]
        if current == wanted:
            return
        self.db.execute(f"delete from [{table}] where article_id = ?", [aid])
        if wanted:
            self.db.table(table).insert_all(wanted)

    def store_reject(self, reject: Reject, run_id: int | None = None) -> None:
        """Record a page that could not become an article; a page rejected again keeps one row."""
        now = utc_now()
        source = reject.source or "unknown"
        with self._write():
            old = self.db.execute(
                "select first_seen, times from rejects where source = ? and url = ?", [source, reject.url]
            ).fetchone()
            self.db.table("rejects").upsert(
                {
                    "source": source,
                    "url": reject.url,
                    "reason": reject.reason,
                    "http_status": reject.http_status,
                    "at": now,
                    "first_seen": old[0] if old else now,
                    "times": (old[1] or 0) + 1 if old else 1,
                    "run_id": run_id,
                },
                pk=("source", "url"),
            )

    def store_rechecked(self, item: Rechecked) -> str:
        """A held article fetched again without a page: 'unchanged' (304: seen now, as it was) or
        'removed' (404/410: marked withdrawn at the first such answer, its content kept). An article the
        archive does not hold under that URL is 'rejected' as such (a request the crawl did not mean)."""
        with self._write():
            row = self.db.execute(
                "select id, removed_at from articles where url = ? or canonical_url = ? limit 1",
                [item.url, item.url],
            ).fetchone()
            if row is not None:
                aid, removed_at = row
                # (304: the held copy is what the server serves, so the article is not withdrawn)
                removed_at = None if item.http_status == 304 else removed_at or item.fetched_at
                self.db.execute(
                    "update articles set last_seen = ?, removed_at = ? where id = ?",
                    [item.fetched_at, removed_at, aid],
                )
        if row is None:
            reason = f"HTTP {item.http_status} for an article the archive does not hold"
            self.store_reject(Reject(item.url, reason, item.source, item.http_status))
            return "rejected"
        return "unchanged" if item.http_status == 304 else "removed"

    def store(self, item: Article | Reject | Rechecked, run_id: int | None = None) -> str:
        """Store any kind of item; returns 'new', 'changed', 'unchanged', 'removed' or 'rejected'.

        Every failure comes out as `ArchiveError`: fatal when the archive failed, not fatal for a problem of
        this item (a value SQLite cannot take, say), which the caller can record as a reject instead.
        """
        try:
            if isinstance(item, Reject):
                self.store_reject(item, run_id)
                return "rejected"
            if isinstance(item, Rechecked):
                return self.store_rechecked(item)
            return self.store_article(item, run_id)
        except ArchiveError:
            raise
        except Exception as exc:  # an unforeseen problem of this item must not lose it without a word
            raise archive_error(exc, self.path) from exc
