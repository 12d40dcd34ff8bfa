"""The archive: SQLite schema (migrations), storage of items, and the Datasette configuration directory.

This folder doubles as Datasette's configuration directory: ``metadata.yaml``, ``settings.json``,
``templates/`` and ``plugins/`` live here.
"""

from archive.store import Archive

__all__ = ["Archive"]
