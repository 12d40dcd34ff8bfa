"""The articles table as a reading list: what the list's template (``templates/_table.html``) shows of a row.

A journalist scans headlines, dates, sources and a two-line lead; for a search, the lead is the highlighted
passage around the first match. Everything else of a row (body, HTML, bookkeeping) stays in the data (JSON,
CSV, SQL) and in the article's own page.
"""

from __future__ import annotations

from typing import Any

from datasette import hookimpl
from markupsafe import Markup, escape

from archive import search

#: Characters of the lead: about two lines of the list at a laptop's width.
LEAD_CHARS = 110


@hookimpl
def extra_template_vars(template: str, request: Any) -> dict[str, Any]:
    if template != "table.html":
        return {}
    query = (request.args.get("_search") or "").strip() if request is not None else ""

    def headline(title: Any) -> Markup:
        text = str(title or "")
        return Markup(search.marked_to_html(search.highlight(text, query))) if query else escape(text)

    def lead(body: Any) -> Markup:
        return Markup(search.marked_to_html(search.snippet(str(body or ""), query or None, width=LEAD_CHARS)))

    return {"headline": headline, "lead": lead, "search_query": query}
