"""Per-source page parsers, and routing of a URL to the parser of its source."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from crawler.parsers import cfsn

# Host (or parent domain) → the source's article parser.
PARSERS: dict[str, Callable[..., Any]] = {
    "cfsn.cn": cfsn.parse_article,
}


def route(url: str) -> Callable[..., Any] | None:
    """The parser of the source that publishes ``url``, or None for the generic extractor."""
    host = (urlsplit(url).hostname or "").lower()
    for domain, parser in PARSERS.items():
        if host == domain or host.endswith("." + domain):
            return parser
    return None
