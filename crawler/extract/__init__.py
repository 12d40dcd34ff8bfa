"""The extraction engine: bytes of a saved or fetched page in, an `Article` or a `Reject` out.

Pure functions, no I/O. Spiders pass their own `SiteRules`; `foodnews extract` and the generic path
use the engine alone.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from urllib.parse import urlsplit, urlunsplit

from crawler.extract.decode import decode_html
from crawler.extract.html import Extracted, SiteRules, extract_html
from crawler.extract.plaintext import extract_text
from crawler.extract.text import detect_language, join_paragraphs
from crawler.items import Article, Attachment, Image, Reject

__all__ = ["SiteRules", "canonicalize_url", "extract", "looks_like_html", "to_item"]

_SURROGATES = re.compile("[\ud800-\udfff]")
#: Most tags a page may have: parsing costs about 1 KB of memory a tag, and no article page seen has 16,000.
MAX_TAGS = 100_000
# Query parameters that never change what a page shows.
_TRACKING = re.compile(r"^(?:utm_\w+|spm|from|view|share_token|timestamp|_)$", re.IGNORECASE)


def canonicalize_url(url: str) -> str:
    """The URL without fragment and tracking or layout parameters (``?view=pc``), scheme and host lower-cased.

    Kept query parts are left exactly as written (``?123`` stays ``?123``): servers match them literally.
    """
    parts = urlsplit(url)
    kept = [p for p in parts.query.split("&") if p and not _TRACKING.match(p.split("=", 1)[0])]
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", "&".join(kept), ""))


def looks_like_html(text: str) -> bool:
    """Whether a saved page is markup rather than a plain-text item."""
    head = text[:2000].lower()
    return bool(re.search(r"<(?:!doctype|html|head|body|p|div|meta|title)[\s>]", head))


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
) -> Article | Reject:
    """Extract one page (HTML in any encoding, or a plain-text item) into an `Article` or a `Reject`."""
    try:
        urlsplit(url or "")
    except ValueError as exc:
        return Reject(url=url, reason=f"invalid URL: {exc}", source=source, http_status=http_status)
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
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
            extract_html(text, url, rules, reference, raw=raw, encoding=encoding)
            if looks_like_html(text)
            else extract_text(text, url)
        )
    except RecursionError:
        return Reject(
            url=url, reason="page too deeply nested to parse", source=source, http_status=http_status
        )
    return to_item(found, source, fetched_at=fetched_at, page_sha256=digest, http_status=http_status)
