"""Article metadata: headline, publication date, authors, editor and issuing organisation.

Taken in order of trust: the source's own rules, the Chinese government meta tags (ArticleTitle, PubDate,
ContentSource, Author; any letter case), JSON-LD and OpenGraph, the visible info line between the headline
and the body (and the lines right after the body), then dates encoded in the URL.

Everything visible is read from a few lines around the headline and the body (``page.blocks``), never from
the whole tree: the info line sits between the two, closing credits and editor lines right after the body.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any
from urllib.parse import urljoin, urlsplit

from crawler.extract import dates
from crawler.extract.body import Body
from crawler.extract.bylines import PressByline, publisher_name, read_byline
from crawler.extract.dom import Block, Page
from crawler.extract.text import (
    COMPOUND_SURNAMES,
    HAN,
    HAN_CHAR,
    STAFF_LINE,
    clean_pinyin,
    editor_of,
    normalize_space,
    split_dateline,
)

LABEL = re.compile(
    r"(?P<label>发布时间|發布時間|发布日期|發布日期|发稿时间|發稿時間|更新时间|时间|時間|日期|信息来源|信息來源|文章来源|文章來源"
    r"|本文来源|本文來源|稿件来源|稿件來源|来源于|來源於|稿源|来源|來源"
    r"|作者|记者|記者|通讯员|通訊員|撰文|文|责任编辑|責任編輯|编辑|編輯|审核|審核|浏览次数|浏览|点击|阅读|字号|字體|字体)"
    r"\s*[:：]\s*"
)
# "来源CSDN", "作者魏星": a label without its colon, at the start of a |-separated segment.
BARE_LABEL = re.compile(r"^(?P<label>来源|來源|作者)\s*(?P<value>[^\s:：|｜丨]{2,20})$")
SOURCE_LABELS = (
    "来源",
    "來源",
    "信息来源",
    "信息來源",
    "文章来源",
    "文章來源",
    "本文来源",
    "本文來源",
    "稿件来源",
    "稿件來源",
    "来源于",
    "來源於",
    "稿源",
)
AUTHOR_LABELS = ("作者", "记者", "記者", "撰文", "文", "通讯员", "通訊員")
EDITOR_LABELS = ("责任编辑", "責任編輯", "编辑", "編輯")
DATE_LABELS = ("发布时间", "發布時間", "发布日期", "發布日期", "发稿时间", "發稿時間", "时间", "時間", "日期")
TITLE_SEPARATORS = re.compile(r"\s*(?:_|\||｜|--|—|–|\s-\s|-(?=[^-]{2,20}$))\s*")
NOT_A_NAME = re.compile(r"[@.:/]|^name$|^\d+$|网$|網$|新闻$|客户端$|编辑部$|^佚名$|^admin$", re.IGNORECASE)
TRAILING_COUNT = re.compile(r"\s*\d{1,7}$")

# A byline role followed by one to six names: 记者 张三 李四, 文/王文, 通讯员：李琴雯、刘会.
_NAME = rf"[{HAN}][{HAN}·]{{1,5}}"
ROLE_NAMES = re.compile(
    rf"(?:(?:(?:特约|特約|见习|見習|实习|實習|首席|本报|本報)?(?:记者|記者)|通讯员|通訊員|实习生|實習生|撰文|采写|採寫)"
    rf"\s*[:：/／|｜]?|(?:作者|(?<![{HAN}])(?:文图|圖文|图文|文/图|图/文|文))(?:\s*[:：/／|｜]|\s+))"
    rf"\s*(?P<names>{_NAME}(?:\s*[、,，\s]\s*{_NAME}){{0,5}})(?![{HAN}])"
)
_NAME_SPLIT = re.compile(r"\s*[、,，\s]\s*")
_NAME_TAIL = re.compile(r"(?:报道|報道|摄影|攝影|摄|攝|整理|编译|編譯|综合|綜合|撰稿|采写|採寫|发自\S*)$")
NOT_PERSON = frozenset(
    [
        "报道",
        "報道",
        "整理",
        "编译",
        "編譯",
        "综合",
        "綜合",
        "网络",
        "網絡",
        "网络整理",
        "佚名",
        "未知",
        "本站",
        "本网",
        "本報",
        "本报",
        "原创",
        "原創",
        "编辑",
        "編輯",
        "记者",
        "記者",
        "通讯员",
        "来源",
        "來源",
        "了解到",
        "获悉",
        "獲悉",
        "发现",
        "發現",
        "注意到",
        "看到",
        "采访",
        "採訪",
        "调查",
        "調查",
        "表示",
        "介绍",
        "介紹",
        "透露",
        "获得",
        "走访",
        "走訪",
        "一行",
        "等人",
        "等",
        "管理员",
        "小编",
    ]
)
_ORG_WORD = re.compile(
    r"(?:新闻|新聞|报|報|周刊|週刊|网|網|社|台|中心|集团|集團|公司|协会|協會|大学|大學"
    r"|医院|醫院|学院|學院|委员会|委員會|政府|办公室|辦公室|支部|党委|黨委|媒体|媒體|客户端|客戶端|频道|頻道|杂志|雜誌"
    r"|局|委|厅|廳|署|部|处|處|办|辦|站|所|馆|館|号|號)$"
)
LABEL_WORD = re.compile(
    r"^(?:发布时间|發布時間|发布日期|發布日期|发稿时间|更新时间|时间|時間|日期|信息来源|文章来源|本文来源|稿源|来源|來源|作者|记者"
    r"|記者|通讯员|责任编辑|責任編輯|编辑|編輯|审核|浏览|点击|阅读|字号|发表于|發表於|发布于|發布於)\s*[:：]?$"
)
CREDIT_SOURCE = re.compile(
    r"^(?:综合整理自|綜合整理自|综合自|綜合自|整理自|转载自|轉載自|转自|轉自|摘自|编译自|編譯自|来自|來自)\s*(?P<org>.{2,40})$"
)
BYLINE_PAIR = re.compile(rf"^([{HAN}·]{{2,4}})\s*[/／]\s*([^\s/／]{{2,20}})$")  # 石佳/中国青年报
# A job title before the name in a byline value: ``作者：某某研究中心主任、研究员张三`` → 张三.
_TITLES = (
    "研究员|研究員|教授|讲师|講師|博士|院士|主任|院长|院長|所长|所長|部长|部長|秘书长|秘書長|主编|主編|律师|律師"
    "|医师|醫師|分析师|分析師|经济学家|經濟學家|记者|記者|通讯员|通訊員"
)
TITLED_NAME = re.compile(rf"(?:{_TITLES})\s*(?P<name>[{HAN}]{{2,8}})(?=$|[\s）)】\]，,、])")
_LEADING_TITLE = re.compile(rf"^(?:{_TITLES})+")
# A credit naming the role after the person: ``原创：张三编译``, ``李四 编译``.
ROLE_AFTER = re.compile(r"(?:^|[\s:：/／|｜])(?P<name>[^\s:：/／|｜]{2,12}?)\s*(?:编译|編譯)(?=$|\s)")
# The blog footer that signs a post: ``posted @ 2024-05-09 14:45 张三 阅读(430) 评论(2)``.
POSTED_BY = re.compile(
    r"posted\s*@\s*[\d\-/年月日: ]+?\s(?P<name>[^\s\d()（）][^\s()（）]{1,29})(?=\s|$)", re.IGNORECASE
)
# An element that marks its text as the author: class/id ``author``, ``writer`` or ``byline``, ``rel=author``, or
# a link to an author page (``/author/123/``).
AUTHOR_MARK = re.compile(r"author|writer|byline", re.IGNORECASE)
NOT_AUTHOR_MARK = re.compile(
    r"avatar|img|pic|photo|head|icon|desc|info|intro|bio|fans|follow|tip|card|type|title|role|job"
    r"|time|date|more|social|share|facebook|twitter|weibo|weixin",
    re.IGNORECASE,
)
SENTENCE = re.compile(r"[，。！？；,!?;]")
_PERSON_LATIN = re.compile(r"^[A-Za-z][A-Za-z0-9 .'_-]{1,29}$")
_HAN_NAME = re.compile(rf"^[{HAN}]{{2,4}}$|^[{HAN}]{{1,8}}·[{HAN}·]{{1,12}}$")
# A closing credit at the very end of the body: （记者 张三）, （文/图 张三）, （本文来源：经济日报）, （张巨峰）.
CLOSING_CREDIT = re.compile(r"[（(【\[]\s*(?P<inner>[^（）()【】\[\]]{2,60}?)\s*[）)】\]]\s*$")
NOT_CREDIT = re.compile(
    r"^(?:完|全文完|未完待续|待续|终|終|end|END|图|圖|资料图|資料圖|视频|視頻|原标题|原標題|原题|点击|详见|附件)"
)
INFO_CLASS = re.compile(r"author|media|source|nickname|account|writer|from|publisher|origin", re.IGNORECASE)
# Words that share a line with the date but name nothing: widgets, counters.
WIDGET = re.compile(
    r"^(?:举报|舉報|分享|字号|字號|字体|字體|收藏|打印|评论|評論|阅读|閱讀|浏览|瀏覽|我有话说|参与|關注|关注|\+关注|A[-+]?$"
    r"|发布于|發布於|来自|來自|原创|原創|置顶|推荐|推薦|订阅|訂閱|昨天|今天|前天|\d)"
)
SEPARATORS = " \n\u3000|｜丨/·•:：-—_,，"
AFTER_BODY_DATE = re.compile(
    r"(?:posted\s*@|发表于|發表於|发布于|發布於|发布时间|發布時間|发布日期|發布日期|时间\s*[:：]|時間\s*[:：]"
    r"|日期\s*[:：])",
    re.IGNORECASE,
)


@dataclass
class Metadata:
    """What the page says about the article."""

    title: str | None = None
    authors: list[str] = field(default_factory=list)
    editor: str | None = None
    organization: str | None = None
    published: dates.ParsedDate | None = None
    notes: list[str] = field(default_factory=list)


def split_names(value: str) -> list[str]:
    """``张三 李四``, ``张三、李四``, ``By Jane Doe and John Roe`` → a list of names."""
    value = normalize_space(value)
    if not value:
        return []
    if HAN_CHAR.search(value):
        parts = re.split(r"[\s,，、/|;；]+", value)
    else:
        value = re.sub(r"^(?:by)\s+", "", value, flags=re.IGNORECASE)
        parts = re.split(r"\s*(?:,|;|\band\b|&)\s*", value)
    return [p.strip() for p in parts if p.strip()]


def _names(value: Any) -> list[str]:
    if isinstance(value, list):
        return [n for v in value for n in _names(v)]
    if isinstance(value, dict):
        return _names(value.get("name"))
    if isinstance(value, str):
        return split_names(value)
    return []


def plausible_names(names: list[str]) -> list[str]:
    """Byline names without site names, e-mail addresses, ids and placeholders."""
    return [n for n in names if 1 < len(n) <= 30 and not NOT_A_NAME.search(n)]


def looks_like_organization(name: str) -> bool:
    """``新京报``, ``医技药剂党支部``, ``青网新闻张毅``: a name that is (or contains) an organisation, not a person."""
    name = normalize_space(name)
    if not HAN_CHAR.search(name):
        return False
    return bool(_ORG_WORD.search(name)) or bool(re.search(r"新闻|新聞|日报|日報|晚报|网|網", name))


def is_person(name: str, site_names: list[str] | tuple[str, ...] = ()) -> bool:
    """A plausible byline person: a 2–4 character Chinese name (or a transliterated one with ·), or a short
    Latin name; never a site, an organisation, an e-mail address, an id or a placeholder."""
    name = normalize_space(name)
    if not name or name in NOT_PERSON or NOT_A_NAME.search(name) or "@" in name:
        return False
    if any(s and (name in s or s in name) for s in site_names):
        return False
    if HAN_CHAR.search(name):
        if not _HAN_NAME.match(name):
            return False
        if len(name) == 4 and "·" not in name and name[:2] not in COMPOUND_SURNAMES:
            return False
        return not looks_like_organization(name)
    return bool(_PERSON_LATIN.match(name))


def _lone_name(name: str, site_names: list[str] | tuple[str, ...]) -> bool:
    """A whole labelled byline value that is one name (``作者：某某hk``, ``作者：路小卓``): looser than
    `is_person`, still no site, organisation, placeholder or sentence."""
    return (
        2 <= len(name) <= 12
        and name not in NOT_PERSON
        and not NOT_A_NAME.search(name)
        and not looks_like_organization(name)
        and not SENTENCE.search(name)
        and not any(s and (name in s or s in name) for s in site_names)
    )


def role_names(text: str, site_names: list[str] | tuple[str, ...] = ()) -> list[str]:
    """Persons named after a byline role: ``新京报记者 陆一夫`` → [陆一夫]; ``（文/图 张三）`` → [张三].
    Photo credits (``新华社记者 李梦馨 摄``) name photographers, not authors, and are skipped."""
    found: list[str] = []
    text = text or ""
    pos = 0
    while m := ROLE_NAMES.search(text, pos):
        # a role whose "names" are another role (采写：某报记者 张三) is read again from the next character
        pos = m.start() + 1
        after = text[m.end() : m.end() + 3]
        if re.match(r"\s*(?:摄|攝)", after):
            continue
        tokens = _NAME_SPLIT.split(m.group("names"))
        if re.search(r"(?:摄|攝)(?:影)?$", tokens[-1]):
            continue  # 图片记者张三、李四摄: every name of the credit is a photographer
        before = len(found)
        for token in tokens:
            if re.search(r"(?:摄|攝)(?:影)?$", token):
                break
            token = _NAME_TAIL.sub("", token)
            if is_person(token, site_names) and token not in found:
                found.append(token)
            elif (found or token) and not is_person(token, site_names):
                break
        if len(found) > before:
            pos = m.end()
    return found


def titled_names(value: str, site_names: list[str] | tuple[str, ...] = ()) -> list[str]:
    """Persons named after a job title in a byline value: ``某某中心部长、研究员张三`` → [张三],
    ``主任医师李四`` → [李四]."""
    found: list[str] = []
    for m in TITLED_NAME.finditer(value or ""):
        name = _LEADING_TITLE.sub("", m.group("name"))
        if is_person(name, site_names) and name not in found:
            found.append(name)
    return found


def byline_names(value: str, site_names: list[str] | tuple[str, ...] = (), *, lone: bool = True) -> list[str]:
    """The persons of a labelled byline value (``作者：张三 李四``, ``作者：某某研究员张三``); with ``lone``, a
    value that is one looser name (``作者：某某hk``) too — not for lines far from the headline, where
    ``作者最新文章`` is a widget."""
    names = split_names(value)
    persons = [n for n in names if is_person(n, site_names)] or titled_names(value, site_names)
    if not persons and lone and len(names) == 1 and _lone_name(names[0], site_names):
        persons = names
    return persons


def credit_line_names(text: str, site_names: list[str] | tuple[str, ...] = ()) -> list[str]:
    """The persons of a line that is nothing but a byline (``某某晚报记者 张三``, ``原创： 李四编译 某某号``):
    short and without sentence punctuation, so a sentence that mentions a reporter is not taken."""
    if not text or len(text) > 40 or SENTENCE.search(text):
        return []
    names = role_names(text, site_names)
    if names:
        return names
    m = ROLE_AFTER.search(text)
    if m:
        name = m.group("name")
        if is_person(name, site_names) or _lone_name(name, site_names):
            return [name]
    return []


_PARTICLES = frozenset({"de", "da", "di", "del", "der", "van", "von", "le", "la", "bin", "al"})


def _name_shaped(name: str) -> bool:
    """A Latin name of capitalised words (``Jane Q. Doe``, ``Anna van Dijk``) or one handle
    (``kingname``); not ``Nov 18``, ``The Ministry`` or ``Foreign ministries``."""
    if HAN_CHAR.search(name):
        return True
    words = name.split()
    if re.search(r"\d", name) or words[0] == "The":
        return False
    return len(words) == 1 or all(w[0].isupper() or w in _PARTICLES for w in words)


def _marked_authors(element: Any, text: str, site_names: list[str] | tuple[str, ...]) -> list[str]:
    """Names inside an info line that the markup marks as the author (an id or class naming the author,
    ``<span class="author">``, ``<a rel="author">``, a link to ``/author/123/``): those of the first such
    element that holds a person-shaped name, so a place or a link beside it (``Reuters, London``,
    ``View more articles``) is not taken."""
    for n, el in enumerate(element.iter()):
        if n > 40:
            break
        if not isinstance(el.tag, str):
            continue
        marks = f"{el.get('class') or ''} {el.get('id') or ''}"
        href = el.get("href") or ""
        if not (
            (AUTHOR_MARK.search(marks) and not NOT_AUTHOR_MARK.search(marks))
            or (el.tag == "a" and (el.get("rel") == "author" or re.search(r"/authors?/", href)))
        ):
            continue
        value = normalize_space("".join(el.itertext()))
        label = re.match(r"^([^:：]{1,6})\s*[:：]", value)
        if label and label[1].strip() not in AUTHOR_LABELS:
            continue  # 选稿：张三, 编辑：李四 — another role in an element styled as the author
        value = re.sub(r"^(?:posted\s+)?by\s+", "", _strip_label(value), flags=re.IGNORECASE)
        if not value or value not in text or len(value) > 40:
            continue
        # markup is weaker evidence than a 作者 label: only person-shaped names (not 某某必读 accounts)
        found = [name for name in split_names(value) if is_person(name, site_names) and _name_shaped(name)]
        if found:
            return list(dict.fromkeys(found))
    return []


def parse_info(text: str) -> dict[str, str]:
    """Labelled values of an info line: ``来源：X 作者：Y 2021-09-01`` → {'来源': 'X', '作者': 'Y'}."""
    values: dict[str, str] = {}
    matches = list(LABEL.finditer(text or ""))
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        value = text[m.end() : end].strip(" |｜丨/\u3000")
        label = m.group("label")
        if label not in values and value:
            values[label] = value
    for segment in re.split(r"\s*[|｜丨]\s*", text or ""):
        bare = BARE_LABEL.match(segment.strip())
        if bare and bare.group("label") not in values:
            values[bare.group("label")] = bare.group("value")
    return values


def first_value(value: str | None) -> str | None:
    """A labelled value up to the first wide gap or a date that follows it on the same line."""
    if not value:
        return None
    value = re.split(r"\s{2,}|\s(?=(?:19|20)\d{2}[-年/.])", value.strip())[0]
    value = re.sub(r"\s*(?:19|20)\d{2}[-年/.]\d{1,2}.*$", "", value)
    return value.strip() or None


def _lookup(info: dict[str, str], labels: tuple[str, ...]) -> str | None:
    for label in labels:
        if info.get(label):
            return info[label]
    return None


def strip_site_name(title: str, site_names: list[str]) -> str:
    """``标题_中国食品安全网`` → ``标题``: drop a site-name part of a page title."""
    parts = [p for p in TITLE_SEPARATORS.split(title) if p.strip()]
    if len(parts) < 2:
        return title
    kept = [p for p in parts if not any(s and (s in p or p in s) for s in site_names)]
    return max(kept or parts, key=len)


def find_title(page: Page, rule_title: str | None) -> tuple[str | None, Any]:
    """The headline and the element that prints it (used to find the info line below it)."""
    if rule_title:
        return rule_title, None
    named = (
        page.meta.get("articletitle")
        or (page.ld.get("headline") if isinstance(page.ld.get("headline"), str) else None)
        or page.meta.get("og:title")
        or page.meta.get("twitter:title")
    )
    reference = named or page.page_title
    best: tuple[float, str, Any] | None = None
    for rank, block in enumerate(page.blocks[:400]):
        text = block.text
        if not 4 <= len(text) <= 150 or block.image:
            continue
        el = block.element
        names = page.class_id(el).lower()
        if not block.heading and "title" not in names and "headline" not in names:
            continue
        if reference and text not in reference:
            # a counter printed inside the headline element (``标题241``) is not part of the headline
            core = TRAILING_COUNT.sub("", text)
            if core != text and len(core) >= 4 and core in reference:
                text = core
        score = 0.0
        if reference and text == reference:
            score = 100
        elif reference and text in reference:
            score = 50 + len(text) / 10
        elif named and reference and reference in text:
            score = 40
        elif block.heading and el.tag in ("h1", "h2"):
            score = 5
        if el.tag == "h1":
            score += 5
        score -= rank * 0.01
        if score > 0 and (best is None or score > best[0]):
            best = (score, text, el)
    site_names = _site_names(page)
    if best and best[0] >= 40:
        return best[1], best[2]
    if named:
        return strip_site_name(named, site_names), None
    if best:
        return best[1], best[2]
    if page.page_title:
        return strip_site_name(page.page_title, site_names), None
    return None, None


def _site_names(page: Page) -> list[str]:
    return [
        n
        for n in (page.meta.get("sitename"), page.meta.get("og:site_name"), page.meta.get("application-name"))
        if n
    ]


def _title_suffixes(page: Page) -> list[str]:
    """The parts of ``<title>`` that are not the headline: site and channel names."""
    parts = [p.strip() for p in TITLE_SEPARATORS.split(page.page_title or "") if p.strip()]
    if len(parts) < 2:
        return []
    longest = max(parts, key=len)
    return [p for p in parts if p != longest and len(p) <= 20]


@dataclass
class _Layout:
    """Where the headline and the body sit among ``page.blocks``."""

    title: int | None
    start: int | None
    end: int | None


def _locate(page: Page, title: str | None, title_el: Any, body: Body | None) -> _Layout:
    blocks = page.blocks
    start = end = t_idx = None
    if body is not None and body.paragraphs:
        first, last = body.paragraphs[0], body.paragraphs[-1]
        head, tail = first[:24], last[-24:]
        for i, block in enumerate(blocks):
            text = block.text
            if text and (text == first or (len(first) >= 12 and text.startswith(head))):
                start = i
                break
        if start is not None:
            for i in range(start, len(blocks)):
                text = blocks[i].text
                if text and (text == last or (len(last) >= 12 and text.endswith(tail))):
                    end = i
                    break
    if title_el is not None:
        for i, block in enumerate(blocks):
            if block.element is title_el:
                t_idx = i
                break
    if t_idx is not None and start is not None and t_idx < start:
        # a headline printed twice (desktop and mobile templates): the copy nearest the body has the info line
        text = blocks[t_idx].text
        for i in range(start - 1, max(t_idx, start - 60), -1):
            if blocks[i].text == text:
                t_idx = i
                break
    if t_idx is None and title:
        stop = start if start is not None else min(len(blocks), 600)
        for i in range(stop - 1, max(-1, stop - 60), -1):
            if blocks[i].text == title:
                t_idx = i
                break
    return _Layout(t_idx, start, end)


def _refine_title(page: Page, title: str | None, layout: _Layout) -> tuple[str | None, int | None]:
    """When the headline came from ``<title>`` or meta tags and is not printed as such, take the printed
    line just above the body that ``<title>`` contains (``标题 栏目名_网站`` → ``标题``), or else a
    title-classed line right above the body (pages whose ``<title>`` is generic)."""
    if layout.title is not None or layout.start is None:
        return title, layout.title
    blocks = page.blocks
    low = max(0, layout.start - 15)
    references = [r for r in (title, page.page_title) if r]
    best: tuple[int, int] | None = None
    for i in range(layout.start - 1, low - 1, -1):
        text = blocks[i].text
        if not 6 <= len(text) <= 150 or blocks[i].image:
            continue
        if any(text in r for r in references) and (best is None or len(text) > best[1]):
            best = (i, len(text))
    if best and title and best[1] >= len(title) * 0.6:
        return blocks[best[0]].text, best[0]
    if page.meta.get("articletitle") or page.meta.get("og:title") or isinstance(page.ld.get("headline"), str):
        return title, None  # a headline the page names itself is trusted over a styled line
    for i in range(layout.start - 1, max(-1, layout.start - 7), -1):
        block = blocks[i]
        el = block.element
        names = page.class_id(el).lower()
        if (
            ("title" in names or block.heading)
            and 4 <= len(block.text) <= 100
            and not LABEL.search(block.text)
        ):
            return block.text, i  # the <title> text is printed nowhere above the body: it names the site
    if title is None:
        # No headline anywhere (no <title>, meta tag or heading tag): a page printing its headline as a
        # plain line right above the text (old blog, forum and table-layout templates), above the info line
        # if there is one. The nearest short line there that is not a link (but the post's own), a label, a
        # date or a sentence.
        for i in range(layout.start - 1, max(-1, layout.start - 5), -1):
            block = blocks[i]
            text = block.text
            if block.image or not text:
                continue
            if LABEL.search(text) or dates.find_date(text):
                continue  # the info line between headline and text
            if (
                4 <= len(text) <= 60
                and (not block.link_chars or _permalink(page, block))
                and not text.endswith(("。", "！", "？", ".", "!", "?", "：", ":"))
            ):
                return text, i
            break
    return title, None


def _permalink(page: Page, block: Block) -> bool:
    """A line that is one link to the page itself (the headline of a blog post links to its permalink):
    the same path up to the extension (``255509.aspx`` and ``255509.html``), or a link named a title."""
    links = list(block.element.iter("a"))
    if len(links) != 1:
        return False
    link = links[0]
    if "title" in page.class_id(link).lower():
        return True
    try:
        here, there = urlsplit(page.url).path, urlsplit(urljoin(page.url, link.get("href") or "")).path
    except ValueError:
        return False
    return bool(here) and here.rsplit(".", 1)[0] == there.rsplit(".", 1)[0]


def _zone(page: Page, layout: _Layout, body: Body | None) -> list[Block]:
    """Lines between the headline and the body."""
    blocks = page.blocks
    if layout.title is not None and layout.start is not None and layout.title < layout.start:
        return blocks[layout.title + 1 : min(layout.start, layout.title + 20)]
    if layout.title is not None:
        return blocks[layout.title + 1 : layout.title + 10]
    if layout.start is not None:
        return blocks[max(0, layout.start - 8) : layout.start]
    return []


def _clean_org(value: str | None) -> str | None:
    """An organisation name as printed, without what follows it on the line."""
    if not value:
        return None
    value = normalize_space(value)
    value = re.split(r"\s*[|｜丨]\s*|\s{2,}|\s(?=(?:19|20)\d{2}[-年/.])", value)[0]
    m = LABEL.search(value)
    if m and m.start() > 0:
        value = value[: m.start()]
    value = re.sub(r"\s*(?:举报|舉報|分享.*|字号.*|我有话说.*|收藏.*|打印.*|\d+\s*人参与.*)$", "", value)
    value = value.strip(SEPARATORS + "【】[]（）()")
    if not 2 <= len(value) <= 40 or re.fullmatch(r"[\d\s:：/.-]+", value) or "http" in value:
        return None
    if read_byline(value):
        return None  # a credit line (政治中心／綜合報導) names a desk or a reporter, not the publisher
    if DATE_LABEL_WORDS.fullmatch(value):
        return None  # what is left of "Published 24 November 2026" once the date is gone
    return value


#: An English info line's label for its date, never a publisher's name.
DATE_LABEL_WORDS = re.compile(
    r"(?:first\s+)?(?:published|updated|last\s+updated|posted|modified|date|released)(?:\s+on)?",
    re.IGNORECASE,
)


def _unlabelled_source(lines: list[tuple[str, Any]], title: str | None = None) -> str | None:
    """The name printed beside the date without a label: ``2024-05-20 14:33·新华社``, ``原创 GameForce
    2019-09-04``, ``2019年11月25日 18:57`` / ``参考消息`` on the next line. The headline printed beside
    its date (``标题 2014-04-30 23:54``) is not a name."""
    for i, (text, _) in enumerate(lines):
        if len(text) > 80:
            continue
        m = dates.find_date(text)
        if not m and dates.DATE_ONLY.match(text) and re.search(r"\d", text):
            m = (0, len(text))  # a date split over several elements: 2019 / 09/07 / 19:02
        if not m:
            continue
        after = text[m[1] :].strip(SEPARATORS)
        before = re.sub(r"^(?:原创|原創|转载|轉載)\s*", "", text[: m[0]].strip(SEPARATORS)).strip(SEPARATORS)
        candidates = [after, before]
        if not after and not before:
            for following, _ in lines[i + 1 : i + 5]:
                if dates.DATE_ONLY.match(following):
                    continue
                candidates = [following]
                break
        for candidate in candidates:
            candidate = re.split(r"\s+", candidate.strip(SEPARATORS))[0] if candidate else ""
            if (
                not candidate
                or LABEL.match(candidate)
                or LABEL_WORD.match(candidate)
                or WIDGET.match(candidate)
                or len(candidate) > 20
                or SENTENCE.search(candidate)
                or re.search(r"\d$", candidate)
                or (title and candidate in title and 2 * len(candidate) > len(title))
            ):
                continue
            value = _clean_org(candidate)
            if value and not ROLE_NAMES.search(value):
                return value
        return None
    return None


def _drop_other_fields(zone: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """Leave out key/value rows (``<dt>批准时间</dt><dd>2023年12月27日</dd>``) whose key is not a publication
    label: an infobox date or name is not the article's."""
    kept: list[tuple[str, Any]] = []
    for i, (text, el) in enumerate(zone):
        tag = el.tag if el is not None else ""
        if tag in ("dt", "th"):
            continue
        if tag in ("dd", "td") and i and zone[i - 1][1] is not None and zone[i - 1][1].tag in ("dt", "th"):
            key = zone[i - 1][0].strip(" :：")
            if key.replace(" ", "") not in DATE_LABELS + SOURCE_LABELS + AUTHOR_LABELS:
                continue
            text = f"{key}：{text}"
        kept.append((text, el))
    return kept


@dataclass
class _Evidence:
    """What the finders read: the lines around the headline and the body, once worked out."""

    page: Page
    body: Body | None
    rules: dict[str, str | None]
    layout: _Layout
    sites: list[str]
    zone: list[tuple[str, Any]]  # the lines between headline and text (and those the body left above it)
    head: str  # the zone as one string, for dates
    tail_lines: list[str]  # the lines after the text
    info: dict[str, str]  # labelled values of the zone (来源：, 作者：, …)
    tail_info: dict[str, str]  # labelled values after the text
    dateline: Any  # the agency dateline opening the text or the zone (`split_dateline`)
    credit: str | None  # a closing credit in brackets: （记者 张三）
    press: PressByline | None


def find_metadata(
    page: Page,
    title: str | None,
    title_el: Any,
    body: Body | None,
    rules: dict[str, str | None],
    reference: datetime | None = None,
    tz: tzinfo | None = None,
    day_first: bool = True,
) -> Metadata:
    """Metadata of the article; ``rules`` holds what the source's selectors found (or None).

    A cascade per field, each a list of small finders tried in turn (`_EDITOR`, `_AUTHOR_FINDERS`,
    `_ORGANIZATION_FINDERS`, `_find_published`) over the evidence `_gather` collects once.

    ``tz``: the source's time zone for dates printed without an offset; when not given, Asia/Shanghai for
    a Chinese page and none for others (their dates without an offset are then not taken: see `dates`)."""
    layout = _locate(page, title, title_el, body)
    if not rules.get("title"):
        title, layout.title = _refine_title(page, title, layout)
    out = Metadata(title=clean_pinyin(title) if title else None)
    if tz is None and HAN_CHAR.search((title or "") + " ".join(body.paragraphs[:1] if body else [])):
        tz = dates.SHANGHAI
    ev = _gather(page, body, rules, layout)
    if ev.dateline:
        out.notes.append(f"dateline: {ev.dateline.text}")
    if ev.press:
        out.notes.append(f"byline: {ev.press.text}")
    out.editor = _find_editor(ev)
    authors, org_from_byline, from_meta = _find_authors(ev, out)
    organization = _find_organization(ev, authors, org_from_byline, out.title)
    out.organization = _strip_label(clean_pinyin(organization)) if organization else None
    if from_meta and out.organization:
        authors = [a for a in authors if a not in out.organization]  # meta author naming the publisher
    out.authors = [clean_pinyin(a) for a in authors]
    _find_published(ev, out, reference, tz, day_first)
    return out


def _gather(page: Page, body: Body | None, rules: dict[str, str | None], layout: _Layout) -> _Evidence:
    zone = [(b.text, b.element) for b in _zone(page, layout, body) if b.text and len(b.text) <= 200]
    seen = {text for text, _ in zone}
    zone += [
        (line, None) for line in (body.head[-6:] if body else []) if line not in seen and len(line) <= 200
    ]
    zone = _drop_other_fields(zone)
    tail_lines = [t for t in (body.tail[:10] if body else []) if len(t) <= 120]
    if not tail_lines and layout.end is not None:
        tail_lines = [
            b.text for b in page.blocks[layout.end + 1 : layout.end + 8] if b.text and len(b.text) <= 120
        ]
    info: dict[str, str] = {}
    for text, _ in zone:
        for key, labelled in parse_info(text).items():
            info.setdefault(key, labelled)
    tail_info: dict[str, str] = {}
    for line in tail_lines:
        for key, labelled in parse_info(line).items():
            tail_info.setdefault(key, labelled)
    dateline = None
    credit = None
    if body and body.paragraphs:
        # the lead may follow a promo line or the repeated headline: look at the first few paragraphs
        for paragraph in body.paragraphs[:5]:
            dateline, _ = split_dateline(paragraph)
            if dateline:
                break
        m = CLOSING_CREDIT.search(body.paragraphs[-1][-70:])
        if m and not NOT_CREDIT.match(m.group("inner")):
            credit = normalize_space(m.group("inner"))
    if dateline is None:
        for text, _ in zone:
            dateline, _ = split_dateline(text)
            if dateline:
                break
    return _Evidence(
        page=page,
        body=body,
        rules=rules,
        layout=layout,
        sites=_site_names(page) + _title_suffixes(page),
        zone=zone,
        head=normalize_space(" ".join(text for text, _ in zone))[:800],
        tail_lines=tail_lines,
        info=info,
        tail_info=tail_info,
        dateline=dateline,
        credit=credit,
        press=_press_byline(zone, body),
    )


# --- editor ------------------------------------------------------------------------------------------


def _find_editor(ev: _Evidence) -> str | None:
    rule_editor = _strip_label(ev.rules.get("editor") or "")
    if rule_editor:
        return rule_editor
    for line in ev.tail_lines:
        editor = editor_of(line)
        if editor:
            return editor
    return first_value(_lookup(ev.info, EDITOR_LABELS)) or first_value(_lookup(ev.tail_info, EDITOR_LABELS))


# --- authors: visible bylines first; meta ``author`` on Chinese sites often names the web editor -----
# Each finder returns the names it found and, where its byline names the publisher instead, that name.

_Found = tuple[list[str], str | None]


def _authors_by_rule(ev: _Evidence) -> _Found:
    return split_names(_strip_label(ev.rules.get("authors") or "")), None


def _authors_of_press_byline(ev: _Evidence) -> _Found:
    return ([n for n in ev.press.authors if is_person(n, ev.sites)] if ev.press else []), None


def _authors_labelled(ev: _Evidence) -> _Found:
    byline = _lookup(ev.info, AUTHOR_LABELS)
    if not byline:
        return [], None
    text = first_value(byline) or ""
    authors = byline_names(text, ev.sites)
    if not authors and looks_like_organization(text) and len(text) <= 20:
        return [], text  # 作者：新京报 names the publisher, not a person
    return authors, None


def _authors_in_zone_lines(ev: _Evidence) -> _Found:
    for text, _ in ev.zone:
        if len(text) > 100:
            continue
        authors = role_names(text, ev.sites)
        if authors:
            return authors, None
        pair = BYLINE_PAIR.match(text)
        if pair and is_person(pair[1], ev.sites):
            return [pair[1]], pair[2]
        authors = credit_line_names(text, ev.sites)
        if authors:
            return authors, None
    return [], None


def _authors_marked(ev: _Evidence) -> _Found:
    for text, el in ev.zone:
        if el is not None and len(text) <= 100:
            authors = _marked_authors(el, text, ev.sites)
            if authors:
                return authors, None
    return [], None


def _authors_of_dateline(ev: _Evidence) -> _Found:
    if not ev.dateline:
        return [], None
    names = [n for n in ev.dateline.authors if is_person(n, ev.sites)]
    return names or role_names(ev.dateline.text, ev.sites), None


def _authors_opening_the_text(ev: _Evidence) -> _Found:
    # a byline line that opens the text: 原创： 张三编译 某某号
    for paragraph in ev.body.paragraphs[:3] if ev.body else []:
        authors = credit_line_names(paragraph, ev.sites)
        if authors:
            return authors, None
    return [], None


def _authors_of_closing_credit(ev: _Evidence) -> _Found:
    credit = ev.credit
    if not credit:
        return [], None
    authors = role_names(credit, ev.sites)
    if not authors and _HAN_NAME.match(credit) and is_person(credit, ev.sites):
        authors = [credit]  # a bare name closing the text: （张巨峰）
    return authors, None


def _authors_after_the_text(ev: _Evidence) -> _Found:
    byline = _lookup(ev.tail_info, AUTHOR_LABELS)
    if byline:
        authors = byline_names(first_value(byline) or "", ev.sites, lone=False)
        if authors:
            return authors, None
    for line in ev.tail_lines:
        if len(line) <= 40 and not STAFF_LINE.match(line):
            authors = role_names(line, ev.sites)
            if authors:
                return authors, None
    return [], None


def _authors_inside_the_text(ev: _Evidence) -> _Found:
    # a credit line of its own inside the text (某某晚报记者 张三): reposts often close with it
    for paragraph in ev.body.paragraphs[3:] if ev.body else []:
        authors = credit_line_names(paragraph, ev.sites)
        if authors:
            return authors, None
    return [], None


def _authors_posted_by(ev: _Evidence) -> _Found:
    end = ev.layout.end
    for block in ev.page.blocks[end + 1 : end + 40] if end is not None else []:
        m = POSTED_BY.search(block.text) if "posted" in block.text.lower() else None
        # the poster's account, even when the blog is named after it (``文章 - 某某hk - 某博客站``)
        if m and _lone_name(m.group("name"), ()):
            return [m.group("name")], None
    return [], None


#: Where a page prints its authors, most explicit first.
_AUTHOR_FINDERS = (
    _authors_by_rule,
    _authors_of_press_byline,
    _authors_labelled,
    _authors_in_zone_lines,
    _authors_marked,
    _authors_of_dateline,
    _authors_opening_the_text,
    _authors_of_closing_credit,
    _authors_after_the_text,
    _authors_inside_the_text,
    _authors_posted_by,
)


def _find_authors(ev: _Evidence, out: Metadata) -> tuple[list[str], str | None, bool]:
    """(authors, a publisher a byline named instead, whether the names came from meta tags). Meta
    ``author`` may set ``out.editor`` (the gov.cn template puts the web editor there)."""
    org_from_byline = None
    for finder in _AUTHOR_FINDERS:
        authors, org = finder(ev)
        org_from_byline = org_from_byline or org
        if authors:
            return authors, org_from_byline, False
    return _authors_in_meta(ev, out), org_from_byline, True


def _authors_in_meta(ev: _Evidence, out: Metadata) -> list[str]:
    meta, sites = ev.page.meta, ev.sites
    # The gov.cn article template (manuscriptId, firstpublishedtime) puts the web editor in meta author.
    gov_template = "manuscriptid" in meta or "firstpublishedtime" in meta
    if gov_template and meta.get("author") and not out.editor:
        out.editor = meta["author"]
    authors: list[str] = []
    for value in (
        None if gov_template else meta.get("author"),
        meta.get("article:author"),
        meta.get("og:article:author"),
    ):
        if value and not re.search(r"编辑|編輯", value):
            names = plausible_names(split_names(value))
            authors = [n for n in names if is_person(n, sites) or (len(names) == 1 and _lone_name(n, sites))]
            if authors:
                break
    if not authors and ev.page.ld.get("author"):
        authors = [n for n in plausible_names(_names(ev.page.ld["author"])) if is_person(n, sites)]
    if out.editor and any(a in out.editor for a in authors):
        return []  # the web editor's name in meta author, not a byline
    return authors


# --- organisation ------------------------------------------------------------------------------------


def _organization_labelled(ev: _Evidence, authors: list[str], org_from_byline: str | None) -> str | None:
    return (
        ev.rules.get("organization")
        or ev.page.meta.get("contentsource")
        or ev.page.meta.get("source")
        or _clean_org(first_value(_lookup(ev.info, SOURCE_LABELS)))
        or _clean_org(first_value(_lookup(ev.tail_info, SOURCE_LABELS)))
    )


def _organization_of_credit(ev: _Evidence, authors: list[str], org_from_byline: str | None) -> str | None:
    if not ev.credit:
        return None
    found = _clean_org(first_value(_lookup(parse_info(ev.credit), SOURCE_LABELS)))
    m = CREDIT_SOURCE.match(ev.credit)
    return found or (_clean_org(m.group("org")) if m else None)


def _organization_of_byline(ev: _Evidence, authors: list[str], org_from_byline: str | None) -> str | None:
    return (ev.press.organization if ev.press else None) or _clean_org(org_from_byline)


def _organization_closing(ev: _Evidence, authors: list[str], org_from_byline: str | None) -> str | None:
    credit = ev.credit
    if (
        credit
        and not ROLE_NAMES.search(credit)
        and not LABEL.search(credit)
        and 2 <= len(credit) <= 16
        and not re.search(r"[，。,.!！?？\d]", credit)
        and not is_person(credit)
    ):
        return credit  # a publisher closing the text: （sd退役军人之家）
    return None


def _organization_info_class(ev: _Evidence, authors: list[str], org_from_byline: str | None) -> str | None:
    for line, el in ev.zone:
        if line in authors:
            return None  # the byline (``article-author``): an author's name is not the publisher, nor what follows it
        if (
            el is not None
            and len(line) <= 30
            and not LABEL.search(line)
            and INFO_CLASS.search(ev.page.class_id(el))
            and not dates.find_date(line)
        ):
            found = _clean_org(line)
            if found:
                return found
    return None


def _find_organization(
    ev: _Evidence, authors: list[str], org_from_byline: str | None, title: str | None
) -> str | None:
    organization = None
    for finder in (_organization_labelled, _organization_of_credit, _organization_of_byline):
        organization = finder(ev, authors, org_from_byline)
        if organization:
            break
    organization = organization or _unlabelled_source(ev.zone, title)
    for finder in (_organization_closing, _organization_info_class):
        organization = organization or finder(ev, authors, org_from_byline)
    organization = organization or _logo_source(ev.page, ev.layout) or ev.page.meta.get("mediaid")
    dateline, meta = ev.dateline, ev.page.meta
    if dateline and dateline.organization and (not organization or _is_site_itself(organization, meta)):
        organization = dateline.organization
    if not organization and ev.press and ev.press.own_staff:
        # 本報訊, or a staff reporter with no paper named: the story is the site's own, by the name the
        # page gives itself (og:site_name, or the site part of <title>)
        organization = publisher_name(_site_names(ev.page) + _title_suffixes(ev.page)[::-1])
    return organization


# --- publication date --------------------------------------------------------------------------------


def _find_published(
    ev: _Evidence, out: Metadata, reference: datetime | None, tz: tzinfo | None, day_first: bool
) -> None:
    page, body, head = ev.page, ev.body, ev.head
    found, how = _date(
        page, ev.rules.get("published"), ev.zone, head, ev.tail_lines, ev.layout, tz, day_first
    )
    if found is None and body and body.paragraphs:
        url_date = dates.date_from_url(page.url, tz)
        year = int(url_date.value[:4]) if url_date else dates.year_in_text(" ".join(body.paragraphs[:3]))
        if year:
            found = dates.parse_yearless(" ".join(body.paragraphs[:1]), year, tz)
            how = f"yearless date in text, year {year} from the page" if found else how
    if found is None and reference is not None and tz is not None:
        found = dates.parse_relative(head, reference, tz)
        how = f"relative date ({found.raw}) counted back from the fetch time" if found else how
    if found:
        out.published = found
        out.notes.append(f"published: {how}")
    elif tz is None and dates.parse_date(head, UTC, day_first):
        out.notes.append("published: the date printed has no time zone, and the source gives none")
    elif dates.mentions_relative(head):
        out.notes.append("published: only a relative date on the page, and no fetch time to count back from")
    else:
        out.notes.append("published: no date on the page")


DATE_META = (
    "pubdate",
    "publishdate",
    "firstpublishedtime",
    "article:published_time",
    "og:release_date",
    "datepublished",
    "publication_date",
    "dc.date.issued",
    "dc.date",
    "date",
    "weibo: article:create_at",
)
# Dates that are not the publication date but give its year to a yearless info line (``10-08 12:00``).
REFERENCE_META = (
    "dateupdate",
    "article:modified_time",
    "og:updated_time",
    "lastmodified",
    "last-modified",
    "datemodified",
    "weibo: article:update_at",
)


def _reference_year(page: Page, tz: tzinfo | None) -> int | None:
    for key in REFERENCE_META:
        found = dates.parse_date(page.meta.get(key), tz)
        if found:
            return int(found.value[:4])
    modified = page.ld.get("dateModified")
    found = dates.parse_date(modified, tz) if isinstance(modified, str) else None
    if found:
        return int(found.value[:4])
    found = dates.date_from_url(page.url, tz)
    return int(found.value[:4]) if found else None


def _date(
    page: Page,
    rule_value: str | None,
    zone: list[tuple[str, Any]],
    head: str,
    tail_lines: list[str],
    layout: _Layout,
    tz: tzinfo | None,
    day_first: bool,
) -> tuple[dates.ParsedDate | None, str]:
    found = dates.parse_date(rule_value, tz, day_first)
    if found:
        return found, "site rule"
    for key in DATE_META:
        found = dates.parse_date(page.meta.get(key), tz, day_first)
        if found:
            return found, "meta " + key
    if isinstance(page.ld.get("datePublished"), str):
        found = dates.parse_date(page.ld["datePublished"], tz, day_first)
        if found:
            return found, "json-ld"
    for text, _ in zone:
        found = dates.parse_date(text, tz, day_first)
        if found:
            return found, "info line"
    found = dates.parse_date(head, tz, day_first)
    if found:
        return found, "info line"
    found = dates.parse_short(head, _reference_year(page, tz), tz)
    if found:
        return found, "info line (short form)"
    found = dates.date_from_script(page.scripts, tz)
    if found:
        return found, "page script"
    found = dates.date_from_url(page.url, tz)
    if found:
        return found, "url"
    # A date on a short line of its own right after the body is the article's; a date inside a longer line
    # there (a reference, a related story) is not.
    for line in tail_lines:
        found = dates.parse_date(line, tz, day_first) if len(line) <= 40 else None
        if found and len(found.raw) >= 0.4 * len(line):
            return found, "after the body"
    if layout.end is not None:
        for block in page.blocks[layout.end + 1 : layout.end + 40]:
            text = block.text
            if len(text) <= 120 and AFTER_BODY_DATE.search(text):
                found = dates.parse_date(text, tz, day_first)
                if found:
                    return found, "labelled date below the body"
    return None, ""


_EMPTY_SOURCE = re.compile(r"^\S{0,4}(?:来源|來源)\s*[:：]\s*$")


def _logo_source(page: Page, layout: _Layout) -> str | None:
    """A source label whose value is the publisher's logo (``新聞來源：<img alt="今日新聞">``), right after the
    body or between headline and body: the logo's text alternative is the name printed."""
    spans = []
    if layout.end is not None:
        spans.append(page.blocks[layout.end + 1 : layout.end + 8])
    if layout.start is not None:
        spans.append(page.blocks[max(0, layout.start - 8) : layout.start])
    for span in spans:
        for block in span:
            if _EMPTY_SOURCE.match(block.text):
                for img in block.element.iter("img"):
                    alt = _clean_org(img.get("alt"))
                    if alt:
                        return alt
    return None


def _press_byline(zone: list[tuple[str, Any]], body: Body | None) -> PressByline | None:
    """The press credit line (see `bylines`) opening the text, or printed between headline and body."""
    for text in body.paragraphs[:3] if body else []:
        found = read_byline(text)
        if found:
            return found
    for text, _ in zone:
        found = read_byline(text)
        if found:
            return found
    return None


def _is_site_itself(organization: str, meta: dict[str, str]) -> bool:
    site = meta.get("sitename") or meta.get("og:site_name") or ""
    return (bool(site) and organization in site) or organization.endswith(("网", "網"))


def _strip_label(value: str) -> str:
    return LABEL.sub("", value or "", count=1).strip() if LABEL.match(value or "") else (value or "").strip()
