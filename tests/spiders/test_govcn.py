"""The govcn family spider: its bureaus in the registry, the CMS families' rules and a bureau's own on the
replayed bureaus (tests/fixtures/govcn/make_site.py wrote them), list pages in auto and row mode, and a
crawl through the real engine with every item under its bureau."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from conftest import REPLAY_ROOT, query, run_crawl
from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler

from crawler.demo.server import ReplayServer, replay_file
from crawler.items import Article
from crawler.parsers import govcn, route
from crawler.sources import of_spider, source
from crawler.spiders.govcn import GovcnSpider

ZJ_LIST = "http://zjamr.zj.gov.cn/col/col1229003248/index.html"
HB_LIST = "https://scjg.hubei.gov.cn/bmdt/jggz/cjgg/"
SH_LIST = "http://scjgj.sh.gov.cn/922/index.html"
HB = "https://scjg.hubei.gov.cn/bmdt/jggz/cjgg/"

#: url: (bureau, title, published, organization, editor, fields the rules found, attachment titles)
PAGES: dict[str, tuple[str, str, str, str, str | None, str, list[str]]] = {
    "http://zjamr.zj.gov.cn/art/2026/11/20/art_1229003248_59120031.html": (
        "zhejiang-amr",
        "浙江省市场监督管理局关于6批次食品不合格情况的通告（2026年第31期）",
        "2026-11-20T15:30:00+08:00",
        "浙江省市场监督管理局",
        None,
        "title, body",
        ["不合格产品信息.xlsx"],
    ),
    "http://zjamr.zj.gov.cn/art/2026/10/23/art_1229003248_59117512.html": (
        "zhejiang-amr",
        "浙江省市场监督管理局关于5批次食品不合格情况的通告（2026年第29期）",
        "2026-10-23T15:30:00+08:00",
        "浙江省市场监督管理局",
        None,
        "title, body",
        [],
    ),
    HB + "202611/t20261127_5912233.shtml": (
        "hubei-amr",
        "湖北省市场监督管理局关于食品安全监督抽检情况的通告（2026年第22期）",
        "2026-11-27T16:05:00+08:00",
        "湖北省市场监督管理局",  # not the stale alt="来源：省政府办公厅"
        "赵敏",
        "title, body",
        ["湖北省食品安全监督抽检不合格产品信息.xlsx"],
    ),
    HB + "202610/t20261030_5881047.shtml": (
        "hubei-amr",
        "湖北省市场监督管理局关于食品安全监督抽检情况的通告（2026年第20期）",
        "2026-10-30T10:15:00+08:00",
        "湖北省市场监督管理局",
        "孙丽",
        "title, body",
        [],
    ),
    "http://scjgj.sh.gov.cn/922/20261125/2c9bf2f6937b1e3a0193b0c4d5e60021.html": (
        "shanghai-amr",
        "上海市市场监督管理局关于2026年第十一期食品安全抽检信息的通告",
        "2026-11-25T17:30:00+08:00",
        "上海市市场监督管理局",
        None,
        "title, published, body",
        [],
    ),
}


def _file(url: str) -> Path:
    return REPLAY_ROOT / replay_file(url)


def _response(url: str, slug: str, body: bytes | None = None) -> HtmlResponse:
    data = body if body is not None else _file(url).read_bytes()
    return HtmlResponse(url=url, body=data, request=Request(url, meta={"source": slug}))


def _spider(**arguments: Any) -> GovcnSpider:
    return GovcnSpider.from_crawler(get_crawler(GovcnSpider), **arguments)


def test_the_family_has_twenty_bureaus_and_more() -> None:
    bureaus = of_spider("govcn")
    assert len(bureaus) >= 20
    assert {"handan-amr", "zhejiang-amr", "beijing-amr", "guangdong-amr"} <= {b.slug for b in bureaus}
    for bureau in bureaus:
        assert bureau.name.endswith("市场监督管理局") and bureau.publisher == bureau.name
        assert bureau.region and bureau.level in ("provincial", "city")
        assert bureau.start_urls and not bureau.verified
        assert all(
            any((urlsplit(u).hostname or "").endswith(h) for h in bureau.hosts) for u in bureau.start_urls
        )
    assert source("handan-amr").level == "city" and source("handan-amr").region == "河北 邯郸"


@pytest.mark.parametrize(
    "url, family",
    [
        ("http://zjamr.zj.gov.cn/art/2026/11/20/art_1229003248_59120031.html", "hanweb"),
        ("https://scjg.hubei.gov.cn/bmdt/jggz/cjgg/202611/t20261127_5912233.shtml", "trs"),
        ("http://scjgj.beijing.gov.cn/zwxx/gs/spzlgs/202611/t20261103_3912345.html", "trs"),
        (
            "https://www.samr.gov.cn/zw/zfxxgk/fdzdgknr/spcjs/art/2026/art_0123456789abcdef0123456789abcdef.html",
            "jpaas",
        ),
        ("http://amr.gd.gov.cn/content/post_4567890.html", "content"),
        ("http://zjamr.zj.gov.cn/col/col1229003248/index.html", None),
        ("http://zjamr.zj.gov.cn/module/jpage/dataproxy.jsp?page=1", None),
    ],
)
def test_cms_families_by_url(url: str, family: str | None) -> None:
    assert govcn.template_of(url) == family


@pytest.mark.parametrize("url", list(PAGES))
def test_bureau_pages_field_by_field(url: str) -> None:
    bureau, title, published, organization, editor, found, attachments = PAGES[url]
    item = govcn.parse_article(_file(url).read_bytes(), url, source=bureau)
    assert isinstance(item, Article), getattr(item, "reason", item)
    assert (item.source, item.title, item.published) == (bureau, title, published)
    assert (item.organization, item.editor) == (organization, editor)
    # Which fields the template's rules (or the bureau's own) found: emptying them makes this fail.
    assert f"rules found: {found}" in item.notes
    assert [a.title for a in item.attachments] == attachments
    assert all(a.url.startswith(url.rsplit("/", 4)[0]) or a.url.startswith("http") for a in item.attachments)
    assert "责任编辑" not in item.body and "Produced By" not in item.body and "2017-11-08" not in item.body
    assert "检出" in item.body or "不合格" in item.body


def test_extract_routes_a_bureau_url_to_its_bureau() -> None:
    url = next(iter(PAGES))
    parser = route(url)
    assert parser is govcn.parse_article
    item = parser(_file(url).read_bytes(), url)
    assert isinstance(item, Article) and item.source == "zhejiang-amr"


def _requests(
    spider: GovcnSpider, url: str, slug: str, page: int = 1, body: bytes | None = None
) -> list[tuple[str, str]]:
    return [(r.callback.__name__, r.url) for r in spider.parse(_response(url, slug, body), page=page)]


def test_hanweb_list_in_auto_mode_reads_the_script_data() -> None:
    got = _requests(_spider(), ZJ_LIST, "zhejiang-amr")
    assert got == [
        ("parse_article", "http://zjamr.zj.gov.cn/art/2026/11/20/art_1229003248_59120031.html"),
        ("parse_article", "http://zjamr.zj.gov.cn/art/2026/11/6/art_1229003248_59118807.html"),
        ("parse_article", "http://zjamr.zj.gov.cn/art/2026/10/23/art_1229003248_59117512.html"),
    ]


def test_trs_list_in_auto_mode_and_its_script_pagination() -> None:
    first = _requests(_spider(), HB_LIST, "hubei-amr")
    assert first == [
        ("parse_article", HB + "202611/t20261127_5912233.shtml"),
        ("parse_article", HB + "202611/t20261113_5898120.shtml"),
        ("parse", HB + "index_1.html"),
    ]
    second = _requests(_spider(), HB + "index_1.html", "hubei-amr", page=2)
    assert second == [("parse_article", HB + "202610/t20261030_5881047.shtml")]  # page 2 of 2: no next
    assert [c for c, _ in _requests(_spider(max_pages=1), HB_LIST, "hubei-amr")] == ["parse_article"] * 2


def test_row_selectors_take_only_the_rows() -> None:
    got = _requests(_spider(), SH_LIST, "shanghai-amr")
    assert [u for _, u in got] == [
        "http://scjgj.sh.gov.cn/922/20261125/2c9bf2f6937b1e3a0193b0c4d5e60021.html",
        "http://scjgj.sh.gov.cn/922/20261028/2c9bf2f6937b1e3a01932e7f1a2b0017.html",
    ]  # not the navigation's link to a feature page
    empty = _requests(_spider(), SH_LIST, "shanghai-amr", body=b"<html><body><ul></ul></body></html>")
    assert empty == []


def test_other_hosts_are_not_followed() -> None:
    page = (
        b'<a href="http://www.zj.gov.cn/art/2026/11/2/art_1229017138_5901.html">x</a>'
        b'<a href="/art/2026/11/3/art_1229003248_5902.html">y</a>'
    )
    got = _requests(_spider(), ZJ_LIST, "zhejiang-amr", body=page)
    assert got == [("parse_article", "http://zjamr.zj.gov.cn/art/2026/11/3/art_1229003248_5902.html")]


def test_crawl_keeps_each_bureau_as_its_source(tmp_path: Path) -> None:
    db = tmp_path / "foodnews.db"
    with ReplayServer(REPLAY_ROOT) as server:
        run_crawl(db, server, spider="govcn")
    stored = dict(query(db, "select source, count(*) from articles group by source"))
    assert stored == {"zhejiang-amr": 3, "hubei-amr": 3, "shanghai-amr": 2}
    runs = query(db, "select spider, source, status, error from crawl_runs order by source")
    assert runs == [("govcn", s, "finished", None) for s in ("hubei-amr", "shanghai-amr", "zhejiang-amr")]
    assert query(db, "select count(*) from sources where spider = 'govcn'") == [(len(of_spider("govcn")),)]
    kept = query(db, "select count(*) from attachments where sha256 is not null")
    assert kept == [(2,)]
    assert query(db, "select count(*) from rejects") == [(0,)]
