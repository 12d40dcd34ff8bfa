"""Text clean-up shared by every parser: whitespace, pinyin annotations, dateline leads, captions, script."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

#: The Han characters (CJK unified ideographs, extension A, compatibility ideographs), as a character-class body.
HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
HAN_CHAR = re.compile(f"[{HAN}]")
_NOT_HAN = re.compile(f"[^{HAN}]+")


def han_count(text: str) -> int:
    """How many Han characters ``text`` has (removing the runs between them makes fewer objects than findall)."""
    return len(_NOT_HAN.sub("", text))


#: A staff line of its own (``责任编辑：张三``, ``（审核：李四）``): editors, reviewers and proofreaders are no
#: authors, and their line is no article text. ``role`` tells which; only editors are the item's ``editor``.
STAFF_LINE = re.compile(
    r"^[（(\[【]?\s*(?P<role>责任编辑|責任編輯|网络编辑|網絡編輯|编辑|編輯|責編|责编|审核|審核|校对|校對|监制|監製|编审|編審)"
    r"\s*[:：]?\s*(?P<name>[^）)\]】|｜:：]{0,30}?)\s*[）)\]】]?$"
)
EDITOR_ROLES = frozenset(["责任编辑", "責任編輯", "网络编辑", "網絡編輯", "编辑", "編輯", "責編", "责编"])


def editor_of(line: str) -> str | None:
    """The editor a staff line names (``责任编辑：张三`` → ``张三``); None for other lines and other roles."""
    m = STAFF_LINE.match(line)
    if m and m.group("role") in EDITOR_ROLES:
        return normalize_space(m.group("name")) or None
    return None


_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ"
# 網(wǎng): a Han character followed by its pinyin in ASCII or full-width parentheses, as left by
# "pinyin-annotated" mirror sites (whose text also has "?" where a character was lost). Toned syllables are unambiguous; toneless ones are only taken out when
# the text carries toned annotations too.
_PINYIN_TONED = re.compile(rf"(?<=[{HAN}?])[(（]([a-zü]*[{_TONED}][a-zü{_TONED}]*)[)）]")
_PINYIN_BARE = re.compile(
    rf"(?<=[{HAN}])[(（]((?:[bpmfdtnlgkhjqxrzcsyw]|zh|ch|sh)?[aeiouü][a-zü]{{0,4}})[)）]"
)
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u3000\ufeff]+")


def clean_pinyin(text: str) -> str:
    """Remove pinyin annotations such as ``網(wǎng)`` → ``網``, leaving real parentheses alone."""
    if not text or ("(" not in text and "（" not in text):
        return text
    cleaned, count = _PINYIN_TONED.subn("", text)
    if count >= 2:
        cleaned = _PINYIN_BARE.sub("", cleaned)
    return cleaned


def normalize_space(text: str) -> str:
    """Collapse runs of spaces (including ideographic and no-break spaces) within a line and trim it."""
    if not text:
        return ""
    # Printable text holds no space of _SPACES but the ASCII one: without two in a row, nothing to collapse.
    if text.isprintable() and "  " not in text:
        return text.strip()
    return _SPACES.sub(" ", text).strip()


def join_paragraphs(paragraphs: list[str]) -> str:
    """Paragraphs as one text, separated by a blank line, empty ones dropped."""
    return "\n\n".join(p for p in (normalize_space(p) for p in paragraphs) if p)


# --- dateline leads -------------------------------------------------------------------------------------

_DATELINE = re.compile(
    r"^\s*(?:本[网網報报]讯|本[网網報报]訊|["
    + HAN
    + r"0-9]{2,20}?(?:[讯訊]|电|電))\s*[（(]\s*(?P<inner>[^（）()]{2,80}?)\s*[）)]\s*"
)
_ROLE = re.compile(r"^(?:记者|記者|通讯员|通訊員|实习生|實習生|见习记者|見習記者|作者|文|图|圖|摄|攝)[:：]?")
_ORG_END = re.compile(
    r"(?:局|委|厅|廳|院|会|會|中心|办|辦|部|所|站|队|隊|处|處|署|府|公司|集团|集團|协会|協會|学校|學校|大学|大學"
    r"|医院|醫院|报|報|社|台|网|網|馆|館|科|股|室|组|組)$"
)
_NAME = re.compile(rf"^[{HAN}·]{{2,4}}$")
# Four-character Chinese names are nearly always a compound surname and a given name; other four-character
# strings in a byline are words (查看更多, 最新文章).
COMPOUND_SURNAMES = frozenset(
    [
        "欧阳",
        "歐陽",
        "司马",
        "司馬",
        "上官",
        "诸葛",
        "諸葛",
        "东方",
        "東方",
        "皇甫",
        "尉迟",
        "尉遲",
        "公孙",
        "公孫",
        "慕容",
        "长孙",
        "長孫",
        "宇文",
        "司徒",
        "令狐",
        "夏侯",
        "端木",
        "独孤",
        "獨孤",
        "南宫",
        "南宮",
        "西门",
        "西門",
        "澹台",
        "轩辕",
        "軒轅",
        "呼延",
        "万俟",
        "申屠",
        "闻人",
        "聞人",
        "钟离",
        "鍾離",
        "赫连",
        "赫連",
        "太史",
        "司空",
        "公冶",
        "濮阳",
        "濮陽",
        "淳于",
        "单于",
        "仲孙",
        "宗政",
        "第五",
        "拓跋",
        "完颜",
        "完顏",
        "爱新",
        "愛新",
    ]
)


@dataclass
class Dateline:
    """What a dateline lead such as ``中国食品安全网讯（邯郸市市场监督管理局 赵春辉）`` says."""

    text: str
    organization: str | None = None
    authors: list[str] = field(default_factory=list)


def split_dateline(paragraph: str) -> tuple[Dateline | None, str]:
    """Take a dateline lead off the start of the first paragraph; returns it and the rest of the text."""
    m = _DATELINE.match(paragraph or "")
    if not m:
        return None, paragraph
    inner = m.group("inner")
    tokens = [t for t in re.split(r"[\s,，、/]+", inner) if t]
    org, authors, names_follow_role = None, [], False
    for token in tokens:
        role = _ROLE.match(token)
        if role:
            token = token[role.end() :]
            names_follow_role = True
            if not token:
                continue
        if _ORG_END.search(token) and len(token) >= 4 and not names_follow_role:
            org = org or token
        elif _NAME.match(token):
            authors.append(token)
    if not org and not authors:
        return None, paragraph  # "(2021年)" or other aside: not a byline
    return Dateline(m.group(0).strip(), org, authors), paragraph[m.end() :]


# --- captions -------------------------------------------------------------------------------------------

_CREDIT = re.compile(
    r"[\s?？|｜丨]*[（(]?\s*(?:图片来源|圖片來源|图片来自|圖片來自|图片提供|圖片提供|图片由|圖片由|摄影|攝影|供图|供圖"
    r"|图/|圖/|图：|圖：|摄：|攝：)\s*[:：]?\s*(?P<credit>[^）)]+?)\s*[）)]?\s*$"
)
_CREDIT_SUFFIX = re.compile(rf"[（(]\s*(?P<credit>[{HAN}·\s]{{2,12}})\s*(?:摄|攝)\s*[）)]\s*$")


def split_caption(text: str) -> tuple[str | None, str | None]:
    """``启动仪式现场 图片来源：邯郸市市场监督管理局`` → (``启动仪式现场``, ``邯郸市市场监督管理局``)."""
    text = normalize_space(text)
    for pattern in (_CREDIT, _CREDIT_SUFFIX):
        m = pattern.search(text)
        if m:
            caption = text[: m.start()].strip(" ?？|｜丨:：")
            return caption or None, m.group("credit").strip() or None
    return text or None, None


def looks_like_caption(text: str) -> bool:
    """A short line carrying an image credit: in plain text, the only trace of an image."""
    text = normalize_space(text)
    return 0 < len(text) <= 100 and bool(_CREDIT.search(text) or _CREDIT_SUFFIX.search(text))


# --- script and language --------------------------------------------------------------------------------


# What is left once the runs between Latin characters are removed: fewer objects than findall makes.
_NOT_LATIN_CHARS = re.compile("[^A-Za-z]+")


@lru_cache(maxsize=2)
def _converter(config: str):  # type: ignore[no-untyped-def]
    import opencc

    return opencc.OpenCC(config)


def to_simplified(text: str) -> str:
    """Simplified-script form of Chinese text (OpenCC t2s), for search and comparison."""
    return _converter("t2s").convert(text) if text else text


def detect_language(text: str) -> str | None:
    """'zh-Hans', 'zh-Hant' or 'en' from the text itself; None when it has too little of any."""
    sample = (text or "")[:2000]
    han = han_count(sample)
    latin = len(_NOT_LATIN_CHARS.sub("", sample))
    if han < 10 and latin < 40:
        return None
    if han * 3 < latin:
        return "en"
    # Traditional text changes under t2s; simplified text hardly does (a few shared forms).
    simplified = _converter("t2s").convert(sample)
    changed = 0 if simplified == sample else sum(map(str.__ne__, sample, simplified))
    return "zh-Hant" if changed > max(2, han // 50) else "zh-Hans"
