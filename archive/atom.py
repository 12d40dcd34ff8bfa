"""Atom feeds (RFC 4287) of any table page, search or canned query of the archive.

A journalist subscribes to a search (``/foodnews/articles.atom?_search=召回``) or to any filtered table.
Rows of ``articles`` (or query results with a ``title``) become entries linking the original page; rows
of other tables become entries listing their values. Everything is text: the feed carries no HTML, so a
feed reader cannot be made to run scraped markup.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree as ET

from archive.article import safe_url
from archive.search import MARK_END, MARK_START

ATOM = "http://www.w3.org/2005/Atom"
CONTENT_TYPE = "application/atom+xml; charset=utf-8"
# Characters XML 1.0 cannot carry, even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Columns that can date an entry, in order of preference.
DATE_COLUMNS = ("published", "fetched_at", "at", "finished", "started", "first_seen", "last_seen")
TITLE_COLUMNS = ("title", "name", "reason", "url", "slug")
SUMMARY_LENGTH = 400


def xml_text(value: Any) -> str:
    """A value as text that XML can hold (no control characters, no match marks)."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    return _NOT_XML.sub("", text.replace(MARK_START, "").replace(MARK_END, ""))


def atom_date(value: Any) -> str | None:
    """An RFC 3339 timestamp from a stored ISO 8601 value (a bare date is taken as UTC midnight)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.isoformat()


def _sub(parent: ET.Element, tag: str, text: Any = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", {k: xml_text(v) for k, v in attrs.items()})
    if text is not None:
        element.text = xml_text(text)
    return element


def _authors(value: Any) -> list[str]:
    try:
        names = json.loads(value) if isinstance(value, str) else value
    except ValueError:
        return [value] if value else []
    return [str(n) for n in names if n] if isinstance(names, list) else []


def row_entry(row: Mapping[str, Any], row_url: str | None) -> dict[str, Any]:
    """What one result row says as a feed entry: title, links, dates, authors, summary."""
    title = next((row[c] for c in TITLE_COLUMNS if row.get(c)), None)
    updated = next((d for d in (atom_date(row.get(c)) for c in DATE_COLUMNS) if d), None)
    if row.get("snippet"):
        summary = xml_text(row["snippet"])
    elif row.get("body"):
        summary = xml_text(row["body"])[:SUMMARY_LENGTH]
    else:
        summary = "\n".join(f"{k}: {xml_text(v)}" for k, v in row.items() if v not in (None, ""))
    return {
        "id": row_url,
        "title": title if title is not None else (row_url or ""),
        "link": safe_url(row.get("url")) or safe_url(row.get("canonical_url")),
        "row_url": row_url,
        "published": atom_date(row.get("published")),
        "updated": updated,
        "authors": _authors(row.get("authors")),
        "organization": row.get("organization"),
        "summary": summary,
    }


def feed(
    title: str,
    feed_url: str,
    page_url: str,
    entries: Iterable[dict[str, Any]],
    subtitle: str | None = None,
    now: datetime | None = None,
) -> bytes:
    """The Atom document: ``feed_url`` is its own address (and id), ``page_url`` the HTML page it mirrors."""
    now_text = (now or datetime.now(UTC)).replace(microsecond=0).isoformat()
    ET.register_namespace("", ATOM)
    root = ET.Element(f"{{{ATOM}}}feed")
    _sub(root, "title", title)
    if subtitle:
        _sub(root, "subtitle", subtitle)
    _sub(root, "id", feed_url)
    _sub(root, "link", rel="self", href=feed_url, type="application/atom+xml")
    _sub(root, "link", rel="alternate", href=page_url, type="text/html")
    _sub(root, "generator", "foodnews (Datasette)")
    updated = _sub(root, "updated", now_text)
    latest = None
    for number, data in enumerate(entries):
        entry = _sub(root, "entry")
        entry_id = data["id"] or f"{feed_url}#{number}"
        _sub(entry, "id", entry_id)
        _sub(entry, "title", data["title"], type="text")
        entry_updated = data["updated"] or now_text
        latest = max(latest or entry_updated, entry_updated)
        _sub(entry, "updated", entry_updated)
        if data.get("published"):
            _sub(entry, "published", data["published"])
        if data.get("link"):
            _sub(entry, "link", rel="alternate", href=data["link"])
        if data.get("row_url"):
            _sub(
                entry,
                "link",
                rel="related" if data.get("link") else "alternate",
                href=data["row_url"],
                type="text/html",
            )
        for name in data.get("authors") or ([data["organization"]] if data.get("organization") else []):
            author = _sub(entry, "author")
            _sub(author, "name", name)
        if data.get("summary"):
            _sub(entry, "summary", data["summary"], type="text")
    if latest:
        updated.text = latest
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(
        root, encoding="utf-8", xml_declaration=False
    )


def rows_as_dicts(columns: Sequence[str], rows: Iterable[Any]) -> list[dict[str, Any]]:
    """Datasette's result rows (sqlite3.Row, tuples or dicts) as dicts keyed by column."""
    out = []
    for row in rows:
        if isinstance(row, Mapping):
            out.append(dict(row))
        elif hasattr(row, "keys"):
            out.append({k: row[k] for k in row.keys()})  # noqa: SIM118 (iterating a sqlite3.Row gives values)
        else:
            out.append(dict(zip(columns, row, strict=True)))
    return out
