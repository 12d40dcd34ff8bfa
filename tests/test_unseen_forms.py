"""Page forms beyond the ones the engine was first written for: English dates and the source's time zone,
old table-layout and blog pages, pages whose markup puts the content where a parser does not expect it.

Every page is written for these tests (names and text invented), modelled on the kinds of page described.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from crawler.extract import extract
from crawler.extract.dates import parse_date
from crawler.items import Article

LONDON = ZoneInfo("Europe/London")
EN_TEXT = "".join(
    f"<p>{s}</p>"
    for s in [
        "The agency said on Monday that the recall covers every batch of the product sold since the spring, "
        "after tests found an allergen that is not mentioned on the label.",
        "Customers who bought the product should not eat it and can return it to the store for a full refund, "
        "the agency said in a statement published on its website.",
        "The company said it was working with the regulator and apologised for any inconvenience caused to "
        "its customers and to the shops that stock its products.",
    ]
)
ZH_TEXT = "".join(
    f"<p>{s}</p>"
    for s in [
        "近日，某某市市场监督管理局组织开展食品安全监督抽检，共抽检粮食加工品、食用油、肉制品等十二大类食品三百批次。",
        "抽检结果显示，合格样品二百九十六批次，不合格样品四批次，不合格项目主要为微生物污染和食品添加剂超范围使用。",
        "对抽检中发现的不合格食品，该局已责令相关生产经营者立即采取下架、召回等措施，并依法进行调查处理。",
    ]
)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("November 18, 2024", "2024-11-18T00:00:00+00:00"),
        ("Published 18 November 2024", "2024-11-18T00:00:00+00:00"),
        ("18th July 2024, 10:20", "2024-07-18T10:20:00+01:00"),  # BST on that day
        ("Nov. 18, 2024 5:30 p.m.", "2024-11-18T17:30:00+00:00"),
        ("18.11.2024", "2024-11-18T00:00:00+00:00"),
        ("Mon, 18 Nov 2024 10:20:00 GMT", "2024-11-18T10:20:00+00:00"),  # RFC 822: its own zone
        ("Tue, 16 Jul 2024 09:00:00 +0200", "2024-07-16T09:00:00+02:00"),
    ],
)
def test_english_date_forms_in_the_source_time_zone(text: str, value: str) -> None:
    found = parse_date(text, LONDON)
    assert found is not None and found.value == value


def test_numeric_day_month_order_is_the_source_convention() -> None:
    assert parse_date("01.02.2024", LONDON).value.startswith("2024-02-01")  # type: ignore[union-attr]
    assert parse_date("01/02/2024", LONDON, day_first=False).value.startswith("2024-01-02")  # type: ignore[union-attr]
    assert parse_date("13/02/2024", LONDON, day_first=False).value.startswith("2024-02-13")  # type: ignore[union-attr]


def test_without_a_time_zone_a_date_without_offset_is_not_taken() -> None:
    assert parse_date("November 18, 2024", None) is None
    assert parse_date("2024-11-18T10:00:00Z", None) is not None  # an offset printed is an offset known


def _en_page(info: str) -> str:
    return (
        "<html><head><title>Recall of snack bars | Example Agency</title></head><body>"
        f"<article><h1>Recall of snack bars</h1><p class='meta'>{info}</p>{EN_TEXT}</article></body></html>"
    )


def test_english_page_date_in_the_source_zone() -> None:
    item = extract(_en_page("Published 18 July 2024"), "https://agency.example.uk/news/recall", tz=LONDON)
    assert isinstance(item, Article)
    assert item.published == "2024-07-18T00:00:00+01:00"
    assert item.published_precision == "day"


def test_english_page_without_a_zone_gets_no_invented_offset() -> None:
    item = extract(_en_page("Published 18 July 2024"), "https://agency.example.uk/news/recall")
    assert isinstance(item, Article)
    assert item.published is None
    assert any("no time zone" in note for note in item.notes)


def test_chinese_page_defaults_to_shanghai() -> None:
    page = (
        "<html><head><title>某某市通报食品抽检结果</title></head><body><h1>某某市通报食品抽检结果</h1>"
        f"<div class='info'>发布时间：2024-11-18 09:30</div><div class='content'>{ZH_TEXT}</div></body></html>"
    )
    item = extract(page, "http://scjgj.example.gov.cn/art/1.html")
    assert isinstance(item, Article) and item.published == "2024-11-18T09:30:00+08:00"


def test_old_table_layout_page_without_html_tag_and_headline_in_a_heading_div() -> None:
    """A 2000s page saved from its first <table>: no <html>, no <title>, the headline in a classed div."""
    page = (
        "<table width='760'><tr><td><a href='/'>首页</a> - <a href='/news'>新闻</a> - <a href='/auto'>汽车</a>"
        " - <a href='/sports'>体育</a></td></tr></table>"
        "<table><tr><td><div class='Heading'>某某市开展夏季食品安全专项抽检</div>"
        "<div class='Date'>2005-07-18 13:03:17</div></td></tr>"
        f"<tr><td class='Content'>{ZH_TEXT}</td></tr></table>"
    )
    item = extract(page, "http://news.example.com.cn/2005/07/18/1.htm")
    assert isinstance(item, Article), item
    assert item.title == "某某市开展夏季食品安全专项抽检"
    assert item.published == "2005-07-18T13:03:17+08:00"
    assert item.body.startswith("近日，某某市")


def test_blog_post_whose_headline_is_a_link_to_itself() -> None:
    page = (
        "<html><body><div class='side'><a href='/'>博客首页</a></div>"
        "<div class='post'><div><a href='/blog/u/archive/2005/07/31/2555.html'>某某市抽检结果出炉</a></div>"
        f"<div class='postbody'>{ZH_TEXT}</div></div></body></html>"
    )
    item = extract(page, "http://blog.example.com/blog/u/archive/2005/07/31/2555.aspx")
    assert isinstance(item, Article), item
    assert item.title == "某某市抽检结果出炉"


def test_content_left_in_head_by_an_unknown_tag_is_read() -> None:
    """An unknown CMS tag in <head> makes libxml2 keep the whole page there: the page is not empty."""
    page = (
        "<script>var a = 1;</script><!DOCTYPE html><html><head><title>某某市通报食品抽检结果</title>"
        "<meta charset='utf-8'><cms:include name='style'>"
        f"<div class='text'><h1>某某市通报食品抽检结果</h1>{ZH_TEXT}</div></head></html>"
    )
    item = extract(page, "http://news.example.com.cn/a/1.html")
    assert isinstance(item, Article), item
    assert item.body.startswith("近日，某某市")


def test_a_list_of_links_with_dates_is_not_a_paragraph() -> None:
    related = " ".join(
        f"<a href='/a/{i}.html'>某某市第{i}批食品抽检信息公布 共检出不合格样品{i}批次</a> 2005-06-{10 + i:02d} 15:28:56"
        for i in range(1, 9)
    )
    page = (
        "<html><head><title>某某市通报食品抽检结果</title></head><body><h1>某某市通报食品抽检结果</h1>"
        f"<table><tr><td>{ZH_TEXT}</td></tr><tr><td>{related}</td></tr></table>"
        "</body></html>"
    )
    item = extract(page, "http://news.example.com.cn/a/1.html")
    assert isinstance(item, Article), item
    assert "第3批" not in item.body


def test_a_related_stories_heading_ends_the_text() -> None:
    page = (
        "<html><head><title>某某市通报食品抽检结果</title></head><body><h1>某某市通报食品抽检结果</h1>"
        f"<div class='text'>{ZH_TEXT}<p>相关报道</p><p>某某县开展校园周边食品安全检查，共出动执法人员六十人次，检查经营户一百二十家。</p></div>"
        "</body></html>"
    )
    item = extract(page, "http://news.example.com.cn/a/1.html")
    assert isinstance(item, Article), item
    assert "某某县" not in item.body


def test_the_headline_restated_above_the_text_is_not_text() -> None:
    """A video news page prints the headline again, worded a little longer, above the text."""
    page = (
        "<html><head><title>某某市食品抽检结果9月1日起公布</title></head><body>"
        "<h1>某某市食品抽检结果9月1日起公布</h1>"
        f"<div class='text'><p>某某市食品抽检结果9月1日起网站10:00公布</p>{ZH_TEXT}</div></body></html>"
    )
    item = extract(page, "http://news.example.com.cn/a/1.html")
    assert isinstance(item, Article), item
    assert item.body.startswith("近日，某某市")


def test_a_standfirst_restating_the_headline_stays_text() -> None:
    headline = (
        "Agency recalls snack bars sold in shops across the country after tests find undeclared peanuts"
    )
    standfirst = (
        "Agency recalls snack bars sold in shops across the whole country after its tests found peanuts."
    )
    page = (
        f"<html><head><title>{headline}</title></head><body><article><h1>{headline}</h1>"
        f"<p>{standfirst}</p><figure><img src='/p.jpg'></figure>{EN_TEXT}</article></body></html>"
    )
    item = extract(page, "https://agency.example.uk/news/recall", tz=LONDON)
    assert isinstance(item, Article), item
    assert item.body.startswith(standfirst)


def test_player_lines_above_the_text_are_not_its_opening() -> None:
    player = (
        "<p>00:00</p><p>很抱歉，当前视频播放失败</p><p>错误代码：QVS.4100</p><p>时长：01:45建议WIFI下打开</p>"
    )
    page = (
        "<html><head><title>某某市通报食品抽检结果</title></head><body><h1>某某市通报食品抽检结果</h1>"
        f"<div class='text'>{player}{ZH_TEXT}</div></body></html>"
    )
    item = extract(page, "http://news.example.com.cn/a/1.html")
    assert isinstance(item, Article), item
    assert item.body.startswith("近日，某某市")
