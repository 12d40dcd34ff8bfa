"""Per-source page parsers, and routing of a URL to the parser of its source."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from functools import partial
from typing import Any

from crawler import sources
from crawler.extract import extract


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
