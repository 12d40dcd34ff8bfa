"""The archive in a real browser: Debian's chromium driven by Playwright, against a real ``foodnews serve``.

A journalist types a Chinese query in Datasette's search box, gets the results, opens an article. The
archive holds planted payloads (``<script>``, ``onerror``, ``javascript:`` links, SVG, iframes) in titles,
authors, organisations, captions, attachments and bodies: none may run. Each payload would set
``window.__pwned`` and open a dialog; the test fails on either. The browser may only contact 127.0.0.1.
Screenshots of the three pages are written to ``tests/artifacts/``.

Needs ``playwright`` (the ``test`` extra) and ``/usr/bin/chromium`` with ``fonts-noto-cjk`` (``make test``
installs them on Debian). Without them the test is skipped, unless ``FOODNEWS_REQUIRE_BROWSER=1`` (set by
``make test``), which turns a missing browser into a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_search import build_planted, expected_ids

from archive.store import article_id
from crawler.items import Article, Attachment, Image

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _flag(name: str) -> str:
    return f"window.__pwned='{name}';alert('{name}')"


PAYLOADS = [
    f"<script>{_flag('script')}</script>",
    f'<img src=x onerror="{_flag("onerror")}">',
    f'<a href="javascript:{_flag("js-link")}">点击</a>',
    f'<svg onload="{_flag("svg")}"><script>{_flag("svg-script")}</script></svg>',
    f'<iframe src="javascript:parent.{_flag("iframe")}"></iframe>',
    f'<iframe srcdoc="<script>parent.{_flag("srcdoc")}</script>"></iframe>',
    f'"><script>{_flag("attribute")}</script>',
    f"'><img src=x onerror={_flag('attribute2')}>",
    f'<math><mtext><table><mglyph><style><img src=x onerror="{_flag("mxss")}">',
]
PAYLOAD = "".join(PAYLOADS)
QUERY = "婴幼儿配方"  # typed in simplified; half the matching articles are in traditional script

HOSTILE = Article(
    url="https://www.cfsn.cn/news/detail/22/999999.html",
    source="cfsn",
    title="邯鄲市通報嬰幼兒配方奶粉召回" + PAYLOAD,
    body="邯鄲市市場監督管理局通報嬰幼兒配方奶粉召回情況。" + PAYLOAD + "\n\n第二段：抽檢結果見附件。",
    body_html="<p>邯鄲市市場監督管理局通報嬰幼兒配方奶粉召回情況。</p>"
    + PAYLOAD
    + "<p>第二段：抽檢結果見附件。</p>",
    authors=["記者" + PAYLOADS[0], PAYLOADS[1]],
    editor=PAYLOADS[3],
    organization="邯鄲市市場監督管理局" + PAYLOADS[1],
    published="2026-11-20T09:00:00+08:00",
    published_precision="minute",
    published_raw=PAYLOADS[6],
    language="zh-Hant",
    images=[
        Image(url=f"javascript:{_flag('image-url')}", caption="抽檢現場" + PAYLOADS[1], credit=PAYLOADS[0]),
        Image(url="https://www.cfsn.cn/upload/a.jpg", caption="召回產品", credit="市場監管局"),
    ],
    attachments=[
        Attachment(url=f"javascript:{_flag('attachment')}", title="附件" + PAYLOADS[2]),
        Attachment(
            url="https://www.cfsn.cn/upload/results.xlsx",
            title="抽檢結果.xlsx",
            sha256="cd" * 32,
            size=4096,
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            path=f"sha256/cd/{'cd' * 32}.xlsx",
            # A workbook's cells are the publisher's text too: its failed rows carry the payloads.
            workbooks=[
                {
                    "workbook": "results.xlsx" + PAYLOADS[0],
                    "sheet": "不合格" + PAYLOADS[6],
                    "status": "read",
                    "reason": None,
                    "failed_samples": 1,
                    "passed_samples": None,
                    "failed": [
                        {
                            "row": 3,
                            "product": "嬰幼兒配方奶粉" + PAYLOADS[1],
                            "producer": "某某乳業有限公司" + PAYLOADS[0],
                            "failed_item": "三聚氰胺" + PAYLOADS[2],
                            "result": PAYLOADS[7],
                            "standard": "不得檢出",
                            "sampled_business": PAYLOADS[8],
                            "province": "河北",
                        }
                    ],
                }
            ],
        ),
    ],
)


def _chromium() -> str | None:
    return shutil.which("chromium") or next((p for p in ("/usr/bin/chromium",) if Path(p).exists()), None)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    required = os.environ.get("FOODNEWS_REQUIRE_BROWSER") == "1"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if required:
            raise
        pytest.skip("playwright is not installed (pip install -e '.[test]')")
    executable = _chromium()
    if executable is None:
        if required:
            raise AssertionError(
                "chromium is not installed (make test installs it: apt-get install chromium)"
            )
        pytest.skip("chromium is not installed")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, list[Article]]]:
    """The planted archive plus the hostile article, served by ``foodnews serve`` on 127.0.0.1."""
    path = tmp_path_factory.mktemp("browser") / "foodnews.db"
    articles = build_planted(path, extra=[HOSTILE])
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "crawler.cli", "serve", "--db", str(path), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{base}/-/versions.json", timeout=5) as response:
                    json.load(response)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    proc.kill()  # so that reading its output cannot block
                    raise AssertionError(f"serve did not start: {proc.communicate()[0]}") from None
                time.sleep(0.2)
        yield base, articles
    finally:
        proc.terminate()
        proc.wait(timeout=10)


class Watch:
    """What the page did that it must not: dialogs opened, requests beyond 127.0.0.1."""

    def __init__(self, page: Any) -> None:
        self.dialogs: list[str] = []
        self.outside: list[str] = []
        page.on("dialog", self._dialog)
        page.route("**/*", self._route)

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _route(self, route: Any) -> None:
        url = route.request.url
        if url.startswith(("http://127.0.0.1", "data:", "about:")):
            route.continue_()
        else:
            self.outside.append(url)
            route.abort()


def assert_nothing_ran(page: Any, watch: Watch) -> None:
    page.wait_for_timeout(300)  # let any onerror/onload handler fire
    assert page.evaluate("window.__pwned") is None
    for frame in page.frames:
        assert frame.evaluate("window.__pwned === undefined || window.__pwned === null"), frame.url
    assert watch.dialogs == []
    planted = page.evaluate("""() => [
        ...document.querySelectorAll('a[href^="javascript" i], [src^="javascript" i], iframe, [srcdoc], svg, math')
    ].filter(el => el.outerHTML.includes('__pwned') || !['svg', 'path'].includes(el.tagName.toLowerCase()))
     .map(el => el.outerHTML)""")
    assert planted == []  # Datasette's own icons are SVG: only planted markup is looked for
    handlers = page.evaluate("""() => [...document.querySelectorAll('*')].flatMap(
        el => [...el.attributes].filter(a => a.name.startsWith('on')).map(a => el.tagName + ' ' + a.name))""")
    assert handlers == []
    scripts = page.evaluate("() => [...document.scripts].map(s => s.textContent).join('\\n')")
    assert "__pwned" not in scripts


#: The article ids of the reading list's headlines (their links end with the id).
HEADLINE_IDS = "links => links.map(a => a.getAttribute('href').split('/').pop())"


def test_search_box_to_results_to_article(browser: Any, served: tuple[str, list[Article]]) -> None:
    base, articles = served
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    page = context.new_page()
    watch = Watch(page)
    try:
        # 1. The articles list: on the first screen of a laptop, the search box and at least five headlines.
        page.goto(f"{base}/foodnews/articles")
        page.screenshot(path=str(ARTIFACTS / "browser-1-articles.png"))
        box = page.locator("#_search").bounding_box()
        assert box is not None and box["y"] + box["height"] <= 768
        on_screen = page.eval_on_selector_all(
            "ol.reading-list a.headline",
            "links => links.filter(a => a.getBoundingClientRect().bottom <= 768).length",
        )
        assert on_screen >= 5
        # A page of 29 articles is a light page: no body, HTML or bookkeeping columns in the list.
        with urllib.request.urlopen(f"{base}/foodnews/articles?_size=29") as response:
            assert len(response.read()) < 60_000
        assert page.get_by_text("邯鄲市通報嬰幼兒配方奶粉召回").first.is_visible()
        assert_nothing_ran(page, watch)

        # 2. Type a query (simplified) and submit the form as a journalist would.
        page.fill("#_search", QUERY)
        with page.expect_navigation():
            page.press("#_search", "Enter")
        expected = expected_ids(articles, QUERY)
        assert article_id(HOSTILE.url) in expected
        assert page.get_by_text(
            f"{len(expected)} row{'s' if len(expected) != 1 else ''} where search matches"
        ).is_visible()
        ids = set(page.eval_on_selector_all("ol.reading-list a.headline", HEADLINE_IDS))
        assert ids == expected
        assert page.locator("a.headline mark").first.inner_text() == "嬰幼兒配方"  # newest: the hostile one
        page.screenshot(path=str(ARTIFACTS / "browser-2-results.png"))
        assert_nothing_ran(page, watch)

        # 3. Open the hostile article from the results.
        with page.expect_navigation():
            page.click(f'a.headline[href$="/{article_id(HOSTILE.url)}"]')
        assert (
            page.locator("article.article h1").inner_text().startswith("邯鄲市通報嬰幼兒配方奶粉召回<script>")
        )
        assert (
            page.locator("article.article .organization").inner_text().startswith("邯鄲市市場監督管理局<img")
        )
        assert page.locator("article.article .original a").get_attribute("href") == HOSTILE.url
        assert page.locator("article.article figcaption").first.inner_text().startswith("抽檢現場")
        assert page.locator("article.article .attachments a").first.inner_text() == "抽檢結果.xlsx"
        # The notice's failures, read from its workbook: shown as text, payloads and all.
        cells = page.locator("article.article table.failures tbody td")
        assert cells.nth(0).inner_text().startswith("嬰幼兒配方奶粉<img src=x onerror=")
        assert cells.nth(1).inner_text().startswith("某某乳業有限公司<script>")
        assert cells.nth(2).inner_text().startswith("三聚氰胺<a href=")
        # (The sanitiser drops what follows the unclosed <math> payload, the second paragraph included.)
        assert (
            "邯鄲市市場監督管理局通報嬰幼兒配方奶粉召回情況。"
            in page.locator("article.article .body").inner_text()
        )
        sources = page.eval_on_selector_all(
            "article.article img", "imgs => imgs.map(i => i.getAttribute('src'))"
        )
        for image in HOSTILE.images:  # each http(s) image once, in the body or listed below it (never both)
            if image.url and image.url.startswith("https://"):
                assert sources.count(image.url) == 1, (image.url, sources)
        page.screenshot(path=str(ARTIFACTS / "browser-3-article.png"), full_page=True)
        assert_nothing_ran(page, watch)

        # Clicking every link in the article runs nothing either.
        links = page.locator("article.article a")
        for n in range(links.count()):
            links.nth(n).click(modifiers=["Control"])  # new tab, so the page stays
        assert_nothing_ran(page, watch)

        # Other kinds of query through the same box: 1 and 4 characters, the other script, English.
        for query in ("奶", "三聚氰胺", "邯鄲", "recall", "salmonella 沙门氏菌"):
            page.goto(f"{base}/foodnews/articles")
            page.fill("#_search", query)
            with page.expect_navigation():
                page.press("#_search", "Enter")
            expected = expected_ids(articles, query)
            count = f"{len(expected)} row{'s' if len(expected) != 1 else ''} where search matches"
            assert page.get_by_text(count).is_visible(), query
            listed = set(page.eval_on_selector_all("ol.reading-list a.headline", HEADLINE_IDS))
            if len(query) == 2:  # a two-character word: highlighted in the leads shown on the first screen
                assert page.locator("ol.reading-list .lead mark").first.is_visible(), query
            assert listed <= expected and len(listed) == min(len(expected), 50), query
            assert_nothing_ran(page, watch)

        # A payload typed into the search box is shown, not run.
        page.goto(f"{base}/foodnews/articles")
        page.fill("#_search", PAYLOADS[0])
        with page.expect_navigation():
            page.press("#_search", "Enter")
        assert page.locator("#_search").input_value() == PAYLOADS[0]
        assert_nothing_ran(page, watch)
        # The facets and the Atom feed of the search, too.
        page.goto(f"{base}/foodnews/articles?_search={QUERY}&_facet=editor")
        assert_nothing_ran(page, watch)
        assert all(url.startswith("https://www.cfsn.cn/") for url in watch.outside), watch.outside
    finally:
        context.close()
