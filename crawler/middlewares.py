"""Downloader middleware of the foodnews crawler, and the reason recorded for a request that failed."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urljoin

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.settings import BaseSettings
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure
from w3lib.url import safe_url_string

REDIRECTS = {301, 302, 303, 307, 308}


class RedirectLoopMiddleware:
    """Fails a request whose redirect leads back into its own chain (A → B → A), naming the chain.

    Scrapy's redirect middleware would schedule the hop back to A, and the duplicate filter would drop it
    without a word: the linked page would be neither fetched nor rejected. Runs just before that
    middleware (``DOWNLOADER_MIDDLEWARES`` 610 > 600) and resolves ``Location`` the way it does.

    It also counts each request's body bytes (``meta["body_bytes"]``), so that a download cancelled for
    growing past ``DOWNLOAD_MAXSIZE`` can be told from one cancelled because the crawl is stopping.
    """

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedirectLoopMiddleware:
        middleware = cls()
        crawler.signals.connect(middleware.bytes_received, signal=signals.bytes_received)
        return middleware

    def bytes_received(self, data: bytes, request: Request, spider: Any = None) -> None:
        request.meta["body_bytes"] = request.meta.get("body_bytes", 0) + len(data)

    def process_response(self, request: Request, response: Response, spider: Any = None) -> Response:
        location = response.headers.get("Location")
        if response.status not in REDIRECTS or not location or request.meta.get("dont_redirect"):
            return response
        target = safe_url_string(location)
        if location.startswith(b"//"):
            target = request.url.split(":", 1)[0] + "://" + target.lstrip("/")
        target = urljoin(request.url, target).split("#", 1)[0]
        chain = [*request.meta.get("redirect_urls", []), request.url]
        if target in (u.split("#", 1)[0] for u in chain):
            raise IgnoreRequest("redirect loop: " + " -> ".join([*chain, target]))
        return response


def linked_url(request: Request) -> str:
    """The URL the spider asked for: the first of a redirect chain, not the hop where it failed."""
    return str(request.meta.get("redirect_urls", [request.url])[0])


def failure_reason(failure: Failure, settings: BaseSettings) -> tuple[str, int | None]:
    """One line saying why a request failed, and the HTTP status when a response came back."""
    meta = failure.request.meta  # type: ignore[attr-defined]
    # An attachment's request carries its own limit (crawler/files.py).
    download_maxsize = meta.get("download_maxsize") or settings.getint("DOWNLOAD_MAXSIZE")
    limit = meta.get("download_maxsize_setting", "DOWNLOAD_MAXSIZE")
    value = failure.value
    response = getattr(value, "response", None)
    if isinstance(value, HttpError) and response is not None:
        return f"HTTP {response.status}", response.status
    name = type(value).__name__
    message = failure.getErrorMessage()
    if name == "DownloadCancelledError" and "larger than download max size" in message:
        size = message.split(" bytes", 1)[0].rsplit(" ", 1)[-1]
        return f"response of {size} bytes is larger than {limit} ({download_maxsize} bytes)", None
    received = meta.get("body_bytes", 0)
    if name == "DownloadCancelledError" and download_maxsize and received > download_maxsize:
        return f"response body grew past {limit} ({download_maxsize} bytes)", None
    if name in ("TimeoutError", "DownloadTimeoutError", "TCPTimedOutError"):
        return (
            f"no complete response within {settings.getfloat('DOWNLOAD_TIMEOUT'):g} s (DOWNLOAD_TIMEOUT)",
            None,
        )
    if isinstance(value, IgnoreRequest) and "during decompression" in message:
        compressed = re.search(r"\((\d+) B compressed", message)
        return (
            f"response decompresses to more than {limit} ({download_maxsize} bytes) from "
            f"{compressed[1] if compressed else '?'} bytes"
        ), None
    if isinstance(value, IgnoreRequest) and message == "max redirections reached":
        return f"more than {settings.getint('REDIRECT_MAX_TIMES')} redirects (REDIRECT_MAX_TIMES)", None
    if isinstance(value, IgnoreRequest) and message:
        return message.split(" in request <", 1)[0][:300], getattr(response, "status", None)
    return f"{name}: {message}"[:300], None
