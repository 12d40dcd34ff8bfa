"""A local replay of the sources' sites, served on 127.0.0.1 for the demo and the end-to-end tests.

The crawler reaches it through ``crawler.replay`` (``FOODNEWS_REPLAY``): the real URL
``https://www.cfsn.cn/news/22.html?page=2`` is asked as ``/www.cfsn.cn/news/22.html?page=2``. URL → file:
``site/<host>/<path>``, ``index.html`` for a folder; with a query string, path + ``@`` + query
(``news/22.html@page=2``). Pages are sent as ``text/html`` without a charset, as many regulators' servers
do, so the crawler has to read the page's own declaration.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Self
from urllib.parse import unquote, urlsplit

TYPES = {
    ".txt": "text/plain; charset=utf-8",
    ".jpg": "image/jpeg",
    ".png": "image/png",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pdf": "application/pdf",
}


def site_dir() -> Path:
    """The replay site shipped with the package."""
    return Path(str(resources.files("crawler.demo") / "site"))


class ReplayHandler(BaseHTTPRequestHandler):
    """Serves files of the replay site; everything else is a 404."""

    server_version = "foodnews-replay/1"

    def __init__(self, *args: object, root: Path, **kwargs: object):
        self.root = root
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        name = unquote(parts.path).lstrip("/")
        if not name or name.endswith("/"):
            name += "index.html"
        if parts.query:
            name += "@" + unquote(parts.query)
        target = (self.root / name).resolve()
        if self.root.resolve() not in target.parents or not target.is_file():
            self.send_error(404)
            return
        data = target.read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", TYPES.get(target.suffix, "text/html"))
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        pass


class LocalServer:
    """An HTTP server on 127.0.0.1 in a background thread; ``port=0`` picks a free port."""

    def __init__(self, handler: Callable[..., BaseHTTPRequestHandler], port: int = 0):
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class ReplayServer(LocalServer):
    """The replay site on 127.0.0.1 in a background thread; ``port=0`` picks a free port."""

    def __init__(self, root: Path | None = None, port: int = 0):
        self.root = Path(root or site_dir())
        super().__init__(partial(ReplayHandler, root=self.root), port)

    def start_urls(self) -> list[str]:
        """The cfsn column list pages of the replay (real URLs: crawl them with ``FOODNEWS_REPLAY``)."""
        return cfsn_start_urls()


#: Where the replayed cfsn site is entered: its three columns and the old template's list.
CFSN_HOME = "https://www.cfsn.cn"


def cfsn_start_urls() -> list[str]:
    """The cfsn column list pages the replay holds (the live site's fourth column, 2372, is not replayed)."""
    return [f"{CFSN_HOME}/news/{column}.html" for column in (22, 2369, 2371)] + [
        f"{CFSN_HOME}/front/web/site.hangye?hyid=1&page=1"
    ]
