"""China Food Safety Network (中国食品安全网, www.cfsn.cn): column lists → article pages."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from crawler.items import Article, Reject
from crawler.middlewares import failure_reason, linked_url
from crawler.parsers import cfsn


class CfsnSpider(scrapy.Spider):
    """Follows column list pages (and their pagination) to article pages.

    Settings: ``CFSN_START_URLS`` replaces the start URLs (the offline demo points them at a local replay);
    ``CFSN_MAX_PAGES`` is how many list pages per column are followed (default 3).
    """

    name = cfsn.SLUG
    publisher = "中国食品安全报社"
    site_name = "中国食品安全网"
    homepage = "https://www.cfsn.cn/"
    country = "CN"
    language = "zh-Hans"
    # Columns: 22 要闻, 2369 监管, 2371 市场, 2372 质量.
    start_urls = [f"https://www.cfsn.cn/news/{column}.html" for column in (22, 2369, 2371, 2372)]

    async def start(self) -> AsyncIterator[Any]:
        """One request per column list page."""
        for url in self.settings.getlist("CFSN_START_URLS") or self.start_urls:
            yield scrapy.Request(url, callback=self.parse, cb_kwargs={"page": 1}, errback=self.failed)

    def parse(self, response: Response, page: int = 1) -> Iterator[scrapy.Request]:
        """A list page: article links on the same host, then the next page up to ``CFSN_MAX_PAGES``."""
        host = urlsplit(response.url).netloc
        links = response.css("a::attr(href)").getall()
        for href in links:
            url = response.urljoin(href.strip())
            if urlsplit(url).netloc == host and cfsn.ARTICLE_URL.search(url):
                yield scrapy.Request(url, callback=self.parse_article, errback=self.failed)
        if page >= self.settings.getint("CFSN_MAX_PAGES", 3):
            return
        next_href = response.xpath(
            "//a[normalize-space()='下一页' or normalize-space()='下页' or contains(@class, 'next')]/@href"
        ).get()
        if next_href:
            url = response.urljoin(next_href.strip())
            if urlsplit(url).netloc == host and url != response.url:
                yield scrapy.Request(url, callback=self.parse, cb_kwargs={"page": page + 1}, errback=self.failed)
        else:
            self.logger.debug("no next page on %s", response.url)

    def parse_article(self, response: Response) -> Iterator[Article | Reject]:
        """An article page → an item, or a reject with the reason (never dropped)."""
        content_type = response.headers.get("Content-Type")
        yield cfsn.parse_article(
            response.body,
            response.url,
            content_type=content_type.decode("latin-1") if content_type else None,
            fetched_at=datetime.now(UTC).replace(microsecond=0).isoformat(),
            http_status=response.status,
        )

    def failed(self, failure: Failure) -> Iterator[Reject]:
        """A request that failed (HTTP error, DNS, timeout, size limit, redirect loop) is recorded as a reject
        under the URL that was linked."""
        request = failure.request  # type: ignore[attr-defined]
        reason, status = failure_reason(failure, self.settings)
        yield Reject(url=linked_url(request), reason=reason, source=self.name, http_status=status)
