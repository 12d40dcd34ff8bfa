"""Getting past a page the crawler dies on: a page whose parsing kills the process (a parser that crashes or
runs out of memory, and the kernel or a watchdog ending it) would otherwise kill every run at the same point.

While a page is parsed, its URL and the SHA-256 of its body are written to a marker file of the process
(``<db>.parsing/<spider>-<pid>.json``), and emptied once it is parsed; a process that dies while parsing leaves
its marker behind. The next run of the spider reads the markers of processes that are gone and counts a death
against each page (``<spider>-deaths.json``). A page with ``FOODNEWS_QUARANTINE_DEATHS`` deaths (2 by default:
one random kill cannot do it) is not parsed again while its body is the same: it becomes a reject that says
why, so the run gets past it and the operator sees it. A page that parses to the end has its count cleared,
and a changed body is a new page. The marker costs two small writes a page, no ``fsync``: it must survive the
process, not the machine.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


class Quarantine:
    """The deaths of one spider's crawls while parsing a page, kept in ``folder``."""

    def __init__(self, folder: Path, spider: str, deaths: int = 2):
        self.folder, self.spider, self.limit = folder, spider, deaths
        self.counts: dict[str, dict[str, Any]] = {}
        self._marker: int | None = None
        self._loaded = False

    @classmethod
    def from_settings(cls, settings: Any, spider: str) -> Quarantine | None:
        """The quarantine of ``spider`` beside the archive; None without an archive or with a limit of 0."""
        db, limit = settings.get("FOODNEWS_DB"), settings.getint("FOODNEWS_QUARANTINE_DEATHS", 2)
        if not db or limit < 1:
            return None
        return cls(Path(db).with_name(Path(db).name + ".parsing"), spider, limit)

    @property
    def _deaths_file(self) -> Path:
        return self.folder / f"{self.spider}-deaths.json"

    @staticmethod
    def key(url: str, digest: str) -> str:
        return f"{digest} {url}"

    def load(self) -> list[dict[str, Any]]:
        """Count the deaths the markers of gone processes tell of; returns those pages (url, sha256, source)."""
        self._loaded = True
        try:
            self.counts = json.loads(self._deaths_file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            self.counts = {}
        except (OSError, ValueError):  # a torn or foreign file: start counting again
            self.counts = {}
        died, read = [], []
        for marker in sorted(self.folder.glob(f"{self.spider}-*.json")):
            pid = marker.stem[len(self.spider) + 1 :]
            if not pid.isdigit() or int(pid) == os.getpid() or _alive(int(pid)):
                continue
            try:
                text = marker.read_text(encoding="utf-8")
                page = json.loads(text) if text.strip() else None
            except (OSError, ValueError):
                page = None
            if isinstance(page, dict) and {"url", "sha256"} <= set(page):
                entry = self.counts.setdefault(self.key(page["url"], page["sha256"]), {**page, "deaths": 0})
                entry["deaths"] += 1
                died.append(page)
            read.append(marker)
        with suppress(OSError):  # the markers stay, to be counted by a run that can write
            if died:
                self._save()
            for marker in read:
                marker.unlink(missing_ok=True)
        return died

    def _save(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        partial = self._deaths_file.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(json.dumps(self.counts, ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(partial, self._deaths_file)

    def deaths(self, url: str, body: bytes) -> tuple[int, str]:
        """How many crawls died parsing this page with this body, and the body's SHA-256."""
        if not self._loaded:
            self.load()
        digest = hashlib.sha256(body).hexdigest()
        entry = self.counts.get(self.key(url, digest))
        return (entry["deaths"] if entry else 0), digest

    @contextmanager
    def parsing(self, url: str, digest: str, source: str) -> Iterator[None]:
        """Mark the page as being parsed; unmark it when the parser returns or raises. A page that parsed
        to the end has its deaths forgotten."""
        marked = self._mark(json.dumps({"url": url, "sha256": digest, "source": source}, ensure_ascii=False))
        try:
            yield
        finally:
            if marked:
                self._mark("")
        if self.counts.pop(self.key(url, digest), None) is not None:
            with suppress(
                OSError
            ):  # a full disk: the count stays, and the page is parsed while below the limit
                self._save()

    def _mark(self, record: str) -> bool:
        """Write the marker; False when it cannot be written (a full or read-only disk): the page is parsed
        unguarded, as it would be without a quarantine, rather than not at all."""
        try:
            if self._marker is None:
                self.folder.mkdir(parents=True, exist_ok=True)
                path = self.folder / f"{self.spider}-{os.getpid()}.json"
                self._marker = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.ftruncate(self._marker, 0)
            os.pwrite(self._marker, record.encode(), 0)
        except OSError:
            return False
        return True

    def close(self) -> None:
        """Remove the process's marker (a clean end leaves nothing to count)."""
        if self._marker is not None:
            os.close(self._marker)
            self._marker = None
            (self.folder / f"{self.spider}-{os.getpid()}.json").unlink(missing_ok=True)
