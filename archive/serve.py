"""Serving the archive with Datasette, with this package's folder as the configuration directory.

``foodnews serve`` serves the file immutable by default: opened with SQLite's ``immutable=1``, it cannot be
written, Datasette can offer it for download, and row counts are cached. An archive that a crawl is
writing to is served "live" instead (read-only connections that see new commits).
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import yaml
from datasette.app import Datasette

CONFIG_DIR = Path(__file__).resolve().parent


def load_metadata(db_name: str) -> dict[str, Any]:
    """``metadata.yaml`` with its database section under the served file's name."""
    metadata = yaml.safe_load((CONFIG_DIR / "metadata.yaml").read_text(encoding="utf-8"))
    databases = metadata.get("databases", {})
    if "foodnews" in databases and db_name != "foodnews":
        databases[db_name] = databases.pop("foodnews")
    return metadata


def make_datasette(db_path: str | Path, immutable: bool = False) -> Datasette:
    """A Datasette instance for one archive file, configured by ``archive/`` (metadata, templates, plugins).

    The file's name without extension is the database's name in URLs (``data/foodnews.db`` → ``/foodnews``).
    """
    files = {"immutables": [str(db_path)]} if immutable else {"files": [str(db_path)]}
    return Datasette(**files, config_dir=CONFIG_DIR, metadata=load_metadata(Path(db_path).stem))


def needs_upgrade(db_path: str | Path) -> bool:
    """Whether the archive lacks a migration or has a search index built by another normaliser."""
    from sqlite_utils import Database

    from archive import search
    from archive.schema import migrations

    conn = sqlite3.connect(f"file:{Path(db_path).resolve()}?mode=ro", uri=True)
    try:
        return bool(migrations.pending(Database(conn))) or not all(search.is_current(conn, t) for t in search.INDEXES)
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

    from archive.store import Archive

    if needs_upgrade(db_path):
        print(f"upgrading {db_path} (schema and search index), this can take a while ...", flush=True)
        Archive(db_path).close()
    if not live and has_pending_writes(db_path):
        print(f"{db_path} has a write-ahead log (a crawl is writing to it): serving it live, read-only",
              flush=True)
        live = True
    ds = make_datasette(db_path, immutable=not live)
    asyncio.run(ds.invoke_startup())
    name = Path(db_path).stem
    print(f"serving the archive at http://{host}:{port}/{name}/articles (Ctrl-C to stop)", flush=True)
    uvicorn.run(ds.app(), host=host, port=port, log_level="warning", lifespan="on")
