"""China Food Safety Network (中国食品安全网, www.cfsn.cn): column lists → article pages.

Identity, start URLs, schedule and expectations: ``cfsn.yaml`` beside this file.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response

from crawler.items import Article, Rechecked, Reject
from crawler.parsers import cfsn
from crawler.spiders.base import SourceSpider


class CfsnSpider(SourceSpider):
    """Follows column list pages (and their pagination, up to ``max_pages``) to article pages."""

    name = "cfsn"

    def parse(self, response: Response, page: int = 1) -> Iterator[scrapy.Request]:
        """A list page: article links on the same host, then the next page up to ``max_pages``."""
        host = urlsplit(response.url).netloc
        urls = [response.urljoin(href.strip()) for href in response.css("a::attr(href)").getall()]
        every_one_held = yield from self.follow_articles(
            response,
            [u for u in urls if urlsplit(u).netloc == host and cfsn.ARTICLE_URL.search(u)],
            self.parse_article,
        )
        if page >= self.page_limit(self.source_of(response)) or not self.more_pages(response, every_one_held):
            return
        next_href = response.xpath(
            "//a[normalize-space()='下一页' or normalize-space()='下页' or contains(@class, 'next')]/@href"
        ).get()
        if next_href:
            url = response.urljoin(next_href.strip())
            if urlsplit(url).netloc == host and url != response.url:
                yield self.follow(response, url, self.parse, page=page + 1)
        else:
            self.logger.debug("no next page on %s", response.url)

    def parse_article(self, response: Response) -> Iterator[Article | Reject | Rechecked]:
        """An article page → an item, or a reject with the reason (never dropped)."""
        yield self.parsed(response, cfsn.parse_article)
