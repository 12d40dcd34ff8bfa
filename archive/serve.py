"""Serving the archive with Datasette, with this package's folder as the configuration directory.

``foodnews serve`` serves the file immutable by default: opened with SQLite's ``immutable=1``, it cannot be
written, Datasette can offer it for download, and row counts are cached. SQLite trusts such a file never to
change, so `ArchiveDatabase` checks before every query that it has not: once the file (or its write-ahead
log) changes, the archive is served "live" for good (read-only connections that see each new commit).
An archive that a crawl is writing to is served live from the start.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from datasette.app import Datasette
from datasette.database import Database, connections

CONFIG_DIR = Path(__file__).resolve().parent


def load_metadata(db_name: str) -> dict[str, Any]:
    """``metadata.yaml`` with its database section under the served file's name."""
    metadata = yaml.safe_load((CONFIG_DIR / "metadata.yaml").read_text(encoding="utf-8"))
    databases = metadata.get("databases", {})
    if "foodnews" in databases and db_name != "foodnews":
        databases[db_name] = databases.pop("foodnews")
    return metadata


def _file_state(path: str | Path) -> tuple[Any, ...]:
    """What changes when anything writes the archive: the file's identity, size and time, and its WAL's size
    (a writer appends to the WAL first, and changes the file only when it checkpoints)."""
    st = os.stat(path)
    try:
        wal = os.stat(f"{path}-wal").st_size
    except FileNotFoundError:
        wal = 0
    return st.st_ino, st.st_size, st.st_mtime_ns, wal


class ArchiveDatabase(Database):  # type: ignore[misc]
    """One archive file, served immutable until it changes on disk, then live (read-only) for good.

    An immutable connection never looks at the file again: it would answer from a stale view, then from
    pages of two versions ("database disk image is malformed"). The check is one ``stat`` of the file and
    of its WAL before each query. Live connections are kept apart from the immutable ones that Datasette's
    threads still hold (Datasette keys a thread's connection by database name).
    """

    def __init__(self, ds: Datasette, path: str | Path, immutable: bool):
        super().__init__(ds, path=str(path), is_mutable=not immutable)
        self.is_mutable: bool = not immutable
        self.state = _file_state(path) if immutable else None

    def _went_live(self) -> bool:
        if self.is_mutable:
            return True
        try:
            if _file_state(self.path) == self.state:
                return False
        except OSError:  # removed or renamed: the open connections still read the file they opened
            return False
        self.is_mutable = True
        self.cached_hash = self.cached_size = self._cached_table_counts = None
        self._read_connection = None
        print(
            f"{self.path} changed on disk: serving it live (read-only) from now on",
            file=sys.stderr,
            flush=True,
        )
        return True

    async def execute_fn(self, fn: Callable[[sqlite3.Connection], Any]) -> Any:
        if not self._went_live() or self.ds.executor is None:
            return await super().execute_fn(fn)
        key = f"{self.name}\x00live"

        def in_thread() -> Any:
            conn = getattr(connections, key, None)
            if not conn:
                conn = self.connect()
                self.ds._prepare_connection(conn, self.name)
                setattr(connections, key, conn)
            return fn(conn)

        return await asyncio.get_running_loop().run_in_executor(self.ds.executor, in_thread)


def make_datasette(db_path: str | Path, immutable: bool = False) -> Datasette:
    """A Datasette instance for one archive file, configured by ``archive/`` (metadata, templates, plugins).

    The file's name without extension is the database's name in URLs (``data/foodnews.db`` → ``/foodnews``).
    """
    files = {"immutables": [str(db_path)]} if immutable else {"files": [str(db_path)]}
    ds = Datasette(**files, config_dir=CONFIG_DIR, metadata=load_metadata(Path(db_path).stem))
    (name,) = [n for n, db in ds.databases.items() if db.path == str(db_path)]
    ds.remove_database(name)
    ds.add_database(ArchiveDatabase(ds, db_path, immutable), name=name)
    return ds


def needs_upgrade(db_path: str | Path) -> bool:
    """Whether the archive lacks a migration or has a search index built by another normaliser."""
    from sqlite_utils import Database

    from archive import search
    from archive.schema import migrations
    from archive.store import ArchiveError, foreign_tables

    # Immutable when nothing is writing it: a read-only connection to a WAL-mode file needs its -shm file,
    # which a read-only folder or medium cannot hold.
    mode = "mode=ro" if has_pending_writes(db_path) else "immutable=1"
    conn = sqlite3.connect(f"file:{Path(db_path).resolve()}?{mode}", uri=True)
    try:
        db = Database(conn)
        foreign = foreign_tables(db)
        if foreign:
            # Never upgraded: "upgrading" it would write the foodnews schema into somebody else's database.
            raise ArchiveError(
                "not a foodnews archive", db_path, f"it holds other tables: {', '.join(foreign[:5])}"
            )
        return bool(migrations.pending(db)) or not all(search.is_current(conn, t) for t in search.INDEXES)
    finally:
        conn.close()


def has_pending_writes(db_path: str | Path) -> bool:
    """A non-empty write-ahead log: a crawl is writing, or was killed before its final checkpoint."""
    wal = Path(f"{db_path}-wal")
    return wal.exists() and wal.stat().st_size > 0


def serve(db_path: str | Path, host: str = "127.0.0.1", port: int = 8001, live: bool = False) -> None:
    """Serve over HTTP until interrupted; prints the articles table's URL first.

    An archive written by an older version is upgraded first (schema migrations, search index). It is
    then served immutable unless ``live`` is set or its write-ahead log holds data not yet in the file.
    """
    import uvicorn

    from archive.store import Archive, ArchiveError, archive_error

    try:
        upgrade = needs_upgrade(db_path)
    except sqlite3.DatabaseError as exc:
        raise archive_error(exc, db_path) from None
    if upgrade:
        print(f"upgrading {db_path} (schema and search index), this can take a while ...", flush=True)
        try:
            Archive(db_path).close()
        except ArchiveError as exc:
            if exc.cause != "read-only":
                raise
            raise ArchiveError(
                "read-only",
                db_path,
                "it needs an upgrade of its schema or search index, which only a writable copy can take",
            ) from None
    if not live and has_pending_writes(db_path):
        print(
            f"{db_path} has a write-ahead log (a crawl is writing to it): serving it live, read-only",
            flush=True,
        )
        live = True
    ds = make_datasette(db_path, immutable=not live)
    asyncio.run(ds.invoke_startup())
    name = Path(db_path).stem
    print(f"serving the archive at http://{host}:{port}/{name}/articles (Ctrl-C to stop)", flush=True)
    uvicorn.run(ds.app(), host=host, port=port, log_level="warning", lifespan="on")
