"""Article metadata: headline, publication date, authors, editor and issuing organisation.

Taken in order of trust: the source's own rules, the Chinese government meta tags (ArticleTitle, PubDate,
ContentSource, Author; any letter case), JSON-LD and OpenGraph, the visible info line between the headline
and the body (and the lines right after the body), then dates encoded in the URL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from crawler.extract import dates
from crawler.extract.body import Body
from crawler.extract.dom import Page
from crawler.extract.text import clean_pinyin, normalize_space, split_dateline

LABEL = re.compile(
    r"(?P<label>发布时间|發布時間|发布日期|發布日期|发稿时间|更新时间|时间|時間|日期|信息来源|信息來源|文章来源|本文来源|稿源|来源|來源"
    r"|作者|记者|記者|通讯员|通訊員|撰文|文|责任编辑|責任編輯|编辑|編輯|审核|審核|浏览次数|浏览|点击|阅读|字号|字體|字体)"
    r"\s*[:：]\s*"
)
EDITOR_LINE = re.compile(
    r"^[（(\[【]?\s*(?:责任编辑|責任編輯|编辑|編輯|网络编辑|責編|责编)\s*[:：]?\s*(?P<name>[^）)\]】]*?)\s*[）)\]】]?$"
)
SOURCE_LABELS = ("来源", "來源", "信息来源", "信息來源", "文章来源", "本文来源", "稿源")
AUTHOR_LABELS = ("作者", "记者", "記者", "撰文", "文", "通讯员", "通訊員")
EDITOR_LABELS = ("责任编辑", "責任編輯", "编辑", "編輯")
TITLE_SEPARATORS = re.compile(r"\s*(?:_|\||｜|--|—|–|\s-\s|-(?=[^-]{2,20}$))\s*")
NOT_A_NAME = re.compile(r"[@.:/]|^name$|^\d+$|网$|網$|新闻$|客户端$|编辑部$|^佚名$|^admin$", re.I)


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
    if re.search(r"[\u4e00-\u9fff]", value):
        parts = re.split(r"[\s,，、/|;；]+", value)
    else:
        value = re.sub(r"^(?:by)\s+", "", value, flags=re.I)
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


def parse_info(text: str) -> dict[str, str]:
    """Labelled values of an info line: ``来源：X 作者：Y 2021-09-01`` → {'来源': 'X', '作者': 'Y'}."""
    values: dict[str, str] = {}
    matches = list(LABEL.finditer(text or ""))
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        value = text[m.end(): end].strip(" |｜丨/\u3000")
        label = m.group("label")
        if label not in values and value:
            values[label] = value
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
    named = page.meta.get("articletitle") or (
        page.ld.get("headline") if isinstance(page.ld.get("headline"), str) else None
    ) or page.meta.get("og:title") or page.meta.get("twitter:title")
    reference = named or page.page_title
    best: tuple[float, str, Any] | None = None
    for rank, block in enumerate(page.blocks[:400]):
        text = block.text
        if not 4 <= len(text) <= 150 or block.image:
            continue
        el = block.element
        names = ((el.get("class") or "") + " " + (el.get("id") or "")).lower()
        if not block.heading and "title" not in names and "headline" not in names:
            continue
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
    site_names = [n for n in (page.meta.get("sitename"), page.meta.get("og:site_name"),
                              page.meta.get("application-name")) if n]
    if best and best[0] >= 40:
        return best[1], best[2]
    if named:
        return strip_site_name(named, site_names), None
    if best:
        return best[1], best[2]
    if page.page_title:
        return strip_site_name(page.page_title, site_names), None
    return None, None


def info_text(page: Page, title_el: Any, body: Body | None) -> str:
    """The visible text between the headline and the body: where date, source and byline are printed."""
    start = 0
    if title_el is not None:
        for i, block in enumerate(page.blocks):
            if block.element is title_el:
                start = i + 1
                break
    parts: list[str] = []
    for block in page.blocks[start: start + 12]:
        if body is not None and block.text and body.paragraphs and block.text == body.paragraphs[0]:
            break
        if block.text:
            parts.append(block.text)
    if body is not None:
        parts.extend(body.head[-6:])
    return normalize_space(" ".join(parts))[:800]


def find_metadata(page: Page, title: str | None, title_el: Any, body: Body | None,
                  rules: dict[str, str | None]) -> Metadata:
    """Metadata of the article; ``rules`` holds what the source's selectors found (or None)."""
    out = Metadata(title=clean_pinyin(title) if title else None)
    meta = page.meta
    head = info_text(page, title_el, body)
    tail = " ".join(body.tail[:8]) if body else ""
    info = parse_info(head)
    tail_info = parse_info(tail)

    dateline = None
    if body and body.paragraphs:
        dateline, _ = split_dateline(body.paragraphs[0])
        if dateline:
            out.notes.append(f"dateline: {dateline.text}")

    organization = rules.get("organization")
    organization = organization or meta.get("contentsource") or meta.get("source")
    organization = organization or first_value(_lookup(info, SOURCE_LABELS)) or first_value(
        _lookup(tail_info, SOURCE_LABELS))
    if dateline and dateline.organization and (not organization or _is_site_itself(organization, meta)):
        organization = dateline.organization
    out.organization = _strip_label(clean_pinyin(organization)) if organization else None

    authors: list[str] = []
    if rules.get("authors"):
        authors = split_names(_strip_label(rules["authors"] or ""))
    if not authors and meta.get("author") and not re.search(r"编辑|編輯", meta["author"]):
        authors = plausible_names(split_names(meta["author"]))
    if not authors and page.ld.get("author"):
        authors = plausible_names(_names(page.ld["author"]))
    if not authors:
        byline = _lookup(info, AUTHOR_LABELS) or _lookup(tail_info, AUTHOR_LABELS)
        authors = plausible_names(split_names(first_value(byline) or "")) if byline else []
    if not authors and dateline:
        authors = dateline.authors
    out.authors = [clean_pinyin(a) for a in authors]

    editor = _strip_label(rules["editor"]) if rules.get("editor") else None
    for line in (body.tail if body else []):
        m = EDITOR_LINE.match(line)
        if m and not editor:
            editor = normalize_space(m.group("name")) or None
    out.editor = editor or first_value(_lookup(info, EDITOR_LABELS)) or first_value(_lookup(tail_info, EDITOR_LABELS))

    found, how = _date(page, rules.get("published"), head, tail)
    if found is None and body and body.paragraphs:
        url_date = dates.date_from_url(page.url)
        year = int(url_date.value[:4]) if url_date else dates.year_in_text(" ".join(body.paragraphs[:3]))
        if year:
            found = dates.parse_yearless(" ".join(body.paragraphs[:1]), year)
            how = f"yearless date in text, year {year} from the page" if found else how
    if found:
        out.published = found
        out.notes.append(f"published: {how}")
    else:
        out.notes.append("published: no date on the page")
    return out


DATE_META = ("pubdate", "publishdate", "firstpublishedtime", "article:published_time", "og:release_date",
             "datepublished", "publication_date", "dc.date.issued", "dc.date", "date", "weibo: article:create_at")


def _date(page: Page, rule_value: str | None, head: str, tail: str) -> tuple[dates.ParsedDate | None, str]:
    found = dates.parse_date(rule_value)
    if found:
        return found, "site rule"
    for key in DATE_META:
        found = dates.parse_date(page.meta.get(key))
        if found:
            return found, "meta " + key
    if isinstance(page.ld.get("datePublished"), str):
        found = dates.parse_date(page.ld["datePublished"])
        if found:
            return found, "json-ld"
    found = dates.parse_date(head)
    if found:
        return found, "info line"
    found = dates.date_from_url(page.url)
    if found:
        return found, "url"
    found = dates.parse_date(tail)
    if found:
        return found, "after the body"
    return None, ""


def _is_site_itself(organization: str, meta: dict[str, str]) -> bool:
    site = meta.get("sitename") or meta.get("og:site_name") or ""
    return (bool(site) and organization in site) or organization.endswith(("网", "網"))


def _strip_label(value: str) -> str:
    return LABEL.sub("", value or "", count=1).strip() if LABEL.match(value or "") else (value or "").strip()
