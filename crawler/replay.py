"""Crawling a local replay instead of the real hosts, with the real URLs everywhere else.

``FOODNEWS_REPLAY`` set to a local server's address (``http://127.0.0.1:8780``) makes this download handler
fetch ``https://www.cfsn.cn/news/22.html?page=2`` as ``http://127.0.0.1:8780/www.cfsn.cn/news/22.html?page=2``
(``crawler/demo/server.py`` serves such paths from ``crawler/demo/site/<host>/``). The response carries the
real URL again, so spiders, middlewares (robots.txt, redirects), items and the archive never see the replay:
an archive crawled from a replay on any port holds the URLs of the sites it models. Empty (the default),
the handler is Scrapy's own HTTP/1.1 handler. Every URL goes to the replay when it is set: a demo or a test
never leaves 127.0.0.1.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from scrapy import Request
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.crawler import Crawler
from scrapy.http import Response


def replay_url(base: str, url: str) -> str:
    """Where the replay at ``base`` serves ``url``: its host becomes the first folder of the path."""
    parts = urlsplit(url)
    return f"{base.rstrip('/')}/{parts.netloc}{parts.path or '/'}" + (
        f"?{parts.query}" if parts.query else ""
    )


class ReplayDownloadHandler(HTTP11DownloadHandler):  # type: ignore[misc]
    """Scrapy's HTTP/1.1 handler, sending every request to ``FOODNEWS_REPLAY`` when it is set."""

    def __init__(self, crawler: Crawler):
        super().__init__(crawler)
        self.replay = crawler.settings.get("FOODNEWS_REPLAY") or ""

    async def download_request(self, request: Request) -> Response:
        if not self.replay:
            return await super().download_request(request)
        response = await super().download_request(request.replace(url=replay_url(self.replay, request.url)))
        return response.replace(url=request.url)
