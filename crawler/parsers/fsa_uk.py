"""UK Food Standards Agency (www.food.gov.uk): food alerts from its JSON API, and its news pages.

An alert is made from its API record (`alert_from_record`): the page to cite is ``alertURL``, never the
record's ``@id``. The record's fields follow the API's sample data as other crawlers' code reads it
(sites-en.md, "UK Food Standards Agency"; not checked against the live API): ``notation``, ``title``,
``type`` (URIs ending ``/def/AA``, ``/def/PRIN``, ``/def/FAFA``), ``status.label``, ``created`` (a date),
``modified`` (a date-time), ``problem[].allergen[].label`` and ``riskStatement``, ``productDetails[]``
(``productName``, ``packSizeDescription``, ``batchDescription[]`` with ``batchCode``,
``bestBeforeDescription``, ``useByDescription``), ``reportingBusiness.commonName``, ``country[].label``,
``actionTaken``, ``consumerAdvice``.

News pages go through the engine with the rules below (a modelled template: headline ``main h1``, the date
in ``time@datetime``, body ``div.news-body``; none seen on a live page).
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from crawler.extract import SiteRules, extract
from crawler.items import Alert, Article, Reject
from crawler.parsers import site_parser

SLUG = "fsa_uk"
PUBLISHER = "Food Standards Agency"
LONDON = ZoneInfo("Europe/London")
ALERT_TYPES = ("AA", "PRIN", "FAFA")

RULES = SiteRules(
    title="main h1",
    published="//main//time/@datetime",
    body="div.news-body",
)


parse_article = site_parser(SLUG, RULES, tz=LONDON)


def _labels(values: Any) -> list[str]:
    """``[{"label": x}, ...]`` (or one such object) → ``[x, ...]``."""
    if isinstance(values, dict):
        values = [values]
    return [str(v["label"]).strip() for v in values or [] if isinstance(v, dict) and v.get("label")]


def _text(value: Any) -> str | None:
    return " ".join(value.split()) if isinstance(value, str) and value.strip() else None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value] if isinstance(value, dict) else []


def utc(value: Any) -> str | None:
    """An ISO 8601 date-time with an offset (or ``Z``) in UTC; None for anything else (a date-time without
    an offset is not guessed at)."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(UTC).isoformat() if parsed.tzinfo else None


def london_day(value: Any) -> str | None:
    """A date (``2026-07-15``) as the start of that day in London, with the offset of that day (BST or GMT)."""
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        return None
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        return None
    return datetime.combine(day, time(0), LONDON).isoformat()


def _products(record: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for product in _list(record.get("productDetails")):
        if not isinstance(product, dict):
            continue
        batches = [b for b in _list(product.get("batchDescription")) if isinstance(b, dict)]
        out.append(
            {
                "name": _text(product.get("productName")),
                "pack_size": _text(product.get("packSizeDescription")),
                "batch_codes": [c for b in batches if (c := _text(b.get("batchCode")))],
                "best_before": [c for b in batches if (c := _text(b.get("bestBeforeDescription")))],
                "use_by": [c for b in batches if (c := _text(b.get("useByDescription")))],
            }
        )
    return out


def alert_from_record(record: Any, api_page_url: str, fetched_at: str | None = None) -> Article | Reject:
    """One record of the alerts API → an `Article` carrying its `Alert`, or a `Reject` naming what is missing.

    The body is the record's own text (problems, products, action taken, advice); the spider replaces it
    with the alert page's when that page can be read. ``published`` is ``created``, a date: the start of
    that day in London (BST or GMT as on that day), precision 'day'. Without ``created`` it stays empty.
    """
    if not isinstance(record, dict):
        return Reject(
            url=api_page_url, reason="fsa_uk alerts API: a record that is not an object", source=SLUG
        )
    notation, title, page = (
        _text(record.get("notation")),
        _text(record.get("title")),
        _text(record.get("alertURL")),
    )
    missing = [
        name for name, value in (("notation", notation), ("title", title), ("alertURL", page)) if not value
    ]
    if missing or notation is None or title is None or page is None:
        where = f"record {notation}" if notation else "a record"
        return Reject(
            url=page or api_page_url,
            reason=f"fsa_uk alerts API: {where} has no {', '.join(missing)}",
            source=SLUG,
        )
    types = [
        str(t.get("@id", t) if isinstance(t, dict) else t)
        for t in _list(record.get("type")) or [record.get("type")]
    ]
    kind = next((k for t in types for k in ALERT_TYPES if t.rstrip("/").endswith("/" + k) or t == k), None)
    problems = [p for p in _list(record.get("problem")) if isinstance(p, dict)]
    allergens = list(dict.fromkeys(a for p in problems for a in _labels(p.get("allergen"))))
    risks = [r for p in problems if (r := _text(p.get("riskStatement")))]
    products = _products(record)
    status = record.get("status")
    alert = Alert(
        notation=notation,
        alert_type=kind,
        status=_text(status.get("label")) if isinstance(status, dict) else _text(status),
        allergens=allergens,
        products=products,
        reporting_business=_text((record.get("reportingBusiness") or {}).get("commonName"))
        if isinstance(record.get("reportingBusiness"), dict)
        else None,
        countries=_labels(record.get("country")),
        risk_statement=" ".join(risks) or None,
        created=_text(record.get("created")),
        modified=utc(record.get("modified")),
        api_url=_text(record.get("@id")),
    )
    paragraphs = [p for p in (_text(record.get("shortTitle")), *risks) if p and p != title]
    for product in products:
        details = [product["name"], product["pack_size"]]
        details += [f"batch code {c}" for c in product["batch_codes"]]
        details += [f"best before {c}" for c in product["best_before"]] + [
            f"use by {c}" for c in product["use_by"]
        ]
        paragraphs.append("Product: " + "; ".join(d for d in details if d))
    for label, key in (("Action taken", "actionTaken"), ("Our advice to consumers", "consumerAdvice")):
        text = _text(record.get(key))
        if text:
            paragraphs.append(f"{label}: {text}")
    published = london_day(alert.created)
    notes = ["body: from the API record"]
    notes.append(
        "published: the record's created date, start of the day in Europe/London"
        if published
        else "published: the record has no created date"
    )
    return Article(
        url=page,
        source=SLUG,
        title=title,
        body="\n\n".join(paragraphs),
        canonical_url=page,
        organization=PUBLISHER,
        published=published,
        published_precision="day" if published else None,
        published_raw=alert.created,
        language="en",
        fetched_at=fetched_at,
        page_sha256=hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest(),
        notes=notes,
        alert=alert,
    )


def with_alert_page(
    item: Article, page: bytes, url: str, *, content_type: str | None = None, http_status: int | None = None
) -> Article:
    """The alert item with the text of its own page when the engine can read it (else the record's, with a
    note): what the spider does with the page, and what ``foodnews reparse`` does again from its WARC record."""
    found = extract(page, url, source=SLUG, content_type=content_type, http_status=http_status)
    if isinstance(found, Article) and found.body:
        item.body, item.body_html, item.page_sha256 = found.body, found.body_html, found.page_sha256
        item.images, item.attachments = found.images, found.attachments
        item.notes = ["body: the alert page", *item.notes[1:]]
    else:
        reason = found.reason if isinstance(found, Reject) else "no text"
        item.notes.append(f"alert page not read ({reason}): the body is the API record's")
    return item
