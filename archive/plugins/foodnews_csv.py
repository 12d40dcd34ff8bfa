"""CSV that Excel opens with Chinese intact.

Excel reads a CSV file without a byte order mark in the machine's legacy code page, so UTF-8 Chinese comes
out garbled; with a UTF-8 BOM it reads UTF-8. Datasette 0.65 writes no BOM, so this plugin adds one to any
``.csv`` response asked for with ``_bom=1`` (the first bytes of the body, streamed or not), and every table
page's actions menu links its rows as such a download.
"""

from __future__ import annotations

import codecs
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlencode

from datasette import hookimpl


def _wants_bom(scope: dict[str, Any]) -> bool:
    if scope.get("type") != "http" or not scope.get("path", "").endswith(".csv"):
        return False
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    return query.get("_bom", [""])[0] in ("1", "on", "true")


@hookimpl
def asgi_wrapper(datasette: Any) -> Any:
    def wrap(app: Any) -> Any:
        async def with_bom(scope: dict[str, Any], receive: Any, send: Any) -> None:
            if not _wants_bom(scope):
                await app(scope, receive, send)
                return
            state = {"first": True, "csv": False}

            async def send_with_bom(message: dict[str, Any]) -> None:
                if message["type"] == "http.response.start":
                    # Datasette sends CSV as text/csv with _dl, else as text/plain: any good answer gets it.
                    state["csv"] = message.get("status") == 200
                    if state["csv"]:
                        # The length grows by the BOM's three bytes; a streamed body has no length.
                        message = {
                            **message,
                            "headers": [
                                (
                                    k,
                                    str(int(v) + len(codecs.BOM_UTF8)).encode()
                                    if k == b"content-length"
                                    else v,
                                )
                                for k, v in message.get("headers") or []
                            ],
                        }
                elif message["type"] == "http.response.body" and state["csv"] and state["first"]:
                    state["first"] = False
                    message = {**message, "body": codecs.BOM_UTF8 + message.get("body", b"")}
                await send(message)

            await app(scope, receive, send_with_bom)

        return with_bom

    return wrap


@hookimpl
def table_actions(
    datasette: Any, actor: Any, database: str, table: str, request: Any
) -> list[dict[str, str]]:
    """ "Download CSV for Excel": the rows of the page as filtered, every page of them, with a BOM."""
    if request is None:
        return []
    kept = ("_search", "_sort", "_sort_desc", "_where", "_searchmode")
    args = [(k, v) for k, v in parse_qsl(request.query_string) if not k.startswith("_") or k in kept]
    args += [("_bom", "1"), ("_dl", "1"), ("_stream", "on"), ("_size", "max")]
    path = datasette.urls.table(database, table, format="csv")
    return [{"href": f"{path}?{urlencode(args)}", "label": "Download CSV for Excel (UTF-8 with BOM)"}]
