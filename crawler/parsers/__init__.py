"""Per-source page parsers, and routing of a URL to the parser of its source."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from datetime import tzinfo
from functools import partial
from typing import Any

from crawler import sources
from crawler.extract import SiteRules, extract
from crawler.items import Article, Reject


def site_parser(
    slug: str, rules: SiteRules, *, tz: tzinfo | None = None, day_first: bool = True
) -> Callable[..., Article | Reject]:
    """A source's page parser: the extraction engine with the source's slug, site rules and date
    conventions (``tz``: its time zone, for dates printed without an offset; default as `extract`).

    ``parse_article(body, url, *, content_type=None, fetched_at=None, http_status=None)`` takes the page's
    bytes as fetched (any encoding) and returns an `Article`, or a `Reject` with the reason.
    """

    def parse_article(
        body: bytes | str,
        url: str,
        *,
        content_type: str | None = None,
        fetched_at: str | None = None,
        http_status: int | None = None,
    ) -> Article | Reject:
        return extract(
            body,
            url,
            source=slug,
            content_type=content_type,
            rules=rules,
            fetched_at=fetched_at,
            http_status=http_status,
            tz=tz,
            day_first=day_first,
        )

    parse_article.__doc__ = f"One page of {slug} → an `Article`, or a `Reject` with the reason."
    return parse_article


def route(url: str) -> Callable[..., Any] | None:
    """The parser of the source that publishes ``url`` (by the registry's hosts), or None for the generic
    extractor. A source whose spider has no parser module of its own (``crawler/parsers/<spider>.py``) is
    parsed by the engine alone, under the source's slug."""
    found = sources.for_url(url)
    if found is None:
        return None
    try:
        module = importlib.import_module(f"crawler.parsers.{found.spider}")
    except ModuleNotFoundError:
        return partial(extract, source=found.slug)
    return module.parse_article  # type: ignore[no-any-return]
