"""The registry of sources: who publishes what, where a crawl starts, and what a healthy run looks like.

A source is data plus a small spider. Each spider has a YAML file beside it (``crawler/spiders/<spider>.yaml``)
holding its source, or, for a family spider, a list of sources sharing defaults (every market-supervision
bureau is a source of the ``govcn`` spider). Everything that needs to know the sources reads them from here:
the spiders, ``scrapy list`` (through the spiders), ``foodnews sources``, the routing of ``foodnews extract``
by URL, and the archive's ``sources`` table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

#: A source's slug: what spiders are named, and what the archive keys sources on.
SLUG = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")
#: What an item's fields must be found in, by default, for a run to count as healthy.
DEFAULT_FILL = {"published": 0.8}
#: Site rules that must find something on most pages, by default.
DEFAULT_RULE_HITS = {"title": 0.8, "body": 0.8}


class SourceError(ValueError):
    """A source file that does not say what a source must."""


@dataclass(frozen=True)
class Expectations:
    """What a run of the source must show, else it is ``failed`` (checked after each crawl)."""

    min_items: int = 1
    """Fewest articles a run may find (new, changed and unchanged together)."""
    max_reject_share: float = 0.5
    """Largest share of the run's pages that may be rejects."""
    fill_rates: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_FILL))
    """Least share of the run's articles that have each field (``published``, ``organization``, ...)."""
    rule_hits: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_RULE_HITS))
    """Least share of the run's pages on which the source's site rule for a field found something (checked
    for the fields the source has a rule for): a template that changed fails the run."""


@dataclass(frozen=True)
class Source:
    """One source: a site, or a bureau of a family spider. Fields as written in the spider's YAML file."""

    slug: str
    spider: str
    name: str
    publisher: str
    country: str
    language: str
    timezone: str
    homepage: str
    start_urls: tuple[str, ...]
    hosts: tuple[str, ...]
    """Hosts whose pages are the source's (a host also covers its subdomains): ``foodnews extract`` routing."""
    max_pages: int = 3
    """List pages followed per start URL, by default."""
    known_pages: int = 1
    """A re-crawl stops following a list after this many pages in a row whose articles the archive holds
    (0: follow it to ``max_pages`` every time)."""
    schedule: str = "0 */6 * * *"
    """When to crawl it (cron syntax, the source's time zone)."""
    region: str | None = None
    level: str | None = None
    """national, provincial or city, for a regulator."""
    verified: bool = False
    """Whether the selectors and URLs were checked against the live site (else taken from notes, unseen)."""
    notes: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    """What the spider needs beyond the above (a family spider's per-bureau selectors, say)."""
    expectations: Expectations = field(default_factory=Expectations)

    def row(self) -> dict[str, Any]:
        """The source's row in the archive's ``sources`` table."""
        return {
            "slug": self.slug,
            "spider": self.spider,
            "name": self.name,
            "publisher": self.publisher,
            "homepage": self.homepage,
            "country": self.country,
            "language": self.language,
            "timezone": self.timezone,
            "region": self.region,
            "level": self.level,
            "verified": int(self.verified),
        }


_SIMPLE = {f.name for f in fields(Source)} - {"spider", "start_urls", "hosts", "expectations", "options"}


def _source(spider: str, data: dict[str, Any], where: str) -> Source:
    unknown = set(data) - _SIMPLE - {"start_urls", "hosts", "expectations", "options"}
    if unknown:
        raise SourceError(f"{where}: unknown keys {sorted(unknown)}")
    missing = [
        k
        for k in ("slug", "name", "publisher", "country", "language", "timezone", "homepage", "start_urls")
        if not data.get(k)
    ]
    if missing:
        raise SourceError(f"{where}: missing {', '.join(missing)}")
    if not SLUG.fullmatch(str(data["slug"])):
        raise SourceError(f"{where}: slug {data['slug']!r} is not a slug (a-z, 0-9, '_', '.', '-')")
    start_urls = tuple(data["start_urls"])
    hosts = tuple(
        data.get("hosts") or sorted({urlsplit(u).hostname or "" for u in (data["homepage"], *start_urls)})
    )
    expectations = Expectations(**{**(data.get("expectations") or {})})
    return Source(
        spider=spider,
        start_urls=start_urls,
        hosts=hosts,
        expectations=expectations,
        options=dict(data.get("options") or {}),
        **{k: v for k, v in data.items() if k in _SIMPLE},
    )


def read_file(path: Path | Traversable, spider: str) -> list[Source]:
    """The sources of one spider's YAML file: one source, or ``defaults`` and a list of ``sources``."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise SourceError(f"{path.name}: expected a mapping")
    if "sources" not in data:
        return [_source(spider, data, path.name)]
    defaults = data.get("defaults") or {}
    # A family's entry publishes its own site unless it says otherwise (a bureau is its own publisher).
    return [
        _source(
            spider,
            {"publisher": entry.get("name"), **defaults, **entry},
            f"{path.name}: {entry.get('slug', '?')}",
        )
        for entry in data["sources"]
    ]


@cache
def registry() -> dict[str, Source]:
    """Every source of every spider, by slug (read once from ``crawler/spiders/*.yaml``, through
    importlib.resources: in a zipped egg, as Scrapyd runs the project, they are no files on disk)."""
    found: dict[str, Source] = {}
    folder = resources.files("crawler").joinpath("spiders")
    for path in sorted((p for p in folder.iterdir() if p.name.endswith(".yaml")), key=lambda p: p.name):
        for source in read_file(path, path.name.removesuffix(".yaml")):
            if source.slug in found:
                raise SourceError(
                    f"{path.name}: slug {source.slug!r} is also a source of {found[source.slug].spider}"
                )
            found[source.slug] = source
    return found


def of_spider(spider: str) -> list[Source]:
    """The sources a spider crawls (one, or a family's)."""
    return [s for s in registry().values() if s.spider == spider]


def source(slug: str) -> Source:
    """The source named ``slug``; KeyError when there is none."""
    return registry()[slug]


def for_url(url: str) -> Source | None:
    """The source that publishes ``url`` (by its host, the longest match first), or None."""
    host = (urlsplit(url).hostname or "").lower()
    best: tuple[int, Source] | None = None
    for candidate in registry().values():
        for domain in candidate.hosts:
            if (host == domain or host.endswith("." + domain)) and (best is None or len(domain) > best[0]):
                best = (len(domain), candidate)
    return best[1] if best else None
