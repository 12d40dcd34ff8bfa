"""``foodnews reparse``: the archive's articles extracted again from their WARC records, with today's parsers.

Each article is read back from the response it was last stored from (``articles.warc_file``, ``warc_offset``),
parsed by its source's parser as the crawl would have, validated as the crawl does, and stored through the
same `Archive.store`: a revision where the title or body changed, nothing new where they did not. An article
whose record cannot be read, or that today's parser rejects, is left as it is and counted with the reason:
reparsing never loses an article.

A UK FSA alert is the API record and its page together: its alert fields are kept as stored, and its page
is read again (`crawler.parsers.fsa_uk.with_alert_page`); an alert stored from the API record alone is
read again from the API page it came in.
"""

from __future__ import annotations

import inspect
import json
from collections import Counter
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

from crawler import sources
from crawler.extract import extract
from crawler.items import Article, Reject
from crawler.parsers import fsa_uk
from crawler.pipelines import validate
from crawler.warc import Record, read_record
from crawler.workbooks import read_attachments


def parser_for(slug: str) -> Callable[..., Article | Reject]:
    """The page parser a crawl of source ``slug`` uses (a family spider's parser told the bureau)."""
    import importlib

    found = sources.registry().get(slug)
    if found is None:
        return partial(extract, source=slug)
    try:
        module = importlib.import_module(f"crawler.parsers.{found.spider}")
    except ModuleNotFoundError:
        return partial(extract, source=slug)
    parse: Callable[..., Article | Reject] = module.parse_article
    if "source" in inspect.signature(parse).parameters:
        return partial(parse, source=slug)
    return parse


def _parsed(archive: Any, aid: str, row: dict[str, Any], record: Record) -> Article | Reject | str:
    """The article from its record, or why not (a string)."""
    content_type = record.header("Content-Type")
    stored = archive.article(aid)
    if stored is not None and stored.alert is not None:
        if record.url == row["url"]:
            item = fsa_uk.with_alert_page(
                stored, record.body, record.url, content_type=content_type, http_status=record.status
            )
        else:
            try:
                page = json.loads(record.body)
            except ValueError:
                return "the alert's API record is not JSON"
            records = [r for r in page.get("items") or [] if isinstance(r, dict)]
            made = [fsa_uk.alert_from_record(r, record.url, row["fetched_at"]) for r in records]
            found = [m for m in made if isinstance(m, Article) and m.url == row["url"]]
            if not found:
                return "the API page holds no record of this alert"
            item = found[0]
    else:
        parsed = parser_for(row["source"])(
            record.body,
            record.url,
            content_type=content_type,
            fetched_at=row["fetched_at"],
            http_status=record.status,
        )
        if isinstance(parsed, Reject):
            return parsed
        item = parsed
    item.fetched_at = row["fetched_at"]
    item.etag, item.last_modified = record.header("ETag"), record.header("Last-Modified")
    item.warc_file, item.warc_offset = row["warc_file"], row["warc_offset"]
    return item


def _kept_attachments(item: Article, stored: Article | None, files: Path | None) -> None:
    """The attachments of the parsed item get what the archive kept of them (hash, size, type, path, WARC
    record), and, with the ``files`` folder, their workbooks read again with today's reader."""
    if files is None:
        return  # (an attachment without a hash keeps, in the store, what was read from it before)
    kept = {a.url: a for a in (stored.attachments if stored else []) if a.sha256 and a.path}
    for attachment in item.attachments:
        old = kept.get(attachment.url)
        if old is not None and old.path is not None and (files / old.path).is_file():
            for name in ("sha256", "size", "media_type", "path", "warc_file", "warc_offset"):
                setattr(attachment, name, getattr(old, name))
    read_attachments(item, files)


def reparse(
    archive: Any, folder: Path, source: str | None = None, files: Path | None = None
) -> Iterator[tuple[str, str, str]]:
    """(url, outcome, why) for each article with a WARC record, of ``source`` or all: outcome 'changed',
    'unchanged', 'new' (the page now names another canonical URL), 'rejected' (today's parser rejects the
    page: the article is kept as it was), or 'unreadable' (the record cannot be read). With the archive's
    ``files`` folder, the kept workbooks are read again too (their rows replaced where the reader's changed)."""
    sql = (
        "select id, url, source, fetched_at, warc_file, warc_offset from articles where warc_file is not null"
    )
    rows = list(
        archive.db.query(
            sql + (" and source = ?" if source else "") + " order by rowid", [source] if source else []
        )
    )
    for row in rows:
        try:
            record = read_record(folder, row["warc_file"], row["warc_offset"])
        except (OSError, ValueError) as exc:
            yield row["url"], "unreadable", f"{row['warc_file']}:{row['warc_offset']}: {exc}"
            continue
        item = _parsed(archive, row["id"], row, record)
        if isinstance(item, str):
            yield row["url"], "rejected", item
            continue
        if isinstance(item, Reject):
            yield row["url"], "rejected", item.reason
            continue
        problem = validate(item)
        if problem:
            yield row["url"], "rejected", f"invalid item: {problem}"
            continue
        _kept_attachments(item, archive.article(row["id"]), files)
        yield row["url"], archive.store(item), ""


def summary(outcomes: Counter[str]) -> str:
    return ", ".join(f"{outcomes[k]} {k}" for k in ("unchanged", "changed", "new", "rejected", "unreadable"))
