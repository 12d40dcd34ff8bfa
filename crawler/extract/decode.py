"""Turn a page's bytes into text: BOM, HTTP header, meta charset, then detection.

w3lib (Scrapy's own decoder) reads the BOM, header and ``<meta>`` declarations and maps GBK/GB2312 to
GB18030. A declaration is only trusted if the bytes decode under it without error; otherwise
charset-normalizer guesses (it was chosen over chardet/cchardet for being maintained, pure Python with an
optional speed-up, and already a Scrapy-ecosystem dependency through requests).
"""

from __future__ import annotations

import codecs
import re

from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, read_bom, resolve_encoding


def _canonical(name: str | None) -> str | None:
    if not name:
        return None
    resolved = resolve_encoding(name)
    if not resolved:
        return None
    # (w3lib already reads a narrower charset as its superset: GB2312 and GBK as GB18030, Big5 as Big5-HKSCS)
    return codecs.lookup(resolved).name


def _try(data: bytes, encoding: str | None) -> str | None:
    if not encoding:
        return None
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def decode_html(data: bytes, content_type: str | None = None) -> tuple[str, str]:
    """Decode page bytes; returns ``(text, encoding used)``. Never raises on bad bytes."""
    bom_encoding, bom = read_bom(data)
    if bom_encoding:
        text = _try(data[len(bom or b"") :], _canonical(bom_encoding))
        if text is not None:
            return text, _canonical(bom_encoding) or "utf-8"
    # Valid multi-byte UTF-8 is next to impossible by chance in GBK or Big5 text, so it wins over a
    # declaration: pages declared gb2312 but saved as UTF-8 are common on Chinese CMS sites.
    if not data.isascii():
        text = _try(data, "utf-8")
        if text is not None:
            return text, "utf-8"
    declared = [_canonical(http_content_type_encoding(content_type)) if content_type else None]
    declared.append(_canonical(html_body_declared_encoding(data[:4096])))
    for encoding in declared:
        text = _try(data, encoding)
        if text is not None:
            if encoding == "gb18030" and _looks_like_big5(text):
                big5 = _try(data, "big5hkscs")
                if big5 is not None:
                    return big5, "big5hkscs"
            return text, encoding  # type: ignore[return-value]
    text = _try(data, "utf-8")
    if text is not None:
        return text, "utf-8"
    guessed = _detect(data)
    if guessed not in ("gb18030", "big5hkscs", "utf-8", "utf-16", "euc_jp", "shift_jis", "euc_kr"):
        # Detectors take large GB pages for a single-byte code page (cp1250, mac-iceland) now and then;
        # bytes that are valid GB18030 and read as mostly Han characters are Chinese.
        for candidate in ("gb18030", "big5hkscs"):
            chinese = _try(data, candidate)
            if (
                chinese is not None
                and _mostly_han(chinese)
                and not (candidate == "gb18030" and _looks_like_big5(chinese))
            ):
                return chinese, candidate
    text = _try(data, guessed)
    if text is not None:
        return text, guessed  # type: ignore[return-value]
    # A declared charset that almost fits (a few bad bytes) beats a wild guess.
    fallback = next((e for e in declared if e), None) or guessed or "utf-8"
    return data.decode(fallback, errors="replace"), fallback


_HAN_RUN = re.compile("[\u4e00-\u9fff]")
_GBK_HAN = re.compile("[\u9fa6-\u9fff]")  # the unified ideographs GBK lacks (four bytes in GB18030)
_GBK_LOW_SECOND = bytes(range(0xA1, 0x100))  # deleted: what is left are the second bytes below 0xA1


def _looks_like_big5(text: str) -> bool:
    """GB18030 text that is really Big5: Big5's second bytes 0x40-0x7E land in GBK's rare extension area,
    which real GBK text hardly uses (a few characters in a hundred).

    Counted in C: GBK has every ideograph U+4E00-U+9FA5 in two bytes, so once the few without a GBK code
    are dropped, the second bytes are every other byte of the encoded run (`tests/test_decode.py` checks
    it equals the count character by character)."""
    wide = _HAN_RUN.findall(text[:30000])[:3000]
    if len(wide) < 20:
        return False
    pairs = _GBK_HAN.sub("", "".join(wide)).encode("gb18030")
    rare = len(pairs[1::2].translate(None, _GBK_LOW_SECOND))
    return rare > 0.2 * len(wide)


def _mostly_han(text: str) -> bool:
    wide = [c for c in text[:20000] if ord(c) > 0x7F]
    return bool(wide) and sum(
        1 for c in wide if "\u4e00" <= c <= "\u9fff" or "\u3000" <= c <= "\u303f" or "\uff00" <= c <= "\uffef"
    ) >= 0.8 * len(wide)


def _detect(data: bytes) -> str | None:
    from charset_normalizer import from_bytes

    best = from_bytes(data[:200_000]).best()
    return _canonical(best.encoding) if best else None
