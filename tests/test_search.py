"""Chinese search: exact result sets on a planted archive, through Datasette's JSON API and search page.

The planted archive is written through ``Archive.store`` (the crawl's own write path): hand-written
articles with the hard cases (traditional script, a term cut by punctuation, a term before Latin letters,
full-width digits, a revised article, English word forms) and a few hundred generated ones. The expected
result of every query is computed by brute force: the normalised query is a substring of the normalised
title or body (Chinese), or one of the listed word forms occurs (English).
"""

from __future__ import annotations

import random
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import opencc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archive import search
from archive.serve import make_datasette
from archive.store import Archive, article_id
from crawler.items import Article

# --- the planted archive ---------------------------------------------------------------------------------

HAND_WRITTEN: list[dict[str, Any]] = [
    {
        "title": "邯郸市市场监管局召回问题奶粉",
        "language": "zh-Hans",
        "body": "邯郸市市场监督管理局近日发布通告，召回某企业生产的婴幼儿配方奶粉，原因是检出三聚氰胺。",
    },
    {
        "title": "邯鄲市場監管局公佈抽檢結果",
        "language": "zh-Hant",
        "body": "本次抽檢共檢測食品樣品120批次，其中3批次不合格，檢出沙門氏菌和菌落總數超標。",
    },
    {
        "title": "Regulator recalls infant formula",
        "language": "en",
        "body": "The agency recalled two batches after Salmonella was found.\n\nRecalling products is routine.",
    },
    {
        "title": "Call for comments on pesticide residues",
        "language": "en",
        "body": "The authority calls for comments. A recollection of earlier inspections follows.",
    },
    {"title": "食品，安全检查", "language": "zh-Hans", "body": "本次检查食品，安全无虞。"},
    {
        "title": "GB2763食品中农药最大残留限量",
        "language": "zh-Hans",
        "body": "标准规定了食品中农药最大残留限量，并非农药残留超标的通报。",
    },
    {
        "title": "检出沙门氏菌Salmonella的冷冻食品",
        "language": "zh-Hans",
        "body": "抽检发现沙门氏菌Salmonella阳性样品两批。",
    },
    {"title": "执行ＧＢ２７６３标准", "language": "zh-Hans", "body": "全角字母与数字：ＧＢ２７６３。"},
    {"title": "这是牛奶", "language": "zh-Hans", "body": "只有牛奶，没有别的。"},
    {"title": "A奶B", "language": "zh-Hans", "body": "奶"},
    {
        "title": "食品安全抽检：瘦肉精与地沟油",
        "language": "zh-Hans",
        "body": "国家市场监管总局通报食品安全抽检情况，农药残留、瘦肉精、地沟油问题仍需关注。",
    },
]
# Revised: the first version mentions 三聚氰胺, the current one does not.
REVISED = Article(
    url="https://example.org/revised",
    source="planted",
    title="通报（更正）",
    body="初稿：检出三聚氰胺。",
    language="zh-Hans",
    published="2024-01-01T10:00:00+08:00",
)
REVISED_V2 = Article(
    url="https://example.org/revised",
    source="planted",
    title="通报（更正后）",
    body="更正：检出瘦肉精，而非此前所报物质。",
    language="zh-Hans",
    published="2024-01-01T10:00:00+08:00",
)

WORDS = [
    "食品",
    "安全",
    "抽检",
    "奶粉",
    "召回",
    "邯郸",
    "检测",
    "不合格",
    "三聚氰胺",
    "沙门氏菌",
    "菌落",
    "农药",
    "残留",
    "市场",
    "监管",
    "总局",
    "企业",
    "生产",
    "样品",
    "批次",
    "通报",
    "瘦肉精",
    "地沟油",
    "乳制品",
    "婴幼儿",
    "配方",
    "检验",
    "机构",
    "发布",
    "公告",
    "后续",
    "发现",
    "里程",
    "干燥",
]
PUNCTUATION = ["，", "。", "、", "：", " ", "；"]
ENGLISH_WORDS = [
    "recall",
    "recalls",
    "recalled",
    "recalling",
    "salmonella",
    "inspection",
    "inspections",
    "formula",
    "milk",
    "call",
    "calls",
    "recollect",
    "the",
    "agency",
    "batch",
    "batches",
]

CHINESE_QUERIES = [
    "奶",
    "菌",
    "检",
    "檢",
    "奶粉",
    "召回",
    "邯郸",
    "邯鄲",
    "抽检",
    "抽檢",
    "食品",
    "残留",
    "不合格",
    "瘦肉精",
    "三聚氰胺",
    "沙门氏菌",
    "沙門氏菌",
    "食品安全",
    "农药残留",
    "市场监管总局",
    "检出沙门",
]
AND_QUERIES = ["邯郸 奶粉", "三聚氰胺 召回", "食品 安全 抽檢"]
# English queries: the word forms whose presence makes an article match (porter stemming).
ENGLISH_QUERIES = {
    "recall": {"recall", "recalls", "recalled", "recalling"},
    "recalling": {"recall", "recalls", "recalled", "recalling"},
    "salmonella": {"salmonella"},
    "inspections": {"inspection", "inspections"},
    "batch": {"batch", "batches"},
}


def _generated(count: int, seed: int = 4) -> list[dict[str, Any]]:
    rnd = random.Random(seed)
    s2t = opencc.OpenCC("s2t")
    out = []
    for n in range(count):
        kind = rnd.random()
        if kind < 0.15:
            words = rnd.choices(ENGLISH_WORDS, k=rnd.randint(5, 25))
            title = " ".join(words[:4]).capitalize()
            body, language = " ".join(words[4:]) + ".", "en"
        else:
            parts = []
            for _ in range(rnd.randint(4, 30)):
                parts.append("".join(rnd.choices(WORDS, k=rnd.randint(1, 4))))
                parts.append(rnd.choice(PUNCTUATION))
            text = "".join(parts)
            if rnd.random() < 0.1:
                text += rnd.choice(["Salmonella", "recalls", "GB2763"]) + rnd.choice(WORDS)
            title, body = text[:12].strip("，。、：；"), text
            language = "zh-Hans"
            if kind > 0.75:
                title, body, language = s2t.convert(title), s2t.convert(body), "zh-Hant"
        out.append({"title": title or f"第{n}号", "body": body, "language": language})
    return out


def planted_articles() -> list[Article]:
    """Every article of the planted archive (current versions), with deterministic URLs and dates."""
    rows = HAND_WRITTEN + _generated(300)
    articles = []
    for n, row in enumerate(rows):
        day = 1 + n % 28
        month = 1 + n % 12
        articles.append(
            Article(
                url=f"https://example.org/news/{n}.html",
                source="planted" if n % 3 else "other",
                organization=["邯郸市市场监督管理局", "国家市场监督管理总局", "Food Standards Agency"][n % 3],
                published=f"2025-{month:02d}-{day:02d}T09:30:00+08:00",
                published_precision="minute",
                **row,
            )
        )
    return articles


def build_planted(path: Path, extra: list[Article] | None = None) -> list[Article]:
    """Write the planted archive (and ``extra`` articles) at ``path``; returns the current articles."""
    articles = planted_articles() + list(extra or [])
    with Archive(path) as archive:
        archive.store(REVISED)
        for item in articles:
            archive.store(item)
        archive.store(REVISED_V2)
    return [*articles, REVISED_V2]


def expected_ids(articles: list[Article], query: str) -> set[str]:
    """Brute force: the articles a query must find, and no other."""
    terms = search.split_terms(query)
    found: set[str] | None = None
    for term in terms:
        forms = ENGLISH_QUERIES.get(term.lower())
        if forms:
            hits = {
                article_id(a.url)
                for a in articles
                if forms & {w.lower() for w in re.findall(r"[A-Za-z]+", f"{a.title} {a.body}")}
            }
        else:
            needle = search.normalise(term)
            hits = {
                article_id(a.url)
                for a in articles
                if needle in search.normalise(a.title) or needle in search.normalise(a.body)
            }
        found = hits if found is None else found & hits
    return found or set()


ALL_QUERIES = CHINESE_QUERIES + AND_QUERIES + list(ENGLISH_QUERIES) + ["GB2763", "salmonella 沙门氏菌"]


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Article]]:
    path = tmp_path_factory.mktemp("search") / "foodnews.db"
    return path, build_planted(path)


@pytest.fixture(scope="module")
def ds(planted):  # type: ignore[no-untyped-def]
    return make_datasette(planted[0])


# --- exact result sets -----------------------------------------------------------------------------------


def test_planted_queries_have_interesting_truth(planted) -> None:  # type: ignore[no-untyped-def]
    """The planted archive exercises every query: each finds something, and none finds everything."""
    _, articles = planted
    for query in ALL_QUERIES:
        expected = expected_ids(articles, query)
        assert 0 < len(expected) < len(articles), query
    # The hard cases are what the hand-written articles say they are.
    ids = {a.title: article_id(a.url) for a in articles}
    assert ids["食品，安全检查"] not in expected_ids(articles, "食品安全")
    assert ids["邯鄲市場監管局公佈抽檢結果"] in expected_ids(articles, "邯郸")
    assert ids["Call for comments on pesticide residues"] not in expected_ids(articles, "recall")
    assert ids["执行ＧＢ２７６３标准"] in expected_ids(articles, "GB2763")


@pytest.mark.parametrize("query", ALL_QUERIES)
async def test_json_api_returns_exactly_the_matching_articles(ds, planted, query: str) -> None:  # type: ignore[no-untyped-def]
    _, articles = planted
    response = await ds.client.get(
        "/foodnews/articles.json",
        params={"_search": query, "_size": "max", "_shape": "objects", "_col": "title"},
    )
    assert response.status_code == 200, response.text
    data = response.json()
    expected = expected_ids(articles, query)
    assert {row["id"] for row in data["rows"]} == expected
    assert data["filtered_table_rows_count"] == len(expected)


@pytest.mark.parametrize("query", ALL_QUERIES)
async def test_search_page_lists_exactly_the_matching_articles(ds, planted, query: str) -> None:  # type: ignore[no-untyped-def]
    """What the search box submits (the articles page with ?_search=) lists the same exact set."""
    _, articles = planted
    response = await ds.client.get("/foodnews/articles", params={"_search": query, "_size": "max"})
    assert response.status_code == 200
    listed = set(re.findall(r'<a class="headline" href="/foodnews/articles/([0-9a-f]{16})">', response.text))
    assert listed == expected_ids(articles, query)


async def test_search_page_counts_and_highlights(ds, planted) -> None:  # type: ignore[no-untyped-def]
    _, articles = planted
    response = await ds.client.get("/foodnews/articles", params={"_search": "邯鄲", "_size": "max"})
    html = response.text
    assert response.status_code == 200
    count = len(expected_ids(articles, "邯郸"))
    assert f"{count} rows where search matches" in html
    assert '<input id="_search" type="search" name="_search" value="邯鄲">' in html
    # Both scripts are highlighted in titles.
    assert "<mark>邯郸</mark>市市场监管局" in html and "<mark>邯鄲</mark>市場監管局" in html


async def test_revised_article_is_found_by_its_current_text_only(ds) -> None:  # type: ignore[no-untyped-def]
    def titles(data: dict[str, Any]) -> set[str]:
        return {r["title"] for r in data["rows"]}

    old = (await ds.client.get("/foodnews/articles.json?_shape=objects&_search=此前所报")).json()
    assert titles(old) == {REVISED_V2.title}
    gone = (await ds.client.get("/foodnews/articles.json?_shape=objects&_search=初稿")).json()
    assert titles(gone) == set()


async def test_newest_first_and_relevance_ranked_search(ds, planted) -> None:  # type: ignore[no-untyped-def]
    _, articles = planted
    rows = (await ds.client.get("/foodnews/articles.json?_shape=objects&_size=max&_search=奶粉")).json()[
        "rows"
    ]
    published = [r["published"] for r in rows]
    assert published == sorted(published, reverse=True)
    # The canned query ranks by relevance (bm25, title weighted) and restricts to a date range.
    response = await ds.client.get(
        "/foodnews/search.json", params={"q": "奶粉", "since": "", "until": "", "_shape": "objects"}
    )
    ranked = response.json()["rows"]
    assert {r["article"] for r in ranked} == expected_ids(articles, "奶粉")
    # A title match weighs five body matches: the best result has the word in its title.
    assert "奶粉" in ranked[0]["title"]
    assert "\x02奶粉\x03" in ranked[0]["snippet"]
    window = (
        await ds.client.get(
            "/foodnews/search.json",
            params={"q": "奶粉", "since": "2025-03-01", "until": "2025-03-31", "_shape": "objects"},
        )
    ).json()["rows"]
    assert window and all("2025-03-01" <= r["published"][:10] <= "2025-03-31" for r in window)
    in_window = {
        article_id(a.url)
        for a in articles
        if a.published and "2025-03-01" <= a.published[:10] <= "2025-03-31"
    }
    assert {r["article"] for r in window} == expected_ids(articles, "奶粉") & in_window


def test_stock_sqlite_can_search_without_custom_functions(planted) -> None:  # type: ignore[no-untyped-def]
    """The documented pure-SQL pattern (docs/search.md) on a plain connection: no plugin, no extension."""
    path, articles = planted
    sql = (Path(__file__).resolve().parents[1] / "docs" / "search.md").read_text(encoding="utf-8")
    pattern = re.search(r"```sql\n(-- stock sqlite3: one Chinese word.*?)```", sql, re.DOTALL)
    assert pattern, "docs/search.md lost its stock-sqlite3 query"
    query_sql = pattern.group(1)
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        for word in ["三聚氰胺", "奶粉", "奶", "沙门氏菌", "市场监管总局"]:
            rows = conn.execute(query_sql.replace("'三聚氰胺'", f"'{word}'")).fetchall()
            urls = {r[-1] for r in rows}
            assert {article_id(u) for u in urls} == expected_ids(articles, word), word
    finally:
        conn.close()
    cli = shutil.which("sqlite3")
    if cli:
        result = subprocess.run(
            [cli, "-readonly", str(path)], input=query_sql, capture_output=True, text=True, check=True
        )
        assert {
            article_id(u) for u in result.stdout.split("\n") if u for u in [u.rsplit("|", 1)[-1]]
        } == expected_ids(articles, "三聚氰胺")


# --- the rewrite itself ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expression"),
    [
        ("食品", '"食品"'),
        ("奶", '"奶"*'),
        ("三聚氰胺", '"三聚 聚氰 氰胺"'),
        ("邯鄲 奶粉", '"邯郸" "奶粉"'),
        ('"食品 安全"', '"食品 品 安全"'),
        ("食品A", '"食品 品 A"'),
        ("3月", '"3 月"*'),
        ("recall", '"recall"'),
        ("", '""'),
        ("，", '""'),
        ('"unbalanced', '"unbalanced"'),
        ('a"b OR c', '"a" "b OR c"'),
    ],
)
def test_match_expression(query: str, expression: str) -> None:
    assert search.match_expression(query) == expression


def test_index_text_bigrams_normalised_runs() -> None:
    assert (
        search.index_text("市場監管，ＧＢ２７６３食品Recalls") == " 市场 场监 监管 管 ,GB2763 食品 品 Recalls"
    )
    assert search.index_text("奶") == " 奶 "
    assert search.index_text("plain English") == "plain English"


ALPHABET = "食品安全奶粉檢检测测邯郸鄲"


@settings(max_examples=300, deadline=None)
@given(
    texts=st.lists(st.text(alphabet=ALPHABET + "，。 ab1", min_size=0, max_size=30), min_size=1, max_size=8),
    query=st.lists(st.text(alphabet=ALPHABET, min_size=1, max_size=6), min_size=1, max_size=2).map(" ".join),
)
def test_index_match_is_substring_match(texts: list[str], query: str) -> None:
    """Property: for any Chinese query, the indexes find exactly the texts containing every term.

    Both ways: the bigram index alone (``match_expression``, what stock sqlite3 and canned queries use), and
    the bigram and quadgram indexes together (``match_expressions``, what the search box uses).
    """
    conn = sqlite3.connect(":memory:")
    for table in search.INDEXES:
        for sql in search.create_index_sql(table):
            conn.execute(sql)
    for rowid, text in enumerate(texts, 1):
        search.index_row(conn, rowid, "", text)

    def match(table: str, expression: str) -> set[int]:
        return {
            r[0] for r in conn.execute(f"select rowid from [{table}] where [{table}] match ?", [expression])
        }

    expected = {
        n
        for n, text in enumerate(texts, 1)
        if all(search.normalise(term) in search.normalise(text) for term in query.split())
    }
    assert match(search.TABLE, search.match_expression(query)) == expected
    table, expression = search.match_expressions(query)
    assert match(table, expression) == expected
    assert (table == search.TABLE4) == all(len(term) >= search.QUAD for term in query.split())


def test_quadgrams_never_match_across_runs() -> None:
    assert search.index_text4("食品安全，抽检") == "食品安全 品安全"
    assert search.index_text4("abc 奶粉 检测结果公布") == "检测结果 测结果公 结果公布 果公布"
    assert search.match_expressions("食品安全 三聚氰胺") == (search.TABLE4, '"食品安全" "三聚氰胺"')
    assert search.match_expressions("檢測結果公佈") == (search.TABLE4, '"检测结果 测结果公 结果公布"')
    # A shorter term puts the whole search on the bigram index, where FTS5 merges the terms itself.
    assert search.match_expressions("食品安全 奶粉") == (search.TABLE, '"食品 品安 安全" "奶粉"')
    assert search.match_expressions("，") == (search.TABLE, '""')


@pytest.mark.parametrize("table", list(search.INDEXES))
def test_index_kept_in_step_equals_a_rebuilt_one(tmp_path: Path, table: str) -> None:
    """Writes (with revisions that unindex old text) leave exactly the tokens a fresh rebuild makes."""
    path = tmp_path / "foodnews.db"
    build_planted(path)
    conn = sqlite3.connect(path)
    conn.execute(f"create virtual table temp.vocab using fts5vocab(main, {table}, 'instance')")

    def snapshot() -> list[tuple[Any, ...]]:
        return conn.execute("select term, doc, col, offset from vocab order by 1, 2, 3, 4").fetchall()

    conn.execute(f"insert into {table}({table}) values ('integrity-check')")
    assert search.is_current(conn, table)
    kept = snapshot()
    assert kept
    with conn:
        assert search.rebuild(conn, table) == conn.execute("select count(*) from articles").fetchone()[0]
    assert snapshot() == kept
    conn.execute(f"insert into {table}({table}) values ('integrity-check')")
    conn.close()


def test_snippet_marks_matches_and_escapes() -> None:
    text = "<b>市場監管</b>总局召回奶粉。" * 3 + "Recalling products"
    marked = search.snippet(text, "监管 recall", width=60)
    assert "\x02監管\x03" in marked
    html = search.marked_to_html(marked)
    assert "&lt;b&gt;" in html and "<b>" not in html and "<mark>監管</mark>" in html
    assert search.highlight("Recalling products", "recall") == "\x02Recalling\x03 products"


async def test_archive_from_before_the_search_index_is_upgraded(tmp_path: Path) -> None:
    """An archive written before migration m002 gets the index, filled from its existing articles."""
    from sqlite_utils import Database

    from archive.schema import migrations
    from archive.serve import needs_upgrade

    path = tmp_path / "foodnews.db"
    db = Database(sqlite3.connect(path))
    migrations.apply(db, stop_before="m002_cjk_search")
    assert db["articles_fts"].exists()
    db["sources"].insert({"slug": "cfsn", "name": "cfsn"})
    old = [a for a in planted_articles() if a.language != "en"][:40]
    db["articles"].insert_all(
        [
            {
                "id": article_id(a.url),
                "canonical_url": a.url,
                "url": a.url,
                "source": "cfsn",
                "title": a.title,
                "body": a.body,
                "published": a.published,
                "revision": 1,
            }
            for a in old
        ]
    )
    db.conn.commit()
    db.conn.close()
    assert needs_upgrade(path)

    with Archive(path) as archive:
        assert not archive.db["articles_fts"].exists()
    assert not needs_upgrade(path)
    ds = make_datasette(path, immutable=True)
    for query in ("三聚氰胺", "邯郸", "奶"):
        rows = (
            await ds.client.get(
                "/foodnews/articles.json", params={"_search": query, "_shape": "objects", "_size": "max"}
            )
        ).json()["rows"]
        assert {r["id"] for r in rows} == expected_ids(old, query), query


async def test_frequent_words_walk_indexes_rare_words_look_up_rows(ds, planted) -> None:  # type: ignore[no-untyped-def]
    """The plugin picks the query shape from the number of matches (both give the exact set, above)."""
    _, articles = planted
    from archive.plugins.foodnews_search import DENSE

    shapes = set()
    queries = (
        "食品",
        "食品安全",
        "检出沙门",
        "食品 检出沙门",
        "奶粉 食品安全",
        "食品 三聚氰胺",
        "三聚氰胺 沙门氏菌",
        "食",
        "沙",
    )
    for query in queries:
        data = (await ds.client.get("/foodnews/articles.json", params={"_search": query})).json()
        dense = len(expected_ids(articles, query)) > DENSE * len(articles)
        prefix = len(query) == 1
        shape = "+rowid in" if dense and prefix else "rowid = articles.rowid" if dense else "where rowid in"
        assert shape in data["query"]["sql"], query
        shapes.add(shape)
        assert data["filtered_table_rows_count"] == len(expected_ids(articles, query))
    assert shapes == {"+rowid in", "rowid = articles.rowid", "where rowid in"}


@pytest.mark.parametrize(
    "query", ["食品", "食品安全", "检出沙门", "奶粉 食品安全", "食品 三聚氰胺", "recall"]
)
async def test_search_page_count_is_taken_from_the_index(planted, query: str) -> None:  # type: ignore[no-untyped-def]
    """Datasette's count of a search-only page runs on the index (traced SQL), and is still exact."""
    from datasette.app import Datasette

    from archive.serve import CONFIG_DIR, load_metadata

    path, articles = planted
    traced = Datasette(
        files=[str(path)],
        config_dir=CONFIG_DIR,
        metadata=load_metadata(path.stem),
        settings={"trace_debug": True},
    )
    data = (
        await traced.client.get("/foodnews/articles.json", params={"_search": query, "_trace": "1"})
    ).json()
    counts = [t["sql"] for t in data["_trace"]["traces"] if t["sql"].startswith("select count(*)")]
    assert counts and all("from articles where" not in sql for sql in counts), counts
    assert data["filtered_table_rows_count"] == len(expected_ids(articles, query))
    # With another filter the count is Datasette's own, and exact too.
    data = (
        await traced.client.get(
            "/foodnews/articles.json", params={"_search": query, "source": "planted", "_trace": "1"}
        )
    ).json()
    counts = [
        t["sql"] for t in data["_trace"]["traces"] if t["sql"].startswith("select count(*) from articles")
    ]
    assert counts, data["_trace"]["traces"]
    assert data["filtered_table_rows_count"] == len(
        {
            a
            for a in expected_ids(articles, query)
            if a in {article_id(x.url) for x in articles if x.source == "planted"}
        }
    )


async def test_facets_of_a_frequent_word_are_exact(planted) -> None:  # type: ignore[no-untyped-def]
    """Facets of a dense search run on the set form of the clause (traced) and count exactly."""
    from collections import Counter

    from datasette.app import Datasette

    from archive.serve import CONFIG_DIR, load_metadata

    path, articles = planted
    traced = Datasette(
        files=[str(path)],
        config_dir=CONFIG_DIR,
        metadata=load_metadata(path.stem),
        settings={"trace_debug": True},
    )
    data = (
        await traced.client.get("/foodnews/articles.json", params={"_search": "食品", "_trace": "1"})
    ).json()
    assert "rowid = articles.rowid" in data["query"]["sql"]
    facets = [t["sql"] for t in data["_trace"]["traces"] if "group by" in t["sql"]]
    assert facets and all("+rowid in" in sql and "rowid = articles.rowid" not in sql for sql in facets)
    hits = expected_ids(articles, "食品")
    by_id = {article_id(a.url): a for a in articles}
    for column, value in (
        ("source", lambda a: a.source),
        ("organization_group", lambda a: search.organization_group(a.organization)),
        ("language", lambda a: a.language),
    ):
        truth = Counter(value(by_id[i]) for i in hits if value(by_id[i]) is not None)
        got = {r["value"]: r["count"] for r in data["facet_results"][column]["results"]}
        assert got == dict(truth), column


async def test_search_one_column_and_raw_mode(ds, planted) -> None:  # type: ignore[no-untyped-def]
    _, articles = planted
    data = (
        await ds.client.get(
            "/foodnews/articles.json",
            params={"_search_title": "奶粉", "_shape": "objects", "_size": "max", "_col": "title"},
        )
    ).json()
    assert {r["id"] for r in data["rows"]} == {
        article_id(a.url) for a in articles if "奶粉" in search.normalise(a.title)
    }
    for params, needles in (
        ({"_search_title": "三聚氰胺"}, {"title": "三聚氰胺"}),
        ({"_search": "三聚氰胺", "_search_title": "奶粉"}, {"any": "三聚氰胺", "title": "奶粉"}),
    ):
        data = (
            await ds.client.get(
                "/foodnews/articles.json",
                params={**params, "_shape": "objects", "_size": "max", "_col": "title"},
            )
        ).json()
        truth = {
            article_id(a.url)
            for a in articles
            if all(
                n in search.normalise(a.title if where == "title" else f"{a.title} {a.body}")
                for where, n in needles.items()
            )
        }
        assert truth and {r["id"] for r in data["rows"]} == truth, params
    # Raw mode passes FTS5 syntax through: the index's own tokens, OR and NEAR work.
    data = (
        await ds.client.get(
            "/foodnews/articles.json",
            params={"_search": "奶粉 OR 邯郸", "_searchmode": "raw", "_shape": "objects", "_size": "max"},
        )
    ).json()
    assert {r["id"] for r in data["rows"]} == expected_ids(articles, "奶粉") | expected_ids(articles, "邯郸")
    bad = await ds.client.get("/foodnews/articles.json", params={"_search": "奶粉 AND", "_searchmode": "raw"})
    assert bad.status_code == 400
