"""What every spider repeats: its sources from the registry, where to start, failed requests as rejects,
and the provenance of each parsed page."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Generator, Iterable, Iterator
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime
from typing import Any, Self, cast

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Response
from twisted.python.failure import Failure

from crawler import sources
from crawler.incremental import GONE, NOT_MODIFIED, Known
from crawler.items import Article, Rechecked, Reject
from crawler.middlewares import failure_reason, linked_url
from crawler.quarantine import Quarantine
from crawler.sources import Source


def provenance(item: Article, response: Response) -> None:
    """What an article keeps of the response it was parsed from: the validators the server sent (for the
    next conditional re-check) and the WARC record the response was kept as."""
    item.etag, item.last_modified = (
        value.decode("latin-1") if (value := response.headers.get(name)) else None
        for name in ("ETag", "Last-Modified")
    )
    item.warc_file, item.warc_offset = response.meta.get("warc_record") or (None, None)
    if response.meta.get("warc_error"):
        item.notes.append(f"warc: {response.meta['warc_error']}")


class SourceSpider(scrapy.Spider):
    """A spider whose sources are the entries of ``crawler/spiders/<name>.yaml``.

    Spider arguments (``scrapy crawl NAME -a start_urls=URL,URL -a max_pages=N``, or ``foodnews crawl NAME
    -a ...``): ``start_urls`` replaces the sources' start URLs (each URL is crawled as the source whose host
    it is on); ``max_pages`` is how many list pages are followed from each start URL (default: the source's).
    Subclasses write ``parse`` (a list page, ``page`` its number) and ``parse_article``.
    """

    name: str

    @classmethod
    def sources(cls) -> list[Source]:
        """The spider's sources, from the registry."""
        return sources.of_spider(cls.name)

    @classmethod
    def check_arguments(cls, arguments: dict[str, Any]) -> None:
        """Raise ValueError, in one line, for a spider argument that can't be used."""
        # (``_job``: the job id Scrapyd passes to every spider it runs)
        unknown = set(arguments) - {"start_urls", "max_pages", "_job"}
        if unknown:
            raise ValueError(
                f"{cls.name} takes the arguments start_urls and max_pages, not {', '.join(sorted(unknown))}"
            )
        if "max_pages" in arguments:
            value = str(arguments["max_pages"])
            if not value.isdigit() or int(value) < 1:
                raise ValueError(f"max_pages must be a whole number of at least 1, not {value!r}")
        for url in cls._split(arguments.get("start_urls")):
            if not url.startswith(("http://", "https://")):
                raise ValueError(f"start_urls: {url!r} is not an http(s) URL")

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        cls.check_arguments(kwargs)
        return super().from_crawler(crawler, *args, **kwargs)

    @staticmethod
    def _split(value: Any) -> list[str]:
        if not value:
            return []
        items = value.split(",") if isinstance(value, str) else list(value)
        return [u.strip() for u in items if u.strip()]

    def starts(self) -> list[tuple[str, Source]]:
        """Each start URL with the source it belongs to."""
        own = self.sources()
        given = self._split(self.__dict__.get("start_urls"))
        if not given:
            return [(url, source) for source in own for url in source.start_urls]
        by_slug = {s.slug: s for s in own}
        out = []
        for url in given:
            found = sources.for_url(url)
            out.append((url, by_slug.get(found.slug, own[0]) if found else own[0]))
        return out

    def page_limit(self, source: Source) -> int:
        """List pages followed from each start URL of ``source``."""
        value = self.__dict__.get("max_pages")
        return int(value) if value is not None else source.max_pages

    async def start(self) -> AsyncIterator[Any]:
        """One request per start URL, the first page of a list."""
        for url, source in self.starts():
            yield scrapy.Request(
                url,
                callback=self.parse,
                cb_kwargs={"page": 1},
                errback=self.failed,
                meta={"source": source.slug},
            )

    def follow(
        self, response: Response, url: str, callback: Callable[..., Any], **cb_kwargs: Any
    ) -> scrapy.Request:
        """A request for a page linked from ``response``, for the same source."""
        return scrapy.Request(
            url,
            callback=callback,
            cb_kwargs=cb_kwargs,
            errback=self.failed,
            meta={"source": response.meta.get("source"), "held_pages": response.meta.get("held_pages", 0)},
        )

    @property
    def known(self) -> Known:
        """What the archive holds (`crawler.incremental`), read when first needed."""
        known = self.__dict__.get("_known")
        if known is None:
            known = self.__dict__["_known"] = Known.from_settings(self.settings)
        return known

    def follow_articles(
        self, response: Response, urls: Iterable[str], callback: Callable[..., Any], **cb_kwargs: Any
    ) -> Generator[scrapy.Request, None, bool]:
        """Requests for the articles a list page links to, but those the archive holds and that are not
        due for a re-check (counted in ``incremental/skipped/<source>``); a held one that is due is asked
        for conditionally. Returns whether the archive held every one of them (`more_pages` reads it)."""
        slug = response.meta.get("source") or self.sources()[0].slug
        known = self.known
        every_one_held = True
        for url in dict.fromkeys(urls):
            every_one_held = every_one_held and known.seen_before(slug, url)
            held = known.held(slug, url) if known.enabled else None
            if held is None:
                yield self.follow(response, url, callback, **cb_kwargs)
            elif known.fresh(slug, url):
                self.skip(slug, url)
            else:
                request = self.follow(response, url, callback, **cb_kwargs)
                if held.etag:
                    request.headers["If-None-Match"] = held.etag
                if held.last_modified:
                    request.headers["If-Modified-Since"] = held.last_modified
                request.meta["held"] = True
                request.meta["handle_httpstatus_list"] = [NOT_MODIFIED, *GONE]
                yield request
        return every_one_held

    def skip(self, slug: str, url: str) -> None:
        """Count a held article not fetched again, once however many list pages link to it."""
        skipped: set[tuple[str, str]] = self.__dict__.setdefault("_skipped", set())
        if (slug, url) not in skipped:
            skipped.add((slug, url))
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value(f"incremental/skipped/{slug}")

    def more_pages(self, response: Response, every_one_held: bool) -> bool:
        """Whether to follow the next list page, as far as the archive goes: not after the source's
        ``known_pages`` pages in a row whose articles the archive held (0: always). The page limit is the
        caller's."""
        held_pages = response.meta.get("held_pages", 0) + 1 if every_one_held else 0
        response.meta["held_pages"] = held_pages
        limit = self.source_of(response).known_pages
        slug = response.meta.get("source") or self.sources()[0].slug
        if self.known.enabled and limit and held_pages >= limit and self.known.complete(slug):
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value(f"incremental/stopped/{slug}")
            return False
        return True

    @property
    def quarantine(self) -> Quarantine | None:
        """The pages crawls of this spider died parsing (`crawler.quarantine`), counted when first needed."""
        if "_quarantine" not in self.__dict__:
            quarantine = self.__dict__["_quarantine"] = Quarantine.from_settings(self.settings, self.name)
            if quarantine is not None:
                for page in quarantine.load():
                    self.logger.warning(
                        "a crawl of %s died while reading %s (%d time(s) with these bytes; at %d it is not "
                        "read again)",
                        page.get("source") or self.name,
                        page["url"],
                        quarantine.counts[Quarantine.key(page["url"], page["sha256"])]["deaths"],
                        quarantine.limit,
                    )
        return cast("Quarantine | None", self.__dict__["_quarantine"])

    def closed(self, reason: str) -> None:
        """The crawl ended (not killed): its parsing marker goes."""
        quarantine = self.__dict__.get("_quarantine")
        if quarantine is not None:
            quarantine.close()

    def source_of(self, response: Response) -> Source:
        """The source a response was fetched for (carried from its start URL)."""
        slug = response.meta.get("source")
        return sources.source(slug) if slug else self.sources()[0]

    def parsed(
        self, response: Response, parser: Callable[..., Article | Reject], **extra: Any
    ) -> Article | Reject | Rechecked:
        """A page through ``parser``, with its provenance: the fetch time, content type and HTTP status.

        What the site rules found and missed is counted in the stats (``rules/found/<source>/<field>``,
        ``rules/missed/...``, checked against the source's expectations when the crawl ends), and a rule that
        found nothing is logged once per source and field.
        """
        fetched_at = datetime.now(UTC).replace(microsecond=0).isoformat()
        source = extra.get("source") or response.meta.get("source") or self.name
        if response.meta.get("held") and response.status in (NOT_MODIFIED, *GONE):
            return Rechecked(
                url=response.request.url if response.request is not None else response.url,
                source=source,
                http_status=response.status,
                fetched_at=fetched_at,
            )
        content_type = response.headers.get("Content-Type")
        quarantine = self.quarantine
        guard: AbstractContextManager[None] = nullcontext()
        if quarantine is not None:
            deaths, digest = quarantine.deaths(response.url, response.body)
            if deaths >= quarantine.limit:
                assert self.crawler.stats is not None
                self.crawler.stats.inc_value("quarantine/skipped")
                return Reject(
                    url=response.url,
                    reason=f"not parsed: {deaths} crawls died while parsing this page (body sha256 "
                    f"{digest[:16]}…); it is parsed again when it changes",
                    source=source,
                    http_status=response.status,
                )
            guard = quarantine.parsing(response.url, digest, source)
        with guard:
            try:
                item = parser(
                    response.body,
                    response.url,
                    content_type=content_type.decode("latin-1") if content_type else None,
                    fetched_at=fetched_at,
                    http_status=response.status,
                    **extra,
                )
            except Exception as exc:  # a parser's bug must not lose the page: it is a reject with the reason
                self.logger.exception("the parser failed on %s", response.url)
                assert self.crawler.stats is not None
                self.crawler.stats.inc_value("parse/errors")
                item = Reject(
                    url=response.url,
                    reason=" ".join(f"parser error: {type(exc).__name__}: {exc}".split())[:300],
                    source=source,
                    http_status=response.status,
                )
        if isinstance(item, Article):
            self._count_rules(item)
            provenance(item, response)
        return item

    def _count_rules(self, item: Article) -> None:
        stats = self.crawler.stats
        assert stats is not None
        logged: set[tuple[str, str]] = self.__dict__.setdefault("_rules_logged", set())
        for note in item.notes:
            if note.startswith("rules found: "):
                for name in note[len("rules found: ") :].split(", "):
                    stats.inc_value(f"rules/found/{item.source}/{name}")
            elif note.startswith("rule missed: "):
                name, _, query = note[len("rule missed: ") :].partition(" ")
                stats.inc_value(f"rules/missed/{item.source}/{name}")
                if (item.source, name) not in logged:
                    logged.add((item.source, name))
                    self.logger.warning(
                        "%s: the site rule for %s %s found nothing on %s (and maybe other pages; "
                        "the engine's value is used)",
                        item.source,
                        name,
                        query,
                        item.url,
                    )

    def failed(self, failure: Failure) -> Iterator[Reject]:
        """A request that failed (HTTP error, DNS, timeout, size limit, redirect loop) is recorded as a reject
        under the URL that was linked."""
        request = failure.request  # type: ignore[attr-defined]
        reason, status = failure_reason(failure, self.settings)
        yield Reject(
            url=linked_url(request),
            reason=reason,
            source=request.meta.get("source") or self.name,
            http_status=status,
        )
