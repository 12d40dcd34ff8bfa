"""Datasette plugin of the foodnews archive: the readable article view.

Loaded from this configuration directory's ``plugins/`` folder. Scraped values reach the page through
Jinja's autoescaping; the body's HTML is sanitised with nh3 when the page is rendered
(:func:`archive.article.sanitize_body`), and a URL becomes a link only when it is http(s).
"""

from __future__ import annotations

import json
import re
from typing import Any

from datasette import hookimpl
from markupsafe import Markup

from archive.article import revision_history, safe_url, sanitize_body

_ARTICLE_ID = re.compile(r"[0-9a-f]{16}")


def _json_list(value: Any) -> list[Any]:
    try:
        data = json.loads(value or "[]")
    except (TypeError, ValueError):
        return []
    return data if isinstance(data, list) else []


@hookimpl
def prepare_jinja2_environment(env: Any) -> None:
    """``|safe_url``: the URL if it is http(s), else None (templates show such a value as text)."""
    env.filters["safe_url"] = safe_url


@hookimpl
def render_cell(value: Any, column: str, table: str | None, database: str, datasette: Any) -> Any:
    """In canned query results, an ``article`` column (an article's id) links to the article's page."""
    if table is None and column == "article" and isinstance(value, str) and _ARTICLE_ID.fullmatch(value):
        return Markup('<a href="{}">{}</a>').format(datasette.urls.row(database, "articles", value), value)
    if (
        (column == "attachment_path" or (table is None and column == "workbook"))
        and isinstance(value, str)
        and _KEPT.fullmatch(value)
    ):
        return Markup('<a class="archived" href="{}">archived workbook</a>').format(
            datasette.urls.path("/-/files/" + value)
        )
    return None


@hookimpl
def extra_template_vars(
    view_name: str, table: str | None, database: str | None, request: Any, datasette: Any
) -> Any:
    """On an article's row page, the article with its images, attachments and revision history."""
    if view_name != "row" or table != "articles" or request is None or database is None:
        return {}

    async def inner() -> dict[str, Any]:
        db = datasette.get_database(database)
        pk = request.url_vars.get("pks")
        result = await db.execute("select * from articles where id = ?", [pk])
        row = result.first()
        if row is None:
            return {}
        article = dict(row)
        article["authors_list"] = [str(a) for a in _json_list(article.get("authors"))]
        article["paragraphs"] = [p for p in (article.get("body") or "").split("\n\n") if p.strip()]
        article["body_safe_html"] = sanitize_body(article.get("body_html"), article.get("url"))
        if article.get("published") and article.get("published_precision") == "day":
            article["published_display"] = article["published"][:10]
        else:
            article["published_display"] = (article.get("published") or "").replace("T", " ")
        images = await db.execute(
            "select position, url, caption, credit from images where article_id = ? order by position", [pk]
        )
        columns = {c for c in await db.table_columns("attachments")}
        kept = ", sha256, size, media_type, path, error" if "sha256" in columns else ""
        attachments = await db.execute(
            f"select position, url, title{kept} from attachments where article_id = ? order by position", [pk]
        )
        revisions = await db.execute(
            "select revision, fetched_at, changed, title, body from revisions where article_id = ? "
            "order by revision",
            [pk],
        )
        history = revision_history(
            [{**dict(r), "changed_list": [str(c) for c in _json_list(r["changed"])]} for r in revisions.rows]
        )
        failures, workbooks = [], []
        if await db.table_exists("inspection_results"):
            failures = [
                dict(r)
                for r in (
                    await db.execute(
                        "select product, brand, production_date, production_date_raw, producer, sampled_business,"
                        " province, failed_item, result, standard, category, workbook, sheet, row, attachment_path"
                        " from inspection_results where article_id = ? order by id",
                        [pk],
                    )
                ).rows
            ]
            workbooks = [
                dict(r)
                for r in (
                    await db.execute(
                        "select workbook, sheet, status, reason, failed_samples, passed_samples"
                        " from inspection_workbooks where article_id = ? order by rowid",
                        [pk],
                    )
                ).rows
            ]
        body_html = str(article["body_safe_html"] or "")
        return {
            "article_failures": failures,
            "article_workbooks": workbooks,
            "article": article,
            # An image the body shows already is not listed again below it.
            "article_images": [dict(r) for r in images.rows if not (r["url"] and str(r["url"]) in body_html)],
            # An attachment the body links already is listed with its archived copy, not linked again.
            "article_attachments": [
                {
                    **dict(r),
                    "size_display": _size(dict(r).get("size")),
                    "in_body": bool(r["url"]) and str(r["url"]) in body_html,
                }
                for r in attachments.rows
            ],
            "article_revisions": history,
        }

    return inner


def _size(value: Any) -> str | None:
    if not isinstance(value, int):
        return None
    for unit in ("bytes", "KB", "MB"):
        if value < 1024 or unit == "MB":
            return f"{value:,} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024  # type: ignore[assignment]
    return None


#: A kept attachment's path under the archive's files folder (crawler/files.py names them by SHA-256).
_KEPT = re.compile(r"sha256/[0-9a-f]{2}/[0-9a-f]{64}(?:\.[a-z0-9]{1,8})?")


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [(r"^/-/files/(?P<path>sha256/[0-9a-f]{2}/[0-9a-f]{64}(?:\.[a-z0-9]{1,8})?)$", kept_file)]


async def kept_file(datasette: Any, request: Any) -> Any:
    """The archived copy of an attachment, from the ``files`` folder beside a served archive file."""
    import mimetypes
    from pathlib import Path

    from datasette.utils.asgi import Response

    path = request.url_vars["path"]
    if not _KEPT.fullmatch(path):
        return Response.text("not found", status=404)
    for db in datasette.databases.values():
        if db.path:
            candidate = Path(db.path).resolve().parent / "files" / path
            if candidate.is_file():
                kind = mimetypes.guess_type(candidate.name)[0] or "application/octet-stream"
                return Response(
                    candidate.read_bytes(),
                    content_type=kind,
                    headers={"content-disposition": f'attachment; filename="{candidate.name}"'},
                )
    return Response.text("not found", status=404)
