"""Evidence of what the regulator served: article and attachment responses kept as WARC records.

`WarcMiddleware` writes every response the crawl receives (list pages, API pages, article pages,
attachments, robots.txt; not a request marked ``meta["warc"] = False``) as a WARC ``response`` record, followed by its ``request`` record, into
rotating files beside the archive (``warc/`` next to the database file, or ``FOODNEWS_WARC``): one gzip
member per record, so that any record can be read from its offset alone, and a file cut short by a kill
loses only the record being written. Each article, revision and attachment row names its record
(``warc_file``, ``warc_offset``); `read_record` gets it back, and ``foodnews warc`` / ``foodnews reparse``
use it.

The record is the response as the server sent it (status line, headers, body still content-encoded):
the middleware sits next to the downloader, before Scrapy's decompression. ``Transfer-Encoding`` is the
one header left out, since the body is stored de-chunked (as Twisted hands it over). warcio (the Webrecorder
project's library, which pywb and most WARC tools build on) writes and reads the records.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import IO, Any

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import BufferedReader
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

logger = logging.getLogger(__name__)

#: A WARC file is closed and the next one opened past this size (FOODNEWS_WARC_MAX_BYTES).
MAX_FILE_BYTES = 1024**3
_DROPPED_HEADERS = {b"transfer-encoding"}


def warc_folder(settings: Any) -> Path | None:
    """``FOODNEWS_WARC``, else ``warc`` beside the archive file; None when neither is set."""
    folder = settings.get("FOODNEWS_WARC") or ""
    if folder:
        return Path(folder)
    db = settings.get("FOODNEWS_DB") or ""
    return Path(db).resolve().parent / "warc" if db else None


@dataclass(frozen=True)
class Record:
    """A record read back: the response as served, and what the WARC header says of it."""

    url: str
    date: str
    status: int
    headers: list[tuple[str, str]]
    raw: bytes  # the HTTP response as stored: status line, headers, blank line, body (content-encoded)
    body: bytes  # the body decoded (Content-Encoding undone), as the spider read it

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


class WarcWriter:
    """Appends records to rotating ``*.warc.gz`` files in ``folder``; `write` returns (file name, offset)."""

    def __init__(self, folder: Path, prefix: str, max_bytes: int = MAX_FILE_BYTES):
        self.folder = folder
        self.prefix = prefix
        self.max_bytes = max_bytes
        self.stream: IO[bytes] | None = None
        self.name = ""
        self.serial = 0

    def _open(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
        while True:
            self.serial += 1
            self.name = f"{self.prefix}-{stamp}-{os.getpid()}-{self.serial:05d}.warc.gz"
            try:
                self.stream = open(self.folder / self.name, "xb")  # noqa: SIM115 (kept open across calls)
                break
            except FileExistsError:
                continue
        writer = WARCWriter(self.stream, gzip=True)
        writer.write_record(
            writer.create_warcinfo_record(
                self.name, {"software": "foodnews", "format": "WARC File Format 1.1"}
            )
        )

    def write(self, request: Request, response: Response) -> tuple[str, int]:
        """Append the response and request records; returns where the response record starts. On OSError the
        file is given up (a record cut short stays at its end, which readers of the others never reach) and
        the next record starts a new one."""
        try:
            return self._write(request, response)
        except OSError:
            self.close()
            raise

    def _write(self, request: Request, response: Response) -> tuple[str, int]:
        if self.stream is None or self.stream.tell() >= self.max_bytes:
            self.close()
            self._open()
        assert self.stream is not None
        writer = WARCWriter(self.stream, gzip=True)
        headers = [
            (k.decode("latin-1"), v.decode("latin-1"))
            for k, values in response.headers.items()
            if k.lower() not in _DROPPED_HEADERS
            for v in values
        ]
        try:
            status_line = f"{response.status} {HTTPStatus(response.status).phrase}"
        except ValueError:  # a status of the server's own
            status_line = str(response.status)
        record = writer.create_warc_record(
            response.url,
            "response",
            payload=io.BytesIO(response.body),
            http_headers=StatusAndHeaders(status_line, headers, protocol="HTTP/1.1"),
        )
        offset = self.stream.tell()
        writer.write_record(record)
        target = request.url.split("://", 1)[-1].partition("/")
        asked = StatusAndHeaders(
            f"{request.method} /{target[2]} HTTP/1.1",
            [
                (k.decode("latin-1"), v.decode("latin-1"))
                for k, values in request.headers.items()
                for v in values
            ],
            is_http_request=True,
        )
        writer.write_record(
            writer.create_warc_record(
                response.url,
                "request",
                payload=io.BytesIO(request.body),
                http_headers=asked,
                warc_headers_dict={"WARC-Concurrent-To": record.rec_headers.get_header("WARC-Record-ID")},
            )
        )
        self.stream.flush()
        return self.name, offset

    def close(self) -> None:
        """Close the current file, synced. A file that cannot be synced (a full disk) is closed anyway: every
        record that the archive names was flushed when it was written, and a failed one was counted then."""
        stream, self.stream = self.stream, None
        if stream is None:
            return
        try:
            stream.flush()
            os.fsync(stream.fileno())
        except OSError as exc:
            logger.warning("%s: %s", self.folder / self.name, exc.strerror or exc)
        finally:
            # (a buffer that cannot be written held a record already counted as failed)
            with contextlib.suppress(OSError):
                stream.close()


class WarcMiddleware:
    """Downloader middleware keeping every response (but to a request marked ``meta["warc"] = False``);
    the record's place goes to ``meta["warc_record"]`` as (file name, offset)."""

    def __init__(self, crawler: Crawler, folder: Path):
        assert crawler.spidercls is not None
        self.writer = WarcWriter(
            folder,
            f"foodnews-{crawler.spidercls.name}",
            crawler.settings.getint("FOODNEWS_WARC_MAX_BYTES", MAX_FILE_BYTES),
        )
        self.crawler = crawler
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcMiddleware:
        folder = warc_folder(crawler.settings)
        if folder is None:
            raise NotConfigured("no archive and no FOODNEWS_WARC: responses are not kept")
        return cls(crawler, folder)

    def process_response(self, request: Request, response: Response, spider: Any = None) -> Response:
        if request.meta.get("warc", True):
            try:
                request.meta["warc_record"] = self.writer.write(request, response)
            except OSError as exc:
                # The page is still parsed and stored (with a note), but the run is failed: evidence is missing.
                request.meta["warc_error"] = f"cannot keep the response: {exc.strerror or exc}"
                assert self.crawler.stats is not None
                if not self.crawler.stats.get_value("warc/error"):  # said once; every one is counted
                    logger.error("%s: %s (%s)", request.url, request.meta["warc_error"], self.writer.folder)
                    self.crawler.stats.set_value(
                        "warc/error", f"{request.meta['warc_error']} ({self.writer.folder})"
                    )
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value("warc/records" if "warc_record" in request.meta else "warc/failed")
        return response

    def spider_closed(self, spider: Any = None) -> None:
        self.writer.close()


def read_record(folder: Path, name: str, offset: int) -> Record:
    """The response record at ``offset`` of WARC file ``name`` in ``folder``. Raises OSError or ValueError
    (a file or offset that holds no such record)."""
    if "/" in name or "\\" in name or name.startswith("."):
        raise ValueError(f"not a WARC file name: {name!r}")
    with open(folder / name, "rb") as stream:
        stream.seek(offset)
        for record in ArchiveIterator(stream):
            if record.rec_type != "response" or record.http_headers is None:
                break
            http = record.http_headers
            raw_head = http.to_bytes()
            content = record.raw_stream.read()
            status = int(http.get_statuscode() or 0)
            raw = raw_head + content
            body = _decoded(content, http.get_header("Content-Encoding"))
            return Record(
                url=record.rec_headers.get_header("WARC-Target-URI"),
                date=record.rec_headers.get_header("WARC-Date"),
                status=status,
                headers=list(http.headers),
                raw=raw,
                body=body,
            )
    raise ValueError(f"no response record at {name}:{offset}")


def _decoded(content: bytes, encoding: str | None) -> bytes:
    """The body with its Content-Encoding undone, as Scrapy's decompression middleware hands it to the
    spider (warcio's readers; an encoding they do not know is left as it is)."""
    out = content
    for coding in reversed([c.strip().lower() for c in (encoding or "").split(",") if c.strip()]):
        kind = {"x-gzip": "gzip"}.get(coding, coding)
        if kind not in BufferedReader.DECOMPRESSORS or not out:
            break
        out = BufferedReader(io.BytesIO(out), decomp_type=kind).read()
    return out
