"""A broken source is noticed: each run's counts checked against its source's expectations.

The expectations live in the source's file (``crawler/sources.py``, `Expectations`). A run that misses one
is ``failed`` in ``crawl_runs`` with every miss in ``error``, and ``foodnews crawl`` exits non-zero. The
check runs in the archive pipeline when the spider closes, per source, on what the run stored and what
the site rules found (the ``rules/found/<source>/<field>`` and ``rules/missed/...`` stats the spiders keep).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from crawler.items import Article
from crawler.sources import Source

#: Fields whose fill rate an expectation can name.
FIELDS = ("published", "organization", "authors", "editor", "images", "attachments", "language")


@dataclass
class RunTally:
    """What one run of one source produced."""

    pages: int = 0
    skipped: int = 0
    """Held articles a list linked to that were not fetched again (not due for a re-check)."""
    outcomes: Counter[str] = field(default_factory=Counter)
    filled: Counter[str] = field(default_factory=Counter)

    def article(self, item: Article, outcome: str) -> None:
        """Count a stored article and which of its fields are filled."""
        self.outcomes[outcome] += 1
        for name in FIELDS:
            if getattr(item, name):
                self.filled[name] += 1

    @property
    def articles(self) -> int:
        """Articles the run parsed and stored (new, changed or the same as held)."""
        return self.outcomes["new"] + self.outcomes["changed"] + self.outcomes["unchanged"]

    @property
    def found(self) -> int:
        """Articles the run found on the site: parsed, answered 304 Not Modified, or held and not due."""
        return self.articles + self.outcomes["not_modified"] + self.skipped


def problems(source: Source, tally: RunTally, stats: dict[str, Any]) -> list[str]:
    """How a run of ``source`` misses its expectations; empty for a healthy run."""
    expect = source.expectations
    out = []
    if tally.pages == 0:
        out.append("fetched nothing")
    if tally.found < expect.min_items:
        out.append(f"{tally.found} articles, expected at least {expect.min_items}")
    rejected = tally.outcomes["rejected"]
    # (out of every page the run found: held articles it did not fetch again count, or a re-crawl that
    # fetches only its two bad pages again would fail on them)
    if rejected and rejected > expect.max_reject_share * (tally.found + rejected):
        out.append(
            f"{rejected} of {tally.found + rejected} pages rejected, expected at most "
            f"{expect.max_reject_share:.0%}"
        )
    for name, rate in expect.fill_rates.items():
        if tally.articles and tally.filled[name] < rate * tally.articles:
            out.append(f"{name} on {tally.filled[name]} of {tally.articles} articles, expected {rate:.0%}")
    for name, rate in expect.rule_hits.items():
        found = stats.get(f"rules/found/{source.slug}/{name}", 0)
        missed = stats.get(f"rules/missed/{source.slug}/{name}", 0)
        if missed and found < rate * (found + missed):
            out.append(f"the site rule for {name} found nothing on {missed} of {found + missed} pages")
    return out
