"""The samr spider and parser on the replay of www.samr.gov.cn (tests/fixtures/samr/make_site.py wrote it):
notice and news pages field by field, the list API's paging, and a crawl through the real engine."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import pytest
from conftest import REPLAY_ROOT, query, run_crawl
from scrapy.http import HtmlResponse, Request, TextResponse
from scrapy.utils.test import get_crawler

from crawler.demo.server import ReplayServer, replay_name
from crawler.items import Article, Reject
from crawler.parsers.samr import RULES, parse_article
from crawler.spiders.samr import API, PAGE_SIZE, SamrSpider, api_url

SITE = REPLAY_ROOT / "www.samr.gov.cn"
HOST = "https://www.samr.gov.cn"
INDEX = f"{HOST}/spcjs/xxfb/index.html"
NOTICE = re.compile(r"^市场监管总局关于(\d+)批次食品抽检不合格情况的通告（2026年第(\d+)号）$")


def _file(url: str) -> Path:
    parts = urlsplit(url)
    return REPLAY_ROOT / replay_name(f"/{parts.netloc}{unquote(parts.path)}", unquote(parts.query))


def _pages() -> list[str]:
    """Every article page of the replay, by its real URL."""
    return sorted(f"{HOST}/{p.relative_to(SITE).as_posix()}" for p in SITE.rglob("art_*.html"))


def _spider(**arguments: Any) -> SamrSpider:
    return SamrSpider.from_crawler(get_crawler(SamrSpider), **arguments)


def _api_response(page: int, body: bytes | None = None) -> TextResponse:
    url = api_url(page)
    request = Request(url, meta={"source": "samr"})
    return TextResponse(
        url=url, body=body if body is not None else _file(url).read_bytes(), request=request, encoding="utf-8"
    )


def test_the_replay_holds_notices_at_both_url_patterns_and_news() -> None:
    pages = _pages()
    assert len(pages) == 110
    assert any("/zw/zfxxgk/fdzdgknr/spcjs/art/2026/art_" in u for u in pages)
    assert any("/spcjs/xxfb/art/2026/art_" in u for u in pages)
    assert sum("/xw/zj/art/" in u for u in pages) == 5


@pytest.mark.parametrize("url", _pages())
def test_every_page_parses_by_the_site_rules(url: str) -> None:
    item = parse_article(_file(url).read_bytes(), url)
    assert isinstance(item, Article), getattr(item, "reason", item)
    assert item.url == url and item.source == "samr" and item.language == "zh-Hans"
    # The source's own rules found every field they name: emptying RULES makes this fail.
    assert f"rules found: {', '.join(RULES.given())}" in item.notes
    assert item.published and re.fullmatch(r"2026-\d\d-\d\dT\d\d:\d\d:00\+08:00", item.published)
    assert item.published_precision == "minute"
    assert item.organization and item.organization.endswith("司")
    assert "国家市场监督管理总局" not in item.title and "打印本页" not in item.body


def test_a_notice_with_its_workbooks() -> None:
    url = next(u for u in _pages() if "P02026122800.xlsx" in _file(u).read_text("utf-8"))
    item = parse_article(_file(url).read_bytes(), url)
    assert isinstance(item, Article)
    batches, number = NOTICE.fullmatch(item.title).groups()  # type: ignore[union-attr]
    assert f"检出不合格样品{batches}批次" in item.body
    assert item.published == "2026-12-28T16:30:00+08:00" and number == "105"
    assert item.organization == "食品抽检司"
    assert [(a.url, a.title) for a in item.attachments] == [
        (
            f"{HOST}/cms_files/filemanager/1647978232/attach/202612/P02026122800.xlsx",
            "1.粮食加工品监督抽检不合格产品信息.xlsx",
        ),
        (
            f"{HOST}/cms_files/filemanager/1647978232/attach/202612/P02026122801.xlsx",
            "2.食用油、油脂及其制品监督抽检不合格产品信息.xlsx",
        ),
    ]


def test_the_api_url_carries_the_columns_parameters_in_order() -> None:
    url = api_url(2)
    assert url.startswith(API + "?parseType=bulidstatic&webId=")
    parameters = dict(parse_qsl(urlsplit(url).query))
    assert json.loads(parameters["paramJson"]) == {"pageNo": 2, "pageSize": PAGE_SIZE}
    assert parameters["tagId"] == "ajax分页" and parameters["pageId"] == "6695899db9f8455187259c43b72d2e1c"
    assert api_url(2) == url  # the same text every time


def test_the_notice_index_asks_the_api_with_the_index_as_referer() -> None:
    response = HtmlResponse(
        url=INDEX, body=_file(INDEX).read_bytes(), request=Request(INDEX, meta={"source": "samr"})
    )
    (request,) = list(_spider().parse(response))
    assert request.url == api_url(1)
    assert request.headers["Referer"] == INDEX.encode()
    assert request.meta["source"] == "samr" and request.cb_kwargs == {"page": 1, "list_url": INDEX}


def test_api_pages_give_99_notices_then_the_rest_and_stop_at_the_count() -> None:
    first = list(_spider().parse_api(_api_response(1), page=1, list_url=INDEX))
    notices = [r for r in first if r.callback.__name__ == "parse_article"]
    following = [r for r in first if r.callback.__name__ == "parse_api"]
    assert len(notices) == PAGE_SIZE
    assert all(r.url.startswith(HOST + "/") and "/art/" in r.url for r in notices)
    assert [r.url for r in following] == [api_url(2)]
    second = list(_spider().parse_api(_api_response(2), page=2, list_url=INDEX))
    assert len(second) == 105 - PAGE_SIZE and all(r.callback.__name__ == "parse_article" for r in second)
    # max_pages bounds the API pages as it bounds list pages.
    bounded = list(_spider(max_pages=1).parse_api(_api_response(1), page=1, list_url=INDEX))
    assert len(bounded) == PAGE_SIZE


@pytest.mark.parametrize(
    "body, reason",
    [
        (b"<html>502 Bad Gateway</html>", "samr list API: the answer is not JSON"),
        (
            b'{"success": false, "message": "error"}',
            "samr list API: the answer is not a page of rows (success: False)",
        ),
        (
            b'{"success": true, "data": {"html": "<ul></ul>"}}',
            "samr list API: the answer page 1 holds no rows",
        ),
        (b'{"success": true, "data": []}', "samr list API: the answer is not a page of rows (success: True)"),
        (b"[1, 2]", "samr list API: the answer is not a page of rows (success: None)"),
    ],
)
def test_a_bad_api_answer_is_a_reject(body: bytes, reason: str) -> None:
    (out,) = list(_spider().parse_api(_api_response(1, body), page=1, list_url=INDEX))
    assert isinstance(out, Reject)
    assert (out.reason, out.source, out.url) == (reason, "samr", api_url(1))


def test_news_list_pages_and_their_next_page() -> None:
    url = f"{HOST}/xw/zj/index.html"
    response = HtmlResponse(
        url=url, body=_file(url).read_bytes(), request=Request(url, meta={"source": "samr"})
    )
    out = list(_spider().parse(response, page=1))
    assert [r.callback.__name__ for r in out] == ["parse_article"] * 3 + ["parse"]
    assert out[-1].url == f"{HOST}/xw/zj/index_1.html"
    assert [r.callback.__name__ for r in _spider(max_pages=1).parse(response, page=1)] == [
        "parse_article"
    ] * 3


def test_crawl_stores_notices_news_and_their_evidence(tmp_path: Path) -> None:
    db = tmp_path / "foodnews.db"
    with ReplayServer(REPLAY_ROOT) as server:
        result = run_crawl(db, server, spider="samr")
    assert "crawl finished: 123 pages fetched, 110 new" in result.stdout
    assert query(db, "select source, status, error from crawl_runs") == [("samr", "finished", None)]
    assert query(db, "select count(*) from rejects") == [(0,)]
    urls = [u for (u,) in query(db, "select url from articles")]
    assert len(urls) == 110 and all(u.startswith(HOST + "/") for u in urls)
    files = query(db, "select url, sha256, size, media_type, path from attachments order by url")
    assert len(files) == 7
    assert {kind for *_, kind, _ in files} == {
        "application/zip",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }
    for url, sha256, size, _, path in files:
        kept = (tmp_path / "files" / path).read_bytes()
        assert kept == _file(url).read_bytes()
        assert (hashlib.sha256(kept).hexdigest(), len(kept)) == (sha256, size)
