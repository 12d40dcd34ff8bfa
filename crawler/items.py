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
    credit: str | None = _doc("Who the image is credited to (图片来源/摄影), as printed; None when not given.", None)


@dataclass
class Attachment:
    """A file linked from the article as an attachment (附件): spreadsheets of sampling results, PDFs."""

    url: str = _doc("Absolute URL of the file.")
    title: str | None = _doc("Link text or file name as printed.", None)


@dataclass
class Article:
    """One news item as published by its source."""

    url: str = _doc("URL the page was fetched from (after redirects).")
    source: str = _doc("Slug of the spider that produced the item, e.g. 'cfsn'.")
    title: str = _doc("The article's headline as printed, without the site name.")
    body: str = _doc("Plain text of the article; paragraphs separated by one blank line; captions excluded.")
    canonical_url: str = _doc("The page's canonical URL: <link rel=canonical>, else url without tracking query.", "")
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
    language: str | None = _doc("BCP 47 tag of the text: 'zh-Hans', 'zh-Hant' or 'en'.", None)
    fetched_at: str | None = _doc("When the page was fetched, ISO 8601 UTC ('2026-11-25T08:21:47+00:00').", None)
    page_sha256: str | None = _doc("SHA-256 of the page's bytes as fetched: provenance of the item.", None)
    notes: list[str] = _doc(
        "Why a field is empty or how it was derived, e.g. 'published: no date on page'. Never silently dropped.",
        factory=list,
    )

    def to_dict(self) -> dict[str, Any]:
        """The item as plain JSON-ready data (nested images and attachments as dicts)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Article:
        """Build an item from `to_dict` output (or `scrapy crawl -O` JSON), ignoring unknown keys."""
        names = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in names}
        values["images"] = [Image(**_known(Image, i)) for i in data.get("images") or []]
        values["attachments"] = [Attachment(**_known(Attachment, a)) for a in data.get("attachments") or []]
        return cls(**values)


@dataclass
class Reject:
    """A fetched page that could not become a valid article: kept with its URL and the reason."""

    url: str = _doc("URL of the page.")
    reason: str = _doc("Why it was rejected, one line, e.g. 'not an article: error page (页面不存在)'.")
    source: str = _doc("Slug of the spider.", "")
    http_status: int | None = _doc("HTTP status of the response, when there was one.", None)


def _known(cls: type, data: dict[str, Any]) -> dict[str, Any]:
    names = {f.name for f in dataclasses.fields(cls)}
    return {k: v for k, v in data.items() if k in names}


def field_docs(cls: type) -> dict[str, str]:
    """The documentation of each field of an item class, for the data dictionary and Datasette metadata."""
    return {f.name: f.metadata.get("doc", "") for f in dataclasses.fields(cls)}
