"""The body is the text that belongs to the page's headline: a longer story beside it (a recommended
story, a sidebar feature) loses to the short article under the headline.

Every page is written for these tests (names and text invented), modelled on news pages whose article is a
brief and whose sidebar or "related" box holds a long feature.
"""

from __future__ import annotations

import json

from crawler.extract import extract
from crawler.items import Article

SHORT = [
    "本报讯 某某市市场监督管理局昨日通报，近期抽检的三百批次食品中有四批次不合格，已责令相关企业下架召回。",
    "该局提醒消费者购买散装食品时注意查看标签，发现问题可拨打投诉举报电话反映。",
]
LONG = [
    f"第{n}段，这是一篇关于某地农产品市场的长篇专题报道，记者走访了多个批发市场和种植基地，"
    "详细记录了从田间到餐桌的每一个环节，以及监管部门在其中所做的大量工作和仍然面临的困难。"
    for n in range(1, 9)
]


def _paragraphs(texts: list[str]) -> str:
    return "".join(f"<p>{t}</p>" for t in texts)


def _links(n: int) -> str:
    return (
        "<ul>"
        + "".join(f'<li><a href="/n/{i}.html">其他新闻标题第{i}条</a></li>' for i in range(n))
        + "</ul>"
    )


def _page(main: str, head: str = "") -> str:
    return (
        "<html><head><meta charset='utf-8'><title>市场监管局通报四批次食品不合格_某某新闻网</title>"
        f"{head}</head><body>{main}</body></html>"
    )


def _article(html: str) -> Article:
    return extract(html.encode(), "http://127.0.0.1/news/2024/05/20/123.html")


def test_a_longer_related_story_after_the_article_loses_to_the_article() -> None:
    html = _page(
        '<div class="main"><h1>市场监管局通报四批次食品不合格</h1><div class="info">2024-05-20 10:00</div>'
        f'<div class="txt">{_paragraphs(SHORT)}</div>'
        f"<div class='share'>{_links(12)}</div>"
        f'<div class="feature"><h3>某地农产品市场调查：从田间到餐桌</h3>{_paragraphs(LONG)}</div></div>'
    )
    article = _article(html)
    assert article.body.split("\n\n") == SHORT


def test_a_longer_sidebar_feature_before_the_headline_loses_to_the_article() -> None:
    html = _page(
        f'<div class="left"><div class="feature"><h3>专题：某地农产品市场调查</h3>{_paragraphs(LONG)}</div>'
        f"{_links(10)}</div>"
        '<div class="right"><h1>市场监管局通报四批次食品不合格</h1><div class="info">2024-05-20 10:00</div>'
        f"{_paragraphs(SHORT)}</div>"
    )
    assert _article(html).body.split("\n\n") == SHORT


def test_a_summary_box_right_above_the_text_does_not_take_the_body_from_it() -> None:
    summary = (
        "摘要：某某市市场监督管理局通报近期食品安全监督抽检情况，四批次样品不合格，已依法处置，详见正文。"
    )
    html = _page(
        '<h1>市场监管局通报四批次食品不合格</h1><div class="info">2024-05-20 10:00</div>'
        f'<div class="summary"><p>{summary}</p></div>'
        f'<div class="content">{_paragraphs(LONG)}</div>'
    )
    body = _article(html).body
    assert LONG[0] in body and LONG[-1] in body


def test_the_story_the_json_ld_article_body_names_is_the_body() -> None:
    ld = {"@type": "NewsArticle", "headline": "市场监管局通报四批次食品不合格", "articleBody": "".join(SHORT)}
    html = _page(
        f'<div class="feature">{_paragraphs(LONG)}</div>{_links(10)}'
        f'<div class="brief">{_paragraphs(SHORT)}</div>',
        head=f'<script type="application/ld+json">{json.dumps(ld, ensure_ascii=False)}</script>',
    )
    assert _article(html).body.split("\n\n") == SHORT


def test_a_standfirst_set_off_by_a_picture_is_the_same_story() -> None:
    """English pages print a one-paragraph standfirst under the headline, then a picture and the text in
    another element: the standfirst does not take the body from the text."""
    standfirst = (
        "The regulator has told shoppers not to eat a range of frozen berries after tests found traces of a "
        "virus in two batches sold across the country."
    )
    text = [
        f"Paragraph {n}: the agency said the recall was precautionary, that no illness had been reported so "
        "far, and that shops had been asked to take the affected packs off their shelves at once."
        for n in range(1, 7)
    ]
    html = (
        "<html><head><title>Frozen berries recalled | Example Agency</title></head><body>"
        f"<div class='top'><h1>Frozen berries recalled</h1><p class='dek'>{standfirst}</p></div>"
        "<div class='share'>"
        + "".join(f"<a href='/s/{i}'>Share on network {i}</a> " for i in range(30))
        + "</div>"
        f"<div class='story'><h2>What was found</h2>{_paragraphs(text)}</div></body></html>"
    )
    body = _article(html).body
    assert text[0] in body and text[-1] in body
