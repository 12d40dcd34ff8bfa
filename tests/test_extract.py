"""Unit tests of the extraction engine: dates, pinyin, datelines, captions, decoding, language, URLs, and
whole pages written for these tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.extract import canonicalize_url, extract
from crawler.extract.dates import date_from_url, parse_date, parse_yearless, year_in_text
from crawler.extract.decode import decode_html
from crawler.extract.text import clean_pinyin, detect_language, split_caption, split_dateline
from crawler.items import Article, Reject

# --- dates -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value", "precision"),
    [
        ("2021年9月1日 10:20", "2021-09-01T10:20:00+08:00", "minute"),
        ("发布时间：2021年9月1日10:20", "2021-09-01T10:20:00+08:00", "minute"),
        ("2021-09-01 10:20:30", "2021-09-01T10:20:30+08:00", "second"),
        ("2021/9/1", "2021-09-01T00:00:00+08:00", "day"),
        ("2021.09.01", "2021-09-01T00:00:00+08:00", "day"),
        ("二〇二一年九月一日", "2021-09-01T00:00:00+08:00", "day"),
        ("二〇二一年十二月三十一日", "2021-12-31T00:00:00+08:00", "day"),
        ("2021年9月1日 下午3:05", "2021-09-01T15:05:00+08:00", "minute"),
        ("2021年9月1日 上午9:05", "2021-09-01T09:05:00+08:00", "minute"),
        ("2021-09-01T10:20:00Z", "2021-09-01T10:20:00+00:00", "second"),
        ("2021-09-01T10:20:00+09:00", "2021-09-01T10:20:00+09:00", "second"),
        ("20210901", "2021-09-01T00:00:00+08:00", "day"),
    ],
)
def test_parse_date(text: str, value: str, precision: str) -> None:
    found = parse_date(text)
    assert found is not None
    assert (found.value, found.precision) == (value, precision)
    assert found.raw and found.raw in text


@pytest.mark.parametrize(
    "text", ["2021-02-30", "2021年2月30日 10:00", "", None, "没有日期的文字", "电话 20210901 转"]
)
def test_parse_date_none(text: str | None) -> None:
    assert parse_date(text) is None


def test_parse_date_invalid_time_keeps_the_day() -> None:
    found = parse_date("2021-09-01 25:61")
    assert found is not None and (found.value, found.precision) == ("2021-09-01T00:00:00+08:00", "day")


def test_parse_yearless() -> None:
    found = parse_yearless("9月1日上午，2021年“质量月”活动启动", 2021)
    assert found is not None
    assert (found.value, found.precision) == ("2021-09-01T00:00:00+08:00", "day")
    assert found.raw.startswith("9月1日")
    other = parse_yearless("12月31日，全市开展检查", 2019)
    assert other is not None and other.value == "2019-12-31T00:00:00+08:00"
    assert parse_yearless("2月30日", 2021) is None
    assert parse_yearless("没有日期", 2021) is None
    assert parse_yearless("2021年9月1日", 2020) is None  # a full date is not a yearless one


def test_year_in_text() -> None:
    assert year_in_text("9月1日上午，2021年“质量月”活动启动") == 2021
    assert year_in_text("共抽检2021批次") is None
    assert year_in_text("") is None


@pytest.mark.parametrize(
    ("url", "value"),
    [
        ("http://www.gov.cn/xinwen/2021-09/01/content_5634567.htm", "2021-09-01T00:00:00+08:00"),
        ("http://www.gov.cn/xinwen/202109/01/content_1.htm", "2021-09-01T00:00:00+08:00"),
        ("https://www.samr.gov.cn/xw/zj/202109/t20210901_334567.html", "2021-09-01T00:00:00+08:00"),
        ("http://scjg.hebei.gov.cn/art/2021/9/1/art_1_2.html", "2021-09-01T00:00:00+08:00"),
    ],
)
def test_date_from_url(url: str, value: str) -> None:
    found = date_from_url(url)
    assert found is not None and (found.value, found.precision) == (value, "day")


def test_date_from_url_none() -> None:
    assert date_from_url("https://www.cfsn.cn/news/detail/22/361026.html") is None
    assert date_from_url("http://x.cn/art/2021/2/30/art_1.html") is None


# --- pinyin ----------------------------------------------------------------------------------------------


def test_clean_pinyin_removes_annotations() -> None:
    text = "中國食品安全網(wǎng)訊 廣東省市場(chǎng)監(jiān)督管理局開展檢(jiǎn)查活動(dòng)。"
    assert clean_pinyin(text) == "中國食品安全網訊 廣東省市場監督管理局開展檢查活動。"


def test_clean_pinyin_full_width_and_toneless_in_annotated_text() -> None:
    text = "市場（chǎng）監(jiān)管 檢(jian)查"
    assert clean_pinyin(text) == "市場監管 檢查"


@pytest.mark.parametrize(
    "text",
    [
        "河北省“质量月”活动（2021年）正式启动。",
        "农药最大残留限量应符合国家标准(GB 2763)的规定。",
        "按照第三条规定(a)执行。",
        "检(jian)查",  # a lone toneless syllable is not evidence of annotation
        "No parentheses at all",
    ],
)
def test_clean_pinyin_keeps_real_parentheses(text: str) -> None:
    assert clean_pinyin(text) == text


def test_clean_pinyin_keeps_real_parentheses_in_annotated_text() -> None:
    # A toneless "(a)" right after a Han character is taken as an annotation (啊) in annotated text, by
    # design; after a digit or Latin letter it is always kept.
    text = "市場(chǎng)監(jiān)管（2021年）符合(GB 2763)第3.1(a)项"
    assert clean_pinyin(text) == "市場監管（2021年）符合(GB 2763)第3.1(a)项"


# --- datelines -------------------------------------------------------------------------------------------


def test_dateline_organization_and_reporter() -> None:
    dateline, rest = split_dateline(
        "中国食品安全网讯（邯郸市市场监督管理局 赵春辉）9月1日，邯郸市启动专项检查。"
    )
    assert dateline is not None
    assert dateline.organization == "邯郸市市场监督管理局"
    assert dateline.authors == ["赵春辉"]
    assert dateline.text == "中国食品安全网讯（邯郸市市场监督管理局 赵春辉）"
    assert rest == "9月1日，邯郸市启动专项检查。"


def test_dateline_agency_with_reporters() -> None:
    dateline, rest = split_dateline("新华社北京9月1日电（记者 张三 李四）国家市场监管总局1日发布通知。")
    assert dateline is not None
    assert dateline.organization is None
    assert dateline.authors == ["张三", "李四"]
    assert rest == "国家市场监管总局1日发布通知。"


@pytest.mark.parametrize(
    "paragraph",
    [
        "（2021年）全省共抽检食品12万批次。",
        "今年以来（2021年）全市开展检查。",
        "记者从市局获悉，本月起全面推行“明厨亮灶”。",
    ],
)
def test_not_a_dateline(paragraph: str) -> None:
    assert split_dateline(paragraph) == (None, paragraph)


# --- captions --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "caption", "credit"),
    [
        ("启动仪式现场　图片来源：邯郸市市场监督管理局", "启动仪式现场", "邯郸市市场监督管理局"),
        ("执法人员检查后厨卫生（张三 摄）", "执法人员检查后厨卫生", "张三"),
        ("执法人员为商户讲解后厨卫生管理要点", "执法人员为商户讲解后厨卫生管理要点", None),
    ],
)
def test_split_caption(text: str, caption: str, credit: str | None) -> None:
    assert split_caption(text) == (caption, credit)


# --- decoding --------------------------------------------------------------------------------------------

PAGE = (
    '<html><head><meta http-equiv="Content-Type" content="text/html; charset={charset}">'
    "<title>邯郸市开展食品安全专项检查{extra}</title></head>"
    "<body><p>中国食品安全网讯 近日，邯郸市市场监督管理局开展食品安全专项检查。</p></body></html>"
)


def test_decode_gbk_with_meta_charset() -> None:
    text = PAGE.format(charset="gbk", extra="")
    data = text.encode("gbk")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    decoded, encoding = decode_html(data)
    assert decoded == text
    assert encoding in ("gbk", "gb18030")


def test_decode_gb2312_declared_with_gb18030_only_characters() -> None:
    text = PAGE.format(charset="gb2312", extra="：刘䶮、𠮷野家")
    data = text.encode("gb18030")
    with pytest.raises(UnicodeDecodeError):
        data.decode("gbk")
    decoded, encoding = decode_html(data)
    assert decoded == text
    assert encoding == "gb18030"


def test_decode_utf8_page_falsely_declaring_gbk() -> None:
    text = PAGE.format(charset="gbk", extra="")
    decoded, encoding = decode_html(text.encode("utf-8"))
    assert decoded == text
    assert encoding == "utf-8"


@pytest.mark.parametrize(("bom", "codec"), [(b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le")])
def test_decode_bom(bom: bytes, codec: str) -> None:
    text = PAGE.format(charset="gbk", extra="")
    decoded, _ = decode_html(bom + text.encode(codec))
    assert decoded == text


def test_decode_http_header_charset() -> None:
    text = "<html><head><title>食品安全抽检</title></head><body><p>全市共抽检食品样品三百批次。</p></body></html>"
    decoded, _ = decode_html(text.encode("gbk"), "text/html; charset=GBK")
    assert decoded == text


def test_decode_never_raises_on_bad_bytes() -> None:
    data = PAGE.format(charset="gbk", extra="").encode("gbk") + b"\xff\xfe\x81"
    decoded, _ = decode_html(data)
    assert "邯郸市开展食品安全专项检查" in decoded


# --- language --------------------------------------------------------------------------------------------


def test_detect_language() -> None:
    assert (
        detect_language("国家市场监督管理总局发布关于食品安全监督抽检情况的通告，涉及粮食加工品等十类食品。")
        == "zh-Hans"
    )
    assert (
        detect_language("國家市場監督管理總局發佈關於食品安全監督抽檢情況的通告，涉及糧食加工品等十類食品。")
        == "zh-Hant"
    )
    assert (
        detect_language(
            "The State Administration for Market Regulation published the results of food safety sampling "
            "inspections covering ten categories of food products."
        )
        == "en"
    )
    assert detect_language("食品") is None
    assert detect_language("") is None


# --- URLs ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        (
            "HTTP://WWW.CFSN.CN/news/detail/22/361026.html#top",
            "http://www.cfsn.cn/news/detail/22/361026.html",
        ),
        (
            "https://www.cfsn.cn/news/detail/22/361026.html?utm_source=wx&utm_medium=share",
            "https://www.cfsn.cn/news/detail/22/361026.html",
        ),
        (
            "https://www.cfsn.cn/front/web/site.newshow?hyid=1&newsid=5101&view=pc",
            "https://www.cfsn.cn/front/web/site.newshow?hyid=1&newsid=5101",
        ),
        (
            "https://www.cfsn.cn/front/web/site.newshow?newsid=5101&hyid=1",
            "https://www.cfsn.cn/front/web/site.newshow?newsid=5101&hyid=1",
        ),
        ("https://www.cfsn.cn", "https://www.cfsn.cn/"),
        ("https://www.cfsn.cn/Path/Case.html", "https://www.cfsn.cn/Path/Case.html"),
    ],
)
def test_canonicalize_url(url: str, canonical: str) -> None:
    assert canonicalize_url(url) == canonical
    assert canonicalize_url(canonical) == canonical


def test_canonicalize_url_keeps_valueless_parameters() -> None:
    assert canonicalize_url("https://www.example.cn/show.asp?123") == "https://www.example.cn/show.asp?123"


# --- whole pages -----------------------------------------------------------------------------------------

PARAGRAPHS = [
    "近日，某某市市场监督管理局组织开展校园及周边食品安全专项检查，重点检查学校食堂和校园周边食品经营者。",
    "检查中，执法人员重点查看了食品原料进货查验记录、从业人员健康证明和餐饮具清洗消毒情况。",
    "下一步，该局将持续加大监督检查力度，切实保障广大师生饮食安全。",
]


def _page(info: str, hidden: str = "") -> str:
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>某某市开展校园食品安全专项检查_某某网</title>'
        "</head><body>"
        f'{hidden}<h1>某某市开展校园食品安全专项检查</h1><div class="info">{info}</div>'
        f'<div class="content">{body}<img src="/pic/1.jpg" alt="时间：2017-11-08" title="2017-11-08"></div>'
        "</body></html>"
    )


HIDDEN = (
    '<div style="display:none">发布时间：2017-11-08 08:00 来源：隐藏单位 作者：隐藏者 这段隐藏文字不应出现在正文中</div>'
    "<div hidden>发布时间：2017-11-09</div>"
)


def test_hidden_text_is_never_read() -> None:
    item = extract(
        _page("发布时间：2021-09-01 10:20 来源：某某市市场监督管理局", HIDDEN),
        "http://www.example.cn/a/1.html",
    )
    assert isinstance(item, Article)
    assert item.title == "某某市开展校园食品安全专项检查"
    assert item.published == "2021-09-01T10:20:00+08:00"
    assert item.body == "\n\n".join(PARAGRAPHS)
    assert "隐藏" not in item.body and "2017" not in item.body
    assert "隐藏" not in (item.organization or "") and "隐藏者" not in item.authors


def test_hidden_date_is_not_the_publication_date() -> None:
    item = extract(_page("来源：某某市市场监督管理局", HIDDEN), "http://www.example.cn/a/1.html")
    assert isinstance(item, Article)
    assert item.published is None
    assert item.published_precision is None
    assert any(note.startswith("published") for note in item.notes)


def test_plain_text_item() -> None:
    text = (
        "某某市启动2021年“质量月”活动\n"
        "中国食品安全网讯（某某市市场监督管理局 张三）9月1日上午，2021年“质量月”活动在某某市启动。\n"
        "活动期间，该局将组织开展质量提升、标准宣贯等系列活动。\n"
        "启动仪式现场　图片来源：某某市市场监督管理局\n"
        "责任编辑：李四\n"
    )
    item = extract(text.encode("utf-8"), "http://www.example.cn/a/2.txt")
    assert isinstance(item, Article)
    assert item.title == "某某市启动2021年“质量月”活动"
    assert item.organization == "某某市市场监督管理局"
    assert item.authors == ["张三"]
    assert item.editor == "李四"
    assert item.published == "2021-09-01T00:00:00+08:00"
    assert item.published_precision == "day"
    # The dateline lead stays in the text as published; its organisation and author are read out of it.
    assert item.body == (
        "中国食品安全网讯（某某市市场监督管理局 张三）9月1日上午，2021年“质量月”活动在某某市启动。\n\n"
        "活动期间，该局将组织开展质量提升、标准宣贯等系列活动。"
    )
    assert [(i.url, i.caption, i.credit) for i in item.images] == [
        (None, "启动仪式现场", "某某市市场监督管理局")
    ]
    assert item.language == "zh-Hans"


def test_plain_text_without_any_year_has_no_date() -> None:
    text = "某地开展检查\n中国食品安全网讯（某某市市场监督管理局 张三）9月1日上午，某地开展食品安全检查。\n"
    item = extract(text, "http://www.example.cn/a/3.txt")
    assert isinstance(item, Article)
    assert item.published is None


def test_empty_page_is_a_reject() -> None:
    assert isinstance(extract(b"", "http://www.example.cn/a/4.txt"), Reject)
    item = extract(
        "<html><body><p>抱歉，您访问的页面不存在！</p></body></html>", "http://www.example.cn/a/5.html"
    )
    assert isinstance(item, Reject) and item.reason


def _article(paragraphs: list[str], extra: str = "") -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f'<html><head><meta charset="utf-8"><title>Regulator recalls infant formula</title></head><body>'
        f'<h1>Regulator recalls infant formula</h1><div class="story">{body}{extra}</div></body></html>'
    )


ENGLISH = [
    "The food safety regulator said on Tuesday that it was recalling three batches of infant formula sold in the north.",
    "Inspectors found that the products had been stored at temperatures above those printed on the label for weeks.",
    "Parents who bought the formula are asked to return it to the shop where they bought it for a full refund.",
]


def test_press_release_boilerplate_after_an_about_heading_is_not_body() -> None:
    page = _article(
        ENGLISH,
        "<h3>About Example Foods</h3><p>Example Foods is a global company that makes food for "
        "families in more than forty countries and employs thousands of people worldwide.</p>",
    )
    item = extract(page, "https://example.org/news/recall")
    assert isinstance(item, Article)
    assert item.body == "\n\n".join(ENGLISH)


def test_a_line_repeated_three_times_is_furniture() -> None:
    repeated = "Photo gallery of the inspection carried out by the regional food safety office this week"
    paragraphs = [ENGLISH[0], repeated, ENGLISH[1], repeated, ENGLISH[2], repeated]
    item = extract(_article(paragraphs), "https://example.org/news/recall")
    assert isinstance(item, Article)
    assert repeated not in item.body and item.body == "\n\n".join(ENGLISH)


TEASERS = [  # other stories of the site: (headline, lead)
    (
        "Bakery chain fined over allergen labels",
        "A bakery chain was fined on Monday after customers found traces of nuts in loaves sold as nut-free...",
    ),
    (
        "Dairy farmers warn of milk shortage this winter",
        "FARMERS in the west say the dry summer has cut their herds and that prices will rise before Christmas...",
    ),
    (
        "City opens three new school kitchens",
        "The council said the kitchens would serve hot meals to two thousand pupils from the start of next term...",
    ),
]


def test_a_teaser_list_after_the_article_is_not_body() -> None:
    items = "".join(
        f'<li><a href="/news/{i}">{h}</a> <span>{lead}</span></li>' for i, (h, lead) in enumerate(TEASERS)
    )
    item = extract(
        _article(ENGLISH, f"<h2>More stories</h2><ul>{items}</ul>"), "https://example.org/news/recall"
    )
    assert isinstance(item, Article)
    assert item.body == "\n\n".join(ENGLISH)


def test_teasers_as_linked_headings_with_leads_are_not_body() -> None:
    items = "".join(
        f'<h3><a href="/news/{i}">{h}</a></h3><img src="/t/{i}.jpg"><p>{lead}</p>'
        for i, (h, lead) in enumerate(TEASERS[:2])
    )
    item = extract(_article(ENGLISH, f"<div>{items}</div>"), "https://example.org/news/recall")
    assert isinstance(item, Article)
    assert item.body == "\n\n".join(ENGLISH)


def test_linked_sentences_and_paragraphs_opening_with_a_link_stay_in_the_body() -> None:
    briefing = [
        f'<strong><a href="/news/{i}">{h}</a>.</strong> {lead}' for i, (h, lead) in enumerate(TEASERS)
    ]
    opening = [
        f'<a href="/people/{i}">Food inspectors</a> said on {day} that {p[0].lower()}{p[1:]}'
        for i, (day, p) in enumerate(zip(["Monday", "Friday"], ENGLISH[1:], strict=False))
    ]
    page = _article([], "".join(f"<li>{b}</li>" for b in briefing) + "".join(f"<p>{p}</p>" for p in opening))
    item = extract(page, "https://example.org/news/briefing")
    assert isinstance(item, Article)
    assert [p.split()[0] for p in item.body.split("\n\n")] == ["Bakery", "Dairy", "City", "Food", "Food"]


def test_captions_by_class_and_bare_links_are_not_body() -> None:
    url = "https://example.org/news/2019/11/19/regulator-recalls-three-batches-of-infant-formula-in-the-north"
    caption = (
        '<img src="/p/1.jpg"><p class="wp-caption-text">Inspectors at the warehouse where the formula was '
        "stored, seen from the loading bay last week</p>"
    )
    page = _article([url, *ENGLISH[:2]], caption + f"<p>{ENGLISH[2]}</p>")
    item = extract(page, "https://example.org/news/recall")
    assert isinstance(item, Article)
    assert item.body == "\n\n".join(ENGLISH)
    caption_text = (
        "Inspectors at the warehouse where the formula was stored, seen from the loading bay last week"
    )
    assert [i.caption for i in item.images] == [caption_text]


def test_list_pages_are_rejected_as_such(site_dir: Path) -> None:
    item = extract(
        (site_dir / "www.cfsn.cn" / "news" / "22.html").read_bytes(), "https://www.cfsn.cn/news/22.html"
    )
    assert isinstance(item, Reject)
    assert item.reason.startswith("not an article: a list or index page")


def test_relative_dates_count_back_from_the_fetch_time() -> None:
    from datetime import datetime as dt

    from crawler.extract.dates import parse_relative

    fetched = dt.fromisoformat("2026-11-25T08:30:00+00:00")  # 16:30 in Shanghai
    assert parse_relative("3小时前", fetched).value == "2026-11-25T13:30:00+08:00"
    assert parse_relative("发布于 昨天 10:20", fetched).value == "2026-11-24T10:20:00+08:00"
    assert parse_relative("2 days ago", fetched).value == "2026-11-23T00:00:00+08:00"
    assert parse_relative("2 days ago", fetched).precision == "day"
    assert parse_relative("3小时前", None) is None


def test_a_relative_date_needs_the_fetch_time() -> None:
    paragraphs = "".join(
        f"<p>{p}</p>"
        for p in [
            "市场监管部门近日对辖区内的农贸市场开展了食品安全专项检查，重点检查肉类和蔬菜的进货查验记录。",
            "检查中发现部分经营户未按规定索证索票，执法人员当场责令整改，并将跟踪复查整改落实情况。",
        ]
    )
    page = (
        f'<html><head><meta charset="utf-8"><title>农贸市场专项检查</title></head><body><h1>农贸市场专项检查</h1>'
        f'<div class="info">3小时前 来源：某某市场监管局</div><div class="content">{paragraphs}</div></body></html>'
    )
    undated = extract(page, "http://example.cn/a.html")
    assert isinstance(undated, Article) and undated.published is None
    assert any("relative date" in n for n in undated.notes)
    dated = extract(page, "http://example.cn/a.html", fetched_at="2026-11-25T08:30:00+00:00")
    assert isinstance(dated, Article) and dated.published == "2026-11-25T13:30:00+08:00"


# --- the fast paths give what the plain ones give ----------------------------------------------------------

_FAST_PATH_PAGE = (
    "<html><head><title>标题</title><script>var pubtime = '2021-09-01 10:20:00';</script></head><body>"
    "<div class='nav'><a href='/'>首页</a> <a href='/a'>新闻</a></div>"
    "<div id='zoom'><p>第一段正文，内容足够长，像一个真正的句子。</p><span hidden>隐藏</span>"
    "<p style='display: none'>不显示</p><table><tr><td>表格</td><td><a href='/x.pdf'>附件</a></td></tr></table>"
    "</div></body></html>\u3000<p>拼接页面的后半部分，也要读到。</p></body\u3000></html>"
)


@pytest.mark.parametrize(
    "page",
    [
        _FAST_PATH_PAGE,
        "\ufeff" + _FAST_PATH_PAGE,
        _FAST_PATH_PAGE + "\x0b",
        _FAST_PATH_PAGE.replace("第一段", "第一段\ufffd"),
        "</html>" + _FAST_PATH_PAGE,
    ],
)
def test_parse_from_utf8_bytes_matches_parse_from_text(page: str) -> None:
    import lxml.etree

    from crawler.extract.dom import parse_page

    raw = page.encode("utf-8")
    text, encoding = decode_html(raw)
    assert encoding == "utf-8"
    fast, plain = (
        parse_page(text, "http://x.cn/", raw=raw, encoding=encoding),
        parse_page(text, "http://x.cn/"),
    )
    assert not isinstance(fast, str) and not isinstance(plain, str)
    assert lxml.etree.tostring(fast.root) == lxml.etree.tostring(plain.root)
    assert [(b.text, b.link_chars, b.chars) for b in fast.blocks] == [
        (b.text, b.link_chars, b.chars) for b in plain.blocks
    ]
    assert "拼接页面的后半部分，也要读到。" in [b.text for b in fast.blocks]
    assert "隐藏" not in " ".join(b.text for b in fast.blocks)


def test_extract_leaves_no_reference_cycles() -> None:
    """A cycle would keep each page's whole tree alive until a full garbage collection traces it.

    Only the engine's own objects count: other threads of the test process (servers left by earlier
    tests) may make garbage of their own meanwhile.
    """
    import gc

    # A first call may import modules and fill caches once (cycles of its own, not the page's).
    extract(_FAST_PATH_PAGE.encode("utf-8"), "http://x.cn/a.html")
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        for _ in range(3):
            extract(_FAST_PATH_PAGE.encode("utf-8"), "http://x.cn/a.html")
        gc.collect()
        ours = [
            o
            for o in gc.garbage
            if (getattr(o, "__module__", None) or type(o).__module__ or "").startswith(("crawler", "lxml"))
        ]
        assert not ours, ours[:5]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()


def test_script_variables_only_at_a_word_start() -> None:
    from crawler.extract.dates import date_from_script

    assert date_from_script("var pubtime = '2021-09-01 10:20:00';").value == "2021-09-01T10:20:00+08:00"
    assert date_from_script("var xpubtime = '2021-09-01 10:20:00';") is None
    assert date_from_script('a.xct = 1630462800; var ct = "1630462800";').value.startswith("2021-09-01")
    assert date_from_script("var act = 1630462800;") is None


_TABLE_PAGE = (
    "<html><head><title>抽检结果</title></head><body><table class='list'>"
    "<tr><th>产品</th><th>结果</th></tr>"
    "<tr class='odd' id='r1'><td style='color: red'>饼干</td><td><a href='/1'>不合格</a></td></tr>"
    "<tr><td>面包<span hidden>隐藏</span></td><td>合格</td></tr>"
    "<tr><td>牛奶<!-- 注释 --></td><td><img src='/m.png'></td></tr>"
    "<tr><td><div style='display:none'>不显示</div>酸奶</td><td>合格</td></tr>"
    "<tr><td><p>布局行</p></td><td>另一格</td></tr>"
    "</table></body></html>"
)


def test_plain_table_rows_read_in_one_pass_as_in_the_general_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    from crawler.extract import dom

    def read() -> tuple[list[tuple[str, int, str | None]], list[tuple[str, tuple[str, str]]]]:
        page = dom.parse_page(_TABLE_PAGE, "http://x.cn/")
        assert not isinstance(page, str)
        return (
            [(b.text, b.link_chars, b.image) for b in page.blocks],
            [(el.tag, names) for el, names in page.names.items()],
        )

    one_pass = read()
    monkeypatch.setattr(dom, "_plain_row", lambda row: None)
    assert one_pass == read()
    texts = [text for text, _, _ in one_pass[0]]
    assert texts[:3] == ["产品 | 结果", "饼干 | 不合格", "面包 | 合格"]
    assert "隐藏" not in " ".join(texts) and "不显示" not in " ".join(texts)
    assert ("tr", ("odd", "r1")) in one_pass[1]
