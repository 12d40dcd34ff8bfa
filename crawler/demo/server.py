"""A local replay of the sources' sites, served on 127.0.0.1 for the demo and the end-to-end tests.

The crawler reaches it through ``crawler.replay`` (``FOODNEWS_REPLAY``): the real URL
``https://www.cfsn.cn/news/22.html?page=2`` is asked as ``/www.cfsn.cn/news/22.html?page=2``. URL → file:
``site/<host>/<path>``, ``index.html`` for a folder; with a query string, path + ``@`` + query
(``news/22.html@page=2``), or, for a query too long for a file name or holding other characters than
letters, digits and ``=&._-`` (an API's JSON parameters), path + ``@`` + the first 16 hex digits of the
query's SHA-256 (``python -m crawler.demo.server URL`` prints the file name of a URL). Pages are sent as
``text/html`` without a charset, as many regulators' servers do, so the crawler has to read the page's own
declaration; a file that starts with ``{`` or ``[`` is sent as JSON.
"""

from __future__ import annotations

import gzip
import hashlib
import re
import sys
import threading
from collections.abc import Callable
from email.utils import formatdate, parsedate_to_datetime
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
    ".xls": "application/vnd.ms-excel",
    ".zip": "application/zip",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".json": "application/json",
}
#: A query kept as is in a file name; any other is hashed.
PLAIN_QUERY = re.compile(r"[A-Za-z0-9=&._-]{1,100}")


def replay_name(url_path: str, query: str) -> str:
    """The file (relative to the replay site) that answers ``url_path`` (``/host/path``) and ``query``,
    both unquoted."""
    name = url_path.lstrip("/")
    if not name or name.endswith("/"):
        name += "index.html"
    if query:
        plain = PLAIN_QUERY.fullmatch(query)
        name += "@" + (query if plain else hashlib.sha256(query.encode("utf-8")).hexdigest()[:16])
    return name


def site_dir() -> Path:
    """The replay site shipped with the package."""
    return Path(str(resources.files("crawler.demo") / "site"))


def replay_file(url: str) -> str:
    """The file (relative to the replay site) that answers the real ``url``."""
    parts = urlsplit(url)
    return replay_name(f"/{parts.netloc}{unquote(parts.path)}", unquote(parts.query))


def _not_modified(tags: str | None, since: str | None, etag: str, path: Path) -> bool:
    """Whether a conditional request's copy is current: it names the file's entity tag, or, naming none,
    its date is not before the file's modification time (an unreadable date is no condition)."""
    if tags is not None:
        return etag in [t.strip() for t in tags.split(",")]
    if not since:
        return False
    try:
        date = parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False
    return int(path.stat().st_mtime) <= date.timestamp()


class ReplayHandler(BaseHTTPRequestHandler):
    """Serves files of the replay site; everything else is a 404."""

    server_version = "foodnews-replay/1"
    #: Send files gzip-encoded to a client that accepts it, as most web servers do (off: the bytes as they are).
    compress = False

    def __init__(self, *args: object, root: Path, **kwargs: object):
        self.root = root
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        target = (self.root / replay_name(unquote(parts.path), unquote(parts.query))).resolve()
        if self.root.resolve() not in target.parents or not target.is_file():
            self.send_error(404)
            return
        data = target.read_bytes()
        kind = TYPES.get(target.suffix)
        if kind is None:
            kind = "application/json" if data.lstrip()[:1] in (b"{", b"[") else "text/html"
        # Validators as a web server sends them for a static file (nginx, Apache): an entity tag of the
        # bytes, and their modification time. A request that names the current tag gets 304 Not Modified
        # (the tag wins over a date, RFC 9110 13.2.2).
        etag = '"' + hashlib.sha256(data).hexdigest()[:24] + '"'
        modified = formatdate(target.stat().st_mtime, usegmt=True)
        if _not_modified(
            self.headers.get("If-None-Match"), self.headers.get("If-Modified-Since"), etag, target
        ):
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        if self.compress and "gzip" in (self.headers.get("Accept-Encoding") or ""):
            data = gzip.compress(data, mtime=0)
        self.send_response(200)
        self.send_header("Content-Type", kind)
        if self.compress and "gzip" in (self.headers.get("Accept-Encoding") or ""):
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("ETag", etag)
        self.send_header("Last-Modified", modified)
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

    def start_urls(self, spider: str = "cfsn") -> list[str]:
        """Where the replay of ``spider``'s sites is entered (real URLs: crawl them with ``FOODNEWS_REPLAY``)."""
        return demo_start_urls(spider)


def starts_dir() -> Path:
    """``crawler/demo/starts/<spider>.txt``: the start URLs of each spider's replay, one per line."""
    return Path(str(resources.files("crawler.demo") / "starts"))


def demo_spiders() -> list[str]:
    """The spiders the replay holds sites of, each with a file of start URLs."""
    return sorted(p.stem for p in starts_dir().glob("*.txt"))


def demo_start_urls(spider: str) -> list[str]:
    """The start URLs of ``spider``'s replay (the replay may hold less than the live sites: cfsn's fourth
    column is not replayed, nor most bureaus)."""
    lines = (starts_dir() / f"{spider}.txt").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


if __name__ == "__main__":
    # The replay file of each URL given: python -m crawler.demo.server 'https://www.samr.gov.cn/api?...'
    for arg in sys.argv[1:]:
        print(replay_file(arg))
