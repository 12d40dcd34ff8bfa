"""A hostile site for the robustness tests and benchmarks: a column list whose articles attack the crawler.

Served on 127.0.0.1 like the replay. ``/news/99.html`` lists one article URL per attack, in the cfsn URL
scheme so that the real ``cfsn`` spider follows them:

- a gzip bomb (about 1 MB on the wire, 1 GiB once decompressed);
- a 30 MB page, announced by its Content-Length, and another sent without one;
- a page just under the download limit whose text is far over the stored-body limit;
- a page of 200,000 tags (well under the download limit);
- a redirect loop (A → B → A) and an endless redirect chain;
- a body sent one byte per second, for longer than any download timeout of a test.

Plus one ordinary article, so that a crawl of the site stores something.
"""

from __future__ import annotations

import gzip
import time
from functools import cache
from http.server import BaseHTTPRequestHandler

from crawler.demo.server import LocalServer

COLUMN = "/news/99.html"
ARTICLE = "/news/detail/99/{}.html"
#: Path of each attack, and the words of the reason the crawl must record for it.
ATTACKS = {
    "bomb": (ARTICLE.format(1), "DOWNLOAD_MAXSIZE"),
    "huge": (ARTICLE.format(2), "DOWNLOAD_MAXSIZE"),
    "huge-unannounced": (ARTICLE.format(3), "DOWNLOAD_MAXSIZE"),
    "long-body": (ARTICLE.format(4), "FOODNEWS_MAX_BODY_CHARS"),
    "many-tags": (ARTICLE.format(5), "tags"),
    "loop": (ARTICLE.format(6), "redirect loop"),
    "chain": (ARTICLE.format(7), "REDIRECT_MAX_TIMES"),
    "slow": (ARTICLE.format(8), "DOWNLOAD_TIMEOUT"),
}
GOOD = ARTICLE.format(100)
MB = 1024 * 1024

PAGE = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{title}_中国食品安全网</title></head><body>
<div class="detail"><h1 class="detail-title">{title}</h1>
<div class="detail-info"><span class="time">2026-09-01 10:00</span><span class="source">来源：中国食品安全网</span></div>
<div class="detail-content">{body}</div></div></body></html>"""


def paragraphs(size: int) -> str:
    """About ``size`` bytes of distinct paragraphs (a line repeated in an article would be furniture)."""
    line = "<p>第{}条：市场监管部门近日通报了一批食品安全监督抽检结果，涉及粮食加工品、食用油等类别。</p>\n"
    return "".join(line.format(i) for i in range(max(1, size // len(line.format(0).encode()))))


def page(title: str, body: str) -> bytes:
    """An article page in the cfsn template."""
    return PAGE.format(title=title, body=body).encode("utf-8")


@cache
def gzip_bomb(size: int = 1024 * MB) -> bytes:
    """``size`` bytes of spaces gzipped, as gzip members of 8 MiB each (any gzip reader reads them as one)."""
    member = gzip.compress(b" " * (8 * MB), compresslevel=9)
    return member * (size // (8 * MB))


@cache
def huge_page(size: int = 30 * MB) -> bytes:
    """A page of ordinary paragraphs, ``size`` bytes long."""
    return page("超大页面", paragraphs(size))


class HostileHandler(BaseHTTPRequestHandler):
    """Serves the hostile column and its articles."""

    server_version = "foodnews-hostile/1"
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == COLUMN:
            links = "".join(f'<li><a href="{p}">{name}</a></li>' for name, (p, _) in ATTACKS.items())
            self._send(
                page("恶意页面", f'<ul class="news-list">{links}<li><a href="{GOOD}">正常</a></li></ul>')
            )
        elif path == GOOD:
            self._send(page("正常的文章", paragraphs(500)))
        elif path == ATTACKS["bomb"][0]:
            self._send(gzip_bomb(), headers={"Content-Encoding": "gzip"})
        elif path == ATTACKS["huge"][0]:
            self._send(huge_page())
        elif path == ATTACKS["huge-unannounced"][0]:
            self._stream(huge_page())
        elif path == ATTACKS["long-body"][0]:
            self._send(page("正文过长", paragraphs(3 * MB)))
        elif path == ATTACKS["many-tags"][0]:
            self._send(page("标签过多", "<p>" + "<b>食品</b>" * 200_000 + "</p>"))
        elif path in (ATTACKS["loop"][0], "/loop/b.html"):
            self._redirect("/loop/b.html" if path == ATTACKS["loop"][0] else ATTACKS["loop"][0])
        elif path == ATTACKS["chain"][0] or path.startswith("/chain/"):
            hop = int(path.rsplit("/", 1)[1].split(".")[0]) + 1 if path.startswith("/chain/") else 1
            self._redirect(f"/chain/{hop}.html")
        elif path == ATTACKS["slow"][0]:
            self._trickle(page("慢速页面", paragraphs(500)))
        else:
            self._send(b"not found", status=404)

    def _send(self, data: bytes, status: int = 200, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self._write(data)

    def _stream(self, data: bytes) -> None:
        """Without Content-Length: the size is known only once the body has come."""
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        for start in range(0, len(data), MB):
            if not self._write(data[start : start + MB]):
                return

    def _trickle(self, data: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        for byte in data[:60]:
            if not self._write(bytes([byte])):
                return
            time.sleep(1)

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _write(self, data: bytes) -> bool:
        try:
            self.wfile.write(data)
            self.wfile.flush()
        except OSError:  # the crawler hung up: that is what a limit does
            self.close_connection = True
            return False
        return True

    def log_message(self, format: str, *args: object) -> None:
        pass


class HostileServer(LocalServer):
    """The hostile site on 127.0.0.1 in a background thread (a free port)."""

    def __init__(self) -> None:
        gzip_bomb(), huge_page()  # built before serving, so that no request waits for them
        super().__init__(HostileHandler)
