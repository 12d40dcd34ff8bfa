"""Datasette plugin of the foodnews archive: an ``.atom`` feed of any table page, search or query.

Datasette lists it beside JSON and CSV ("This data as … atom") on every page; see :mod:`archive.atom`.
"""

from __future__ import annotations

from typing import Any

from datasette import hookimpl

from archive import atom


def _page_url(datasette: Any, request: Any) -> str:
    """The HTML page a feed mirrors: the feed's own URL without the .atom extension."""
    path = request.path
    path = path.removesuffix(".atom")
    query = request.query_string
    return datasette.absolute_url(request, path + (f"?{query}" if query else ""))


async def render_atom(
    datasette: Any,
    request: Any,
    database: str,
    table: str | None,
    query_name: str | None,
    columns: list[str],
    rows: list[Any],
    view_name: str,
) -> dict[str, Any]:
    """The rows of the page as an Atom feed."""
    data = atom.rows_as_dicts(columns, rows)
    pks: list[str] = []
    if table:
        db = datasette.get_database(database)
        pks = await db.primary_keys(table) if await db.table_exists(table) else []
    entries = []
    for row in data:
        row_url = None
        if table and pks and all(row.get(pk) is not None for pk in pks):
            row_url = datasette.absolute_url(
                request, datasette.urls.row(database, table, ",".join(str(row[pk]) for pk in pks))
            )
        elif row.get("article"):
            row_url = datasette.absolute_url(
                request, datasette.urls.row(database, "articles", str(row["article"]))
            )
        entries.append(atom.row_entry(row, row_url))
    name = query_name or table or database
    searched = request.args.get("_search") or request.args.get("q")
    title = f"{name}: {searched}" if searched else name
    metadata_title = datasette.metadata("title") or "foodnews"
    body = atom.feed(
        title=f"{title} — {metadata_title}",
        feed_url=datasette.absolute_url(
            request, request.path + (f"?{request.query_string}" if request.query_string else "")
        ),
        page_url=_page_url(datasette, request),
        entries=entries,
        subtitle=datasette.metadata("license"),
    )
    return {"body": body, "content_type": atom.CONTENT_TYPE, "headers": {"x-content-type-options": "nosniff"}}


def can_render_atom(columns: list[str]) -> bool:
    """Any table, row or query page with columns can be a feed."""
    return bool(columns)


@hookimpl
def register_output_renderer(datasette: Any) -> dict[str, Any]:
    return {"extension": "atom", "render": render_atom, "can_render": can_render_atom}
