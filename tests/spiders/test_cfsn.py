"""The cfsn parser on every page of the replay site, field by field against expected.json, and the spider's
routing of list pages, offline (style rule 10)."""

from __future__ import annotations

import asyncio
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin

import pytest
from conftest import FIXTURE_BASE, SITE_DIR, load_expected, page_file
from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler

from crawler.items import Article, Reject
from crawler.parsers.cfsn import parse_article
from crawler.spiders.cfsn import CfsnSpider

EXPECTED = load_expected()
WITH_FILE = [e for e in EXPECTED if page_file(SITE_DIR, e["path"]).is_file()]
VALID = [e for e in WITH_FILE if e["valid"]]
INVALID = [e for e in WITH_FILE if not e["valid"]]
_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ"
PINYIN_NOTE = re.compile(rf"[(（][a-zü{_TONED}]+[)）]")


def parse(entry: dict[str, Any]) -> Article | Reject:
    return parse_article(page_file(SITE_DIR, entry["path"]).read_bytes(), FIXTURE_BASE + entry["path"])


def test_fixture_set_is_complete() -> None:
    """Every page of the ground truth but the 404 has a file, and the set covers the tricky cases."""
    assert len(VALID) >= 25
    assert {e["reason"] for e in INVALID} == {"error page"}
    missing = [e for e in EXPECTED if e not in WITH_FILE]
    assert [e["reason"] for e in missing] == ["404"]
    assert any(e["encoding"] == "gbk" for e in VALID)
    assert any(e["language"] == "zh-Hant" for e in VALID)
    assert any(e["images"] for e in VALID) and any(e["attachments"] for e in VALID)


@pytest.mark.parametrize("entry", VALID, ids=[e["path"] for e in VALID])
def test_article_fields(entry: dict[str, Any]) -> None:
    url = FIXTURE_BASE + entry["path"]
    item = parse(entry)
    assert isinstance(item, Article), getattr(item, "reason", item)
    assert item.url == url
    assert item.source == "cfsn"
    assert item.title == entry["title"]
    if "T" in entry["published"]:
        assert item.published == entry["published"]
        seconds = entry["published"][17:19]
        assert item.published_precision in (("second",) if seconds != "00" else ("minute", "second"))
    else:
        assert item.published is not None and item.published.startswith(entry["published"] + "T")
        assert item.published.endswith("+08:00")
        assert item.published_precision == "day"
    assert item.published_raw
    assert item.authors == entry["authors"]
    assert item.editor == entry["editor"]
    assert item.organization == entry["organization"]
    assert item.body.startswith(entry["body_first"])
    assert item.body.endswith(entry["body_last"])
    assert len(item.body.split("\n\n")) == entry["paragraphs"]
    assert all(p.strip() == p and p for p in item.body.split("\n\n"))
    assert len(item.images) == len(entry["images"])
    for got, want in zip(item.images, entry["images"], strict=True):
        assert got.url is not None and got.url.startswith(FIXTURE_BASE + "/")
        assert got.url.endswith(want["url"])
        assert got.caption == want["caption"]
        assert got.credit == want["credit"]
    for image in entry["images"]:
        assert image["caption"] not in item.body  # captions are not body text
    assert len(item.attachments) == len(entry["attachments"])
    for got_a, want_a in zip(item.attachments, entry["attachments"], strict=True):
        assert got_a.url.startswith(FIXTURE_BASE + "/")
        assert unquote(got_a.url).endswith(want_a["url"])
        assert got_a.title == want_a["title"]
    assert item.language == entry["language"]
    assert item.page_sha256 and len(item.page_sha256) == 64


@pytest.mark.parametrize("entry", INVALID, ids=[e["path"] for e in INVALID])
def test_invalid_pages_are_rejected_with_reason(entry: dict[str, Any]) -> None:
    item = parse(entry)
    assert isinstance(item, Reject)
    assert entry["reason"] in item.reason
    assert item.url == FIXTURE_BASE + entry["path"]
    assert item.source == "cfsn"


def test_gbk_page_decodes() -> None:
    entry = next(e for e in VALID if e["encoding"] == "gbk")
    data = page_file(SITE_DIR, entry["path"]).read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # the page really is GBK, not UTF-8 declared otherwise
    assert entry["title"].encode("gbk") in data
    item = parse_article(data, FIXTURE_BASE + entry["path"])
    assert isinstance(item, Article)
    assert item.title == entry["title"]
    assert "\ufffd" not in item.body


def test_pinyin_annotations_are_removed() -> None:
    annotated = [
        e for e in VALID if PINYIN_NOTE.search(page_file(SITE_DIR, e["path"]).read_text("utf-8", "replace"))
    ]
    assert annotated, "the replay site should have a pinyin-annotated page"
    for entry in annotated:
        item = parse(entry)
        assert isinstance(item, Article)
        assert not PINYIN_NOTE.search(item.body), PINYIN_NOTE.search(item.body)
        assert not PINYIN_NOTE.search(item.title)
        assert item.body.startswith(entry["body_first"])


def test_parse_article_accepts_text_and_content_type() -> None:
    entry = next(e for e in VALID if e["encoding"] == "gbk")
    data = page_file(SITE_DIR, entry["path"]).read_bytes()
    item = parse_article(data, FIXTURE_BASE + entry["path"], content_type="text/html; charset=GBK")
    assert isinstance(item, Article) and item.title == entry["title"]
    utf8 = next(e for e in VALID if e["encoding"] == "utf-8")
    text = page_file(SITE_DIR, utf8["path"]).read_text("utf-8")
    item = parse_article(text, FIXTURE_BASE + utf8["path"])
    assert isinstance(item, Article) and item.title == utf8["title"]


# --- the spider's routing of list pages ------------------------------------------------------------------


class _Links(HTMLParser):
    """Every <a href> of a page with its text, in document order (an independent reading of the page)."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self._open: list[Any] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._open = [dict(attrs).get("href") or "", ""]

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._open[1] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._open is not None:
            self.links.append((self._open[0], self._open[1].strip()))
            self._open = None


def _list_pages() -> list[tuple[Path, str, int]]:
    """(file, URL, page number) of every list page of the replay site."""
    pages = []
    files = sorted((SITE_DIR / "news").glob("*.html*"))
    files += sorted((SITE_DIR / "front/web").glob("site.hangye@*"))
    for file in files:
        rel = file.relative_to(SITE_DIR).as_posix()
        name, _, query = rel.partition("@")
        url = f"{FIXTURE_BASE}/{name}" + (f"?{query}" if query else "")
        number = re.search(r"page=(\d+)", query)
        pages.append((file, url, int(number[1]) if number else 1))
    return pages


LIST_PAGES = _list_pages()
ARTICLE_PATHS = {e["path"] for e in EXPECTED}


def _truth(file: Path, url: str) -> tuple[list[str], str | None]:
    """The article links (pages of expected.json) and the 下一页 link of a list page, read independently."""
    reader = _Links()
    reader.feed(file.read_text("utf-8"))
    articles = [urljoin(url, href) for href, _ in reader.links if href in ARTICLE_PATHS]
    following = [urljoin(url, href) for href, text in reader.links if text == "下一页"]
    assert len(following) <= 1
    return articles, following[0] if following else None


def _spider(**arguments: Any) -> CfsnSpider:
    """The spider as ``scrapy crawl cfsn -a NAME=VALUE`` makes it."""
    return CfsnSpider.from_crawler(get_crawler(CfsnSpider), **arguments)


def _run_parse(spider: CfsnSpider, file: Path, url: str, page: int) -> list[Request]:
    response = HtmlResponse(url=url, body=file.read_bytes(), request=Request(url))
    out = list(spider.parse(response, page=page))
    assert all(isinstance(r, Request) for r in out)
    return out


def test_list_pages_found() -> None:
    assert len(LIST_PAGES) >= 6
    assert sum(1 for _, _, page in LIST_PAGES if page == 1) >= 3


@pytest.mark.parametrize(
    ("file", "url", "page"), LIST_PAGES, ids=[u[len(FIXTURE_BASE) :] for _, u, _ in LIST_PAGES]
)
def test_list_page_links(file: Path, url: str, page: int) -> None:
    articles, following = _truth(file, url)
    assert articles, "a list page links articles"
    requests = _run_parse(_spider(max_pages=10), file, url, page)
    article_requests = [r for r in requests if getattr(r.callback, "__name__", None) == "parse_article"]
    assert [r.url for r in article_requests] == articles
    rest = [r for r in requests if r not in article_requests]
    if following is None:
        assert rest == []
    else:
        assert [r.url for r in rest] == [following]
        assert rest[0].callback.__name__ == "parse"
        assert rest[0].cb_kwargs == {"page": page + 1}


def test_no_next_page_beyond_max_pages() -> None:
    file, url, _ = next(p for p in LIST_PAGES if p[1].endswith("/news/22.html"))
    articles, following = _truth(file, url)
    assert following is not None
    spider = _spider(max_pages=2)
    assert [r.url for r in _run_parse(spider, file, url, 1)] == [*articles, following]
    assert [r.url for r in _run_parse(spider, file, url, 2)] == articles  # page 2 is the last allowed
    assert [r.url for r in _run_parse(_spider(max_pages=1), file, url, 1)] == articles


def test_list_page_22_by_hand() -> None:
    """The first 要闻 page, read by a person: four list links, three side links, then page 2."""
    file, url, _ = next(p for p in LIST_PAGES if p[1].endswith("/news/22.html"))
    got = [r.url for r in _run_parse(_spider(), file, url, 1)]
    ids = ["22/361026", "22/361025", "22/361022", "22/361019", "2369/361024", "2371/361017", "2369/361021"]
    articles = [f"{FIXTURE_BASE}/news/detail/{i}.html" for i in ids]
    assert got == [*articles, f"{FIXTURE_BASE}/news/22.html?page=2"]


def test_other_hosts_are_not_followed() -> None:
    body = (
        '<html><body><a href="https://www.samr.gov.cn/news/detail/1/2.html">x</a>'
        '<a href="/news/detail/22/1.html">y</a><a href="/admin/login.html">z</a>'
        '<a class="next" href="https://elsewhere.example/news/22.html?page=2">下一页</a></body></html>'
    )
    url = FIXTURE_BASE + "/news/22.html"
    response = HtmlResponse(url=url, body=body.encode(), encoding="utf-8", request=Request(url))
    got = [r.url for r in _spider().parse(response, page=1)]
    assert got == [FIXTURE_BASE + "/news/detail/22/1.html"]


@pytest.mark.parametrize(
    "value",
    [
        "http://127.0.0.1:1/news/22.html,http://127.0.0.1:1/news/2369.html",
        ["http://127.0.0.1:1/news/22.html", "http://127.0.0.1:1/news/2369.html"],
    ],
    ids=["comma-string", "list"],
)
def test_start_urls_argument(value: Any) -> None:
    spider = _spider(start_urls=value)

    async def collect() -> list[Request]:
        return [r async for r in spider.start()]

    requests = asyncio.run(collect())
    assert [r.url for r in requests] == [
        "http://127.0.0.1:1/news/22.html",
        "http://127.0.0.1:1/news/2369.html",
    ]
    assert all(r.cb_kwargs == {"page": 1} for r in requests)


def test_default_start_urls_are_cfsn_columns() -> None:
    spider = _spider()

    async def collect() -> list[Request]:
        return [r async for r in spider.start()]

    urls = [r.url for r in asyncio.run(collect())]
    assert urls and all(u.startswith("https://www.cfsn.cn/news/") for u in urls)


# --- strict site rules -----------------------------------------------------------------------------------

#: What cfsn's rules must find on every article page of either template (authors, editor and a time are
#: printed on some pages only).
ALWAYS_BY_RULES = {"title", "organization", "body"}


def rule_failures(parser: Any) -> list[str]:
    """Where the rules found less than they must on the fixture pages, by what the items' notes say."""
    failures, found_anywhere = [], set()
    for entry in VALID:
        item = parser(page_file(SITE_DIR, entry["path"]).read_bytes(), FIXTURE_BASE + entry["path"])
        found = {
            name
            for note in getattr(item, "notes", [])
            if note.startswith("rules found: ")
            for name in note[len("rules found: ") :].split(", ")
        }
        found_anywhere |= found
        if not found >= ALWAYS_BY_RULES:
            failures.append(f"{entry['path']}: rules found only {sorted(found)}")
        if "T" in entry["published"] and "published" not in found:
            failures.append(f"{entry['path']}: the date was not found by the rule")
    failures += [
        f"the rule for {name} found nothing on any page"
        for name in ("title", "published", "organization", "authors", "editor", "body")
        if name not in found_anywhere
    ]
    return failures


def test_the_site_rules_find_each_field() -> None:
    assert rule_failures(parse_article) == []


def test_with_its_rules_emptied_cfsn_fails_its_rule_test() -> None:
    from crawler.extract import SiteRules, extract

    def without_rules(body: bytes, url: str) -> Article | Reject:
        return extract(body, url, source="cfsn", rules=SiteRules())

    assert len(rule_failures(without_rules)) >= len(VALID)


def test_a_rule_that_finds_nothing_is_noted_on_the_item() -> None:
    entry = VALID[0]
    html = page_file(SITE_DIR, entry["path"]).read_text("utf-8", "replace").replace("detail-title", "x-title")
    item = parse_article(html, FIXTURE_BASE + entry["path"])
    assert isinstance(item, Article) and item.title == entry["title"]  # the engine's headline is still used
    assert "rule missed: title (h1.detail-title, div.newShow h2.title)" in item.notes
