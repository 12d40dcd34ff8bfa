"""Attachments kept as evidence: each file linked from an article, downloaded through the Scrapy engine and
stored by its SHA-256 beside the archive.

A sampling notice's results are its workbooks; a regulator takes notices down. `AttachmentsPipeline` is
Scrapy's `FilesPipeline` (so robots.txt, throttling, retries and the download limits apply, as to every
page) with three changes: files are kept content-addressed (``files/sha256/ab/<sha256>.xlsx`` beside the
archive file, so the same workbook attached to ten notices is kept once and a file can be checked against
its name), and every attachment of the item gets its outcome (hash, size, media type and path, or the reason
it could not be downloaded: the item is never dropped). An attachment is fetched with its article, so as
often as the article is (new, or due for a re-check): a workbook replaced under the same URL is seen.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import urlsplit

import filetype
from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.http.request import NO_CALLBACK
from scrapy.pipelines.files import FilesPipeline
from scrapy.pipelines.media import FileException, MediaPipeline
from twisted.python.failure import Failure

from crawler.extract import looks_like_html
from crawler.items import Article, Attachment
from crawler.middlewares import failure_reason
from crawler.pipelines import url_problem

logger = logging.getLogger(__name__)

#: Largest attachment downloaded (FOODNEWS_MAX_ATTACHMENT_BYTES): the biggest sampling workbooks and zips
#: of them noted are a few MB; a bigger file is recorded with the reason, not kept.
MAX_ATTACHMENT_BYTES = 50 * 1024 * 1024

#: Media types by file name suffix, for what the first bytes do not tell (CSV, text) or tell only as a zip.
SUFFIX_TYPES = {
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".xls": "application/vnd.ms-excel",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".doc": "application/msword",
    ".pdf": "application/pdf",
    ".zip": "application/zip",
    ".rar": "application/vnd.rar",
    ".7z": "application/x-7z-compressed",
    ".csv": "text/csv",
    ".txt": "text/plain",
    ".wps": "application/vnd.ms-works",
    ".et": "application/vnd.ms-excel",
}
#: The suffix a kept file gets, by media type.
TYPE_SUFFIXES = {kind: suffix for suffix, kind in SUFFIX_TYPES.items() if suffix not in (".et", ".wps")}


def media_type(data: bytes, url: str, content_type: str | None = None) -> str | None:
    """The file's media type: from its first bytes (``filetype``: a workbook, a document and a zip of
    workbooks are told apart), else the URL's suffix, else the server's Content-Type (often
    ``application/octet-stream``, hence last). ``bench/bench_media_type.py`` measures the choice."""
    suffix = Path(urlsplit(url).path).suffix.lower()
    found = filetype.guess_mime(data[:8192]) if data else None
    if found is None and data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        # An OLE2 compound file (filetype does not name it): an old Excel or Word file, as its suffix says.
        found = SUFFIX_TYPES.get(suffix, "application/x-ole-storage")
    if found:
        return str(found)
    if suffix in SUFFIX_TYPES:
        return SUFFIX_TYPES[suffix]
    if content_type:
        kind = content_type.split(";", 1)[0].strip().lower()
        return kind or None
    return None


def kept_path(sha256: str, kind: str | None) -> str:
    """Where a file of that hash is kept, relative to the files folder."""
    return f"sha256/{sha256[:2]}/{sha256}{TYPE_SUFFIXES.get(kind or '', '')}"


def files_folder(settings: Any) -> str:
    """``FOODNEWS_FILES``, else ``files`` beside the archive file."""
    folder = settings.get("FOODNEWS_FILES")
    if folder:
        return str(folder)
    db = settings.get("FOODNEWS_DB")
    if not db:
        raise NotConfigured("FOODNEWS_DB and FOODNEWS_FILES are empty: attachments are not downloaded")
    return str(Path(db).resolve().parent / "files")


class _Recorded(logging.Filter):
    """Scrapy's media pipeline logs a failed download with its traceback; ours is recorded on the
    attachment (``error``) and logged in one line by `AttachmentsPipeline.item_completed`."""

    def filter(self, record: logging.LogRecord) -> bool:
        failure = record.msg if isinstance(record.msg, Failure) else None
        return not (failure is not None and failure.check(FileException))


class AttachmentsPipeline(FilesPipeline):
    """Downloads each article's attachments; sets ``sha256``, ``size``, ``media_type`` and ``path`` on each,
    or ``error``. Stats: ``files/kept``, ``files/failed``."""

    def __init__(self, store_uri: str, *, crawler: Crawler):
        super().__init__(store_uri, crawler=crawler)
        self.folder = Path(store_uri)
        self.max_bytes = crawler.settings.getint("FOODNEWS_MAX_ATTACHMENT_BYTES", MAX_ATTACHMENT_BYTES)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> AttachmentsPipeline:
        if not crawler.settings.getbool("FOODNEWS_ATTACHMENTS", True):
            raise NotConfigured("FOODNEWS_ATTACHMENTS is off")
        media_logger = logging.getLogger("scrapy.pipelines.media")
        if not any(isinstance(f, _Recorded) for f in media_logger.filters):
            media_logger.addFilter(_Recorded())
        return cls(files_folder(crawler.settings), crawler=crawler)

    # --- what to fetch ------------------------------------------------------------------------------------

    def get_media_requests(self, item: Any, info: MediaPipeline.SpiderInfo) -> list[Request]:
        if not isinstance(item, Article):
            return []
        return [
            Request(
                a.url,
                callback=NO_CALLBACK,
                meta={
                    "source": item.source,
                    "download_maxsize": self.max_bytes,
                    "download_maxsize_setting": "FOODNEWS_MAX_ATTACHMENT_BYTES",
                    "download_warnsize": 0,
                },
                headers={"Referer": item.url},
            )
            for a in self._wanted(item)
        ]

    @staticmethod
    def _wanted(item: Article) -> list[Attachment]:
        return [a for a in item.attachments if url_problem(a.url) is None]

    def media_to_download(  # type: ignore[override]
        self, request: Request, info: MediaPipeline.SpiderInfo, *, item: Any = None
    ) -> dict[str, Any] | None:
        # Always fetched with its article, which is fetched only when new or due for a re-check: a workbook
        # replaced under the same URL is seen. Content-addressed: where a file goes is known once downloaded.
        return None

    # --- what was fetched ---------------------------------------------------------------------------------

    async def media_downloaded(  # type: ignore[override]
        self, response: Response, request: Request, info: MediaPipeline.SpiderInfo, *, item: Any = None
    ) -> dict[str, Any]:
        if response.status != 200:
            raise FileException(f"HTTP {response.status}")
        data = response.body
        if not data:
            raise FileException("empty file")
        content_type = response.headers.get("Content-Type")
        kind = media_type(data, request.url, content_type.decode("latin-1") if content_type else None)
        if self._is_page(data, kind):
            # A regulator's "file not found" page answered with 200: not the file linked.
            raise FileException("an HTML page came back instead of the file")
        sha256 = hashlib.sha256(data).hexdigest()
        path = kept_path(sha256, kind)
        try:
            self._keep(path, data)
        except OSError as exc:
            raise FileException(f"cannot keep the file: {exc.strerror or exc}") from None
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("files/kept")
        warc_file, warc_offset = response.meta.get("warc_record") or (None, None)
        return {
            "url": request.url,
            "status": "downloaded",
            "sha256": sha256,
            "size": len(data),
            "media_type": kind,
            "path": path,
            "warc_file": warc_file,
            "warc_offset": warc_offset,
        }

    @staticmethod
    def _is_page(data: bytes, kind: str | None) -> bool:
        """An HTML page where a file was linked (a "not found" page answered with 200)."""
        head = data[:2000].decode("utf-8", "replace")
        return kind == "text/html" or (filetype.guess_mime(data[:8192]) is None and looks_like_html(head))

    def _keep(self, path: str, data: bytes) -> None:
        """Write the file once, atomically: a kill mid-write leaves no partial file under a hash's name."""
        target = self.folder / path
        if target.is_file() and target.stat().st_size == len(data):
            return  # the same content is already kept (same hash)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".part-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def media_failed(self, failure: Failure, request: Request, info: MediaPipeline.SpiderInfo) -> NoReturn:
        if isinstance(failure.value, FileException):
            raise failure.value
        failure.request = request  # type: ignore[attr-defined]  # what failure_reason reads the limits from
        reason, _ = failure_reason(failure, self.crawler.settings)
        raise FileException(reason)

    def item_completed(self, results: list[Any], item: Any, info: MediaPipeline.SpiderInfo) -> Any:
        if not isinstance(item, Article):
            return item
        stats = self.crawler.stats
        assert stats is not None
        for attachment, (ok, result) in zip(self._wanted(item), results, strict=True):
            if ok:
                attachment.sha256 = result["sha256"]
                attachment.size = result["size"]
                attachment.media_type = result["media_type"]
                attachment.path = result["path"]
                attachment.warc_file = result.get("warc_file")
                attachment.warc_offset = result.get("warc_offset")
                attachment.error = None
            else:
                error = result.value if isinstance(result, Failure) else result
                attachment.error = (str(error) or type(error).__name__)[:300]
                stats.inc_value("files/failed")
                logger.warning("attachment %s of %s not kept: %s", attachment.url, item.url, attachment.error)
        return item
