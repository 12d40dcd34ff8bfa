"""Press bylines and datelines across the Chinese-speaking press (mainland, Hong Kong, Taiwan).

Lines and pages written for these tests in the forms the papers print (names invented); none is copied.
"""

from __future__ import annotations

import pytest

from crawler.extract import extract
from crawler.extract.bylines import publisher_name, read_byline
from crawler.items import Article

BODY = (
    "<p>{lead}立法院今天審查食品安全衛生管理法修正草案，委員會決議提高違規業者罰鍰上限，並要求主管機關每半年公布抽驗結果。</p>"
    "<p>衛生福利部食品藥物管理署表示，將配合修法檢討現行抽驗計畫，擴大對進口食品的邊境查驗，並加強與地方衛生局的聯合稽查。</p>"
    "<p>消費者團體則認為，罰則提高之外，更重要的是落實追蹤追溯制度，讓問題產品能在第一時間下架，保障民眾的飲食安全。</p>"
)


def _page(
    lead: str = "", info: str = "", title_suffix: str = " | 某某日報", after: str = "", head: str = ""
) -> str:
    return (
        f"<html><head><meta charset='utf-8'><title>食安法修正草案初審過關{title_suffix}</title>{head}</head><body>"
        "<div class='nav'><a href='/'>首頁</a> <a href='/politics'>政治</a></div>"
        f"<div class='story'><h1>食安法修正草案初審過關</h1>{info}<div class='text'>{BODY.format(lead=lead)}</div>"
        f"{after}</div></body></html>"
    )


def _extract(html: str) -> Article:
    item = extract(html, "http://news.example.com.tw/a/1")
    assert isinstance(item, Article), item
    return item


@pytest.mark.parametrize(
    ("line", "authors", "organization", "own"),
    [
        ("【林小明╱台北報導】", ["林小明"], None, True),
        ("〔記者陳大同／台北報導〕", ["陳大同"], None, True),
        ("〔記者陳大同、王小華／台中報導〕", ["陳大同", "王小華"], None, True),
        ("記者張美玲／新竹報導", ["張美玲"], None, True),
        ("【某某報╱本報記者李志遠】", ["李志遠"], "某某報", False),
        ("（某某社記者黃建國台北4日電）", ["黃建國"], "某某社", False),
        ("（某某社記者歐陽明德東京5日專電）", ["歐陽明德"], "某某社", False),  # compound surname: four
        ("〔本報訊〕", [], None, True),
        ("政治中心／綜合報導", [], None, False),  # a desk: nobody, and no publisher
        ("本报记者 张小三/北京报道", ["张小三"], None, True),
        ("【陳小文╱綜合外電報導】", ["陳小文"], None, True),
    ],
)
def test_press_bylines(line: str, authors: list[str], organization: str | None, own: bool) -> None:
    # a bracketed credit opens the first paragraph; the others are lines of their own
    text = line + "立法院今天審查食品安全衛生管理法修正草案" if line[0] in "【〔（" else line
    found = read_byline(text)
    assert found is not None
    assert (found.authors, found.organization, found.own_staff) == (authors, organization, own)


@pytest.mark.parametrize(
    "line",
    [
        "（記者林小遜／攝影）",  # a photo credit
        "張三／李四",  # names alone
        "（2021年）",
        "【圖片】",
        "記者從市場監管局獲悉，今年以來全市共抽檢食品一萬批次。",  # a sentence mentioning a reporter
        "文／某某",
    ],
)
def test_not_press_bylines(line: str) -> None:
    assert read_byline(line) is None


def test_publisher_name_is_a_paper_or_news_site_not_a_channel() -> None:
    assert publisher_name(["國際", "某某時報電子報"]) == "某某時報電子報"
    assert publisher_name(["仁川亞運", "運動大聯盟"]) is None
    assert publisher_name(["NOWnews 今日新聞"]) == "NOWnews 今日新聞"
    assert publisher_name(["ExampleNews"]) == "ExampleNews"


def test_bracketed_lead_gives_the_reporter_and_the_site_as_organisation() -> None:
    item = _extract(_page(lead="【林小明╱台北報導】"))
    assert item.authors == ["林小明"]
    assert item.organization == "某某日報"  # a staff reporter: the site's own story, by its own name
    assert item.body.startswith("【林小明╱台北報導】")  # the lead stays in the published text


def test_agency_dateline_names_the_agency() -> None:
    item = _extract(_page(lead="（某某社記者黃建國台北4日電）"))
    assert (item.authors, item.organization) == (["黃建國"], "某某社")


def test_paper_named_in_the_byline_line_above_the_body() -> None:
    item = _extract(
        _page(info="<div class='byline'>【某某報╱本報記者李志遠】</div>", title_suffix=" | 某某新聞網")
    )
    assert (item.authors, item.organization) == (["李志遠"], "某某報")


def test_photo_credit_in_a_caption_is_not_the_author() -> None:
    info = (
        "<figure><img src='/p.jpg'><figcaption>立法院會議現場。（記者林小遜／攝影）</figcaption></figure>"
        "<div class='byline'>記者張美玲／台北報導</div>"
    )
    item = _extract(_page(info=info))
    assert item.authors == ["張美玲"]


def test_desk_credit_is_no_organisation_and_no_author() -> None:
    item = _extract(_page(info="<div class='reporter'>政治中心／綜合報導</div>", title_suffix=" | 頻道"))
    assert item.authors == []
    assert item.organization is None


def test_no_staff_byline_no_site_name_as_organisation() -> None:
    """The site's name is the organisation only where the page says the story is its own."""
    assert _extract(_page()).organization is None


def test_logo_as_the_source_value() -> None:
    after = "<div align='right'>新聞來源：<a href='http://example.com.tw'><img src='/logo.jpg' alt='某某新聞'></a></div>"
    item = _extract(_page(after=after, title_suffix=" - 某某電視新聞網"))
    assert item.organization == "某某新聞"
