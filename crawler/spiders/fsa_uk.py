"""UK Food Standards Agency (food.gov.uk): food alerts through its JSON API, news pages through the engine.

Identity, start URLs, schedule and expectations: ``fsa_uk.yaml`` beside this file. Spider argument
``-a since=2026-11-01`` (an ISO 8601 date or date-time) asks the API only for alerts created since then.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from crawler.items import Article, Rechecked, Reject
from crawler.middlewares import failure_reason
from crawler.parsers import fsa_uk
from crawler.sources import Source
from crawler.spiders.base import SourceSpider, provenance

API_HOST = "data.food.gov.uk"
NEWS_URL = re.compile(r"^https://www\.food\.gov\.uk/news-alerts/news/[\w-]+$")


def with_query(url: str, **changes: str) -> str:
    """``url`` with query parameters set (in place, keeping the others' order)."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    query.update(changes)
    return urlunsplit(parts._replace(query=urlencode(query, safe=":")))


class FsaUkSpider(SourceSpider):
    """Alerts API pages (``_limit`` a page, ``_offset`` on) → an item per alert, its body from the alert's
    page when that page can be read; news list pages → news pages."""

    name = "fsa_uk"

    @classmethod
    def check_arguments(cls, arguments: dict[str, Any]) -> None:
        super().check_arguments({k: v for k, v in arguments.items() if k != "since"})
        if "since" in arguments:
            value = str(arguments["since"])
            try:
                (date.fromisoformat if len(value) == 10 else datetime.fromisoformat)(value)
            except ValueError:
                raise ValueError(f"since must be an ISO 8601 date or date-time, not {value!r}") from None

    def starts(self) -> list[tuple[str, Source]]:
        since = self.__dict__.get("since")
        return [
            (with_query(url, since=since) if since and urlsplit(url).hostname == API_HOST else url, source)
            for url, source in super().starts()
        ]

    def parse(self, response: Response, page: int = 1) -> Iterator[Any]:
        if urlsplit(response.url).hostname == API_HOST:
            yield from self.parse_alerts(response, page)
            return
        urls = [response.urljoin(href.strip()) for href in response.css("a::attr(href)").getall()]
        every_one_held = yield from self.follow_articles(
            response, [u for u in urls if NEWS_URL.match(u)], self.parse_news
        )
        if page >= self.page_limit(self.source_of(response)) or not self.more_pages(response, every_one_held):
            return
        following = response.xpath("//a[@rel='next' or normalize-space()='Next']/@href").get()
        if following:
            yield self.follow(response, response.urljoin(following.strip()), self.parse, page=page + 1)

    def parse_alerts(self, response: Response, page: int) -> Iterator[Any]:
        """One page of the alerts API: ``{"meta": {...}, "items": [record, ...]}``."""
        try:
            data = json.loads(response.text)
        except ValueError:
            data = None
        items = data.get("items") if isinstance(data, dict) else None
        if not isinstance(items, list):
            yield Reject(
                url=response.url,
                reason="fsa_uk alerts API: the answer is not a page of items",
                source=fsa_uk.SLUG,
                http_status=response.status,
            )
            return
        fetched_at = datetime.now(UTC).replace(microsecond=0).isoformat()
        every_one_held = True
        for record in items:
            item = fsa_uk.alert_from_record(record, response.url, fetched_at)
            if isinstance(item, Reject):
                yield item
                continue
            every_one_held = every_one_held and self.known.seen_before(fsa_uk.SLUG, item.url)
            # The API page is the record's evidence; the alert page's, when it is read, replaces it.
            item.warc_file, item.warc_offset = response.meta.get("warc_record") or (None, None)
            if self.known.enabled and self.known.fresh(fsa_uk.SLUG, item.url):
                # Held and not due: the alert is asked for again when its age says (then in full: the item
                # is the record and its page together).
                self.skip(fsa_uk.SLUG, item.url)
                continue
            yield scrapy.Request(
                item.url,
                callback=self.parse_alert_page,
                cb_kwargs={"item": item},
                errback=self.alert_page_failed,
                meta={"source": response.meta.get("source")},
            )
        query = dict(parse_qsl(urlsplit(response.url).query))
        limit = int(query["_limit"]) if query.get("_limit", "").isdigit() else 0
        if (
            limit
            and len(items) >= limit
            and page < self.page_limit(self.source_of(response))
            and self.more_pages(response, every_one_held)
        ):
            offset = int(query["_offset"]) if query.get("_offset", "").isdigit() else 0
            yield self.follow(
                response, with_query(response.url, _offset=str(offset + limit)), self.parse, page=page + 1
            )

    def parse_alert_page(self, response: Response, item: Article) -> Iterator[Article]:
        """The alert's own page: its text replaces the record's when the engine can read it."""
        content_type = response.headers.get("Content-Type")
        provenance(item, response)
        yield fsa_uk.with_alert_page(
            item,
            response.body,
            response.url,
            content_type=content_type.decode("latin-1") if content_type else None,
            http_status=response.status,
        )

    def alert_page_failed(self, failure: Failure) -> Iterator[Article]:
        """An alert page that cannot be fetched loses nothing: the item keeps the record's text."""
        item: Article = failure.request.cb_kwargs["item"]  # type: ignore[attr-defined]
        reason, _ = failure_reason(failure, self.settings)
        item.notes.append(f"alert page not fetched ({reason}): the body is the API record's")
        yield item

    def parse_news(self, response: Response) -> Iterator[Article | Reject | Rechecked]:
        yield self.parsed(response, fsa_uk.parse_article)
