"""Property tests: no input, however broken, makes the engine raise (issue 3, point 9); and a lookup made
fast agrees with its plain definition."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crawler.extract import extract
from crawler.items import Article, Reject

SITE = Path(__file__).resolve().parents[1] / "crawler" / "demo" / "site"
PAGES = [p.read_bytes() for p in sorted(SITE.rglob("*")) if p.is_file() and p.suffix not in (".jpg", ".xlsx")]
URLS = st.sampled_from(
    [
        "https://www.cfsn.cn/news/detail/22/1.html",
        "http://example.gov.cn/art/2021/9/1/x.html",
        "",
        "not a url",
        "http://[::1",
    ]
)
MARKUP = st.lists(
    st.sampled_from(
        [
            "<div>",
            "</div>",
            "<p>",
            "</p>",
            "<table><tr><td>",
            "<br>",
            "<img src=x>",
            "<h1>",
            "</h1>",
            "</html>",
            "来源：",
            "2021年9月1日",
            "（记者 张三）",
            "图片来源：",
            "<!--",
            "<script>",
            "\x00",
            "\x0c",
            "<meta charset=gbk>",
            "&#0;",
            "<svg><a>",
            "中文内容，测试。",
            "text",
            "\ud800",
        ]
    ),
    max_size=120,
).map("".join)


def _ok(item: object) -> None:
    assert isinstance(item, Article | Reject)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.binary(max_size=3000), URLS)
def test_arbitrary_bytes(data: bytes, url: str) -> None:
    _ok(extract(data, url))


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.sampled_from(PAGES),
    st.floats(0, 1),
    st.lists(st.tuples(st.floats(0, 1), st.integers(0, 255)), max_size=10),
    URLS,
)
def test_truncated_and_mangled_pages(
    page: bytes, cut: float, flips: list[tuple[float, int]], url: str
) -> None:
    data = bytearray(page[: max(1, int(len(page) * cut))])
    for where, value in flips:
        data[int(where * (len(data) - 1))] = value
    _ok(extract(bytes(data), url))


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(MARKUP, URLS)
def test_generated_markup(text: str, url: str) -> None:
    _ok(extract(text, url))
    _ok(extract(text.encode("utf-8", "surrogatepass"), url))


# --- the known-template lookup ---------------------------------------------------------------------------

_WORDS = [
    "zoom",
    "TRS_Editor",
    "pages_content",
    "article-content",
    "article-content-wrap",
    "xzoom",
    "main",
    "UCAP-CONTENT",
    "content_text",
    "TRS_UEDITOR",
    "",
]


def _known_by_each_element(page: Any) -> tuple[Any, str] | None:
    """The rule `_known_container` implements, element by element: the lowest KNOWN_BODY rank of an element's
    id and class words, the first element in document order on a tie."""
    from crawler.extract.body import _KNOWN_CLASSES, _KNOWN_IDS, KNOWN_BODY

    best = None
    for el, (classes, id_) in page.names.items():
        ranks = [_KNOWN_IDS[id_]] if id_ in _KNOWN_IDS else []
        ranks += [_KNOWN_CLASSES[w] for w in classes.split() if w in _KNOWN_CLASSES]
        if ranks and (best is None or min(ranks) < best[0]):
            best = (min(ranks), el)
    return (best[1], "template " + KNOWN_BODY[best[0]]) if best else None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.lists(st.sampled_from(_WORDS), max_size=3), st.sampled_from(_WORDS), st.integers(0, 2)),
        min_size=1,
        max_size=12,
    )
)
def test_known_container_is_the_first_element_of_the_best_template(elements: list[Any]) -> None:
    from crawler.extract.body import _known_container
    from crawler.extract.dom import parse_page

    # Nested or side by side (depth 0-2 below the previous element), with class words and ids drawn from
    # known names, look-alikes (``article-content-wrap``, ``xzoom``) and nothing.
    markup, open_tags = [], 0
    for words, id_, depth in elements:
        while open_tags > depth:
            markup.append("</div>")
            open_tags -= 1
        attributes = (f' class="{" ".join(words)}"' if words else "") + (f' id="{id_}"' if id_ else "")
        markup.append(f"<div{attributes}><p>text</p>")
        open_tags += 1
    page = parse_page("<html><body>" + "".join(markup) + "</div>" * open_tags + "</body></html>", "http://x/")
    assert not isinstance(page, str)
    assert _known_container(page) == _known_by_each_element(page)


@given(
    st.text(
        alphabet=st.sampled_from(
            [
                " ",
                "\t",
                "\n",
                "\xa0",
                "\u2000",
                "\u200b",
                "\u3000",
                "\ufeff",
                "\u2028",
                "\x85",
                "a",
                "中",
                "。",
            ]
        ),
        max_size=12,
    )
)
def test_normalize_space_fast_path_is_the_regex(text: str) -> None:
    from crawler.extract.text import _SPACES, normalize_space

    assert normalize_space(text) == _SPACES.sub(" ", text).strip()
