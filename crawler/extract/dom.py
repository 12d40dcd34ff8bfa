"""Parsing a page once, cleaning what a reader never sees, and flattening it into text blocks.

Everything else in the engine works on the `Page` this module builds: one lxml parse, then one walk that
drops what a reader never sees and turns the document into `Block`s (paragraphs, headings, table rows,
images) in reading order, each knowing its element and how much of its text is link text. This is the
engine's hot path: see docs/extraction.md ("Speed") before adding passes over the tree.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

import lxml.etree

from crawler.extract.text import normalize_space

BLOCK_TAGS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "dd",
        "details",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "tbody",
        "thead",
        "tfoot",
        "tr",
        "td",
        "th",
        "ul",
        "center",
        "caption",
    ]
)
HEADINGS = frozenset(["h1", "h2", "h3", "h4", "h5", "h6"])
# Block elements that make a table row a layout row rather than a row of data.
_ROW_BLOCKS = tuple(sorted(BLOCK_TAGS - {"td", "th", "tr", "tbody", "thead", "tfoot"}))
# Elements whose content is never article text.
DROP_TAGS = frozenset(
    [
        "script",
        "style",
        "noscript",
        "template",
        "iframe",
        "object",
        "embed",
        "select",
        "button",
        "textarea",
        "input",
        "svg",
        "canvas",
        "video",
        "audio",
        "map",
        "area",
        "head",
        "title",
        "link",
        "meta",
        "base",
        "option",
        "datalist",
    ]
)
HIDDEN_STYLE = re.compile(r"display\s*:\s*none", re.IGNORECASE)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*>")
# Two passes beat one alternation: a leading character class defeats the regex engine's literal-prefix scan.
_CLOSING = re.compile(r"</(?:[hH][tT][mM][lL]|[bB][oO][dD][yY])\s*>")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff\ud800-\udfff]")
# _CLOSING on UTF-8 bytes: the same matches, \s spelled out as the UTF-8 of every character str's \s matches.
_CLOSING_UTF8 = re.compile(
    rb"</(?:[hH][tT][mM][lL]|[bB][oO][dD][yY])(?:[\t\n\x0b\x0c\r\x1c-\x1f ]|\xc2[\x85\xa0]|\xe1\x9a\x80"
    rb"|\xe2\x80[\x80-\x8a\xa8\xa9\xaf]|\xe2\x81\x9f|\xe3\x80\x80)*>"
)
# A page whose first non-blank character opens a tag (not a closing one): never empty after _strip.
_OPENS_WITH_TAG = re.compile(r"\s*<[^/]")
_CONTROL_BYTES = bytes([*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])
# (collect_ids=False: libxml2 would otherwise hash every id attribute for getElementById, which nothing here uses;
# default_doctype=False: no DOCTYPE node is made up for pages without one. Same trees, ~5 % less parse time.)
_PARSE_OPTIONS = {
    "remove_comments": True,
    "remove_pis": True,
    "no_network": True,
    "collect_ids": False,
    "default_doctype": False,
}
_PARSER = lxml.etree.HTMLParser(**_PARSE_OPTIONS)
_UTF8_PARSER = lxml.etree.HTMLParser(**_PARSE_OPTIONS, encoding="utf-8")


@dataclass(slots=True)
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
    # Every element of the cleaned tree (document order) → its (class, id) attributes, "" where absent.
    names: dict[Any, tuple[str, str]] = field(default_factory=dict)
    cache: dict[str, Any] = field(default_factory=dict)  # what later steps work out once per page

    def names_of(self, el: Any) -> tuple[str, str]:
        """(class, id) of an element, ``""`` where absent: recorded by the walk, read from the element else."""
        found = self.names.get(el)
        return found if found is not None else _names_of(el)

    def class_id(self, el: Any) -> str:
        """``"{class} {id}"`` of an element: the words page furniture and headlines are recognised by."""
        found = self.names_of(el)
        return f"{found[0]} {found[1]}"


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


# Encodings in which a control character is always its own single byte, and such a byte nothing else.
_CONTROLS_AS_BYTES = frozenset(["utf-8", "ascii", "gb18030", "gbk", "gb2312", "big5", "big5hkscs"])


def parse_page(text: str, url: str, *, raw: bytes | None = None, encoding: str | None = None) -> Page | str:
    """Parse decoded HTML into a `Page`, or return why it cannot be parsed.

    ``raw`` and ``encoding``, when the text was decoded from bytes, only make parsing cheaper: control
    characters are looked for in the bytes, and UTF-8 bytes that need no repair are what libxml2 reads
    (given the text, lxml hands it UTF-16 to convert)."""
    # Plain lxml elements (no lxml.html element classes): the walks below are the engine's hot path.
    original = text or ""
    source: str | bytes | None = None
    if (
        encoding == "utf-8"
        and raw is not None
        and _OPENS_WITH_TAG.match(original)
        and not _XML_DECLARATION.match(original)
        and "\ufffd" not in original
    ):
        # No U+FFFD: ``raw`` decoded strictly. Its repaired bytes are exactly the repaired text, encoded.
        source = _repaired_utf8(raw, original)
    parser = _UTF8_PARSER
    if source is None:
        text = _XML_DECLARATION.sub("", original, count=1)
        # Pages stitched from CMS fragments close </html> mid-page (libxml2 would drop all that follows), and
        # control characters are not allowed in an lxml tree (nor part of any page's text).
        source = text = _strip(text, raw if encoding in _CONTROLS_AS_BYTES else None)
        parser = _PARSER
        if not text.strip():
            return "empty page"
    try:
        root = lxml.etree.fromstring(source, parser)
    except (lxml.etree.XMLSyntaxError, ValueError) as exc:
        return f"unparseable HTML: {exc}"
    if root is None:
        return "empty page"
    _head_spill(root)
    page = Page(url=url, root=root)
    # One pass over the head-ish elements (wherever they are): meta tags, the first <title>, the first
    # canonical link, scripts (JSON-LD, and the inline ones dates and account names are read from).
    meta = page.meta
    title = canonical = None
    ld_sources: list[str] = []
    inline: list[str] = []
    for el in root.iter("meta", "script", "title", "link"):
        tag = el.tag
        if tag == "meta":
            key = (el.get("name") or el.get("property") or el.get("itemprop") or "").strip().lower()
            if key and key not in meta:
                value = normalize_space(el.get("content") or "")
                if value:
                    meta[key] = value
        elif tag == "script":
            if not el.text:
                continue
            if (el.get("type") or "").lower() == "application/ld+json":
                ld_sources.append(el.text)
            elif len(inline) < 50:
                inline.append(el.text[:20000])
        elif tag == "title":
            if title is None:
                title = el
        elif canonical is None and el.get("rel") == "canonical":
            canonical = el
    page.page_title = normalize_space("".join(title.itertext())) if title is not None else ""
    if canonical is not None and (canonical.get("href") or "").strip():
        page.canonical_url = urljoin(url, canonical.get("href").strip())
    page.ld = _json_ld(ld_sources)
    page.scripts = "\n".join(inline)
    page.blocks, page.names = _clean_and_flatten(root, url)
    page.elements = list(page.names)
    return page


# What a <head> holds; any other element there is page content the parser failed to place in <body>.
_HEAD_TAGS = frozenset(["meta", "title", "link", "script", "style", "base", "noscript", "template"])


def _head_spill(root: Any) -> None:
    """Give a page without <body> one, when its content ended up in <head>.

    libxml2 keeps an element it does not know (a CMS's ``<cms:include>``) in <head> when it meets one
    there, and everything after it nested inside: the whole page is then "head", which no reader sees.
    Moving the head's elements from the first one that is not head markup into a new <body> restores
    what a browser shows (browsers start <body> at the first such element)."""
    if root.find("body") is not None:
        return
    head = root.find("head")
    if head is None:
        return
    children = list(head)
    first = next(
        (i for i, el in enumerate(children) if isinstance(el.tag, str) and el.tag not in _HEAD_TAGS), None
    )
    if first is None:
        return
    body = lxml.etree.SubElement(root, "body")
    for el in children[first:]:
        body.append(el)


def _repaired_utf8(raw: bytes, text: str) -> bytes | None:
    """`_strip` on the UTF-8 bytes ``text`` was strictly decoded from (without a BOM, as decoded): None when
    a control character needs the text's own repair. Reading UTF-8 bytes, libxml2 is ~10 % faster than
    given the text (which lxml hands it as UTF-16 to convert)."""
    # (U+FFFE/U+FFFF looked for in the text: in UTF-8 their first byte starts every full-width punctuation mark)
    if "\ufffe" in text or "\uffff" in text:
        return None
    raw = _CLOSING_UTF8.sub(b"", raw.removeprefix(codecs.BOM_UTF8))
    return raw if len(raw.translate(None, _CONTROL_BYTES)) == len(raw) else None


def _strip(text: str, raw: bytes | None = None) -> str:
    """The text without ``</html>``/``</body>`` and without characters an lxml tree cannot hold.

    ``raw``: the bytes the text was strictly decoded from, in an encoding where control characters are
    single bytes of their own (so no surrogates either)."""
    text = _CLOSING.sub("", text)
    # Checking for control characters on bytes (translate runs a table in C) is several times faster than
    # scanning the text with a character class; the regex only runs when there is one.
    if raw is None:
        try:
            raw = text.encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates
            return _CONTROL.sub("", text)
    if len(raw.translate(None, _CONTROL_BYTES)) != len(raw) or "\ufffe" in text or "\uffff" in text:
        return _CONTROL.sub("", text)
    return text


_COMMENT = lxml.etree.Comment
_PI = lxml.etree.ProcessingInstruction
_ELEMENT = lxml.etree.Element
# White space not counted as link text. (A printable str holds no such character but the ASCII space:
# the others are control characters or separators.)
_INVISIBLE = (" ", "\n", "\t", "\r", "\u3000", "\xa0")


def _visible_len(text: str) -> int:
    """Characters of ``text`` but the white space in _INVISIBLE."""
    return len(text) - (text.count(" ") if text.isprintable() else sum(map(text.count, _INVISIBLE)))


_HIDING = frozenset(["hidden", "aria-hidden", "style"])


def _hidden(el: Any, tag: str) -> bool:
    """An element a reader never sees: a script, style, form control (DROP_TAGS) or hidden element."""
    if tag in DROP_TAGS:
        return True
    keys = el.keys()
    if not keys:
        return False
    return (
        "hidden" in keys
        or ("aria-hidden" in keys and el.get("aria-hidden") == "true" and tag not in ("i", "span"))
        or ("style" in keys and HIDDEN_STYLE.search(el.get("style") or "") is not None)
    )


def _remove(doomed: list[Any]) -> None:
    """Take elements out of the tree, keeping their tails (appended to what precedes them)."""
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


_NO_NAMES = ("", "")


def _names_of(el: Any) -> tuple[str, str]:
    return (el.get("class") or "", el.get("id") or "")


def _clean_below(el: Any, seen: dict[Any, tuple[str, str]]) -> None:
    """Drop what a reader never sees inside ``el`` (not ``el`` itself); the elements left go to ``seen``."""
    doomed = []
    for child in el.iterdescendants():
        tag = child.tag
        if isinstance(tag, str):
            if _hidden(child, tag):
                doomed.append(child)
        elif tag is _COMMENT or tag is _PI:
            doomed.append(child)
    _remove(doomed)
    for child in el.iterdescendants(_ELEMENT):
        seen[child] = _names_of(child)


_ROW_BLOCK_SET = frozenset(_ROW_BLOCKS)


def _plain_row(row: Any) -> dict[Any, tuple[str, str]] | None:
    """The elements below a table row with their class and id, when nothing below it is hidden, a comment or
    a block element; None otherwise (`_has_visible` and `_clean_below` then decide). One pass, where the
    general case takes three: most rows of a table of data are plain."""
    found: dict[Any, tuple[str, str]] = {}
    for el in row.iterdescendants():
        tag = el.tag
        if not isinstance(tag, str) or tag in _ROW_BLOCK_SET or tag in DROP_TAGS:
            return None
        keys = el.keys()
        if not keys:
            found[el] = _NO_NAMES
        elif not _HIDING.isdisjoint(keys) and _hidden(el, tag):
            return None
        else:
            found[el] = _names_of(el)
    return found


def _has_visible(row: Any, tags: tuple[str, ...]) -> bool:
    """Whether ``row`` holds one of ``tags`` that is not inside something hidden (looked up before cleaning)."""
    for found in row.iter(*tags):
        el = found
        while el is not row:
            if _hidden(el, el.tag):
                break
            el = el.getparent()
        else:
            return True
    return False


def _clean_and_flatten(root: Any, base_url: str) -> tuple[list[Block], dict[Any, tuple[str, str]]]:
    """Drop scripts, styles, forms, comments and hidden elements (keeping their tails) and flatten the body.

    One walk does both: the body's text as blocks (see `_flatten`), and every element left, in document order,
    with its class and id (``("", "")`` for none). Hidden subtrees are skipped by the walk and removed after
    it, which leaves the same tree and the same blocks as cleaning first and walking the cleaned tree.
    """
    seen = {root: _names_of(root)}
    doomed: list[Any] = []
    body = root.find("body")
    if body is not None and _hidden(body, "body"):
        body = None  # <body style="display:none">: nothing of it is shown
    container = body if body is not None else root
    blocks: list[Block] = []
    if container is not root:
        for child in root:
            tag = child.tag
            if child is container:
                seen[child] = _names_of(child)
                blocks = _flatten(container, base_url, seen, doomed)
            elif isinstance(tag, str):
                if _hidden(child, tag):
                    doomed.append(child)
                else:
                    seen[child] = _names_of(child)
                    _clean_below(child, seen)
            elif tag is _COMMENT or tag is _PI:
                doomed.append(child)
    else:
        blocks = _flatten(container, base_url, seen, doomed)
    _remove(doomed)
    return blocks, seen


def _flatten(
    container: Any, base_url: str, seen: dict[Any, tuple[str, str]], doomed: list[Any]
) -> list[Block]:
    """The container's text as blocks in reading order (block elements and <br> end a block). Hidden
    elements go to ``doomed`` (removed by the caller), the others (in document order, below ``container``)
    to ``seen`` with their class and id."""
    blocks: list[Block] = []
    buf: list[str] = []
    links: list[str] = []  # the text in ``buf`` that sits inside <a>, measured when the block ends
    # (element, is a heading, is a figcaption) of the block elements the walk is in
    owners: list[tuple[Any, bool, bool]] = [
        (container, container.tag in HEADINGS, container.tag == "figcaption")
    ]
    buf_append = buf.append
    links_append = links.append
    blocks_append = blocks.append
    doomed_append = doomed.append
    recurse: list[Callable[[Any, bool], None]] = []  # walk() calls itself through this

    def flush() -> None:
        words = "".join(buf).split()
        buf.clear()
        if words:
            owner, heading, figcaption = owners[-1]
            text = " ".join(words)
            # (_visible_len adds up over pieces: one call on their concatenation is one call, not one a piece)
            link_chars = _visible_len("".join(links)) if links else 0
            blocks_append(
                Block(text, owner, link_chars, None, heading, figcaption, len(text) - len(words) + 1)
            )
        links.clear()

    def walk(el: Any, in_link: bool) -> None:
        for child in el:
            tag = child.tag
            if not isinstance(tag, str):
                if tag is _COMMENT or tag is _PI:
                    doomed_append(child)
            elif tag in DROP_TAGS or (
                (keys := child.keys())
                and not _HIDING.isdisjoint(keys)
                and (
                    "hidden" in keys
                    or (
                        "aria-hidden" in keys
                        and child.get("aria-hidden") == "true"
                        and tag not in ("i", "span")
                    )
                    or ("style" in keys and HIDDEN_STYLE.search(child.get("style") or "") is not None)
                )
            ):  # `_hidden`, inlined: this walk is the engine's hot path
                doomed_append(child)
            else:
                if keys:
                    seen[child] = (
                        child.get("class") or "" if "class" in keys else "",
                        child.get("id") or "" if "id" in keys else "",
                    )
                else:
                    seen[child] = _NO_NAMES
                if tag in BLOCK_TAGS:
                    if tag == "tr" and (
                        (plain := _plain_row(child)) is not None or not _has_visible(child, _ROW_BLOCKS)
                    ):
                        if plain is None:
                            _clean_below(child, seen)
                        else:
                            seen.update(plain)
                        if buf:
                            flush()
                        cells = [
                            normalize_space("".join(c.itertext())) for c in child if c.tag in ("td", "th")
                        ]
                        row = " | ".join(c for c in cells if c)
                        links = sum(len("".join("".join(a.itertext()).split())) for a in child.iter("a"))
                        if row:
                            blocks_append(
                                Block(row, child, links, None, False, False, len("".join(row.split())))
                            )
                        for img in child.iter("img"):
                            src = (img.get("src") or "").strip()
                            if src and not src.startswith("data:"):
                                blocks_append(Block("", img, 0, src))
                    else:
                        if buf:
                            flush()
                        owners.append((child, tag in HEADINGS, tag == "figcaption"))
                        text = child.text
                        # (white space opening a block is dropped anyway: not buffered, no flush for it)
                        if text and (in_link or not text.isspace()):
                            buf_append(text)
                            if in_link:
                                links_append(text)
                        if len(child):
                            recurse[0](child, in_link)
                        if buf:
                            flush()
                        owners.pop()
                elif tag == "br":
                    if len(child):
                        _clean_below(child, seen)
                    if buf:
                        flush()
                elif tag == "img":
                    if len(child):
                        _clean_below(child, seen)
                    src = (
                        child.get("data-src") or child.get("data-original") or child.get("src") or ""
                    ).strip()
                    if src and not src.startswith("data:"):
                        if buf:
                            flush()
                        blocks_append(Block("", child, 0, src))
                else:
                    child_in_link = in_link or tag == "a"
                    text = child.text
                    if text:
                        buf_append(text)
                        if child_in_link:
                            links_append(text)
                    if len(child):
                        recurse[0](child, child_in_link)
            text = child.tail
            if text and (in_link or buf or not text.isspace()):
                buf_append(text)
                if in_link:
                    links_append(text)

    text = container.text
    if text:
        buf_append(text)
    recurse.append(walk)
    try:
        walk(container, False)
    finally:
        # A recursive closure refers to itself: left as it is, the cycle would keep the whole tree alive until
        # the garbage collector's next full pass (which then costs ~1 ms a page to trace it).
        recurse.clear()
    if buf:
        flush()
    return blocks
