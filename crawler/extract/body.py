"""Finding the article body among a page's blocks.

Each block is classed as good (sentence-like text, few links), bad (link lists, share bars, copyright
lines) or neutral (short lines). The body container is the element whose good text most outweighs its bad
text, so an article split over several sibling sections is kept whole, while navigation, related links and
footers around it are left out. Inside the container, bad blocks go, and neutral lines before the first and
after the last good block (bylines, dates, editor lines) are handed to the metadata step instead.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import lru_cache
from itertools import accumulate, repeat
from operator import add
from typing import Any
from urllib.parse import urljoin, urlsplit

from crawler.extract import dates
from crawler.extract.dom import _NO_NAMES, Block, Page
from crawler.extract.text import (
    HAN_CHAR,
    STAFF_LINE,
    clean_pinyin,
    han_count,
    looks_like_caption,
    split_caption,
)

ATTACHMENT_EXT = re.compile(r"\.(?:docx?|xlsx?|et|wps|pdf|ofd|zip|rar|7z|csv|pptx?)(?:$|[?#])", re.IGNORECASE)
# Containers of common Chinese CMS templates; used when they hold a real article.
KNOWN_BODY = (
    "#zoom",
    ".TRS_Editor",
    ".TRS_UEDITOR",
    "#UCAP-CONTENT",
    ".pages_content",
    "#ozoom",
    ".article-content",
    ".art_content",
    ".post_body",
    ".article_content",
    ".articleContent",
    ".content_text",
    ".detail-content",
)
SENTENCE_PUNCT = re.compile(r"[，。！？；,.!?;：:、]")
END_PUNCT = re.compile(r"[。！？!?.…”’」』）)\"]$")
WORD = re.compile(r"[^\W\d_]+")
STOPWORDS = frozenset(
    [
        "the",
        "a",
        "an",
        "and",
        "or",
        "of",
        "to",
        "in",
        "on",
        "for",
        "with",
        "at",
        "by",
        "from",
        "as",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "he",
        "she",
        "they",
        "we",
        "you",
        "i",
        "his",
        "her",
        "their",
        "our",
        "not",
        "but",
        "have",
        "has",
        "had",
        "will",
        "would",
        "can",
        "could",
        "said",
        "says",
    ]
)
BOILERPLATE = re.compile(
    r"^(?:分享到|分享至|扫一扫|掃一掃|【?\s*打印|【?\s*关闭|相关新闻|相关阅读|相关文章|相關新聞|延伸阅读|推荐阅读|热门推荐"
    r"|版权所有|版權所有|Copyright|©|上一篇|下一篇|返回顶部|返回首页|字号\s*[:：]|举报|收藏|点赞|评论\s*\d*$|登录|注册"
    r"|声明[:：]|免责声明|平台声明|本文系|特别声明|网站声明|扫码|长按|点击(?:关注|阅读|查看)|阅读原文|Share (?:this|on)|Follow us"
    r"|关键字\s*[:：]|关键词\s*[:：]|标签\s*[:：]|更多猛料|欢迎扫描|欢迎关注|回复【|\d+、回复【|点击菜单|点击下载|本地日志"
    r"|\S{0,8}公众号$|新酷产品第一时间|往期回顾|往期推荐|精彩推荐|猜你喜欢|热门评论|网友评论|我要评论|发表评论|查看更多"
    r"|Sign up|Subscribe|Advertisement|ADVERTISEMENT|Related:|Read more|Read More|Click here)",
    re.IGNORECASE,
)
INFO_LABEL = re.compile(
    r"(?:来源|來源|作者|记者|發布|发布|时间|時間|日期|编辑|编者|浏览|阅读|点击|字号|稿源)\s*[:：]"
)
# Lines after which a page carries no more article text, however text-like what follows.
END_MARKER = re.compile(
    r"^[【\[（(]?\s*(?:相关阅读|相关新闻|相关文章|延伸阅读|推荐阅读|往期回顾|往期推荐|更多精彩|精彩推荐|猜你喜欢|热门评论"
    r"|网友评论|相关推荐|热门推荐|为你推荐|为您推荐|推荐视频|相关报道|相關報導|相關新聞|延伸閱讀|相關閱讀)\s*[】\]）)]?\s*[:：]?\s*$",
    re.IGNORECASE,
)
# The company boilerplate closing a press release: "About Ascom", "About the FDA", 关于我们.
ABOUT = re.compile(
    r"^(?:About (?:the )?[A-Z][\w&.,'’\- ]{1,60}|关于我们|关于本站|关于\S{2,12}(?:公司|集团))\s*:?$"
)
ATTACHMENT_LINE = re.compile(r"^\s*(?:附件|附表|Attachment)\s*\d*\s*[:：]", re.IGNORECASE)


# Class/id words of page furniture (readability's "unlikely candidates"), matched at the start of a word.
STRONG_UNLIKELY = re.compile(
    r"(?<![a-z])(?:comment|reply|replies|discuss|recommend|related|relate|footer|sidebar|pinglun|tuijian"
    r"|xiangguan|copyright|disclaimer|newsletter|subscribe|popup|modal)",
    re.IGNORECASE,
)
UNLIKELY = re.compile(
    r"(?<![a-z])(?:hot|rank|popular|nav|menu|breadcrumb|crumb|advert|ads?(?![a-z])|banner|sponsor|promo|login"
    r"|toolbar|tags?(?![a-z])|share|social|widget|aside|remen|paihang)",
    re.IGNORECASE,
)
LIKELY = re.compile(r"article|content|main|post|text|body|entry|story|detail|zoom|TRS_", re.IGNORECASE)


@dataclass
class Body:
    """The article body: its container, paragraphs, images (with captions) and attachments."""

    container: Any
    paragraphs: list[str] = field(default_factory=list)
    images: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[dict[str, Any]] = field(default_factory=list)
    head: list[str] = field(default_factory=list)
    tail: list[str] = field(default_factory=list)
    how: str = ""


def _is_english(text: str) -> bool:
    return not HAN_CHAR.search(text[:200])


def classify(block: Block) -> str:
    """'good', 'bad' or 'neutral' for one text block."""
    if block.image:
        return "neutral"
    text = block.text
    chars = block.chars
    if chars <= 4:  # a word or a number: a link of a menu, or nothing to speak of
        return "bad" if block.link_chars * 2 >= chars > 0 else "neutral"
    if ATTACHMENT_LINE.match(text):
        return "neutral"  # 附件：<a>file</a> is all link, and part of the article
    density = block.link_chars / chars
    if BOILERPLATE.match(text):
        return "bad"
    if density > 0.3:
        # A link list, unless the text beside the links is itself a paragraph (a bulleted summary whose
        # lead-in is a link).
        # (dates and times printed beside each link of a list are no text of their own)
        unlinked = chars - block.link_chars - sum(map(str.isdigit, text))
        if unlinked >= 100 and density <= 0.7 and SENTENCE_PUNCT.search(text):
            return "good"
        return "bad" if density > 0.5 else "neutral"
    if _is_english(text):
        if " " not in text:
            return "neutral"  # a URL or a file name, however many words its punctuation splits it into
        words = WORD.findall(text)
        if len(words) >= 12:
            stops = sum(map(STOPWORDS.__contains__, map(str.lower, words)))
            if stops / len(words) >= 0.15:
                return "good"
            # Other languages written with spaces: sentences of ordinary-length words.
            if len(words) >= 15 and SENTENCE_PUNCT.search(text) and 3 <= block.chars / len(words) <= 12:
                return "good"
        return "neutral"
    if len(text) < 120 and (INFO_LABEL.search(text[:40]) or STAFF_LINE.match(text)):
        return "neutral"  # a byline or info line, even if it has punctuation
    if len(text) < 15:
        return "neutral"  # fewer than 15 characters of any kind
    han = han_count(text)
    if (han >= 15 and SENTENCE_PUNCT.search(text)) or han >= 50:
        return "good"
    return "neutral"


def tree_sums(page: Page, values: Sequence[float]) -> dict[Any, float]:
    """Per element, the sum of ``values`` (one per block) over the blocks inside it: one bottom-up pass."""
    totals: dict[Any, float] = {}
    get = totals.get
    for block, value in zip(page.blocks, values, strict=True):
        if value:
            totals[block.element] = get(block.element, 0.0) + value
    for el, parent in _upward(page):
        value = get(el, 0.0)
        if value and parent is not None:
            totals[parent] = get(parent, 0.0) + value
    return totals


def _upward(page: Page) -> list[tuple[Any, Any]]:
    """(element, parent) for the blocks' elements and their ancestors, children before parents: the only
    elements a sum over blocks can reach. Worked out once per page."""
    up = page.cache.get("upward")
    if up is None:
        needed = {b.element for b in page.blocks}
        up = []
        for el in reversed(page.elements):
            if el in needed:
                parent = el.getparent()
                up.append((el, parent))
                if parent is not None:
                    needed.add(parent)
        page.cache["upward"] = up
    return up


def furniture(page: Page, classes: list[str]) -> list[bool]:
    """For each good block: does it sit inside page furniture (comments, related links, navigation, footer)?
    (False for the other blocks: only good text is demoted for it, so only good blocks are looked at.)

    An element is furniture by its tag (nav, footer, aside) or class/id words, unless it holds most of the
    page's good text: a wrapper named ``page-ad-margins`` around the whole article is not an advert.
    """
    good = tree_sums(page, [b.chars if k == "good" else 0 for b, k in zip(page.blocks, classes, strict=True)])
    total = sum(b.chars for b, k in zip(page.blocks, classes, strict=True) if k == "good")
    cache: dict[Any, bool] = {}
    body = page.root.find("body")
    names_of = page.names_of

    def unlikely(el: Any) -> bool:
        chain = []
        verdict = False
        while el is not None and el is not body:
            tag = el.tag
            if not isinstance(tag, str):
                break
            if el in cache:
                verdict = cache[el]
                break
            chain.append(el)
            strong, weak = _furniture_names(names_of(el))
            if strong or weak or tag in ("nav", "footer", "aside"):
                share = good.get(el, 0) / total if total else 0.0
                if (
                    (tag in ("nav", "footer", "aside") and share < 0.5)
                    or (strong and share < 0.6)
                    or (weak and share < 0.3)
                ):
                    verdict = True
                    break
            el = el.getparent()
        for item in chain:
            cache[item] = verdict
        return verdict

    return [kind == "good" and unlikely(b.element) for b, kind in zip(page.blocks, classes, strict=True)]


@lru_cache(maxsize=8192)
def _furniture_names(names: tuple[str, str]) -> tuple[bool, bool]:
    """Whether class and id words name furniture strongly (comments, footer) or weakly (nav, share) and not
    also content; cached, as templates repeat the same class names on every page."""
    text = f"{names[0]} {names[1]}"
    if not text.strip():
        return False, False
    return (
        STRONG_UNLIKELY.search(text) is not None,
        UNLIKELY.search(text) is not None and LIKELY.search(text) is None,
    )


def _headline_like(text: str) -> bool:
    """A line that reads as a headline: a few words (or Han characters), not a sentence ending in a full stop."""
    if len(text) > 200 or text.endswith((".", "。")):
        return False
    han = han_count(text)
    return han >= 6 if han else len(text.split()) >= 3


def _lead_link(block: Block) -> str | None:
    """The text of the link a block opens with (nothing before it), when what follows it is an element of
    its own (``<a>Headline</a> <span>Lead</span>``, not ``<a>Name</a> said``), or None."""
    el = block.element
    for _ in range(3):
        if (el.text and not el.text.isspace()) or not len(el):
            return None
        el = el[0]
        if el.tag == "a":
            if (el.tail and not el.tail.isspace()) or el.getnext() is None:
                return None
            return " ".join("".join(el.itertext()).split())
    return None


def teasers(blocks: list[Block], classes: list[str]) -> set[int]:
    """Indexes of the blocks of teaser lists: other articles' headlines, each a link followed by its lead.

    A teaser is one block opening with a headline link that runs on into its lead, a sentence of its own
    (``<li><a>Headline</a> <span>Lead…</span></li>``), or a block that is all link, headline-like, followed by
    a lead without links (``<h3><a>Headline</a></h3><p>Lead</p>``). Two or more in a row (three where the
    headlines are Chinese), with at most two lines between them that are not text, are a list of other
    stories, wherever it sits. (A briefing whose linked items are sentences, ``<a>Headline</a>. More``, and a
    paragraph opening with a link, ``<a>Officials</a> said``, are not teasers.)
    """
    items: list[tuple[int, int]] = []  # (first, last) block index of each teaser
    han = False  # any teaser headline in Chinese
    n = len(blocks)
    i = 0
    while i < n:
        block = blocks[i]
        if block.image or not block.link_chars:
            i += 1
            continue
        if block.link_chars < block.chars:
            link = _lead_link(block) if block.link_chars >= 6 else None
            if link and _headline_like(link) and block.text.startswith(link):
                rest = block.text[len(link) :].lstrip()
                if (
                    20 <= len(rest) <= 400
                    and not rest[0].islower()
                    and rest[0] not in ".,;:!?)]}|-–—。，；：！？）"
                ):
                    items.append((i, i))
                    han = han or HAN_CHAR.search(link) is not None
        else:
            j = i + 1
            while j < n and blocks[j].image:
                j += 1
            # (the lead first: most links are followed by more links)
            if j < n and _lead(blocks[j]) and _headline_like(block.text):
                # A lead stands alone: one followed by more text opens an article (the links above it are
                # furniture of its own page).
                k = j + 1
                while k < n and blocks[k].image:
                    k += 1
                if k < n and classes[k] == "good" and blocks[k].link_chars < blocks[k].chars:
                    i += 1
                    continue
                items.append((i, j))
                han = han or HAN_CHAR.search(block.text) is not None
                i = j
        i += 1
    least = 3 if han else 2
    found: set[int] = set()
    run: list[tuple[int, int]] = []
    for item in items:
        if run and not _teaser_gap(blocks, classes, run[-1][1] + 1, item[0]):
            if len(run) >= least:
                found.update(k for first, last in run for k in range(first, last + 1))
            run = []
        run.append(item)
    if len(run) >= least:
        found.update(k for first, last in run for k in range(first, last + 1))
    return found


def _lead(block: Block) -> bool:
    """A block that can be a teaser's lead: a sentence or two of words, without links."""
    if block.link_chars or block.heading or not 20 <= block.chars <= 400:
        return False
    han = han_count(block.text)
    return han >= 10 if han else len(WORD.findall(block.text)) >= 5


def _teaser_gap(blocks: list[Block], classes: list[str], start: int, stop: int) -> bool:
    """Whether the blocks between two teasers are images and at most two lines that are not text."""
    lines = 0
    for k in range(start, stop):
        if not blocks[k].image:
            lines += 1
            if lines > 2 or classes[k] == "good":
                return False
    return True


def _net_scores(page: Page, classes: list[str]) -> dict[Any, float]:
    """Per element, its good text less its bad text, in characters."""
    values = [
        b.chars if k == "good" else -b.chars if k == "bad" else 0
        for b, k in zip(page.blocks, classes, strict=True)
    ]
    return tree_sums(page, values)


def choose_container(page: Page, classes: list[str]) -> Any:
    """The element where good text most outweighs bad text; on a tie, the tighter one."""
    score = _net_scores(page, classes)
    if not score:
        return None
    best = max(score.values())
    if best <= 0:
        return None
    sizes = tree_sums(page, [b.chars for b in page.blocks])
    candidates = [el for el, s in score.items() if s >= best * 0.97]
    return min(candidates, key=lambda el: sizes.get(el, 0))


def belonging(
    page: Page, classes: list[str], container: Any, title: str | None, title_el: Any, how: str
) -> tuple[Any, str]:
    """The container of the text that belongs to the headline, where the densest one holds another story.

    A page names its article in JSON-LD (``articleBody``) or prints its headline right above it: a
    container that holds none of the ``articleBody`` while another part of the page does, or whose text
    ends before the headline, or starts after other text under the headline with a heading, link list or
    "related" line between, is a neighbouring story (a recommended feature, a sidebar), however long. The
    text under the headline is then the body: the best of the elements holding its first paragraph that
    do not also hold the other story."""
    blocks = page.blocks
    inside = set(container.iter())
    named = page.ld.get("articleBody")
    if isinstance(named, str) and len(named) >= 50:
        stated = "".join(named.split())
        matched = [
            i
            for i, (b, k) in enumerate(zip(blocks, classes, strict=True))
            if k == "good" and "".join(b.text.split()) in stated
        ]
        if matched and not any(blocks[i].element in inside for i in matched):
            alternative = _holder(page, classes, matched[0], container)
            if alternative is not None:
                return alternative, how + ", the story JSON-LD articleBody names"
    anchor = _anchor(page, title, title_el)
    if anchor is None or blocks[anchor].element in inside:
        return container, how
    goods = [i for i, k in enumerate(classes) if k == "good"]
    own = [i for i in goods if blocks[i].element in inside]
    if not own:
        return container, how
    after = [i for i in goods if anchor < i < anchor + 20 and blocks[i].element not in inside]
    if own[-1] < anchor:
        reason = "the densest text ends before the headline"
    elif after and after[0] < own[0] and _separated(blocks, classes, after, own[0]):
        reason = "the densest text is another story after the one under the headline"
    else:
        return container, how
    alternative = _holder(page, classes, after[0], container) if after else None
    if alternative is None:
        return container, how
    return alternative, f"{how}, text under the headline ({reason})"


def _anchor(page: Page, title: str | None, title_el: Any) -> int | None:
    """The index of the headline's block: its element, or the one unlinked line printing it exactly."""
    if title_el is not None:
        for i, block in enumerate(page.blocks):
            if block.element is title_el:
                return i
    if title:
        printed = [i for i, b in enumerate(page.blocks) if b.text == title and not b.link_chars]
        if len(printed) == 1:
            return printed[0]
    return None


def _separated(blocks: list[Block], classes: list[str], before: list[int], start: int) -> bool:
    """Whether, between the text under the headline (``before``, up to ``start``) and the text at
    ``start``, the page prints what opens another story: a heading, a link list, a "related" line."""
    gap = [i for i in before if i < start]
    if len(gap) < 2 or sum(blocks[i].chars for i in gap) < 80:
        return False  # a standfirst or a summary box above the text, however set off: the same story
    return any(
        classes[i] == "bad" or blocks[i].heading or END_MARKER.match(blocks[i].text)
        for i in range(gap[-1] + 1, start)
    )


def _holder(page: Page, classes: list[str], first: int, other: Any) -> Any:
    """The element holding block ``first`` whose good text most outweighs its bad text, among those that
    do not hold ``other``: None when that text is too slight to be an article."""
    score = _net_scores(page, classes)
    excluded = {other, *other.iterancestors()}
    best: tuple[float, Any] | None = None
    el = page.blocks[first].element
    while el is not None and el not in excluded:
        value = score.get(el, 0.0)
        if best is None or value > best[0] * 1.03:
            best = (value, el)
        el = el.getparent()
    if best is None or best[0] < 60:
        return None
    return best[1]


_KNOWN_IDS = {q[1:]: i for i, q in enumerate(KNOWN_BODY) if q.startswith("#")}
_KNOWN_CLASSES = {q[1:]: i for i, q in enumerate(KNOWN_BODY) if q.startswith(".")}


def _known_container(page: Page) -> tuple[Any, str] | None:
    """The first element of a known CMS template's body container, in KNOWN_BODY's order of preference.

    Worked out on the page's (class, id) pairs unzipped in C, without a Python step per element: which known
    ids and class names occur at all (a set intersection, substring tests on all classes joined), then, best
    first, the first element that has it (``index``, and a bisection from where a name occurs in the joined
    classes to the element they belong to)."""
    all_classes, all_ids = zip(*page.names.values(), strict=True)  # (the root is always there: never empty)
    joined = " ".join(all_classes)
    present = [(_KNOWN_IDS[name], name, True) for name in _KNOWN_IDS.keys() & set(all_ids)]
    present += [(rank, name, False) for name, rank in _KNOWN_CLASSES.items() if name in joined]
    starts: list[int] | None = None
    for rank, name, is_id in sorted(present):
        if is_id:
            index: int | None = all_ids.index(name)
        else:
            if starts is None:  # where each element's classes start in ``joined``
                starts = [0, *accumulate(map(add, map(len, all_classes), repeat(1)))]
            index = _first_with_class(all_classes, joined, starts, name)
        if index is not None:
            return page.elements[index], "template " + KNOWN_BODY[rank]
    return None


def _first_with_class(all_classes: tuple[str, ...], joined: str, starts: list[int], name: str) -> int | None:
    """The index of the first element whose class attribute has the word ``name``."""
    at = joined.find(name)
    while at != -1:
        index = bisect_right(starts, at) - 1
        if name in all_classes[index].split():
            return index
        at = joined.find(name, starts[index + 1])
    return None


def _is_centered(el: Any) -> bool:
    style = (el.get("style") or "").replace(" ", "").lower()
    return "text-align:center" in style or (el.get("align") or "").lower() == "center" or el.tag == "center"


_CAPTION_NAME = re.compile(r"caption|credit", re.IGNORECASE)


def _is_caption(page: Page, block: Block) -> bool:
    """Whether a text block is an image caption or credit: a <figcaption>, or by its element's class or id
    (``wp-caption-text``, ``image-caption``, ``credit``). Asked only of the blocks it matters for."""
    if block.figcaption:
        return True
    names = page.names_of(block.element)
    return names is not _NO_NAMES and bool(block.text) and _caption_names(names)


@lru_cache(maxsize=8192)
def _caption_names(names: tuple[str, str]) -> bool:
    return _CAPTION_NAME.search(f"{names[0]} {names[1]}") is not None


def _caption_like(block: Block, text: str, caption: bool) -> bool:
    """A line right after an image that captions it: a credit, a caption (``caption``: a figcaption, or a
    caption by its class), or a short centred line that is not a sentence."""
    return (
        looks_like_caption(text)
        or caption
        or (
            _is_centered(block.element)
            and len(text) <= 40
            and not text.endswith(("。", "！", "？", ".", "）"))
        )
    )


def find_body(
    page: Page, rule_container: Any = None, title_text: str | None = None, title_el: Any = None
) -> Body | None:
    """The article body of a page; ``rule_container`` is an element a source's rules picked, ``title_el``
    the element printing the headline (the body is the text that belongs to it: see `belonging`)."""
    classes = [classify(b) for b in page.blocks]
    if title_text:
        # The headline repeated above the body is not body text, however sentence-like, nor is the
        # headline restated in other words (a longer or shorter version of it: ``…起电影频道22:00播出``).
        classes = [
            "neutral" if k == "good" and _restates(b.text, title_text) else k
            for b, k in zip(page.blocks, classes, strict=True)
        ]
    # Captions are not body text, and neither is the page's <h1> (the headline, even where the title found
    # is worded otherwise): they may sit in the article, but it does not start or end with them.
    classes = [
        "neutral" if k == "good" and (b.element.tag == "h1" or _is_caption(page, b)) else k
        for b, k in zip(page.blocks, classes, strict=True)
    ]
    found: set[int] = set()
    if rule_container is None:
        classes = [
            "bad" if off and kind == "good" else kind
            for kind, off in zip(classes, furniture(page, classes), strict=True)
        ]
        # Teaser lists are no text of the article, but no sign either that what holds them is not the
        # article: neutral while the container is chosen, left out of the body after.
        found = teasers(page.blocks, classes)
        for i in found:
            classes[i] = "neutral"
    how = "site rule"
    container = rule_container
    inside: set[Any] = set()
    inside_of = None
    if container is None:
        known = _known_container(page)
        if known is not None:
            el, how = known
            inside = set(el.iter())
            inside_of = el
            chars = sum(
                b.chars
                for b, k in zip(page.blocks, classes, strict=True)
                if k == "good" and b.element in inside
            )
            container = el if chars >= 30 else None
    if container is None:
        container, how = choose_container(page, classes), "density"
        if container is not None:
            container, how = belonging(page, classes, container, title_text, title_el, how)
    if container is None:
        return None
    if inside_of is not container:
        inside = set(container.iter())
    for i in found:
        classes[i] = "bad"
    members = _main_cluster(
        [(b, k) for b, k in zip(page.blocks, classes, strict=True) if b.element in inside], title_text
    )
    goods = [i for i, (_, k) in enumerate(members) if k == "good"]
    body = Body(container=container, how=how)
    if not goods:
        if how != "site rule":
            return None
        first, last = 0, len(members) - 1
    else:
        first, last = goods[0], goods[-1]
    # Short lines around the good blocks still belong to the article when they read as text: a run of
    # them is taken if it ends (at the article's edge) in a sentence.
    j = first
    while j > 0 and first - j < 8:
        block, kind = members[j - 1]
        if (
            kind == "bad"
            or block.image
            or block.heading
            or not _texty(block.text, title_text)
            or (len(block.text) <= 30 and KEY_VALUE.match(block.text))
        ):
            break
        j -= 1
        if _sentence_like(block.text, title_text) or CN_PUNCT.search(block.text):
            first = j
    j = last
    while j < len(members) - 1 and j - last < 8:
        block, kind = members[j + 1]
        if (
            kind == "bad"
            or block.image
            or END_MARKER.match(block.text)
            or not (_texty(block.text, title_text) or ATTACHMENT_LINE.match(block.text))
        ):
            break
        j += 1
        if _sentence_like(block.text, title_text) or ATTACHMENT_LINE.match(block.text):
            last = j
    # A list closing the article (tour dates, sampling results line by line): three or more text lines
    # printed beside the last paragraph, in the same parent element.
    if last < len(members) - 1:
        parent = members[last][0].element.getparent()
        j = last
        while j < len(members) - 1:
            block, kind = members[j + 1]
            if (
                kind == "bad"
                or block.image
                or END_MARKER.match(block.text)
                or block.element.getparent() is not parent
                or not _texty(block.text, title_text)
            ):
                break
            j += 1
        if j - last >= 3:
            last = j
    body.head = [b.text for b, _ in members[:first] if b.text]
    body.tail = [b.text for b, _ in members[last + 1 :] if b.text]
    pending: dict[str, Any] | None = None
    kept = members[first : last + 1]
    for i, (block, _) in enumerate(kept):
        if i and (
            END_MARKER.match(block.text)
            or ((block.heading or len(block.text) <= 60) and ABOUT.match(block.text))
        ):
            body.tail.extend(b.text for b, _ in kept[i:] if b.text)
            kept = kept[:i]
            break
    # A line printed three times or more in one article is furniture (a repeated caption, a watermark).
    counts: dict[str, int] = {}
    for block, _ in kept:
        if block.text:
            counts[block.text] = counts.get(block.text, 0) + 1
    kept = [(b, k) for b, k in kept if not b.text or counts[b.text] < 3]
    for block, kind in kept:
        if block.image:
            if kind != "bad":
                pending = {"url": urljoin(page.url, block.image), "caption": None, "credit": None}
                body.images.append(pending)
            continue
        text = clean_pinyin(block.text)
        if kind == "bad" or STAFF_LINE.match(text):
            if STAFF_LINE.match(text):
                body.tail.append(text)
            pending = None
            continue
        is_caption = _is_caption(page, block)
        if (
            pending is not None
            and pending["caption"] is None
            and len(text) <= 100
            and _caption_like(block, text, is_caption)
        ):
            pending["caption"], pending["credit"] = split_caption(text)
            pending = None
            continue
        pending = None
        if len(text) <= 60 and looks_like_caption(text):
            caption, credit = split_caption(text)
            body.images.append({"url": None, "caption": caption, "credit": credit})
            continue
        if is_caption:
            continue
        body.paragraphs.append(text)
    for a in container.iter("a"):
        href = (a.get("href") or "").strip()
        # (the extension test on the whole link first: a path that passes it passes it inside the link too,
        # unless urlsplit drops a tab or line break from it)
        if (
            href
            and (ATTACHMENT_EXT.search(href) or not href.isprintable())
            and ATTACHMENT_EXT.search(urlsplit(href).path)
        ):
            body.attachments.append(
                {"url": urljoin(page.url, href), "title": " ".join("".join(a.itertext()).split()) or None}
            )
    return body


def _restates(text: str, title: str) -> bool:
    """A line that is the headline, or the headline restated: it starts like it, most of it is the
    headline's characters in order, and like a headline it is no sentence (a standfirst that restates the
    headline ends in a full stop, and is text of the article)."""
    if text == title:
        return True
    if len(text) > 2 * len(title) or len(text) < len(title) // 2 or text[:4] != title[:4]:
        return False
    if END_PUNCT.search(text):
        return False
    return SequenceMatcher(None, title, text, autojunk=False).ratio() >= 0.75


def _junk(block: Block, kind: str, title: str | None) -> bool:
    """A line that is neither text nor a heading: player controls, counters, stray labels."""
    if kind == "bad":
        return True
    if kind == "good" or block.image or block.heading:
        return False
    text = block.text
    return block.chars <= 5 or (not WORD.search(text) and not HAN_CHAR.search(text))


def _main_cluster(members: list[tuple[Block, str]], title: str | None) -> list[tuple[Block, str]]:
    """Inside the container, the runs of text separated by long stretches of junk (a video player, an
    advert, a block of links): the run with the most good text, and any other run at least half as good.
    Runs of three or more junk lines inside what is kept are dropped too."""
    junk = [_junk(b, k, title) for b, k in members]
    clusters: list[list[int]] = [[]]
    run = 0
    for i, is_junk in enumerate(junk):
        run = run + 1 if is_junk else 0
        if run == 6:
            clusters.append([])
        clusters[-1].append(i)
    good = [sum(members[i][0].chars for i in c if members[i][1] == "good") for c in clusters]
    best = max(good) if good else 0
    kept = sorted(i for c, g in zip(clusters, good, strict=True) if best and g >= best / 2 for i in c)
    keep = set(kept)
    # Drop runs of 3+ junk lines within what is kept.
    i = 0
    while i < len(kept):
        j = i
        while j < len(kept) and junk[kept[j]]:
            j += 1
        if j - i >= 3:
            for k in kept[i:j]:
                keep.discard(k)
        i = j + 1 if j == i else j
    return [m for i, m in enumerate(members) if i in keep]


CN_PUNCT = re.compile(r"[，。！？；]")
# A short "key: value" line (时长：01:45, 错误代码：QVS.4100, Updated: 10:20): a label, metadata or a
# widget's line. Right above the text it is not the article's opening.
KEY_VALUE = re.compile(r"^[^\s:：，。,.]{1,6}\s*[:：]\s*\S")


def _texty(text: str, title: str | None) -> bool:
    """A short line of running text: words, no label, no date, not the headline."""
    if not text or (title and text.strip() == title.strip()) or len(text) > 400:
        return False
    if (
        INFO_LABEL.search(text[:30])
        or dates.DATE_ONLY.match(text)
        or STAFF_LINE.match(text)
        or BOILERPLATE.match(text)
    ):
        return False
    return han_count(text) >= 4 or len(WORD.findall(text)) >= 4


def _sentence_like(text: str, title: str | None) -> bool:
    """A line that reads as article text, not as a byline, date, label or the headline again."""
    if not text or (title and text.strip() == title.strip()):
        return False
    if INFO_LABEL.search(text[:30]) or dates.DATE_ONLY.match(text) or STAFF_LINE.match(text):
        return False
    return bool(END_PUNCT.search(text.strip())) and len(text) >= 8
