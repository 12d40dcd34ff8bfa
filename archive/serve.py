"""Serving the archive with Datasette, with this package's folder as the configuration directory."""

from __future__ import annotations

import asyncio
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


def make_datasette(db_path: str | Path) -> Datasette:
    """A Datasette instance for one archive file, configured by ``archive/`` (metadata, templates, plugins).

    The file's name without extension is the database's name in URLs (``data/foodnews.db`` → ``/foodnews``).
    """
    return Datasette([str(db_path)], config_dir=CONFIG_DIR, metadata=load_metadata(Path(db_path).stem))


def serve(db_path: str | Path, host: str = "127.0.0.1", port: int = 8001) -> None:
    """Serve over HTTP until interrupted; prints the articles table's URL first."""
    import uvicorn

    ds = make_datasette(db_path)
    asyncio.run(ds.invoke_startup())
    name = Path(db_path).stem
    print(f"serving the archive at http://{host}:{port}/{name}/articles (Ctrl-C to stop)", flush=True)
    uvicorn.run(ds.app(), host=host, port=port, log_level="warning", lifespan="on")
