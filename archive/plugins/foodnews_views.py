"""Datasette plugin of the foodnews archive: the readable article view.

Loaded from this configuration directory's ``plugins/`` folder. Scraped text is only ever rendered through
Jinja's autoescaping; the article view shows the plain-text body, never the stored HTML.
"""

from __future__ import annotations

import json
from typing import Any

from datasette import hookimpl


def _json_list(value: Any) -> list[Any]:
    try:
        data = json.loads(value or "[]")
    except (TypeError, ValueError):
        return []
    return data if isinstance(data, list) else []


@hookimpl
def extra_template_vars(view_name: str, table: str | None, database: str | None, request: Any,
                        datasette: Any) -> Any:
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
        article["authors_list"] = _json_list(article.get("authors"))
        article["paragraphs"] = [p for p in (article.get("body") or "").split("\n\n") if p.strip()]
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
            "select revision, fetched_at, changed, title from revisions where article_id = ? order by revision",
            [pk],
        )
        return {
            "article": article,
            "article_images": [dict(r) for r in images.rows],
            "article_attachments": [dict(r) for r in attachments.rows],
            "article_revisions": [
                {**dict(r), "changed_list": _json_list(r["changed"])} for r in revisions.rows
            ],
        }

    return inner
