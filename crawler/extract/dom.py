"""Parsing a page once, cleaning what a reader never sees, and flattening it into text blocks.

Everything else in the engine works on the `Page` this module builds: one lxml parse, one cleaning pass,
one walk that turns the document into `Block`s (paragraphs, headings, table rows, images) in reading order,
each knowing its element and how much of its text is link text.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

import lxml.etree

from crawler.extract.text import normalize_space

BLOCK_TAGS = frozenset(
    ["address", "article", "aside", "blockquote", "dd", "details", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "table", "tbody", "thead", "tfoot", "tr", "td", "th", "ul", "center", "caption"]
)
HEADINGS = frozenset(["h1", "h2", "h3", "h4", "h5", "h6"])
# Block elements that make a table row a layout row rather than a row of data.
_ROW_BLOCKS = tuple(sorted(BLOCK_TAGS - {"td", "th", "tr", "tbody", "thead", "tfoot"}))
# Elements whose content is never article text.
DROP_TAGS = frozenset(
    ["script", "style", "noscript", "template", "iframe", "object", "embed", "select", "button", "textarea", "input", "svg", "canvas", "video", "audio", "map", "area", "head", "title", "link", "meta", "base", "option", "datalist"]
)
HIDDEN_STYLE = re.compile(r"display\s*:\s*none", re.IGNORECASE)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*>")
_FLAGGED = lxml.etree.XPath("//*[@hidden or @aria-hidden or @style]")
# Two passes beat one alternation: a leading character class defeats the regex engine's literal-prefix scan.
_CLOSING = re.compile(r"</(?:[hH][tT][mM][lL]|[bB][oO][dD][yY])\s*>")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff\ud800-\udfff]")
_CONTROL_BYTES = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])
_PARSER = lxml.etree.HTMLParser(remove_comments=True, remove_pis=True, no_network=True)


@dataclass
class Block:
    """A run of text as a reader sees it (a paragraph, heading, list item, table row) or an image.

    ``chars`` is the length of the text without white space.
    """

    text: str
    element: Any
    link_chars: int = 0
    image: str | None = None  # the src as written; resolved against the page URL where it is used
    heading: bool = False
    figcaption: bool = False
    chars: int = 0


@dataclass
class Page:
    """A parsed page: the cleaned tree, its meta tags and JSON-LD, and its text blocks."""

    url: str
    root: Any
    meta: dict[str, str] = field(default_factory=dict)
    ld: dict[str, Any] = field(default_factory=dict)
    page_title: str = ""
    canonical_url: str | None = None
    blocks: list[Block] = field(default_factory=list)
    elements: list[Any] = field(default_factory=list)
    scripts: str = ""


def _meta(root: Any) -> dict[str, str]:
    found: dict[str, str] = {}
    for m in root.iter("meta"):
        key = (m.get("name") or m.get("property") or m.get("itemprop") or "").strip().lower()
        value = normalize_space(m.get("content") or "")
        if key and value and key not in found:
            found[key] = value
    return found


def _json_ld(scripts: list[str]) -> dict[str, Any]:
    for source in scripts:
        try:
            data = json.loads(source)
        except ValueError:
            continue
        stack = data if isinstance(data, list) else [data]
        while stack:
            obj = stack.pop(0)
            if not isinstance(obj, dict):
                continue
            graph = obj.get("@graph")
            if isinstance(graph, list):
                stack.extend(graph)
            kind = obj.get("@type")
            kinds = kind if isinstance(kind, list) else [kind]
            if any(str(k).endswith("Article") for k in kinds) or "headline" in obj:
                return obj
    return {}


def parse_page(text: str, url: str) -> Page | str:
    """Parse decoded HTML into a `Page`, or return why it cannot be parsed."""
    # Plain lxml elements (no lxml.html element classes): the walks below are the engine's hot path.
    text = _XML_DECLARATION.sub("", text or "", count=1)
    # In one pass: pages stitched from CMS fragments close </html> mid-page (libxml2 would drop all that
    # follows), and control characters are not allowed in an lxml tree (nor part of any page's text).
    text = _strip(text)
    try:
        root = lxml.etree.fromstring(text, _PARSER) if text.strip() else None
    except (lxml.etree.XMLSyntaxError, ValueError) as exc:
        return f"unparseable HTML: {exc}"
    if root is None:
        return "empty page"
    page = Page(url=url, root=root, meta=_meta(root))
    title = root.find(".//title")
    page.page_title = normalize_space("".join(title.itertext())) if title is not None else ""
    canonical = root.find(".//link[@rel='canonical']")
    if canonical is not None and (canonical.get("href") or "").strip():
        page.canonical_url = urljoin(url, canonical.get("href").strip())
    ld_sources, inline = [], []
    for script in root.iter("script"):
        if not script.text:
            continue
        if (script.get("type") or "").lower() == "application/ld+json":
            ld_sources.append(script.text)
        elif len(inline) < 50:
            inline.append(script.text[:20000])
    page.ld = _json_ld(ld_sources)
    page.scripts = "\n".join(inline)
    _clean(root)
    page.blocks = flatten(root.find("body") if root.find("body") is not None else root, url)
    page.elements = list(root.iter(lxml.etree.Element))
    return page


def _strip(text: str) -> str:
    """The text without ``</html>``/``</body>`` and without characters an lxml tree cannot hold."""
    text = _CLOSING.sub("", text)
    # Checking for control characters on the UTF-8 bytes (translate runs a table in C) is several times
    # faster than scanning the text with a character class; the regex only runs when there is one.
    try:
        encoded = text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates
        return _CONTROL.sub("", text)
    if len(encoded.translate(None, _CONTROL_BYTES)) != len(encoded) or "\ufffe" in text or "\uffff" in text:
        return _CONTROL.sub("", text)
    return text


def _clean(root: Any) -> None:
    """Drop scripts, styles, forms, comments and hidden elements, keeping the tails of what is dropped."""
    # Tag filters and one attribute XPath run in C; only elements with such attributes are checked here.
    doomed = list(root.iter(*DROP_TAGS, lxml.etree.Comment, lxml.etree.ProcessingInstruction))
    doomed += [
        el for el in _FLAGGED(root)
        if el.get("hidden") is not None or (el.get("aria-hidden") == "true" and el.tag not in ("i", "span"))
        or HIDDEN_STYLE.search(el.get("style") or "")
    ]
    for el in doomed:
        parent = el.getparent()
        if parent is None:
            continue
        if el.tail:
            previous = el.getprevious()
            if previous is not None:
                previous.tail = (previous.tail or "") + el.tail
            else:
                parent.text = (parent.text or "") + el.tail
        parent.remove(el)


def flatten(container: Any, base_url: str) -> list[Block]:
    """The container's text as blocks in reading order: block elements and <br> end a block."""
    blocks: list[Block] = []
    buf: list[str] = []
    link = [0]
    owners: list[Any] = [container]

    def flush() -> None:
        if not buf:
            return
        words = "".join(buf).split()
        buf.clear()
        if words:
            owner = owners[-1]
            tag = owner.tag if isinstance(owner.tag, str) else ""
            blocks.append(Block(text=" ".join(words), element=owner, link_chars=link[0], heading=tag in HEADINGS,
                                figcaption=tag == "figcaption", chars=sum(map(len, words))))
        link[0] = 0

    def add(text: str | None, in_link: bool) -> None:
        if text:
            buf.append(text)
            if in_link:
                link[0] += len(text) - sum(map(text.count, (" ", "\n", "\t", "\r", "\u3000", "\xa0")))

    def walk(el: Any, in_link: bool) -> None:
        for child in el:
            tag = child.tag
            if not isinstance(tag, str):
                add(child.tail, in_link)
                continue
            if tag == "br":
                flush()
            elif tag == "img":
                src = (child.get("data-src") or child.get("data-original") or child.get("src") or "").strip()
                if src and not src.startswith("data:"):
                    flush()
                    blocks.append(Block(text="", element=child, image=src))
            elif tag == "tr" and next(child.iter(*_ROW_BLOCKS), None) is None:
                flush()
                cells = [normalize_space("".join(c.itertext())) for c in child if c.tag in ("td", "th")]
                row = " | ".join(c for c in cells if c)
                links = sum(len("".join("".join(a.itertext()).split())) for a in child.iter("a"))
                if row:
                    blocks.append(Block(text=row, element=child, link_chars=links, chars=len("".join(row.split()))))
                for img in child.iter("img"):
                    src = (img.get("src") or "").strip()
                    if src and not src.startswith("data:"):
                        blocks.append(Block(text="", element=img, image=src))
            elif tag in BLOCK_TAGS:
                flush()
                owners.append(child)
                add(child.text, in_link)
                walk(child, in_link)
                flush()
                owners.pop()
            else:
                child_in_link = in_link or tag == "a"
                add(child.text, child_in_link)
                walk(child, child_in_link)
            add(child.tail, in_link)

    add(container.text, False)
    walk(container, False)
    flush()
    return blocks
