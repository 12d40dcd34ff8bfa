"""Datasette plugin of the foodnews archive: Chinese search from the ordinary search box, highlighted.

- ``escape_fts()``, the SQL function Datasette wraps every ``?_search=`` in, is replaced for databases
  that have the bigram index by :func:`archive.search.match_expression` (``trylast``: Datasette's built-in
  registration runs first and ours replaces it).
- ``foodnews_snippet(text, query)`` and ``foodnews_highlight(text, query)`` SQL functions mark matches
  with \\x02 … \\x03 (plain text, safe in JSON and CSV); such cells are shown as escaped HTML with ``<mark>``.
- On a table page with ``?_search=``, the articles' titles and bodies are shown highlighted, the body
  as a snippet around its first match.
- Every response carries a few security headers.
- No request can hold the server: the SQL functions work on bounded input (``search.SCAN_CHARS``,
  ``search.MAX_QUERY_CHARS``), so that Datasette's SQL time limit can stop a query between two calls; no
  value may grow past ``MAX_VALUE_BYTES`` and no query may return more than ``MAX_RESULT_CHARS``.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any
from urllib.parse import parse_qs

import datasette.database
from datasette import hookimpl
from datasette.filters import FilterArguments
from datasette.utils.asgi import BadRequest
from markupsafe import Markup

from archive import search

#: SQLite VM instructions between two checks of the SQL time limit. Datasette checks every 1,000 (0.08 ms of
#: plain SQL), but a row that copies a multi-megabyte value and hands it to a Python function costs
#: milliseconds: a million such rows overshot the 2 s limit by 0.7-1.5 s (bench/bench_limits.py). Checking
#: every 50 costs a Python call per 50 instructions and stops such a query within a few rows of the limit.
TIME_LIMIT_CHECK_EVERY = 50


@contextmanager
def _finer_timelimit(conn: sqlite3.Connection, ms: int) -> Iterator[None]:
    """Datasette's ``sqlite_timelimit`` (the same deadline and error), checked every
    ``TIME_LIMIT_CHECK_EVERY`` instructions."""
    deadline = time.perf_counter() + ms / 1000

    def handler() -> int | None:
        return 1 if time.perf_counter() >= deadline else None

    conn.set_progress_handler(handler, 1 if ms <= 20 else TIME_LIMIT_CHECK_EVERY)
    try:
        yield
    finally:
        conn.set_progress_handler(None, 0)


# Datasette 0.65 (pinned <0.66 in pyproject.toml) applies its limit through this name; tests/test_serve_limits.py
# checks that the limit still holds.
datasette.database.sqlite_timelimit = _finer_timelimit

# The ?_search= of the request being rendered: render_cell (Datasette 0.65) is not given the request.
_SEARCH: ContextVar[str | None] = ContextVar("foodnews_search", default=None)
# A search matching more than this share of the articles is looked up row by row in the page's order
# (see _clause).
DENSE = 0.02
CACHE_KIB = 200_000
#: Largest string or blob SQLite may build on a served connection: far above any stored value.
MAX_VALUE_BYTES = 16 * 1024 * 1024
#: Most characters (text) or bytes (blobs) that one query may return. Datasette holds a response's rows
#: in memory and encodes them in its one event loop, a Chinese character as six bytes of JSON (\uXXXX):
#: this bounds what one request can cost (and leaves a page of 1,000 typical articles, bodies included).
MAX_RESULT_CHARS = 8 * 1024 * 1024

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"SAMEORIGIN"),
    (
        b"content-security-policy",
        b"object-src 'none'; base-uri 'self'; frame-ancestors 'self'; form-action 'self'",
    ),
]


def _has_index(conn: sqlite3.Connection) -> bool:
    try:
        return bool(conn.execute("select 1 from sqlite_master where name = ?", [search.TABLE]).fetchone())
    except sqlite3.DatabaseError:
        return False


def _bounded_rows(limit: int) -> Any:
    """A row factory like Datasette's (``sqlite3.Row``) that fails a query once its rows hold ``limit``
    characters of text and bytes of blobs. A connection runs one query at a time: a new cursor starts a
    new count."""
    state: dict[str, Any] = {"cursor": None, "size": 0}

    def factory(cursor: sqlite3.Cursor, row: tuple[Any, ...]) -> sqlite3.Row:
        if state["cursor"] is not cursor:
            state["cursor"], state["size"] = cursor, 0
        state["size"] += sum(len(v) for v in row if isinstance(v, str | bytes))
        if state["size"] > limit:
            raise sqlite3.OperationalError(
                f"result larger than {limit:,} characters: ask for fewer rows (_size, LIMIT) or columns (_col)"
            )
        return sqlite3.Row(cursor, row)

    return factory


#: SQL functions a served query may not call: printf builds its result before SQLite checks its length, so
#: ``printf('%.*c', 2000000000, 'x')`` would hold a thread for tens of seconds past any limit.
DENIED_FUNCTIONS = {"printf", "format"}


def _authorize(
    action: int, arg1: str | None, arg2: str | None, database: str | None, source: str | None
) -> int:
    if action == sqlite3.SQLITE_FUNCTION and arg2 and arg2.lower() in DENIED_FUNCTIONS:
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


@hookimpl
def startup(datasette: Any) -> None:
    """Build the highlighter's character table before the first search needs it."""
    search._char_table()


@hookimpl(trylast=True)
def prepare_connection(conn: sqlite3.Connection, database: str, datasette: Any) -> None:
    """Replace escape_fts with the bigram rewrite on archives; add the snippet functions everywhere; bound
    what one query may build and return."""
    conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)
    conn.row_factory = _bounded_rows(MAX_RESULT_CHARS)
    conn.set_authorizer(_authorize)
    conn.create_function("foodnews_snippet", 2, search.snippet, deterministic=True)
    conn.create_function("foodnews_highlight", 2, search.highlight, deterministic=True)
    conn.create_function("foodnews_match", 1, search.match_expression, deterministic=True)
    if _has_index(conn):
        conn.create_function("escape_fts", 1, search.match_expression, deterministic=True)
        # Searches probe one articles row per match: a larger page cache keeps a busy term's rows at hand.
        conn.execute(f"pragma cache_size = -{CACHE_KIB}")


#: Datasette's count SQL for a search-only articles page → the same count taken from the index alone.
COUNTS: dict[str, str] = {}
#: A dense search's correlated clause → the same set as one pass over an index (for facets' GROUP BY).
SCANS: dict[str, str] = {}


def _clause(table: str, shape: str) -> str:
    """The WHERE clause of a search on ``table``; registers the index-only count of a search-only page.

    ``sparse``: ``rowid in (select rowid from <index> where <index> match :foodnews_search)``, and SQLite
    fetches the few matching rows by rowid. ``dense``: the same, correlated (``and rowid =
    articles.rowid``), so SQLite walks the index of the page's order (``published``) and asks the search
    index about each row until the page is full: a word in most articles fills a page after a few dozen
    rows, without reading its hundreds of thousands of matches. ``set``: ``+rowid in (…)``, the matches as
    a set that SQLite tests while it walks the same index; for a frequent single character, a prefix query
    that would cost a merge of many terms for every row asked. Datasette's count of such a page would still
    visit every match, one articles row each: see :func:`_count_from_index`.
    """
    inner = f"select rowid from [{table}] where [{table}] match :foodnews_search"
    if shape == "dense":
        clause = f"rowid in ({inner} and rowid = articles.rowid)"
        SCANS[clause] = f"+rowid in ({inner})"
    else:
        clause = f"{'+' if shape == 'set' else ''}rowid in ({inner})"
    COUNTS[f"select count(*) from articles where {clause} "] = (
        f"select count(*) from [{table}] where [{table}] match :foodnews_search"
    )
    return clause


def _count_from_index(db: Any) -> None:
    """Have ``db`` answer Datasette's count of a search-only articles page from the search index alone.

    Datasette 0.65 has no hook for a table page's count: it runs ``select count(*) from articles where
    <the filters' clauses>``, which visits one articles row per match (about 1.2 s for a word in 800,000
    of a million articles; 20 ms in the index). The index holds exactly the articles' rowids (the archive
    writes both in one transaction), so for that exact statement, and only for it, the index's count is the
    same number. Any other statement, such as a search combined with other filters, runs unchanged, except
    that a facet's GROUP BY gets a dense search's clause in its set form (same rows, see ``SCANS``).
    """
    if getattr(db, "_foodnews_counts", False):
        return
    execute = db.execute

    async def execute_with_index_counts(sql: str, *args: Any, **kwargs: Any) -> Any:
        if sql in COUNTS:
            sql = COUNTS[sql]
        elif " group by " in sql:
            # A facet groups every match: asking the index row by row would take seconds; one pass over the
            # facet column's index, testing each rowid against the set of matches, takes a fraction of that.
            for correlated, scan in SCANS.items():
                sql = sql.replace(correlated, scan)
        return await execute(sql, *args, **kwargs)

    db.execute = execute_with_index_counts
    db._foodnews_counts = True


@hookimpl(trylast=True)
def filters_from_request(request: Any, database: str, table: str, datasette: Any) -> Any:
    """``?_search=`` on the articles table, through the bigram and quadgram indexes.

    Also ``_search_title``/``_search_body`` (one column) and ``_searchmode=raw`` (an FTS5 expression over
    the bigram index). The matches are first counted in the index, stopping at ``DENSE`` of the articles,
    to choose the shape of the clause (see :func:`_clause`). Runs after
    Datasette's own search filter so that its ``supports_search`` is ours.
    """
    if table == "inspection_results":
        return _inspection_search(request, database, datasette)
    if table != "articles":
        return None
    searches = {
        k: request.args[k] for k in ("_search", "_search_title", "_search_body") if request.args.get(k)
    }

    async def inner() -> Any:
        db = datasette.get_database(database)
        if not await db.table_exists(search.TABLE):
            return None
        if not searches:
            return FilterArguments([], extra_context={"supports_search": True})
        has_quads = await db.table_exists(search.TABLE4)
        raw = request.args.get("_searchmode") == "raw"
        found = []
        for text in searches.values():
            try:
                search.check_query(text)
            except ValueError as exc:
                raise BadRequest(str(exc)) from None
            if raw:
                found.append((search.TABLE, text))
            elif has_quads:
                found.append(search.match_expressions(text))
            else:
                found.append((search.TABLE, search.match_expression(text)))
        # One index for the whole search: the quadgram one only if it can answer every part.
        index = search.TABLE4 if all(t == search.TABLE4 for t, _ in found) else search.TABLE
        terms, descriptions = [], []
        for (key, text), (used, expression) in zip(searches.items(), found, strict=True):
            if used != index:
                expression = search.match_expression(text)
            column = key[len("_search_") :] if key != "_search" else None
            terms.append(f"{{{column}}} : ({expression})" if column else f"({expression})")
            descriptions.append(f'search {"column " + column + " " if column else ""}matches "{text}"')
        expression = " AND ".join(terms)
        articles = (await db.execute("select max(rowid) from articles")).first()[0] or 0
        dense_from = int(DENSE * articles) + 1
        try:
            # Counting stops at the threshold: a frequent word is known to be one after a few milliseconds.
            hits = (
                await db.execute(
                    f"select count(*) from (select 1 from [{index}] where [{index}] match :e limit :n)",
                    {"e": expression, "n": dense_from},
                )
            ).first()[0]
        except sqlite3.OperationalError as exc:
            raise BadRequest(f"search: {exc}") from None
        _count_from_index(db)
        shape = "sparse" if hits < dense_from else "set" if "*" in expression else "dense"
        return FilterArguments(
            [_clause(index, shape)],
            params={"foodnews_search": expression},
            human_descriptions=descriptions,
            extra_context={"supports_search": True, "search": searches.get("_search", "")},
        )

    return inner


def _inspection_search(request: Any, database: str, datasette: Any) -> Any:
    """``?_search=`` on the failed rows of the sampling workbooks: their names in bigram form, as articles."""
    text = request.args.get("_search")

    async def inner() -> Any:
        db = datasette.get_database(database)
        if not await db.table_exists("inspection_results_search"):
            return None
        if not text:
            return FilterArguments([], extra_context={"supports_search": True})
        try:
            search.check_query(text)
        except ValueError as exc:
            raise BadRequest(str(exc)) from None
        return FilterArguments(
            [
                "id in (select rowid from inspection_results_search where inspection_results_search match :foodnews_search)"
            ],
            params={"foodnews_search": search.match_expression(text)},
            human_descriptions=[f'search matches "{text}"'],
            extra_context={"supports_search": True, "search": text},
        )

    return inner


@hookimpl
def render_cell(value: Any, column: str, table: str | None, database: str, datasette: Any) -> Any:
    """Matches as <mark> in snippets, and in article titles and bodies on a searched table page.

    Safe as Markup: marked_to_html escapes the whole text before turning the marks into <mark>.
    """
    if not isinstance(value, str):
        return None
    if search.MARK_START in value:
        return Markup(search.marked_to_html(value))
    query = _SEARCH.get()
    if table == "articles" and query:
        if column == "title":
            return Markup(search.marked_to_html(search.highlight(value, query)))
        if column == "body":
            return Markup(search.marked_to_html(search.snippet(value, query, width=200)))
    return None


@hookimpl
def asgi_wrapper(datasette: Any) -> Any:
    """Remember the request's ?_search= for render_cell, and add security headers to every response."""

    def wrap(app: Any) -> Any:
        async def wrapped(scope: dict[str, Any], receive: Any, send: Any) -> None:
            if scope.get("type") != "http":
                await app(scope, receive, send)
                return
            args = parse_qs(scope.get("query_string", b"").decode("utf-8", "replace"))
            token = _SEARCH.set((args.get("_search") or [None])[0])

            async def send_with_headers(message: dict[str, Any]) -> None:
                if message.get("type") == "http.response.start":
                    present = {name.lower() for name, _ in message.get("headers", [])}
                    extra = [(k, v) for k, v in SECURITY_HEADERS if k not in present]
                    message = {**message, "headers": [*message.get("headers", []), *extra]}
                await send(message)

            try:
                await app(scope, receive, send_with_headers)
            finally:
                _SEARCH.reset(token)

        return wrapped

    return wrap
