"""Decoding pages whose charset declaration is missing or wrong (issue 3, point 1)."""

from __future__ import annotations

import pytest

from crawler.extract.decode import decode_html

SIMPLIFIED = (
    "市场监管总局发布食品安全抽检信息，要求各地加强对乳制品、肉制品和食用油的监督检查，发现问题及时处置。" * 8
)
TRADITIONAL = (
    "食物安全中心公布食品抽樣檢測結果，提醒市民購買乳製品及肉類時留意標籤，發現問題應立即停止食用並通知當局。"
    * 8
)


def _page(text: str, declared: str | None) -> str:
    meta = f'<meta charset="{declared}">' if declared else ""
    return f"<html><head>{meta}<title>news</title></head><body><p>{text}</p></body></html>"


@pytest.mark.parametrize(
    ("text", "encoding", "declared"),
    [
        (SIMPLIFIED, "gb18030", None),
        (SIMPLIFIED, "gb18030", "utf-8"),
        (SIMPLIFIED, "gbk", "gb2312"),
        (SIMPLIFIED, "utf-8", "gbk"),
        (SIMPLIFIED, "utf-8", None),
        (TRADITIONAL, "big5", None),
        (TRADITIONAL, "big5", "gbk"),
        (TRADITIONAL, "utf-8", "big5"),
    ],
    ids=lambda v: v if isinstance(v, str) and len(v) < 10 else None,
)
def test_wrong_or_missing_declaration_still_decodes(text: str, encoding: str, declared: str | None) -> None:
    page = _page(text, declared)
    decoded, _ = decode_html(page.encode(encoding))
    assert decoded == page


def test_gb2312_declared_page_with_a_gb18030_only_character() -> None:
    page = _page(SIMPLIFIED + "㐀", "gb2312")  # U+3400 is outside GB2312 and GBK
    assert decode_html(page.encode("gb18030"))[0] == page


def test_header_charset_wins_over_nothing() -> None:
    page = _page(SIMPLIFIED, None)
    text, encoding = decode_html(page.encode("gbk"), "text/html; charset=GBK")
    assert text == page and encoding == "gb18030"


def _big5_plain(text: str) -> bool:
    """The character-by-character count that `decode._looks_like_big5` does in C."""
    wide = [c for c in text[:30000] if "\u4e00" <= c <= "\u9fff"][:3000]
    if len(wide) < 20:
        return False
    rare = sum(1 for c in wide if len(e := c.encode("gb18030")) == 2 and e[1] < 0xA1)
    return rare > 0.2 * len(wide)


def test_the_fast_big5_count_equals_the_plain_one() -> None:
    import random

    from crawler.extract.decode import _looks_like_big5

    rng = random.Random(7)
    common = "".join(chr(c) for c in range(0x4E00, 0x9FFF + 1))
    # every ideograph, then mixes from mostly-GBK-common to mostly-rare second bytes, with Latin text
    samples = [
        common,
        *("".join(rng.choice(common) for _ in range(n)) + "abc 123" for n in (10, 25, 400, 5000)),
    ]
    big5 = "食品安全監督抽檢結果公告".encode("big5").decode("gb18030", errors="replace") * 30
    samples.append(big5)
    for text in samples:
        assert _looks_like_big5(text) == _big5_plain(text)
    assert _looks_like_big5(big5)
    rare_only = "".join(c for c in common if c <= "\u9fa5" and c.encode("gb18030")[1] < 0xA1)
    assert _looks_like_big5(rare_only) and _big5_plain(rare_only)
