"""Metadata of Chinese news and government pages: bylines, organisations, info-line dates and headlines.

Every page here is a small snippet written for these tests, modelled on common templates (portal reposts,
self-media platforms, WeChat, hospital and government CMS pages); none is copied from a real page.
"""

from __future__ import annotations

import pytest

from crawler.extract import extract
from crawler.extract.dates import date_from_script, find_date, parse_short
from crawler.extract.meta import (
    byline_names,
    credit_line_names,
    is_person,
    looks_like_organization,
    parse_info,
    role_names,
)
from crawler.items import Article

PARAGRAPHS = [
    "9月1日上午，某某市市场监督管理局组织执法人员对辖区学校食堂开展食品安全专项检查，重点检查原料进货查验情况。",
    "检查中，执法人员详细查看了食堂的从业人员健康证明、食品留样记录和餐具消毒设施，并对发现的问题当场提出整改要求。",
    "该局有关负责人表示，下一步将继续加大监督检查力度，督促学校落实食品安全主体责任，切实保障师生饮食安全。",
]


def _page(
    head: str = "",
    top: str = "",
    info: str = "",
    paragraphs: list[str] | None = None,
    after: str = "",
    title: str = "某某市开展校园食品安全专项检查",
    headline: str | None = None,
) -> str:
    body = "".join(f"<p>{p}</p>" for p in (paragraphs or PARAGRAPHS))
    printed = headline if headline is not None else f"<h1>{title}</h1>"
    return (
        f"<html><head><meta charset='utf-8'><title>{title}_某某新闻网</title>{head}</head><body>"
        f"<div class='nav'><a href='/'>首页</a> <a href='/news'>新闻</a></div>"
        f"<div class='article'>{top}{printed}{info}<div class='content'>{body}</div>{after}</div>"
        f"</body></html>"
    )


def _extract(html: str, url: str = "http://news.example.cn/a/1.html") -> Article:
    item = extract(html, url)
    assert isinstance(item, Article), item
    return item


# --- names ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("新京报记者 陆小夫", ["陆小夫"]),
        ("（总台记者 王小明 李大华）", ["王小明", "李大华"]),
        ("(文/图 刘小东 易小楠)", ["刘小东", "易小楠"]),
        ("本站讯（职工通讯员 李小雯 刘会）", ["李小雯", "刘会"]),
        ("记者张三报道", ["张三"]),
        ("新华社记者 李小馨 摄", []),  # photographer
        ("平台声明：该文观点仅代表作者本人", []),
        ("图文推荐", []),
        ("作者最新文章", []),
        ("记者从市场监管局获悉", []),
        ("采写：某报记者 王小文 向小妮", ["王小文", "向小妮"]),  # a role whose "name" is another role
        ("图片记者李小阳、王小妍摄", []),  # the closing 摄 makes every name a photographer
    ],
)
def test_role_names(text: str, names: list[str]) -> None:
    assert role_names(text) == names


@pytest.mark.parametrize(
    ("name", "person"),
    [
        ("张三", True),
        ("欧阳小明", True),
        ("阿卜杜·热合曼", True),
        ("Jane Doe", True),
        ("新京报", False),
        ("新华社", False),
        ("医技药剂党支部", False),
        ("青网新闻张三", False),
        ("查看更多", False),
        ("网络整理", False),
        ("editor@example.cn", False),
        ("网易", False),
    ],
)
def test_is_person(name: str, person: bool) -> None:
    assert is_person(name, ["网易新闻"]) is person


@pytest.mark.parametrize(
    ("value", "names"),
    [
        ("张三 李四", ["张三", "李四"]),
        ("某某研究院产业部主任、研究员张小忱", ["张小忱"]),
        ("某某医院主任医师李小华）", ["李小华"]),
        ("某某研究中心", []),
    ],
)
def test_byline_names_after_a_job_title(value: str, names: list[str]) -> None:
    assert byline_names(value) == names


@pytest.mark.parametrize(
    ("line", "names"),
    [
        ("原创： 路小卓编译 某某财经号", ["路小卓"]),
        ("某某晚报记者 张小楠", ["张小楠"]),
        ("新华社编译", []),
        ("记者从市场监管局获悉，该局开展了专项检查。", []),  # a sentence, not a credit line
    ],
)
def test_credit_line_names(line: str, names: list[str]) -> None:
    assert credit_line_names(line) == names


def test_organisations_are_recognised() -> None:
    assert looks_like_organization("新京报") and looks_like_organization("某某市市场监督管理局")
    assert not looks_like_organization("张三")


def test_parse_info_with_and_without_colons() -> None:
    assert parse_info("来源于：东区办事处") == {"来源于": "东区办事处"}
    info = parse_info("发表于2021-08-24 21:30| 1164次阅读| 来源某某网| 作者张三")
    assert info["来源"] == "某某网" and info["作者"] == "张三"


# --- dates ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "year", "value"),
    [
        ("发布时间：18-03-0823:16", None, "2018-03-08T23:16:00+08:00"),
        ("发布时间：10-0812:00", 2019, "2019-10-08T12:00:00+08:00"),
        ("2019 09/07 19:02", None, "2019-09-07T19:02:00+08:00"),
    ],
)
def test_parse_short(text: str, year: int | None, value: str) -> None:
    found = parse_short(text, year)
    assert found is not None and found.value == value
    assert found.raw in text


def test_yearless_info_date_needs_a_year() -> None:
    assert parse_short("发布时间：10-0812:00") is None


def test_date_from_script() -> None:
    found = date_from_script('var nickname = "某某发布";\nvar ct = "1659274471";\n')
    assert found is not None and found.value == "2022-07-31T21:34:31+08:00"
    found = date_from_script('window.DATA = {"pubtime": "2024-05-13 06:16:25", "media": "某某日报"}')
    assert found is not None and found.value == "2024-05-13T06:16:25+08:00"
    assert date_from_script("var x = 1;") is None


def test_script_dates_of_a_list_of_items_are_not_the_page_date() -> None:
    refs = (
        'window.PAGE = {"references": [{"site": "某某新闻", "publishDate": "2024-05-09"},'
        ' {"site": "某某网", "publishDate": "2024-05-10"}]}'
    )
    assert date_from_script(refs) is None
    same = '{"publishDate": "2024-05-09"}, {"publishTime": "2024-05-09 10:00"}'
    found = date_from_script(same)
    assert found is not None and found.value.startswith("2024-05-09")


def test_find_date() -> None:
    assert find_date("2024-05-20 14:33·新华社") == (0, 16)
    assert find_date("没有日期") is None


# --- whole pages ---------------------------------------------------------------------------------------


def test_portal_repost_with_organisation_in_author_field_and_closing_credit() -> None:
    paragraphs = [*PARAGRAPHS[:2], PARAGRAPHS[2] + "（总台记者 王小明 李大华）"]
    html = _page(
        info="<div class='date-source'>2024年05月16日 17:02 <span>新京报</span>"
        "<span>作者：新京报</span></div>",
        paragraphs=paragraphs,
        after="<p>责任编辑：刘小博</p>",
        head="<meta name='author' content='新京报'>",
    )
    item = _extract(html)
    assert item.published == "2024-05-16T17:02:00+08:00"
    assert item.organization == "新京报"
    assert item.authors == ["王小明", "李大华"]
    assert item.editor == "刘小博"


def test_name_beside_the_date_is_the_organisation() -> None:
    ld = (
        '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "某某市开展校园食品安全专项检查",'
        ' "author": {"name": "新华社"}}</script>'
    )
    item = _extract(_page(head=ld, info="<div class='article-meta'>2024-05-20 14:33·新华社</div>"))
    assert item.organization == "新华社"
    assert item.authors == []
    assert item.published == "2024-05-20T14:33:00+08:00"


def test_date_split_over_elements_and_account_name_below_it() -> None:
    info = (
        "<div class='year'>2019</div><div class='md'>09/07</div><div class='time'>19:02</div>"
        "<div>某某晚报</div><div>企鹅号</div>"
    )
    item = _extract(_page(info=info))
    assert item.published == "2019-09-07T19:02:00+08:00"
    assert item.organization == "某某晚报"


def test_self_media_account_and_yearless_info_date() -> None:
    head = "<meta name='dateUpdate' content='2019-10-08 12:00:57'>"
    info = "<p class='author-name'>某某必读</p><div class='article-source'>发布时间：10-0812:00</div>"
    item = _extract(_page(head=head, info=info))
    assert item.published == "2019-10-08T12:00:00+08:00"
    assert item.organization == "某某必读"
    assert item.authors == []


def test_date_set_by_an_inline_script_and_no_account_guessed_from_it() -> None:
    """A publication time set by the page's script (an epoch in ``var ct``) is the page's date. The account
    name a platform's script sets (``var nickname``) is that platform's convention: a source publishing
    there would read it with its own rules; the engine does not."""
    html = _page(
        head="<meta name='author' content='某作者'>",
        info="<div class='meta_list'><em id='publish_time'></em></div>",
        after='<script>var nickname = htmlDecode("某某公众号");\nvar ct = "1581418070";</script>',
    )
    item = _extract(html, "https://platform.example.com/s?__biz=X&mid=1")
    assert item.published == "2020-02-11T18:47:50+08:00"
    assert item.organization is None
    assert item.authors == ["某作者"]


def test_site_name_in_meta_author_is_not_a_byline_and_dateline_gives_the_reporter() -> None:
    paragraphs = ["某某报讯（记者 陆小夫）" + PARAGRAPHS[0], *PARAGRAPHS[1:]]
    html = _page(
        head="<meta name='author' content='某某'>",
        paragraphs=paragraphs,
        info="<div class='post_time_source'>2019-11-25 11:01:53 来源: 某某报</div>",
    )
    html = html.replace("_某某新闻网", "_某某科技")
    item = _extract(html)
    assert item.authors == ["陆小夫"]
    assert item.organization == "某某报"
    assert item.body.startswith("某某报讯（记者 陆小夫）")  # the dateline stays in the text


def test_author_field_naming_a_unit_is_not_a_person() -> None:
    info = "<div class='title_blow'>来源：本站原创 作者：医技药剂党支部</div><div>时间：2019年10月31日 23:00</div>"
    paragraphs = ["本站讯（职工通讯员 李小雯 刘会）" + PARAGRAPHS[0], *PARAGRAPHS[1:]]
    item = _extract(_page(info=info, paragraphs=paragraphs))
    assert item.authors == ["李小雯", "刘会"]
    assert item.organization == "本站原创"
    assert item.published == "2019-10-31T23:00:00+08:00"


def test_meta_author_equal_to_the_editor_is_dropped() -> None:
    item = _extract(
        _page(
            head="<meta name='author' content='郭小旭'>",
            after="<p>【责任编辑：郭小旭】</p>",
            info="<div>2024-05-20 09:37 来源：某某网</div>",
        )
    )
    assert item.authors == []
    assert item.editor == "郭小旭"


def test_compiled_from_credit_is_the_source() -> None:
    paragraphs = [*PARAGRAPHS, "(综合整理自某某新闻、某某科技等)"]
    item = _extract(_page(paragraphs=paragraphs, info="<div>时间：2019-09-25 作者：网络整理</div>"))
    assert item.authors == []
    assert item.organization == "某某新闻、某某科技等"


def test_counter_inside_the_headline_element_is_dropped() -> None:
    item = _extract(
        _page(
            headline="<h1 class='title'>某某市开展校园食品安全专项检查<span>241</span></h1>",
            info="<div>2022年07月10日 07:15</div>",
        )
    )
    assert item.title == "某某市开展校园食品安全专项检查"


def test_generic_page_title_gives_way_to_the_printed_headline() -> None:
    html = _page(
        title="某某科普-辟谣文章",
        headline="<div class='rumor-title'>徒手接住飞来的子弹可能吗？</div>",
        info="<div class='rumor-info'>来源： 某某科普-科学原理</div>",
    )
    item = _extract(html)
    assert item.title == "徒手接住飞来的子弹可能吗？"
    assert item.organization == "某某科普-科学原理"


def test_date_and_author_printed_below_the_body() -> None:
    after = "<div class='postDesc'>posted @ 2024-05-09 14:45 某博主hk 阅读(12) 评论(0) 编辑</div>"
    html = _page(after="<div>分享到：</div>" + after).replace("_某某新闻网", " - 某博主hk - 某某博客")
    item = _extract(html, "http://blog.example.cn/p/1")
    assert item.published == "2024-05-09T14:45:00+08:00"
    assert item.authors == ["某博主hk"]  # the poster, even though the blog is named after them


def test_wechat_author_element_beside_the_account() -> None:
    info = (
        "<div id='meta_content' class='rich_media_meta_list'><span class='rich_media_meta'>原创</span>"
        "<span class='rich_media_meta rich_media_meta_text'><span id='js_author_name'>someauthor</span></span>"
        "<span class='rich_media_meta rich_media_meta_nickname'><a id='js_name'>某某公众号</a></span>"
        "<em id='publish_time'>前天</em></div>"
    )
    html = _page(
        info=info, after='<script>var nickname = htmlDecode("某某公众号");\nvar ct = "1581418070";</script>'
    )
    item = _extract(html, "https://mp.weixin.qq.com/s?__biz=X&mid=2")
    assert item.authors == ["someauthor"]
    assert item.published == "2020-02-11T18:47:50+08:00"


def test_link_to_an_author_page_in_the_info_line() -> None:
    info = (
        "<div class='meta'><a href='//book.example.cn/book/1/'>某某书名</a>"
        "<a href='//my.example.cn/author/123/'><span class='icon-pen'></span><span>王小瞳</span></a>"
        "<span>2000字</span><span>2022年07月10日 07:15</span></div>"
    )
    item = _extract(_page(info=info))
    assert item.authors == ["王小瞳"]
    assert item.published == "2022-07-10T07:15:00+08:00"


def test_author_styled_element_with_another_role_or_an_account_is_not_a_byline() -> None:
    info = (
        "<div class='subInfo'><span class='date'>2024-05-20 16:25:01</span>"
        "<span class='source'>来源:某某区</span><span class='author'>选稿：张小杰</span></div>"
    )
    assert _extract(_page(info=info)).authors == []
    info = "<p class='author-name'>某某大必读</p><div>2024-05-20 16:25</div>"
    assert _extract(_page(info=info)).authors == []


def test_credit_line_inside_the_text() -> None:
    paragraphs = [*PARAGRAPHS, "某某晚报记者 张小楠", *PARAGRAPHS[:1]]
    item = _extract(_page(paragraphs=paragraphs, info="<div>2019-09-07 19:02</div>"))
    assert item.authors == ["张小楠"]


def test_photo_credit_inside_the_text_is_not_a_byline() -> None:
    paragraphs = [*PARAGRAPHS, "▲某某日报全媒体图片记者李小阳、王小妍摄", *PARAGRAPHS[:1]]
    item = _extract(_page(paragraphs=paragraphs, info="<div>2019-09-07 19:02</div>"))
    assert item.authors == []


def test_job_title_before_the_name_in_a_closing_credit() -> None:
    after = "<p>（本文来源：某某日报 作者：某某研究院产业部主任、研究员张小忱）</p><p>责任编辑：</p>"
    item = _extract(_page(after=after, info="<div>2024-05-13 06:15</div>"))
    assert item.authors == ["张小忱"]
    assert item.organization == "某某日报"


def test_a_page_without_a_date_has_none() -> None:
    item = _extract(
        _page(info="<div>来源：某某市市场监督管理局</div>"), "http://www.example.cn/news/detail.html"
    )
    assert item.published is None
    assert any(note == "published: no date on the page" for note in item.notes)


def test_headline_printed_twice_uses_the_copy_above_the_body() -> None:
    html = _page(
        top="<div class='mobile'><h1>某某市开展校园食品安全专项检查</h1></div><ul><li>菜单一</li></ul>",
        info="<div class='inform'><p>2024-05-13 13:48</p><p>来源：某某网</p></div>",
    )
    item = _extract(html)
    assert item.organization == "某某网"
    assert item.published == "2024-05-13T13:48:00+08:00"


def test_infobox_fields_are_not_the_article_date_or_source() -> None:
    info = "<dl><dt>批准时间</dt><dd>2023年12月27日</dd><dt>核准面积</dt><dd>95公顷</dd></dl>"
    item = _extract(_page(info=info), "http://www.example.cn/item/1")
    assert item.published is None
    assert item.organization is None


def test_gov_cn_template_meta_author_is_the_web_editor() -> None:
    from crawler.extract import extract

    paragraphs = "".join(
        f"<p>第{i}条，国务院办公厅关于加强食品安全工作的通知内容，各地区各部门要认真贯彻执行。</p>"
        for i in range(4)
    )
    page = (
        '<html><head><meta charset="utf-8"><meta name="author" content="王某某">'
        '<meta name="manuscriptId" content="123"><meta name="firstpublishedtime" content="2007-08-20-23:59:59">'
        "<title>关于加强食品安全工作的通知_中国政府网</title></head><body>"
        f'<div id="UCAP-CONTENT" class="pages_content">{paragraphs}</div></body></html>'
    )
    item = extract(page, "https://www.gov.cn/gongbao/content/2007/content_1.htm")
    assert item.authors == []
    assert item.editor == "王某某"
    assert item.published is not None and item.published.startswith("2007-08-20")


def test_an_authors_name_in_an_author_styled_element_is_not_the_organisation() -> None:
    paragraphs = [
        (
            "The city's food agency said on Tuesday that it had recalled two batches of frozen dumplings after tests "
            "found traces of an undeclared allergen in samples taken from three supermarkets in the north of the city."
        ),
        (
            "Customers who bought the dumplings were asked not to eat them and to return them to the shop where they "
            "were bought for a full refund, the agency said in a statement published on its website on Tuesday."
        ),
        (
            "No illnesses had been reported so far, but people with a peanut allergy should check their freezers, "
            "an official of the agency told reporters at a briefing in the afternoon, adding that tests would go on."
        ),
    ]
    html = _page(
        head="<meta name='author' content='Jane Smith'>",
        title="Frozen dumplings recalled",
        info="<div class='article-author'>Jane Smith</div><div class='article-date'>Tuesday</div>",
        paragraphs=paragraphs,
    )
    item = _extract(html, "https://news.example.com/story/dumplings")
    assert item.authors == ["Jane Smith"]
    assert item.organization is None  # not the byline's name: the page names no publisher
