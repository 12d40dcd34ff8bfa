"""Property tests: no input, however broken, makes the engine raise (issue 3, point 9)."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crawler.extract import extract
from crawler.items import Article, Reject

SITE = Path(__file__).resolve().parents[1] / "crawler" / "demo" / "site"
PAGES = [p.read_bytes() for p in sorted(SITE.rglob("*")) if p.is_file() and p.suffix not in (".jpg", ".xlsx")]
URLS = st.sampled_from(["https://www.cfsn.cn/news/detail/22/1.html", "http://example.gov.cn/art/2021/9/1/x.html",
                        "", "not a url", "http://[::1"])
MARKUP = st.lists(
    st.sampled_from(["<div>", "</div>", "<p>", "</p>", "<table><tr><td>", "<br>", "<img src=x>", "<h1>", "</h1>",
                     "</html>", "来源：", "2021年9月1日", "（记者 张三）", "图片来源：", "<!--", "<script>", "\x00", "\x0c",
                     "<meta charset=gbk>", "&#0;", "<svg><a>", "中文内容，测试。", "text", "\ud800"]),
    max_size=120,
).map(lambda parts: "".join(parts))


def _ok(item: object) -> None:
    assert isinstance(item, Article | Reject)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.binary(max_size=3000), URLS)
def test_arbitrary_bytes(data: bytes, url: str) -> None:
    _ok(extract(data, url))


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.sampled_from(PAGES), st.floats(0, 1), st.lists(st.tuples(st.floats(0, 1), st.integers(0, 255)), max_size=10),
       URLS)
def test_truncated_and_mangled_pages(page: bytes, cut: float, flips: list[tuple[float, int]], url: str) -> None:
    data = bytearray(page[: max(1, int(len(page) * cut))])
    for where, value in flips:
        data[int(where * (len(data) - 1))] = value
    _ok(extract(bytes(data), url))


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(MARKUP, URLS)
def test_generated_markup(text: str, url: str) -> None:
    _ok(extract(text, url))
    _ok(extract(text.encode("utf-8", "surrogatepass"), url))
