"""The items the spiders yield: a news article, and the record of a page that could not become one.

Fields are modelled on schema.org/Zyte ``Article``. Each field's ``doc`` metadata states its format; the
data dictionary in ``docs/schema.md`` repeats it for the archive's columns.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any


def _doc(text: str, default: Any = dataclasses.MISSING, factory: Any = dataclasses.MISSING) -> Any:
    """A dataclass field carrying its documentation, so that the format lives beside the field."""
    if factory is not dataclasses.MISSING:
        return field(default_factory=factory, metadata={"doc": text})
    return field(default=default, metadata={"doc": text})


@dataclass
class Image:
    """An image shown in the article body, with the caption printed under it."""

    url: str | None = _doc("Absolute URL of the image file; None when the text gives only the caption.")
    caption: str | None = _doc("Caption as printed, without the credit; None when there is none.", None)
    credit: str | None = _doc(
        "Who the image is credited to (图片来源/摄影), as printed; None when not given.", None
    )


@dataclass
class Attachment:
    """A file linked from the article as an attachment (附件): spreadsheets of sampling results, PDFs."""

    url: str = _doc("Absolute URL of the file.")
    title: str | None = _doc("Link text or file name as printed.", None)
    sha256: str | None = _doc(
        "SHA-256 of the file as downloaded (hex); None when it was not downloaded (see `error`).", None
    )
    size: int | None = _doc("Bytes of the file as downloaded.", None)
    media_type: str | None = _doc(
        "Media type of the file, from its first bytes, else its name, else the server's Content-Type.", None
    )
    path: str | None = _doc(
        "Where the file is kept, relative to the archive's files folder: 'sha256/ab/<sha256>.xlsx'.", None
    )
    error: str | None = _doc(
        "Why the file could not be downloaded or kept, one line; None when it was.", None
    )
    warc_file: str | None = _doc(
        "The WARC file (in the archive's warc folder) holding the response the file came in.", None
    )
    warc_offset: int | None = _doc("Where that response record starts in warc_file (bytes).", None)
    workbooks: list[dict[str, Any]] = _doc(
        "The sampling results read from the file (`crawler.workbooks`): one entry per sheet, or per workbook "
        "not read with the reason; empty for a file that is not a workbook.",
        factory=list,
    )


@dataclass
class Alert:
    """A regulator's food alert (a recall, an allergy alert) as its publisher's API describes it."""

    notation: str = _doc("The alert's identifier as the publisher writes it, e.g. 'FSA-AA-01-2026'.")
    alert_type: str | None = _doc(
        "Kind of alert, the publisher's code: 'AA' allergy alert, 'PRIN' product recall information notice, "
        "'FAFA' food alert for action.",
        None,
    )
    status: str | None = _doc("Status as published, e.g. 'Published', 'Withdrawn'.", None)
    allergens: list[str] = _doc("Allergens named by the alert's problems, as labelled.", factory=list)
    products: list[dict[str, Any]] = _doc(
        "Products concerned: {'name', 'pack_size', 'batch_codes': [...], 'best_before': [...], 'use_by': [...]}.",
        factory=list,
    )
    reporting_business: str | None = _doc("The business that reported or recalls the product.", None)
    countries: list[str] = _doc("Countries the alert applies to, as labelled.", factory=list)
    risk_statement: str | None = _doc("The alert's statement of the risk.", None)
    created: str | None = _doc("Date the alert was created, ISO 8601 ('2026-11-02').", None)
    modified: str | None = _doc("When the alert was last modified, ISO 8601 UTC.", None)
    api_url: str | None = _doc("The alert's record in the publisher's API (provenance).", None)


@dataclass
class Article:
    """One news item as published by its source."""

    url: str = _doc("URL the page was fetched from (after redirects).")
    source: str = _doc("Slug of the spider that produced the item, e.g. 'cfsn'.")
    title: str = _doc("The article's headline as printed, without the site name.")
    body: str = _doc("Plain text of the article; paragraphs separated by one blank line; captions excluded.")
    canonical_url: str = _doc(
        "The page's canonical URL: <link rel=canonical>, else url without tracking query.", ""
    )
    authors: list[str] = _doc(
        "Byline persons (作者/记者/通讯员, names in a dateline lead); never editors.", factory=list
    )
    editor: str | None = _doc("Responsible editor (责任编辑/编辑) as printed.", None)
    organization: str | None = _doc(
        "Issuing body or 来源 as printed (for a dateline lead, the organisation inside it).", None
    )
    published: str | None = _doc(
        "Publication date-time, ISO 8601 with UTC offset ('2021-09-01T10:20:00+08:00'). Asia/Shanghai (+08:00) "
        "for Chinese sources that print no offset. When the page prints a date without a time it is the start "
        "of that day in the source's zone and published_precision is 'day'. None when the page gives no date: "
        "never the crawl time.",
        None,
    )
    published_precision: str | None = _doc(
        "How much of `published` the page printed: 'day', 'minute' or 'second'; None with no date.", None
    )
    published_raw: str | None = _doc("The date text exactly as found on the page, before normalising.", None)
    body_html: str | None = _doc("The body's HTML, sanitised (no scripts, handlers or styles).", None)
    images: list[Image] = _doc("Images in the body, in page order.", factory=list)
    attachments: list[Attachment] = _doc("Files linked as attachments, in page order.", factory=list)
    alert: Alert | None = _doc("For a food alert, what the publisher's API says of it; else None.", None)
    language: str | None = _doc("BCP 47 tag of the text: 'zh-Hans', 'zh-Hant' or 'en'.", None)
    fetched_at: str | None = _doc(
        "When the page was fetched, ISO 8601 UTC ('2026-11-25T08:21:47+00:00').", None
    )
    page_sha256: str | None = _doc("SHA-256 of the page's bytes as fetched: provenance of the item.", None)
    etag: str | None = _doc(
        "The response's ETag header as sent: what a re-check asks the server with (If-None-Match).", None
    )
    last_modified: str | None = _doc(
        "The response's Last-Modified header as sent (an HTTP date): asked with If-Modified-Since.", None
    )
    warc_file: str | None = _doc(
        "The WARC file (in the archive's warc folder) holding the page's response as served.", None
    )
    warc_offset: int | None = _doc("Where that response record starts in warc_file (bytes).", None)
    notes: list[str] = _doc(
        "Why a field is empty or how it was derived, e.g. 'published: no date on page'. Never silently dropped.",
        factory=list,
    )

    def to_dict(self) -> dict[str, Any]:
        """The item as plain JSON-ready data (nested images and attachments as dicts)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Article:
        """Build an item from `to_dict` output (or `scrapy crawl -O` JSON), ignoring unknown keys.

        Raises ValueError naming the field when a value has the wrong type.
        """
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            if f.name not in data:
                continue
            value = data[f.name]
            if f.name in ("images", "attachments"):
                kind = Image if f.name == "images" else Attachment
                if not isinstance(value, list) or not all(isinstance(v, dict) for v in data[f.name]):
                    raise ValueError(f"{f.name}: expected a list of objects")
                value = [kind(**_typed(kind, v, f.name)) for v in value]
            elif f.name == "alert":
                if value is not None:
                    if not isinstance(value, dict):
                        raise ValueError("alert: expected an object")
                    value = Alert(**_typed(Alert, value, "alert"))
            elif f.name == "warc_offset":
                if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
                    raise ValueError(f"warc_offset: expected a whole number, got {type(value).__name__}")
            elif f.name in ("authors", "notes"):
                if not isinstance(value, list) or not all(isinstance(v, str) for v in data[f.name]):
                    raise ValueError(f"{f.name}: expected a list of strings")
            elif value is not None and not isinstance(value, str):
                raise ValueError(f"{f.name}: expected a string, got {type(value).__name__}")
            values[f.name] = value
        missing = [n for n in ("url", "source", "title", "body") if not isinstance(values.get(n), str)]
        if missing:
            raise ValueError(f"missing {', '.join(missing)}")
        return cls(**values)


@dataclass
class Reject:
    """A fetched page that could not become a valid article: kept with its URL and the reason."""

    url: str = _doc("URL of the page.")
    reason: str = _doc("Why it was rejected, one line, e.g. 'not an article: error page (页面不存在)'.")
    source: str = _doc("Slug of the spider.", "")
    http_status: int | None = _doc("HTTP status of the response, when there was one.", None)


@dataclass
class Rechecked:
    """A held article fetched again that gave no page to parse: ``304 Not Modified`` (the archive's copy is
    current) or ``404``/``410`` (the publisher withdrew it; the archive keeps it, marked withdrawn)."""

    url: str = _doc("URL of the article as held (the request's, before redirects).")
    source: str = _doc("Slug of the article's source.")
    http_status: int = _doc("304, 404 or 410.")
    fetched_at: str = _doc("When the server answered, ISO 8601 UTC.")


#: What a field of a nested item may hold, by its annotation; a value of another type is an error.
_KINDS: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "str | None": (str, type(None)),
    "int | None": (int, type(None)),
    "list[str]": (list,),
    "list[dict[str, Any]]": (list,),
}


def _typed(cls: type, data: dict[str, Any], where: str) -> dict[str, Any]:
    """The known keys of ``data`` for ``cls``, each of its field's type (a list field's items checked too)."""
    values = {}
    for f in dataclasses.fields(cls):
        if f.name not in data:
            continue
        value: Any = data[f.name]
        kinds = _KINDS[str(f.type)]
        if not isinstance(value, kinds) or isinstance(value, bool):
            raise ValueError(f"{where}.{f.name}: expected {f.type}, got {type(value).__name__}")
        if f.type == "list[str]" and not all(isinstance(v, str) for v in data[f.name]):
            raise ValueError(f"{where}.{f.name}: expected a list of strings")
        if f.type == "list[dict[str, Any]]" and not all(isinstance(v, dict) for v in data[f.name]):
            raise ValueError(f"{where}.{f.name}: expected a list of objects")
        values[f.name] = value
    for f in dataclasses.fields(cls):
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        if required and f.name not in values:
            if "None" not in str(f.type):
                raise ValueError(f"{where}: missing {f.name}")
            values[f.name] = None
    return values
