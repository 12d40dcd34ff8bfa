"""Article extraction from an HTML page: pure functions, no I/O.

One parse (`dom`), the body (`body`), then the metadata (`meta`), each step preferring what the source's
own `SiteRules` select. Hidden text (``display:none``, ``hidden``, ``alt``/``title`` attributes) is never read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any
from urllib.parse import urljoin

import lxml.etree
import lxml.html
from parsel import Selector

from crawler.extract import dates
from crawler.extract.body import find_body
from crawler.extract.dom import Page, parse_page
from crawler.extract.meta import find_metadata, find_title
from crawler.extract.text import normalize_space

__all__ = ["Extracted", "SiteRules", "extract_html", "sanitize_html"]

ERROR_PAGE = re.compile(
    r"页面不存在|頁面不存在|您访问的页面|您訪問的頁面|页面已被删除|已被删除|无法找到该页|404\s*Not\s*Found|Page Not Found"
    r"|访问出错|系统繁忙|安全验证|请开启JavaScript|Please enable JavaScript|Access Denied|访问被拒绝|Just a moment"
    r"|Checking your browser|验证码|人机验证",
    re.IGNORECASE,
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

    def given(self) -> dict[str, str]:
        """The fields that have a rule, with its selector."""
        return {name: query for name, query in vars(self).items() if query}


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


def _select(sel: Selector, query: str | None) -> list[Any]:
    if not query:
        return []
    found = sel.xpath(query) if query.startswith(("/", "(")) else sel.css(query)
    return [item.root for item in found]


def _select_text(sel: Selector, query: str | None) -> str | None:
    for root in _select(sel, query):
        text = normalize_space(root if isinstance(root, str) else "".join(root.itertext()))
        if text:
            return text
    return None


def extract_html(
    text: str,
    url: str,
    rules: SiteRules | None = None,
    reference: datetime | None = None,
    *,
    raw: bytes | None = None,
    encoding: str | None = None,
    tz: tzinfo | None = None,
    day_first: bool = True,
) -> Extracted:
    """Extract an article from decoded HTML. Never raises on bad markup: problems become ``reject``/notes.

    ``raw``/``encoding``: the bytes the text was decoded from and how, if it was (see `parse_page`);
    ``tz``/``day_first``: the source's date conventions (see `find_metadata`)."""
    out = Extracted(url=url)
    parsed = parse_page(text, url, raw=raw, encoding=encoding)
    if isinstance(parsed, str):
        out.reject = parsed
        return out
    page: Page = parsed
    out.canonical_url = page.canonical_url
    rules = rules or SiteRules()
    sel = Selector(root=page.root, type="html")
    found = {
        "title": _select_text(sel, rules.title),
        "published": _select_text(sel, rules.published),
        "organization": _select_text(sel, rules.organization),
        "authors": _select_text(sel, rules.authors),
        "editor": _select_text(sel, rules.editor),
    }
    rule_body = next((el for el in _select(sel, rules.body) if not isinstance(el, str)), None)

    title, title_el = find_title(page, found["title"])
    if rules.title and found["title"]:
        title_el = next((el for el in _select(sel, rules.title) if not isinstance(el, str)), None)
    body = find_body(page, rule_body, title, title_el)

    visible = " ".join(b.text for b in page.blocks[:60])
    error = ERROR_PAGE.search(f"{title or ''} {page.page_title}")
    if error is None and (body is None or sum(len(p) for p in body.paragraphs) < 200):
        error = ERROR_PAGE.search(visible)
    if error:
        out.reject = f"not an article: error page ({error.group(0)})"
        return out
    if body is None:
        links = sum(1 for el in page.elements if el.tag == "a")
        chars = sum(b.chars for b in page.blocks) or 1
        if sum(b.link_chars for b in page.blocks) > 0.5 * chars:
            out.reject = f"not an article: a list or index page ({links} links)"
        else:
            out.reject = "no body text found"
        return out

    # Strict interpretation: a site rule that finds nothing is said, not silently replaced by the engine's
    # guess (the guess is still used): a template that changed shows in the notes, the stats and the log.
    hits = {**found, "body": rule_body}
    rule_notes = [
        f"rule missed: {name} ({query})" for name, query in rules.given().items() if hits[name] is None
    ]
    found_by_rules = [name for name in rules.given() if hits[name] is not None]
    if found_by_rules:
        rule_notes.insert(0, f"rules found: {', '.join(found_by_rules)}")

    meta = find_metadata(page, title, title_el, body, found, reference, tz, day_first)
    out.title = meta.title
    out.authors = meta.authors
    out.editor = meta.editor
    out.organization = meta.organization
    out.published = meta.published
    out.paragraphs = body.paragraphs
    out.images = body.images
    out.attachments = body.attachments
    out.notes = [f"body: {body.how}", *meta.notes, *rule_notes]
    _absolute_links(body.container, url)
    # Attributes nh3 would drop anyway, dropped first in C: a quarter less markup to serialise and sanitise.
    lxml.etree.strip_attributes(body.container, *_DROPPED_ATTRIBUTES)
    markup = lxml.html.tostring(body.container, encoding="unicode", method="html")
    # Serialised from a parsed tree, the container's markup needs no second lxml round trip before nh3 (which
    # parses it anyway): wrapping it in a <div> gives what the round trip in `sanitize_html` gives, except for
    # <html>/<body>, which the fragment parser unwraps.
    out.body_html = (
        _nh3(f"<div>{markup}</div>") if body.container.tag not in ("html", "body") else sanitize_html(markup)
    )

    if not out.title:
        out.reject = "no title found"
    elif sum(len(p) for p in out.paragraphs) < 20:
        out.reject = "no body text found"
    return out


def _absolute_links(container: Any, base_url: str) -> None:
    for el in container.iter("a", "img"):
        attr = "href" if el.tag == "a" else "src"
        value = (el.get(attr) or "").strip()
        if value and not value.startswith(("http://", "https://", "#", "javascript:", "data:")):
            try:
                el.set(attr, urljoin(base_url, value))
            except ValueError:
                continue


def sanitize_html(html: str, base_url: str = "") -> str:
    """Body HTML safe to show: nh3 (Ammonia) keeps structure, drops scripts, handlers and styles."""
    try:
        fragment = lxml.html.fragment_fromstring(html, create_parent="div")
        if base_url:
            fragment.make_links_absolute(base_url, resolve_base_href=False, handle_failures="ignore")
        html = lxml.html.tostring(fragment, encoding="unicode")
    except (lxml.etree.ParserError, ValueError):
        pass
    return _nh3(html)


_SAFE_TAGS = {
    "p",
    "br",
    "a",
    "img",
    "strong",
    "b",
    "em",
    "i",
    "u",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "ul",
    "ol",
    "li",
    "blockquote",
    "table",
    "thead",
    "tbody",
    "tr",
    "td",
    "th",
    "figure",
    "figcaption",
    "div",
    "span",
    "sub",
    "sup",
    "pre",
}
_SAFE_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}
# The commonest attributes _SAFE_ATTRIBUTES leaves out (none of its names may be here).
_DROPPED_ATTRIBUTES = (
    "style",
    "class",
    "id",
    "width",
    "height",
    "align",
    "valign",
    "border",
    "target",
    "onclick",
    "data-src",
    "data-original",
    "cellpadding",
    "cellspacing",
    "bgcolor",
    "face",
    "size",
    "color",
)


def _nh3(html: str) -> str:
    import nh3

    return nh3.clean(
        html, tags=_SAFE_TAGS, attributes=_SAFE_ATTRIBUTES, url_schemes={"http", "https"}
    ).strip()
