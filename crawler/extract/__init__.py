"""The extraction engine: bytes of a saved or fetched page in, an `Article` or a `Reject` out.

Pure functions, no I/O. Spiders pass their own `SiteRules`; `foodnews extract` and the generic path
use the engine alone.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, tzinfo
from urllib.parse import urlsplit, urlunsplit

from crawler.extract.decode import decode_html
from crawler.extract.html import Extracted, SiteRules, extract_html
from crawler.extract.plaintext import extract_text
from crawler.extract.text import detect_language, join_paragraphs
from crawler.items import Article, Attachment, Image, Reject

__all__ = ["SiteRules", "binary_kind", "canonicalize_url", "extract", "looks_like_html", "to_item"]

_SURROGATES = re.compile("[\ud800-\udfff]")
#: Most tags a page may have: parsing costs about 1 KB of memory a tag, and no article page seen has 16,000.
MAX_TAGS = 100_000
# Query parameters that never change what a page shows.
_TRACKING = re.compile(r"^(?:utm_\w+|spm|from|view|share_token|timestamp|_)$", re.IGNORECASE)


#: File formats whose signature is long and fixed (filetype's guess of them is safe on text): a page that
#: starts with one is a file, not a text page. Formats with a weak signature (BMP's "BM", ...) are left out:
#: a plain-text item may start with those letters.
BINARY_TYPES = {
    "image/png": "a PNG image",
    "image/jpeg": "a JPEG image",
    "image/gif": "a GIF image",
    "image/webp": "a WebP image",
    "application/pdf": "a PDF document",
    "application/zip": "a zip archive",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "an Excel workbook",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "a Word document",
    "application/gzip": "gzip-compressed data",
    "application/x-xz": "xz-compressed data",
    "application/x-7z-compressed": "a 7z archive",
    "application/x-rar-compressed": "a RAR archive",
    "application/x-executable": "an executable (ELF)",
    "application/x-sqlite3": "an SQLite database",
}
_UNICODE_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


def binary_kind(data: bytes) -> str | None:
    """What a file is when it is not text: a known binary format by its signature, or 'binary data' for
    bytes with NULs or many control characters (random bytes, a core dump); None for text of any encoding."""
    import filetype

    head = data[:8192]
    kind = BINARY_TYPES.get(filetype.guess_mime(head) or "")
    if kind is None and head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        kind = "an old Office file (OLE2)"
    if kind is not None:
        return kind
    if head.startswith(_UNICODE_BOMS[1:]):
        return None  # UTF-16 text: every other byte is NUL
    # (counted in C: the bytes the table deletes are the control characters; `_controls` is the plain count)
    controls = len(head) - len(head.translate(None, _CONTROL_BYTES))
    return "binary data" if b"\x00" in head or controls > len(head) // 20 else None


# Control characters no text has (tab, line feed, form feed, carriage return and escape are left out).
_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 12, 13, 27))


def _controls(data: bytes) -> int:
    """The plain count `binary_kind` must equal (`tests/test_bad_input.py` compares them)."""
    return sum(1 for b in data if b < 32 and b not in (9, 10, 12, 13, 27))


def canonicalize_url(url: str) -> str:
    """The URL without fragment and tracking or layout parameters (``?view=pc``), scheme and host lower-cased.

    Kept query parts are left exactly as written (``?123`` stays ``?123``): servers match them literally.
    """
    parts = urlsplit(url)
    kept = [p for p in parts.query.split("&") if p and not _TRACKING.match(p.split("=", 1)[0])]
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", "&".join(kept), ""))


# Tags only a document has: a text that has one in its first 2,000 characters is markup.
_DOCUMENT = re.compile(r"<(?:!doctype|html|head|body|p|div|meta|title)[\s>]")
# Elements a fragment saved without <html> opens with (old table layouts start with <table>, CMS pages with
# a <script> or <form>): a text that starts with "<" and has one of them is markup too.
_MARKUP = re.compile(
    r"<(?:!doctype|html|head|body|p|div|meta|title|table|tr|td|form|script|style|link|span|a|br|font|center"
    r"|img|ul|li|h[1-6])[\s>/]"
)


def looks_like_html(text: str) -> bool:
    """Whether a saved page is markup rather than a plain-text item."""
    head = text[:2000].lower()
    if _DOCUMENT.search(head):
        return True
    return head.lstrip().startswith("<") and _MARKUP.search(head) is not None


def to_item(
    found: Extracted,
    source: str,
    *,
    fetched_at: str | None = None,
    page_sha256: str | None = None,
    http_status: int | None = None,
) -> Article | Reject:
    """Turn what the engine found into an item, or a reject carrying the reason."""
    if found.reject:
        return Reject(url=found.url, reason=found.reject, source=source, http_status=http_status)
    body = join_paragraphs(found.paragraphs)
    canonical = (
        canonicalize_url(found.canonical_url or found.url) if (found.canonical_url or found.url) else ""
    )
    return Article(
        url=found.url,
        canonical_url=canonical,
        source=source,
        title=found.title or "",
        authors=found.authors,
        editor=found.editor,
        organization=found.organization,
        published=found.published.value if found.published else None,
        published_precision=found.published.precision if found.published else None,
        published_raw=found.published.raw if found.published else None,
        body=body,
        body_html=found.body_html,
        images=[Image(**i) for i in found.images],
        attachments=[Attachment(**a) for a in found.attachments],
        language=detect_language((found.title or "") + "\n" + body),
        fetched_at=fetched_at,
        page_sha256=page_sha256,
        notes=found.notes,
    )


def extract(
    data: bytes | str,
    url: str,
    *,
    source: str = "generic",
    content_type: str | None = None,
    rules: SiteRules | None = None,
    fetched_at: str | None = None,
    http_status: int | None = None,
    tz: tzinfo | None = None,
    day_first: bool = True,
) -> Article | Reject:
    """Extract one page (HTML in any encoding, or a plain-text item) into an `Article` or a `Reject`.

    ``tz``: the source's time zone, for dates the page prints without an offset (default: Asia/Shanghai
    for a Chinese page, none for other pages, whose dates without an offset are then left out with a note);
    ``day_first``: whether the source writes ``01.02.2024`` for the 1st of February."""
    try:
        urlsplit(url or "")
    except ValueError as exc:
        return Reject(url=url, reason=f"invalid URL: {exc}", source=source, http_status=http_status)
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    kind = None if isinstance(data, str) else binary_kind(raw)
    if kind:
        return Reject(url=url, reason=f"not a text page: {kind}", source=source, http_status=http_status)
    if raw.count(b"<") > MAX_TAGS:
        return Reject(
            url=url,
            reason=f"page too large to parse: over {MAX_TAGS:,} tags",
            source=source,
            http_status=http_status,
        )
    # A str may carry lone surrogates (no page's text does): drop them before anything encodes it.
    text, encoding = (
        (_SURROGATES.sub("", data), None) if isinstance(data, str) else decode_html(data, content_type)
    )
    digest = hashlib.sha256(raw).hexdigest()
    try:
        # The fetch time is what relative dates on the page (3小时前) count back from; never a date itself.
        reference = datetime.fromisoformat(fetched_at) if fetched_at else None
        found = (
            extract_html(text, url, rules, reference, raw=raw, encoding=encoding, tz=tz, day_first=day_first)
            if looks_like_html(text)
            else extract_text(text, url)
        )
    except RecursionError:
        return Reject(
            url=url, reason="page too deeply nested to parse", source=source, http_status=http_status
        )
    return to_item(found, source, fetched_at=fetched_at, page_sha256=digest, http_status=http_status)
