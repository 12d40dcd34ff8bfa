"""The market-supervision bureaus (市场监督管理局): one spider for every bureau of ``govcn.yaml``.

Each bureau is a source of its own (its items, runs and expectations are its own). A list page is read by
the bureau's row selector (``options.rows``) or, without one, in auto mode: every link whose URL has an
article pattern of the common CMS families (`crawler.parsers.govcn.TEMPLATES`), also the links inside the
script data that Hanweb lists carry instead of markup. Pagination: a 下一页 link, or TRS's
``createPageHTML(pages, current, "index", "html")`` script, up to ``max_pages``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy.http import Response

from crawler.items import Article, Rechecked, Reject
from crawler.parsers import govcn
from crawler.sources import Source
from crawler.spiders.base import SourceSpider

#: Any link in the page's text: markup, or the CDATA of a Hanweb list's script data.
HREF = re.compile(r"""href\s*=\s*["']([^"'<>\s]+)["']""", re.IGNORECASE)
#: TRS pagination: createPageHTML(<pages>, <current page, from 0>, "<stem>", "<suffix>").
TRS_PAGES = re.compile(r"""createPageHTML\(\s*(\d+)\s*,\s*(\d+)\s*,\s*["']([\w-]+)["']\s*,\s*["'](\w+)["']""")


def on_hosts(url: str, source: Source) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return any(host == h or host.endswith("." + h) for h in source.hosts)


class GovcnSpider(SourceSpider):
    """List pages of each bureau → its article pages, through the CMS family's rules or the bureau's."""

    name = "govcn"

    def parse(self, response: Response, page: int = 1) -> Iterator[scrapy.Request]:
        source = self.source_of(response)
        rows = source.options.get("rows")
        if rows:
            hrefs = [h for row in response.css(rows) for h in row.css("a::attr(href)").getall()[:1]]
            if not hrefs:
                self.logger.warning("%s: no rows (%s) on %s", source.slug, rows, response.url)
        else:
            hrefs = [h for h in HREF.findall(response.text) if govcn.template_of(urljoin(response.url, h))]
        urls = dict.fromkeys(response.urljoin(href.strip()) for href in hrefs)
        every_one_held = yield from self.follow_articles(
            response, [u for u in urls if on_hosts(u, source)], self.parse_article
        )
        if page >= self.page_limit(source) or not self.more_pages(response, every_one_held):
            return
        following = self._next_page(response, page)
        if following and on_hosts(following, source) and following != response.url:
            yield self.follow(response, following, self.parse, page=page + 1)

    @staticmethod
    def _next_page(response: Response, page: int) -> str | None:
        href = response.xpath("//a[normalize-space()='下一页' or normalize-space()='下页']/@href").get()
        if href and not href.strip().lower().startswith("javascript"):
            return response.urljoin(href.strip())
        trs = TRS_PAGES.search(response.text)
        if trs:
            pages, current, stem, suffix = int(trs[1]), int(trs[2]), trs[3], trs[4]
            if current + 1 < pages:
                return response.urljoin(f"{stem}_{current + 1}.{suffix}")
        return None

    def parse_article(self, response: Response) -> Iterator[Article | Reject | Rechecked]:
        """A bureau's article page → an item with the bureau as its source, or a reject with the reason."""
        yield self.parsed(response, govcn.parse_article, source=self.source_of(response).slug)
