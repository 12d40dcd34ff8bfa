"""The readable article page: scraped HTML made safe, links checked, and what changed between revisions.

Everything here treats stored text as hostile: body HTML is sanitised with nh3 (an allowlist of tags and
attributes; http(s) links only) when the page is rendered, whatever the crawler stored; every other value
reaches the page through Jinja's autoescaping, and a URL becomes a link only when it is http(s).
"""

from __future__ import annotations

import difflib
import re
from typing import Any
from urllib.parse import urlsplit

import nh3
from markupsafe import Markup

# Structure and emphasis of news text; no forms, frames, scripts, styles, SVG or MathML.
ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "caption",
    "cite",
    "code",
    "col",
    "colgroup",
    "dd",
    "del",
    "div",
    "dl",
    "dt",
    "em",
    "figcaption",
    "figure",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "ins",
    "li",
    "mark",
    "ol",
    "p",
    "pre",
    "q",
    "rp",
    "rt",
    "ruby",
    "s",
    "small",
    "span",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "time",
    "tr",
    "u",
    "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "ol": {"start"},
    "time": {"datetime"},
}
SCHEMES = {"http", "https"}
_CONTROL = re.compile(r"[\x00-\x20\x7f]")


def safe_url(url: Any) -> str | None:
    """``url`` when it is an absolute http(s) URL, else None (no ``javascript:``, ``data:`` or relative)."""
    if not isinstance(url, str) or not url or _CONTROL.search(url.strip()):
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme.lower() in SCHEMES and parts.netloc else None


def sanitize_body(html: str | None, base_url: str | None = None) -> Markup:
    """Scraped body HTML reduced to safe markup; relative links resolved against the article's URL."""
    if not html:
        return Markup("")
    base = safe_url(base_url)
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        clean_content_tags={"script", "style", "template", "svg", "math", "iframe", "object", "noscript"},
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=SCHEMES,
        url_relative=("rewrite_with_base", base) if base else "deny",
        link_rel="noopener noreferrer nofollow",
        set_tag_attribute_values={"img": {"loading": "lazy", "referrerpolicy": "no-referrer"}},
        strip_comments=True,
    )
    return Markup(cleaned)


# --- revisions ---------------------------------------------------------------------------------------------

CONTEXT = 40  # characters of unchanged text kept on each side of a change
MAX_DIFF_CHARS = 40_000  # longer texts are compared paragraph by paragraph only


def _tokens(text: str) -> list[str]:
    """Units of comparison: characters for CJK text, words and spaces for the rest."""
    return re.findall(r"[A-Za-z0-9_]+|\s+|.", text, flags=re.DOTALL)


def diff(old: str | None, new: str | None) -> list[dict[str, str]]:
    """What changed from ``old`` to ``new``: segments ``{"op": "equal"|"delete"|"insert", "text": ...}``.

    Long unchanged stretches are shortened to their ends around an ellipsis. Plain text: the template
    escapes it.
    """
    old, new = old or "", new or ""
    if len(old) + len(new) > MAX_DIFF_CHARS:
        a, b = old.split("\n\n"), new.split("\n\n")
        a = [p + "\n\n" for p in a]
        b = [p + "\n\n" for p in b]
    else:
        a, b = _tokens(old), _tokens(new)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    segments: list[dict[str, str]] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            text = "".join(a[i1:i2])
            if len(text) > 2 * CONTEXT + 1:
                head = text[:CONTEXT] if segments else ""
                tail = text[-CONTEXT:] if i2 < len(a) else ""
                text = head + "…" + tail
            segments.append({"op": "equal", "text": text})
            continue
        if op in ("delete", "replace"):
            segments.append({"op": "delete", "text": "".join(a[i1:i2])})
        if op in ("insert", "replace"):
            segments.append({"op": "insert", "text": "".join(b[j1:j2])})
    return segments


def revision_history(revisions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Revisions oldest first, each after the first with a diff of its title and body from the previous."""
    history = []
    previous: dict[str, Any] | None = None
    for rev in revisions:
        entry = dict(rev)
        if previous is not None:
            entry["title_diff"] = (
                diff(previous["title"], rev["title"]) if previous["title"] != rev["title"] else []
            )
            entry["body_diff"] = (
                diff(previous["body"], rev["body"]) if previous["body"] != rev["body"] else []
            )
        history.append(entry)
        previous = rev
    return history
