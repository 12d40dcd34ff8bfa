"""Generic article extraction from an HTML page: pure functions, no I/O.

Fields are taken in order of trust: the source's own rules (selectors), the Chinese government meta tags
(ArticleTitle, PubDate, ContentSource, Author), JSON-LD and OpenGraph, the visible info line between the
headline and the body, and finally dates encoded in the URL. Hidden text (``display:none``, ``hidden``,
``alt``/``title`` attributes) is never read.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import lxml.etree
import lxml.html
from parsel import Selector

from crawler.extract import dates
from crawler.extract.text import (
    clean_pinyin,
    looks_like_caption,
    normalize_space,
    split_caption,
    split_dateline,
)

BLOCK_TAGS = frozenset(
    "address article aside blockquote dd details div dl dt fieldset figcaption figure footer form h1 h2 h3 h4 "
    "h5 h6 header hr li main nav ol p pre section table tbody thead tfoot tr ul center".split()
)
DROP_TAGS = ("script", "style", "noscript", "template", "iframe", "object", "embed", "select", "button",
             "textarea", "input", "svg", "canvas", "video", "audio")
ATTACHMENT_EXT = re.compile(r"\.(?:docx?|xlsx?|et|wps|pdf|ofd|zip|rar|7z|csv|pptx?|txt)(?:$|[?#])", re.I)
# Containers of the common Chinese CMS templates: Hanweb, TRS, gov.cn, founder e-paper, news sites.
KNOWN_BODY = (
    "#zoom", ".TRS_Editor", ".TRS_UEDITOR", "#UCAP-CONTENT", ".pages_content", "#ozoom", ".article-content",
    ".art_content", "#artibody", ".post_body", ".rich_media_content", "#js_content", ".detail-content",
    ".article_content", ".articleContent", ".content_text",
)
PUNCT = re.compile(r"[，。！？；：、,.!?;:”“]")
HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
LABEL = re.compile(
    r"(?P<label>发布时间|發布時間|发布日期|發布日期|发稿时间|更新时间|时间|時間|日期|信息来源|信息來源|文章来源|稿源|来源|來源"
    r"|作者|记者|記者|通讯员|通訊員|撰文|文|责任编辑|責任編輯|编辑|編輯|审核|審核|浏览次数|浏览|点击|阅读|字号|字體|字体)"
    r"\s*[:：]\s*"
)
EDITOR_LINE = re.compile(r"^[（(\[【]?\s*(?:责任编辑|責任編輯|编辑|編輯|网络编辑|責編|责编)\s*[:：]\s*(?P<name>[^）)\]】]*?)\s*[）)\]】]?$")
BOILERPLATE_LINE = re.compile(
    r"^(?:分享到|分享至|扫一扫|掃一掃|【?\s*打印|【?\s*关闭|相关新闻|相关阅读|相關新聞|版权所有|版權所有|Copyright|©"
    r"|审核\s*[:：]|審核\s*[:：]|校对\s*[:：]|校對\s*[:：]|监制\s*[:：]|上一篇|下一篇|返回顶部|字号\s*[:：])",
    re.I,
)
ERROR_PAGE = re.compile(
    r"页面不存在|頁面不存在|您访问的页面|您訪問的頁面|已被删除|已删除|无法找到该页|404\s*Not\s*Found|Page Not Found"
    r"|访问出错|系统繁忙|安全验证|请开启JavaScript|Please enable JavaScript|Access Denied|访问被拒绝",
    re.I,
)


@dataclass
class SiteRules:
    """A source's own selectors (CSS, or XPath when starting with '/' or '('), tried before generic rules."""

    title: str | None = None
    published: str | None = None
    organization: str | None = None
    authors: str | None = None
    editor: str | None = None
    body: str | None = None
    info: str | None = None


@dataclass
class Block:
    """One piece of body content in page order: a paragraph of text, or an image."""

    text: str = ""
    image: str | None = None
    element: Any = None


@dataclass
class Extracted:
    """Everything the engine found on one page; ``reject`` says why it is not an article."""

    url: str
    title: str | None = None
    canonical_url: str | None = None
    authors: list[str] = field(default_factory=list)
    editor: str | None = None
    organization: str | None = None
    published: dates.ParsedDate | None = None
    paragraphs: list[str] = field(default_factory=list)
    body_html: str | None = None
    images: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    reject: str | None = None


def _first(sel: Selector, query: str | None) -> str | None:
    if not query:
        return None
    found = sel.xpath(query) if query.startswith(("/", "(", ".")) else sel.css(query)
    for item in found:
        root = item.root
        text = root if isinstance(root, str) else _visible_text(root)
        text = normalize_space(text)
        if text:
            return text
    return None


def _visible_text(el: Any) -> str:
    """Text of an element without hidden descendants (the tree is already cleaned of them)."""
    return "".join(el.itertext()) if hasattr(el, "itertext") else str(el)


def _meta(root: Any) -> dict[str, str]:
    """Meta tags by lower-cased name/property; the first non-empty value wins."""
    found: dict[str, str] = {}
    for m in root.iter("meta"):
        key = (m.get("name") or m.get("property") or m.get("itemprop") or "").strip().lower()
        value = normalize_space(m.get("content") or "")
        if key and value and key not in found:
            found[key] = value
    return found


def _json_ld(root: Any) -> dict[str, Any]:
    """The first JSON-LD object of an article type (or any object with a headline)."""
    for script in root.iter("script"):
        if (script.get("type") or "").lower() != "application/ld+json" or not script.text:
            continue
        try:
            data = json.loads(script.text)
        except ValueError:
            continue
        stack = data if isinstance(data, list) else [data]
        while stack:
            obj = stack.pop(0)
            if not isinstance(obj, dict):
                continue
            stack.extend(obj.get("@graph") or [])
            kind = obj.get("@type")
            kinds = kind if isinstance(kind, list) else [kind]
            if any(str(k).endswith("Article") for k in kinds) or "headline" in obj:
                return obj
    return {}


def _person_names(value: Any) -> list[str]:
    if isinstance(value, list):
        return [n for v in value for n in _person_names(v)]
    if isinstance(value, dict):
        return _person_names(value.get("name"))
    if isinstance(value, str):
        return split_names(value)
    return []


def split_names(value: str) -> list[str]:
    """``张三 李四``, ``张三、李四``, ``By Jane Doe and John Roe`` → a list of names."""
    value = normalize_space(value)
    if not value:
        return []
    if re.search(r"[\u4e00-\u9fff]", value):
        parts = re.split(r"[\s,，、/|;；]+", value)
    else:
        value = re.sub(r"^(?:by)\s+", "", value, flags=re.I)
        parts = re.split(r"\s*(?:,|;|\band\b|&)\s*", value)
    return [p.strip() for p in parts if p.strip()]


def _clean_tree(root: Any) -> None:
    """Drop what a reader never sees: scripts, styles, forms, comments and hidden elements."""
    for el in list(root.iter(lxml.etree.Comment, lxml.etree.ProcessingInstruction)):
        el.drop_tree() if el.getparent() is not None else None
    for el in list(root.iter(*DROP_TAGS)):
        if el.getparent() is not None:
            el.drop_tree()
    for el in list(root.iter()):
        if not isinstance(el.tag, str) or el.getparent() is None:
            continue
        if el.get("hidden") is not None or HIDDEN_STYLE.search(el.get("style") or ""):
            el.drop_tree()


def _text_len(el: Any) -> int:
    return len(re.sub(r"\s+", "", "".join(el.itertext())))


def _link_len(el: Any) -> int:
    return sum(len(re.sub(r"\s+", "", "".join(a.itertext()))) for a in el.iter("a"))


def _score_candidates(root: Any) -> Any:
    """Readability-style scoring: each paragraph credits its parent fully and its grandparent by half."""
    scores: dict[Any, float] = {}
    for el in root.iter("p", "div", "td", "section", "article", "li", "pre", "font", "span"):
        if el.tag in ("div", "td", "section", "article", "li", "span", "font") and any(
            isinstance(c.tag, str) and c.tag in BLOCK_TAGS for c in el
        ):
            continue  # only leaf blocks count as paragraphs
        text = normalize_space("".join(el.itertext()))
        if len(text) < 10:
            continue
        links = _link_len(el)
        if links > 0.5 * len(text):
            continue
        score = 1 + len(PUNCT.findall(text)) + min(len(text) // 50, 5)
        parent = el.getparent()
        if parent is None:
            continue
        scores[parent] = scores.get(parent, 0) + score
        grand = parent.getparent()
        if grand is not None:
            scores[grand] = scores.get(grand, 0) + score / 2
    best, best_score = None, 0.0
    for el, score in scores.items():
        total = _text_len(el) or 1
        density = _link_len(el) / total
        final = score * (1 - density)
        if final > best_score:
            best, best_score = el, final
    return best


def _find_body(root: Any, sel: Selector, rules: SiteRules | None) -> tuple[Any, str]:
    if rules and rules.body:
        found = sel.xpath(rules.body) if rules.body.startswith(("/", "(", ".")) else sel.css(rules.body)
        for item in found:
            if _text_len(item.root) >= 20:
                return item.root, "site rule"
    for query in KNOWN_BODY:
        for item in sel.css(query):
            el = item.root
            total = _text_len(el)
            if total >= 50 and _link_len(el) < 0.5 * total:
                return el, "template " + query
    return _score_candidates(root), "density"


def _is_centered(el: Any) -> bool:
    style = (el.get("style") or "").replace(" ", "").lower()
    cls = (el.get("class") or "").lower()
    return (
        "text-align:center" in style
        or (el.get("align") or "").lower() == "center"
        or el.tag == "center"
        or any(k in cls for k in ("caption", "pic", "img", "tuzhu", "photo", "note"))
    )


def _blocks(container: Any, base_url: str, attachments: list[dict[str, Any]]) -> list[Block]:
    """Walk the body container into paragraphs and images, in page order."""
    blocks: list[Block] = []
    line: list[str] = []
    owner: list[Any] = [container]

    def flush() -> None:
        text = normalize_space("".join(line))
        line.clear()
        if text:
            blocks.append(Block(text=text, element=owner[-1]))

    def walk(el: Any) -> None:
        for child in el:
            if not isinstance(child.tag, str):
                if child.tail:
                    line.append(child.tail)
                continue
            tag = child.tag.lower()
            if tag == "br":
                flush()
            elif tag == "img":
                src = child.get("src") or child.get("data-src") or child.get("data-original")
                if src and not src.startswith("data:"):
                    flush()
                    blocks.append(Block(image=urljoin(base_url, src.strip()), element=child))
            elif tag in ("tr",):
                flush()
                cells = [normalize_space("".join(c.itertext())) for c in child if isinstance(c.tag, str)]
                row = " | ".join(c for c in cells if c)
                if row:
                    blocks.append(Block(text=row, element=child))
                for img in child.iter("img"):
                    src = img.get("src")
                    if src:
                        blocks.append(Block(image=urljoin(base_url, src.strip()), element=img))
            elif tag in BLOCK_TAGS:
                flush()
                owner.append(child)
                if child.text:
                    line.append(child.text)
                walk(child)
                flush()
                owner.pop()
            else:
                if tag == "a":
                    href = (child.get("href") or "").strip()
                    text = normalize_space("".join(child.itertext()))
                    if href and ATTACHMENT_EXT.search(urlsplit(href).path):
                        attachments.append({"url": urljoin(base_url, href), "title": text or None})
                if child.text:
                    line.append(child.text)
                walk(child)
            if child.tail:
                line.append(child.tail)

    if container.text:
        line.append(container.text)
    walk(container)
    flush()
    return blocks


def _info_text(root: Any, title_el: Any, body_el: Any, rules_info: str | None, sel: Selector) -> str:
    """The visible text between the headline and the body: where the date, source and byline are printed."""
    if rules_info:
        text = _first(sel, rules_info)
        if text:
            return text
    parts: list[str] = []
    started = title_el is None
    body_ancestors = set(body_el.iterancestors()) if body_el is not None else set()
    for el in root.iter():
        if el is body_el:
            break
        if el is title_el:
            started = True
            if el.tail:
                parts.append(el.tail)
            continue
        if not started or not isinstance(el.tag, str):
            continue
        if title_el is not None and title_el in set(el.iterancestors()):
            continue
        if el.text and el not in body_ancestors or el.text and el.tag not in BLOCK_TAGS:
            parts.append(el.text)
        if el.tail:
            parts.append(el.tail)
        parts.append(" ")
    text = normalize_space(" ".join(parts))
    return text[-600:] if title_el is None else text[:600]


def parse_info(text: str) -> dict[str, str]:
    """Labelled values of an info line: ``来源：X 作者：Y 2021-09-01`` → {'来源': 'X', '作者': 'Y'}."""
    values: dict[str, str] = {}
    matches = list(LABEL.finditer(text or ""))
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        value = text[m.end(): end].strip(" |｜丨/\u3000")
        label = m.group("label")
        if label in values or not value:
            continue
        values[label] = value
    return values


def _info_value(info: dict[str, str], *labels: str) -> str | None:
    for label in labels:
        if info.get(label):
            return info[label]
    return None


def _first_token(value: str | None) -> str | None:
    """A 来源 value up to the first wide gap or a date that follows it on the same line."""
    if not value:
        return None
    value = re.split(r"\s{2,}|\s(?=(?:19|20)\d{2}[-年/.])", value.strip())[0]
    value = re.sub(r"\s*(?:19|20)\d{2}[-年/.]\d{1,2}.*$", "", value)
    return value.strip() or None


def _title(root: Any, sel: Selector, meta: dict[str, str], ld: dict[str, Any], rules: SiteRules | None,
           ) -> tuple[str | None, Any]:
    """The headline and the element it was printed in (used to find the info line)."""
    page_title = normalize_space(root.findtext(".//title") or "")
    if rules and rules.title:
        for item in (sel.xpath(rules.title) if rules.title.startswith(("/", "(")) else sel.css(rules.title)):
            text = normalize_space(_visible_text(item.root))
            if text:
                return text, item.root if not isinstance(item.root, str) else None
    named = meta.get("articletitle") or (ld.get("headline") if isinstance(ld.get("headline"), str) else None)
    named = named or meta.get("og:title")
    candidates = []
    for el in root.iter("h1", "h2", "h3", "div", "p", "span", "td"):
        if el.tag in ("div", "p", "span", "td") and "title" not in (el.get("class") or "").lower() + (
            el.get("id") or ""
        ).lower():
            continue
        text = normalize_space("".join(el.itertext()))
        if not 4 <= len(text) <= 150:
            continue
        candidates.append((text, el))
    reference = named or page_title
    best: tuple[float, str, Any] | None = None
    for rank, (text, el) in enumerate(candidates):
        score = 0.0
        if reference and text == reference:
            score = 100
        elif reference and text in reference:
            score = 50 + len(text) / 10
        elif named and reference and reference in text:
            score = 40
        if el.tag == "h1":
            score += 5
        score -= rank * 0.01
        if score > 0 and (best is None or score > best[0]):
            best = (score, text, el)
    if best:
        return best[1], best[2]
    if named:
        return named, None
    for text, el in candidates:
        if el.tag == "h1":
            return text, el
    if page_title:
        parts = [p.strip() for p in re.split(r"\s*(?:_|\||｜|--|—|–|\s-\s)\s*", page_title) if p.strip()]
        return (max(parts, key=len) if parts else page_title), None
    return None, None


def _date(
    sel: Selector, rules: SiteRules | None, meta: dict[str, str], ld: dict[str, Any], info_text: str, url: str
) -> tuple[dates.ParsedDate | None, str]:
    if rules and rules.published:
        found = dates.parse_date(_first(sel, rules.published))
        if found:
            return found, "site rule"
    for key in ("pubdate", "publishdate", "firstpublishedtime", "article:published_time", "og:release_date",
                "datepublished", "publication_date", "dc.date.issued", "dc.date", "date"):
        found = dates.parse_date(meta.get(key))
        if found:
            return found, "meta " + key
    if isinstance(ld.get("datePublished"), str):
        found = dates.parse_date(ld["datePublished"])
        if found:
            return found, "json-ld"
    found = dates.parse_date(info_text)
    if found:
        return found, "info line"
    found = dates.date_from_url(url)
    if found:
        return found, "url"
    return None, ""


def extract_html(text: str, url: str, rules: SiteRules | None = None) -> Extracted:
    """Extract an article from decoded HTML. Never raises on bad markup: problems become ``reject``/notes."""
    out = Extracted(url=url)
    try:
        root = lxml.html.document_fromstring(text or "<html></html>")
    except (lxml.etree.ParserError, ValueError) as exc:
        out.reject = f"unparseable HTML: {exc}"
        return out
    meta = _meta(root)
    ld = _json_ld(root)
    canonical = root.find(".//link[@rel='canonical']")
    if canonical is not None and canonical.get("href"):
        out.canonical_url = urljoin(url, canonical.get("href").strip())
    _clean_tree(root)
    sel = Selector(root=root, type="html")

    title, title_el = _title(root, sel, meta, ld, rules)
    body_el, body_how = _find_body(root, sel, rules)
    out.title = clean_pinyin(title) if title else None

    page_text = normalize_space(" ".join(root.itertext()))[:3000]
    if ERROR_PAGE.search((out.title or "") + " " + (root.findtext(".//title") or "")) or (
        body_el is None or _text_len(body_el) < 200
    ) and ERROR_PAGE.search(page_text):
        out.reject = "not an article: error page ({})".format(ERROR_PAGE.search(
            (out.title or "") + " " + (root.findtext(".//title") or "") + " " + page_text).group(0))
        return out
    if body_el is None:
        out.reject = "no body text found"
        return out

    info_text = _info_text(root, title_el, body_el, rules.info if rules else None, sel)
    info = parse_info(info_text)

    # Body: paragraphs, images with captions, attachments.
    blocks = _blocks(body_el, url, out.attachments)
    paragraphs: list[str] = []
    pending_image: dict[str, Any] | None = None
    for block in blocks:
        if block.image:
            pending_image = {"url": block.image, "caption": None, "credit": None}
            out.images.append(pending_image)
            continue
        line = clean_pinyin(block.text)
        editor = EDITOR_LINE.match(line)
        if editor:
            out.editor = out.editor or normalize_space(editor.group("name")) or None
            pending_image = None
            continue
        if BOILERPLATE_LINE.match(line):
            pending_image = None
            continue
        if pending_image is not None and pending_image["caption"] is None and len(line) <= 100 and (
            looks_like_caption(line) or (_is_centered(block.element) and len(line) <= 60)
            or block.element is not None and block.element.tag == "figcaption"
        ):
            pending_image["caption"], pending_image["credit"] = split_caption(line)
            pending_image = None
            continue
        pending_image = None
        if looks_like_caption(line) and len(line) <= 60:
            caption, credit = split_caption(line)  # a caption whose image is not in the page
            out.images.append({"url": None, "caption": caption, "credit": credit})
            continue
        paragraphs.append(line)
    out.notes.append(f"body: {body_how}")

    if paragraphs:
        dateline, rest = split_dateline(paragraphs[0])
        if dateline:
            paragraphs[0] = rest.strip()
            if not paragraphs[0]:
                paragraphs.pop(0)
            out.notes.append(f"dateline: {dateline.text}")
    else:
        dateline = None
    out.paragraphs = paragraphs

    # Metadata, in order of trust.
    organization = _first(sel, rules.organization) if rules and rules.organization else None
    organization = organization or meta.get("contentsource") or meta.get("source")
    organization = organization or _first_token(_info_value(info, "来源", "來源", "信息来源", "信息來源", "文章来源", "稿源"))
    if dateline and dateline.organization and (not organization or _is_site_itself(organization, meta)):
        organization = dateline.organization
    out.organization = _strip_label(clean_pinyin(organization)) if organization else None

    authors: list[str] = []
    if rules and rules.authors:
        authors = split_names(_strip_label(_first(sel, rules.authors) or ""))
    if not authors and meta.get("author") and not re.search(r"编辑|編輯", meta["author"]):
        authors = split_names(meta["author"])
    if not authors and ld.get("author"):
        authors = _person_names(ld["author"])
    if not authors:
        byline = _info_value(info, "作者", "记者", "記者", "撰文", "文", "通讯员", "通訊員")
        authors = split_names(_first_token(byline) or "") if byline else []
    if not authors and dateline:
        authors = dateline.authors
    out.authors = [clean_pinyin(a) for a in authors]

    editor = _first(sel, rules.editor) if rules and rules.editor else None
    editor = _strip_label(editor) if editor else None
    out.editor = editor or out.editor or _first_token(_info_value(info, "责任编辑", "責任編輯", "编辑", "編輯"))

    found, how = _date(sel, rules, meta, ld, info_text, url)
    if found is None and paragraphs:
        year = None
        url_date = dates.date_from_url(url)
        if url_date:
            year = int(url_date.value[:4])
        year = year or dates.year_in_text(" ".join(paragraphs[:3]))
        if year:
            found = dates.parse_yearless(" ".join(paragraphs[:1]), year)
            how = f"yearless date in text, year {year} from the page" if found else how
    if found:
        out.published = found
        out.notes.append(f"published: {how}")
    else:
        out.notes.append("published: no date on the page")

    body_html = lxml.html.tostring(body_el, encoding="unicode", method="html")
    out.body_html = sanitize_html(body_html, url)

    if not out.title:
        out.reject = "no title found"
    elif sum(len(p) for p in paragraphs) < 20:
        out.reject = "no body text found"
    elif _looks_like_list(body_el, paragraphs):
        out.reject = "not an article: a list of links"
    return out


def _is_site_itself(organization: str, meta: dict[str, str]) -> bool:
    site = meta.get("sitename") or meta.get("og:site_name") or ""
    return bool(site) and organization in site or organization.endswith(("网", "網"))


def _strip_label(value: str) -> str:
    return LABEL.sub("", value or "", count=1).strip() if LABEL.match(value or "") else (value or "").strip()


def _looks_like_list(body_el: Any, paragraphs: list[str]) -> bool:
    total = _text_len(body_el)
    return total > 0 and _link_len(body_el) > 0.6 * total and len(PUNCT.findall(" ".join(paragraphs))) < 5


def sanitize_html(html: str, base_url: str = "") -> str:
    """Body HTML safe to show: nh3 (Ammonia) keeps structure, drops scripts, handlers and styles."""
    import nh3

    try:
        fragment = lxml.html.fragment_fromstring(html, create_parent="div")
        if base_url:
            fragment.make_links_absolute(base_url, resolve_base_href=False, handle_failures="ignore")
        html = lxml.html.tostring(fragment, encoding="unicode")
    except (lxml.etree.ParserError, ValueError):
        pass
    return nh3.clean(
        html,
        tags={"p", "br", "a", "img", "strong", "b", "em", "i", "u", "h2", "h3", "h4", "h5", "h6", "ul", "ol",
              "li", "blockquote", "table", "thead", "tbody", "tr", "td", "th", "figure", "figcaption", "div",
              "span", "sub", "sup", "pre"},
        attributes={"a": {"href", "title"}, "img": {"src", "alt"}, "td": {"colspan", "rowspan"},
                    "th": {"colspan", "rowspan"}},
        url_schemes={"http", "https"},
    ).strip()
