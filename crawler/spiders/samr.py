"""State Administration for Market Regulation (国家市场监督管理总局, www.samr.gov.cn): news columns, and the
food-sampling notices through the list API that fills their index page.

Identity, start URLs, schedule and expectations: ``samr.yaml`` beside this file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Generator, Iterator
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import scrapy
from parsel import Selector
from scrapy.http import Response

from crawler.items import Article, Rechecked, Reject
from crawler.parsers import samr
from crawler.spiders.base import SourceSpider

HOST = "https://www.samr.gov.cn"
#: The notice index, whose rows a script loads from the JPAAS list API (sites-cn.md §7).
NOTICE_INDEX = re.compile(r"^https?://www\.samr\.gov\.cn/spcjs/xxfb/(?:index\.html)?$")
API = f"{HOST}/api-gateway/jpaas-publish-server/front/page/build/unit"
#: The API's parameters for the notice column, in the order the page's script sends them.
API_PARAMETERS = {
    "parseType": "bulidstatic",  # sic
    "webId": "29e9522dc89d4e088a953d8cede72f4c",
    "tplSetId": "5c30fb89ae5e48b9aefe3cdf49853830",
    "pageType": "column",
    "tagId": "ajax分页",
    "editType": "null",
    "pageId": "6695899db9f8455187259c43b72d2e1c",
}
#: Rows per API page: the server's cap.
PAGE_SIZE = 99


def api_url(page: int) -> str:
    """The list API's URL for one page of notices (the same text every time: the replay answers by it)."""
    parameters = {**API_PARAMETERS, "paramJson": json.dumps({"pageNo": page, "pageSize": PAGE_SIZE})}
    return f"{API}?{urlencode(parameters, quote_via=quote)}"


class SamrSpider(SourceSpider):
    """News list pages → articles; the notice index → the list API, 99 notices a page → notices."""

    name = "samr"

    def parse(self, response: Response, page: int = 1) -> Iterator[scrapy.Request]:
        """A list page: the notice index goes to the API; a news column gives its article links, then the
        next page up to ``max_pages``."""
        if NOTICE_INDEX.match(response.url):
            yield self._api_page(response.url, 1, response.meta.get("source"))
            return
        every_one_held = yield from self._articles(response, response.css("a::attr(href)").getall())
        if page >= self.page_limit(self.source_of(response)) or not self.more_pages(response, every_one_held):
            return
        next_href = response.xpath("//a[normalize-space()='下一页' or contains(@class, 'next')]/@href").get()
        if next_href:
            url = response.urljoin(next_href.strip())
            if urlsplit(url).netloc == urlsplit(response.url).netloc and url != response.url:
                yield self.follow(response, url, self.parse, page=page + 1)

    def _articles(self, response: Response, hrefs: list[str]) -> Generator[scrapy.Request, None, bool]:
        """Requests for the article links (see `follow_articles`); whether the archive held them all."""
        host = urlsplit(response.url).netloc
        urls = [response.urljoin(href.strip()) for href in hrefs]
        return (
            yield from self.follow_articles(
                response,
                [
                    u
                    for u in urls
                    if urlsplit(u).netloc in (host, "www.samr.gov.cn") and samr.ARTICLE_URL.search(u)
                ],
                self.parse_article,
            )
        )

    def _api_page(self, list_url: str, page: int, source: Any) -> scrapy.Request:
        return scrapy.Request(
            api_url(page),
            callback=self.parse_api,
            cb_kwargs={"page": page, "list_url": list_url},
            errback=self.failed,
            headers={"Referer": list_url, "X-Requested-With": "XMLHttpRequest"},
            meta={"source": source},
        )

    def parse_api(self, response: Response, page: int, list_url: str) -> Iterator[scrapy.Request | Reject]:
        """One page of the list API: ``{"success": true, "data": {"html": "<li>…"}}``, the total in a
        ``count`` attribute of the fragment. An answer without rows is a reject, never a silent end."""
        try:
            # From the bytes: an answer sent as application/octet-stream is a plain Response, without .text.
            data = json.loads(response.body)
        except ValueError:  # UnicodeDecodeError included
            yield self._bad_answer(response, "is not JSON")
            return
        html = (
            data.get("data", {}).get("html")
            if isinstance(data, dict) and isinstance(data.get("data"), dict)
            else None
        )
        if not isinstance(data, dict) or data.get("success") is not True or not isinstance(html, str):
            yield self._bad_answer(
                response,
                f"is not a page of rows (success: {data.get('success') if isinstance(data, dict) else None!r})",
            )
            return
        fragment = Selector(text=html)
        hrefs = fragment.css("li a::attr(href)").getall()
        if not hrefs:
            yield self._bad_answer(response, f"page {page} holds no rows")
            return
        every_one_held = yield from self._articles(response.replace(url=list_url), hrefs)
        if not self.more_pages(response, every_one_held):
            return
        count = fragment.css("[count]::attr(count)").get()
        total = int(count) if count and count.isdigit() else None
        if total is None:
            self.logger.warning("samr list API page %d gives no count: not asking for more", page)
        elif page * PAGE_SIZE < total and page < self.page_limit(self.source_of(response)):
            yield self._api_page(list_url, page + 1, response.meta.get("source"))

    def _bad_answer(self, response: Response, problem: str) -> Reject:
        return Reject(
            url=response.url,
            reason=f"samr list API: the answer {problem}",
            source=response.meta.get("source") or self.name,
            http_status=response.status,
        )

    def parse_article(self, response: Response) -> Iterator[Article | Reject | Rechecked]:
        """A notice or news page → an item, or a reject with the reason (never dropped)."""
        yield self.parsed(response, samr.parse_article)
