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
        attachments = await db.execute(
            "select position, url, title from attachments where article_id = ? order by position", [pk]
        )
        revisions = await db.execute(
            "select revision, fetched_at, changed, title, body from revisions where article_id = ? "
            "order by revision",
            [pk],
        )
        history = revision_history(
            [{**dict(r), "changed_list": [str(c) for c in _json_list(r["changed"])]} for r in revisions.rows]
        )
        return {
            "article": article,
            "article_images": [dict(r) for r in images.rows],
            "article_attachments": [dict(r) for r in attachments.rows],
            "article_revisions": history,
        }

    return inner
