"""The samr spider and parser on the replay of www.samr.gov.cn (tests/fixtures/samr/make_site.py wrote it):
notice and news pages field by field, the list API's paging, and a crawl through the real engine."""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from conftest import REPLAY_ROOT, query, run_crawl
from lxml import etree
from scrapy.http import HtmlResponse, Request, Response, TextResponse
from scrapy.utils.test import get_crawler

from crawler.demo.server import ReplayServer, replay_file
from crawler.items import Article, Reject
from crawler.parsers.samr import RULES, parse_article
from crawler.pipelines import validate
from crawler.spiders.samr import API, PAGE_SIZE, SamrSpider, api_url

SITE = REPLAY_ROOT / "www.samr.gov.cn"
HOST = "https://www.samr.gov.cn"
INDEX = f"{HOST}/spcjs/xxfb/index.html"
NOTICE = re.compile(r"^市场监管总局关于(\d+)批次食品抽检不合格情况的通告（2026年第(\d+)号）$")
#: What the site rules find on every page of the template: emptying RULES, or one of them, fails the tests.
RULES_FOUND = "rules found: title, published, organization, body"
ATTACH = f"{HOST}/cms_files/filemanager/1647978232/attach"
#: The columns of a results workbook that the notes (sites-cn.md §7) list.
COLUMNS = [
    "抽样编号",
    "标称生产企业名称",
    "标称生产企业地址",
    "被抽样单位名称",
    "被抽样单位地址",
    "食品名称",
    "规格型号",
    "商标",
    "生产日期/批号",
    "不合格项目║检验结果║标准值",
    "检验机构",
    "备注",
]
SHEET = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def _file(url: str) -> Path:
    return REPLAY_ROOT / replay_file(url)


def _pages() -> list[str]:
    """Every article page of the replay, by its real URL."""
    return sorted(f"{HOST}/{p.relative_to(SITE).as_posix()}" for p in SITE.rglob("art_*.html"))


def _notice_with(name: str) -> tuple[str, Article]:
    """The notice page that links the attachment ``name``, parsed."""
    url = next(u for u in _pages() if name in _file(u).read_text("utf-8"))
    item = parse_article(_file(url).read_bytes(), url)
    assert isinstance(item, Article), getattr(item, "reason", item)
    return url, item


def _rows(workbook: bytes) -> list[list[str]]:
    """The cells of a workbook's one sheet, row by row, as text (numbers as written)."""
    with zipfile.ZipFile(io.BytesIO(workbook)) as book:
        for part in book.namelist():  # every part is well-formed XML
            if part.endswith((".xml", ".rels")):
                etree.fromstring(book.read(part))
        sheet = etree.fromstring(book.read("xl/worksheets/sheet1.xml"))
    return [["".join(cell.itertext()) for cell in row.iter(f"{SHEET}c")] for row in sheet.iter(f"{SHEET}row")]


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
    # The source's own rules found every field: emptying RULES, or one of its selectors, makes this fail.
    assert list(RULES.given()) == ["title", "published", "organization", "body"]
    assert RULES_FOUND in item.notes and not any(n.startswith("rule missed") for n in item.notes)
    assert item.published and re.fullmatch(r"2026-\d\d-\d\dT\d\d:\d\d:00\+08:00", item.published)
    assert item.published_precision == "minute"
    assert item.organization and item.organization.endswith("司")
    assert "国家市场监督管理总局" not in item.title and "打印本页" not in item.body


def test_notices_read_as_the_notes_describe_them() -> None:
    """Title, batch count and date as sites-cn.md §7 gives them, the count the same in title and text."""
    notices = [u for u in _pages() if "/spcjs/" in u]
    assert len(notices) == 105
    for url in notices:
        item = parse_article(_file(url).read_bytes(), url)
        assert isinstance(item, Article)
        assert re.search(r"\d+批次食品抽检不合格情况的(通报|通告)", item.title)
        batches = re.search(r"检出\s*(\d+)\s*批次样品不合格", item.body)
        assert batches and f"关于{batches.group(1)}批次" in item.title, url
        assert item.organization == "食品抽检司"
        assert item.published_raw == item.published[:10] + " 16:30"  # type: ignore[index]


def test_a_notice_with_its_workbooks() -> None:
    url, item = _notice_with("P02026122800.xlsx")
    assert (
        url
        == f"{HOST}/zw/zfxxgk/fdzdgknr/spcjs/art/2026/art_{hashlib.md5(b'samr-notice-0').hexdigest()}.html"
    )
    assert item.source == "samr" and RULES_FOUND in item.notes
    batches, number = NOTICE.fullmatch(item.title).groups()  # type: ignore[union-attr]
    assert (batches, number) == ("3", "105")
    assert item.body.startswith(
        "近期，市场监管总局组织食品安全监督抽检，抽取粮食加工品等6类食品300批次样品，"
    )
    assert "检出3批次样品不合格" in item.body and item.body.endswith("拨打12315投诉举报。")
    assert item.published == "2026-12-28T16:30:00+08:00" and item.published_precision == "minute"
    assert item.organization == "食品抽检司"
    # The attachment lines are not text; nor is the closing "特此通告。" (five characters: the engine's floor
    # for a line of text).
    assert "附件" not in item.body and ".xlsx" not in item.body and "特此通告" not in item.body
    assert [(a.url, a.title) for a in item.attachments] == [
        (f"{ATTACH}/202612/P02026122800.xlsx", "1.粮食加工品监督抽检不合格产品信息.xlsx"),
        (f"{ATTACH}/202612/P02026122801.xlsx", "2.食用油、油脂及其制品监督抽检不合格产品信息.xlsx"),
    ]


def test_a_one_sentence_notice_with_workbooks_is_a_valid_article() -> None:
    """Results are in the attachments: the text may be a single sentence, still above the body floor
    (FOODNEWS_MIN_BODY_CHARS = 20, checked by the ValidationPipeline's validate)."""
    _, item = _notice_with("P02026122610.xlsx")
    assert (
        item.body
        == "市场监管总局组织抽检食用油、油脂及其制品等食品303批次样品，检出10批次样品不合格，具体情况见附件。"
    )
    assert validate(item, min_body_chars=20) is None
    assert [(a.url, a.title) for a in item.attachments] == [
        (f"{ATTACH}/202611/P02026122610.xlsx", "1.食用油、油脂及其制品监督抽检不合格产品信息.xlsx"),
        (f"{ATTACH}/202611/P02026122611.xlsx", "2.肉制品监督抽检不合格产品信息.xlsx"),
    ]


def test_a_notice_whose_results_are_a_zip() -> None:
    url, item = _notice_with("P0202612223.zip")
    assert url.startswith(f"{HOST}/zw/zfxxgk/fdzdgknr/spcjs/art/2026/art_")
    assert item.published == "2026-12-22T16:30:00+08:00"
    assert [(a.url, a.title) for a in item.attachments] == [
        (f"{ATTACH}/20269/P0202612223.zip", "食品抽检不合格产品信息.zip")
    ]


def test_the_workbooks_hold_the_columns_and_a_sample_over_two_rows() -> None:
    # (the plain layout; the merged layout and the damaged workbook are read in tests/test_inspections.py)
    books = sorted(b for b in (SITE / "cms_files").rglob("*.xlsx") if not b.stem.endswith(("a", "b")))
    assert len(books) == 6
    with zipfile.ZipFile(next((SITE / "cms_files").rglob("*.zip"))) as archive:
        inner = {name: archive.read(name) for name in archive.namelist()}
    assert sorted(inner) == ["粮食加工品.xlsx", "食用油、油脂及其制品.xlsx"]
    for data in [b.read_bytes() for b in books] + list(inner.values()):
        title, header, *rows = _rows(data)
        assert title[0].endswith("监督抽检不合格产品信息")
        assert all(c in header for c in COLUMNS)
        number = header.index("抽样编号")
        assert len(rows) >= 3 and all(len(r) == len(header) - 1 for r in rows)  # 备注 empty: no cell
        first, second = rows[0], rows[1]
        # One failing sample, two failed items: two rows with one 抽样编号 and two different findings.
        assert first[number] == second[number] and first[1:10] == second[1:10] and first[10] != second[10]
        assert len({r[number] for r in rows}) == len(rows) - 1
        assert all(len(r[header.index("不合格项目║检验结果║标准值")].split("║")) == 3 for r in rows)
        made = [r[header.index("生产日期/批号")] for r in rows]
        assert all(re.fullmatch(r"4\d{4}|2026-\d\d-\d\d", m) for m in made)  # Excel serials or text


def test_a_news_article_field_by_field() -> None:
    url = f"{HOST}/xw/zj/art/2026/art_{hashlib.md5(b'samr-news-0').hexdigest()}.html"
    item = parse_article(_file(url).read_bytes(), url)
    assert isinstance(item, Article)
    assert item.title == "市场监管总局部署开展2026年食品安全抽检监测工作"
    assert item.published == "2026-11-26T10:00:00+08:00" and item.published_raw == "2026-11-26 10:00"
    assert item.organization == "新闻宣传司" and item.authors == [] and item.editor is None
    assert item.body.startswith("2026年11月26日，部署开展2026年食品安全抽检监测工作。")
    assert item.body.endswith("已责令生产企业召回并依法查处。") and len(item.body.split("\n\n")) == 3
    assert item.attachments == [] and item.source == "samr" and RULES_FOUND in item.notes


def test_every_attachment_kind_of_the_issue_is_collected() -> None:
    """xlsx, xls, zip, pdf and docx links in the body container become attachments, in page order."""
    links = "".join(
        f'<p><a href="/cms_files/filemanager/1647978232/attach/202612/P0{i}.{ext}">附件{i}.{ext}</a></p>'
        for i, ext in enumerate(["xlsx", "xls", "zip", "pdf", "docx"], 1)
    )
    page = f"""<html><head><meta charset="utf-8"><meta name="PubDate" content="2026-12-01 16:30"></head><body>
<div class="Three_xilan_01"><h1>市场监管总局关于12批次食品抽检不合格情况的通告（2026年第45号）</h1></div>
<div class="Three_xilan_02"><span class="pubtime">发布时间：2026-12-01 16:30</span><span class="source">来源：食品抽检司</span></div>
<div class="zt_xilan_07"><p>市场监管总局组织抽检乳制品等食品500批次样品，检出12批次样品不合格，具体情况见附件。</p>
<p>附件：</p>{links}<p><a href="/xw/zj/index.html">总局要闻</a></p></div></body></html>"""
    url = f"{HOST}/zw/zfxxgk/fdzdgknr/spcjs/art/2026/art_{'0' * 32}.html"
    item = parse_article(page.encode(), url)
    assert isinstance(item, Article) and RULES_FOUND in item.notes
    assert [(a.url.rsplit("/", 1)[1], a.title) for a in item.attachments] == [
        (f"P0{i}.{ext}", f"附件{i}.{ext}") for i, ext in enumerate(["xlsx", "xls", "zip", "pdf", "docx"], 1)
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
    assert request.headers["X-Requested-With"] == b"XMLHttpRequest"
    assert request.callback == request.callback.__self__.parse_api and request.errback is not None
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


def test_every_api_row_is_a_page_of_the_replay_with_the_rows_date() -> None:
    """No notice linked by the API is missing from the replay (the demo has no 404 rejects)."""
    seen = []
    for page in (1, 2):
        fragment = json.loads(_file(api_url(page)).read_text("utf-8"))["data"]["html"]
        assert 'count="105"' in fragment
        for href, title, date in re.findall(
            r'<li><a href="([^"]+)" target="_blank" title="([^"]+)">[^<]+</a><span>([\d-]+)</span></li>',
            fragment,
        ):
            page_text = _file(HOST + href).read_text("utf-8")
            assert f'<meta name="ArticleTitle" content="{title}">' in page_text
            assert f'<meta name="PubDate" content="{date} 16:30">' in page_text
            seen.append(href)
    assert len(seen) == len(set(seen)) == 105


def test_api_rows_off_the_site_or_not_notices_are_not_followed() -> None:
    rows = [
        "/zw/zfxxgk/fdzdgknr/spcjs/art/2026/art_" + "a" * 32 + ".html",
        "https://www.samr.gov.cn/spcjs/xxfb/art/2022/art_" + "b" * 32 + ".html",
        "https://www.gov.cn/zhengce/art/2026/art_" + "c" * 32 + ".html",
        "/spcjs/xxfb/index.html",
        "javascript:void(0)",
    ]
    html = "".join(f'<li><a href="{r}" title="t">t</a><span>2026-01-01</span></li>' for r in rows)
    body = json.dumps({"success": True, "data": {"html": f'<ul>{html}</ul><div count="5"></div>'}}).encode()
    out = list(_spider().parse_api(_api_response(1, body), page=1, list_url=INDEX))
    assert [r.url for r in out] == [HOST + rows[0], rows[1]]
    assert all(r.meta["source"] == "samr" for r in out)


def test_an_api_answer_without_a_count_asks_no_further_page() -> None:
    html = "".join(f'<li><a href="/spcjs/xxfb/art/2022/art_{i:032x}.html">t</a></li>' for i in range(99))
    body = json.dumps({"success": True, "data": {"html": f"<ul>{html}</ul>"}}).encode()
    out = list(_spider().parse_api(_api_response(1, body), page=1, list_url=INDEX))
    assert len(out) == 99 and {r.callback.__name__ for r in out} == {"parse_article"}


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
        (b"\xff\xfe\x00garbage", "samr list API: the answer is not JSON"),
        (b"", "samr list API: the answer is not JSON"),
    ],
)
def test_a_bad_api_answer_is_a_reject(body: bytes, reason: str) -> None:
    (out,) = list(_spider().parse_api(_api_response(1, body), page=1, list_url=INDEX))
    assert isinstance(out, Reject)
    assert (out.reason, out.source, out.url) == (reason, "samr", api_url(1))


def test_an_api_answer_that_is_not_text_is_a_reject_too() -> None:
    """Sent as application/octet-stream, the answer is a plain Response (no .text): a reject, no crash."""
    url = api_url(1)
    response = Response(url=url, body=b"\x00\x01", status=200, request=Request(url, meta={"source": "samr"}))
    (out,) = list(_spider().parse_api(response, page=1, list_url=INDEX))
    assert isinstance(out, Reject) and out.reason == "samr list API: the answer is not JSON"
    assert out.http_status == 200


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
    assert "crawl finished: 126 pages fetched, 110 new" in result.stdout
    assert query(db, "select source, status, error from crawl_runs") == [("samr", "finished", None)]
    assert query(db, "select count(*) from rejects") == [(0,)]
    urls = [u for (u,) in query(db, "select url from articles")]
    assert len(urls) == 110 and all(u.startswith(HOST + "/") for u in urls)
    assert query(db, "select count(*) from articles where url like ?", (f"{HOST}/xw/zj/art/2026/%",)) == [
        (5,)
    ]
    assert query(
        db, "select count(*), min(organization), max(organization) from articles where url like '%/spcjs/%'"
    ) == [(105, "食品抽检司", "食品抽检司")]
    titled = query(
        db,
        "select a.url, a.title from attachments a join articles s on s.id = a.article_id "
        "where s.source = 'samr' order by a.url",
    )
    assert titled[:2] == [
        (f"{ATTACH}/202610/P02026122420.xlsx", "1.肉制品监督抽检不合格产品信息.xlsx"),
        (f"{ATTACH}/202610/P02026122421.xlsx", "2.乳制品监督抽检不合格产品信息.xlsx"),
    ]
    assert (f"{ATTACH}/20269/P0202612223.zip", "食品抽检不合格产品信息.zip") in titled
    assert len(titled) == 10 and all(t.endswith((".xlsx", ".xls", ".zip")) for _, t in titled)
    files = query(db, "select url, sha256, size, media_type, path from attachments order by url")
    assert len(files) == 10
    assert {kind for *_, kind, _ in files} == {
        "application/zip",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.ms-excel",
    }
    for url, sha256, size, _, path in files:
        kept = (tmp_path / "files" / path).read_bytes()
        assert kept == _file(url).read_bytes()
        assert (hashlib.sha256(kept).hexdigest(), len(kept)) == (sha256, size)
