"""The archive as journalists see it: Datasette in-process, and one real `foodnews serve` over HTTP."""

from __future__ import annotations

import codecs
import csv
import dataclasses
import hashlib
import io
import json
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from xml.etree import ElementTree

import pytest
import yaml
from conftest import free_port

from archive.serve import CONFIG_DIR, make_datasette
from archive.store import Archive
from crawler.items import Article, Attachment, Image, Reject
from crawler.parsers.cfsn import parse_article

SITE = Path(__file__).resolve().parents[1] / "crawler" / "demo" / "site" / "www.cfsn.cn"
EXPECTED = json.loads(
    (Path(__file__).parent / "fixtures" / "cfsn" / "expected.json").read_text(encoding="utf-8")
)
BASE = "https://www.cfsn.cn"


def _build(db_path: Path) -> list[Article]:
    """An archive of every fixture page parsed by the cfsn parser (the crawl itself is tested elsewhere)."""
    articles = []
    with Archive(db_path) as archive:
        for entry in EXPECTED:
            page = SITE / entry["path"].lstrip("/").replace("?", "@")
            if not page.exists():
                archive.store(
                    Reject(url=BASE + entry["path"], reason="HTTP 404", source="cfsn", http_status=404)
                )
                continue
            item = parse_article(page.read_bytes(), BASE + entry["path"])
            archive.store(item)
            if isinstance(item, Article):
                articles.append(item)
    return articles


@pytest.fixture(scope="module")
def archive_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Article]]:
    path = tmp_path_factory.mktemp("ds") / "foodnews.db"
    return path, _build(path)


@pytest.fixture(scope="module")
def ds(archive_db):  # type: ignore[no-untyped-def]
    return make_datasette(archive_db[0])


async def test_articles_table_newest_first_with_facets(ds, archive_db) -> None:  # type: ignore[no-untyped-def]
    _, articles = archive_db
    response = await ds.client.get("/foodnews/articles.json?_shape=objects&_size=max")
    assert response.status_code == 200
    data = response.json()
    assert len(data["rows"]) == len(articles) == sum(1 for e in EXPECTED if e["valid"])
    published = [r["published"] for r in data["rows"] if r["published"]]
    assert published == sorted(published, reverse=True)
    assert set(data["facet_results"]) >= {"source", "organization_group", "published_month"}
    months = {v["value"] for v in data["facet_results"]["published_month"]["results"]}
    assert months == {a.published[:7] for a in articles if a.published}


async def test_every_table_and_column_is_described(ds) -> None:  # type: ignore[no-untyped-def]
    metadata = yaml.safe_load((CONFIG_DIR / "metadata.yaml").read_text(encoding="utf-8"))
    tables = metadata["databases"]["foodnews"]["tables"]
    db = ds.get_database("foodnews")
    for table in await db.table_names():
        if await db.execute_fn(
            lambda conn, t=table: (
                conn.execute("select sql from sqlite_master where name = ?", [t])
                .fetchone()[0]
                .startswith("CREATE VIRTUAL")
            )
        ):
            continue
        if table.startswith(("articles_search", "inspection_results_search")) or table in (
            "_sqlite_migrations",
            "_search_index",
        ):
            assert tables[table]["hidden"] is True
            continue
        assert tables[table]["description"], table
        columns = await db.table_columns(table)
        missing = [c for c in columns if not tables[table].get("columns", {}).get(c)]
        assert not missing, f"{table}: columns without a description: {missing}"
    for view in await db.view_names():
        assert tables[view]["description"], view
        columns = await db.table_columns(view)
        missing = [c for c in columns if not tables[view].get("columns", {}).get(c)]
        assert not missing, f"{view}: columns without a description: {missing}"
    response = await ds.client.get("/foodnews/articles")
    assert "One row per article" in response.text


async def test_source_health_shows_each_sources_last_run(tmp_path: Path) -> None:
    """The operator's page: every source of the registry, its last run's status, error and counts."""
    from crawler.sources import registry

    path = tmp_path / "foodnews.db"
    with Archive(path) as archive:
        archive.register_sources([s.row() for s in registry().values()])
        first = archive.start_run("cfsn", "cfsn")
        archive.finish_run(first, "finished", pages_fetched=40, items_new=29, items_rejected=2)
        archive.store(Reject(url=BASE + "/news/detail/22/1.html", reason="HTTP 404", source="cfsn"), first)
        second = archive.start_run("cfsn", "cfsn")
        archive.finish_run(
            second, "failed", error="expectations not met: fetched nothing", items_skipped=7, items_removed=1
        )
    response = await make_datasette(path).client.get("/foodnews/source_health.json?_shape=objects")
    assert response.status_code == 200
    rows = {r["source"]: r for r in response.json()["rows"]}
    assert set(rows) == set(registry())
    cfsn = rows["cfsn"]
    assert (cfsn["last_status"], cfsn["last_error"], cfsn["last_run"]) == (
        "failed",
        "expectations not met: fetched nothing",
        second,
    )
    assert cfsn["last_finished_run"] is not None and cfsn["rejects"] == 1 and cfsn["articles"] == 0
    assert (cfsn["items_skipped"], cfsn["items_removed"]) == (7, 1)
    assert isinstance(cfsn["last_seconds"], float) and cfsn["last_seconds"] >= 0
    assert all(r["last_status"] is None for slug, r in rows.items() if slug != "cfsn")


async def test_article_view_is_readable_and_links_the_original(ds, archive_db) -> None:  # type: ignore[no-untyped-def]
    _, articles = archive_db
    item = next(a for a in articles if any(i.credit for i in a.images))
    from archive.store import article_id

    response = await ds.client.get(f"/foodnews/articles/{article_id(item.canonical_url)}")
    assert response.status_code == 200
    html = response.text
    assert f"<h1>{item.title}</h1>" in html
    assert f'href="{item.url}"' in html
    assert item.organization and item.organization in html
    for image in item.images:
        assert image.caption and image.caption in html
    first_paragraph = item.body.split("\n\n")[0]
    assert f"<p>{first_paragraph}</p>" in html


async def test_database_name_follows_the_file_name(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with Archive(path) as archive:
        archive.store(
            Article(
                url="https://example.org/a",
                source="demo",
                title="Recall of infant formula",
                body="The regulator announced a recall of infant formula today.",
            )
        )
    ds = make_datasette(path)
    response = await ds.client.get("/other/articles.json?_shape=objects")
    assert response.status_code == 200
    assert response.json()["rows"][0]["title"] == "Recall of infant formula"
    page = await ds.client.get("/other/articles")
    assert "One row per article" in page.text


async def test_scraped_markup_is_escaped_in_the_article_view(tmp_path: Path) -> None:
    path = tmp_path / "foodnews.db"
    payload = '<script>alert(1)</script><img src=x onerror="alert(2)">'
    with Archive(path) as archive:
        archive.store(
            Article(
                url="https://example.org/x",
                source="demo",
                title="标题" + payload,
                body="正文" + payload * 2,
                organization=payload,
                authors=[payload],
                images=[Image(url="javascript:alert(3)", caption=payload)],
            )
        )
    ds = make_datasette(path)
    row = (await ds.client.get("/foodnews/articles.json?_shape=objects")).json()["rows"][0]
    html = (await ds.client.get(f"/foodnews/articles/{row['id']}")).text
    assert "<script>alert(1)" not in html
    assert 'onerror="alert(2)"' not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_foodnews_serve_over_http(archive_db) -> None:  # type: ignore[no-untyped-def]
    """``foodnews serve`` serves the file immutable: never written, downloadable, SQL time-limited."""
    path, articles = archive_db
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "crawler.cli", "serve", "--db", str(path), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}/foodnews/articles.json?_shape=objects&_size=max"
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    data = json.load(response)
                break
            except urllib.error.HTTPError as exc:
                raise AssertionError(f"serve answered {exc.code}: {exc.read()[:500]!r}") from None
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    proc.kill()  # so that reading its output cannot block
                    raise AssertionError(f"serve did not answer: {proc.communicate()[0]}") from None
                time.sleep(0.2)
        assert {r["title"] for r in data["rows"]} == {a.title for a in articles}
        with urllib.request.urlopen(
            f"http://127.0.0.1:{port}/foodnews/rejects.json?_shape=objects"
        ) as response:
            rejects = json.load(response)["rows"]
        assert len(rejects) == sum(1 for e in EXPECTED if not e["valid"])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/-/databases.json") as response:
            (database,) = json.load(response)
        assert database["is_mutable"] is False
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/-/settings.json") as response:
            assert json.load(response)["sql_time_limit_ms"] == 2000
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/foodnews.db") as response:
            assert hashlib.sha256(response.read()).hexdigest() == before
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    # Served immutable, the file is byte for byte what it was.
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


async def test_article_view_sanitises_body_html_and_diffs_revisions(tmp_path: Path) -> None:
    """Body HTML goes through nh3 at render time; links are http(s) only; revisions show what changed."""
    path = tmp_path / "foodnews.db"
    body_html = (
        '<p>第一段<a href="javascript:alert(1)">js</a><a href="detail/2.html">相对链接</a></p>'
        '<p><img src="pic.jpg" onerror="alert(2)"><svg onload="alert(3)"><circle/></svg></p>'
        '<iframe src="https://evil.example/"></iframe><script>alert(4)</script><p style="color:red">第二段</p>'
    )
    first = Article(
        url="https://www.cfsn.cn/news/1.html",
        source="demo",
        title="抽检结果公告",
        body="第一段\n\n第二段",
        body_html=body_html,
        organization="市场监管局",
        authors=["张三", "李四"],
        published="2025-03-01T10:00:00+08:00",
        published_precision="minute",
        images=[
            Image(url="https://www.cfsn.cn/a.jpg", caption="现场图片", credit="市场监管局"),
            Image(url="javascript:alert(5)", caption="坏链接"),
        ],
        attachments=[
            Attachment(url="https://www.cfsn.cn/results.xlsx", title="抽检结果.xlsx"),
            Attachment(url="javascript:alert(6)", title="坏附件"),
        ],
    )
    second = dataclasses.replace(first, title="抽检结果公告（更新）", body="第一段\n\n第二段，新增一句。")
    with Archive(path) as archive:
        archive.store(first)
        archive.store(second)
    ds = make_datasette(path)
    row = (await ds.client.get("/foodnews/articles.json?_shape=objects")).json()["rows"][0]
    html = (await ds.client.get(f"/foodnews/articles/{row['id']}")).text
    article = html.split('<article class="article"', 1)[1].split("</article>", 1)[0]
    for bad in ('href="javascript:', 'src="javascript:', "<svg", "<iframe", "<script", "style="):
        assert bad not in article, bad
    assert not re.search(r"<[^>]*\son\w+=", article), "an event handler attribute survived"
    assert '<span class="url">javascript:alert(5)</span>' in article  # shown as text, not as a link
    assert (
        '<a href="https://www.cfsn.cn/news/detail/2.html" rel="noopener noreferrer nofollow">相对链接</a>'
        in article
    )
    assert 'src="https://www.cfsn.cn/news/pic.jpg"' in article
    assert "<h1>抽检结果公告（更新）</h1>" in article
    assert "市场监管局" in article and "张三、李四" in article and "2025-03-01 10:00:00+08:00" in article
    assert '<a href="https://www.cfsn.cn/news/1.html" rel="noopener noreferrer nofollow">' in article
    assert "<figcaption>现场图片 — 市场监管局</figcaption>" in article and "坏链接" in article
    assert (
        '<a href="https://www.cfsn.cn/results.xlsx" rel="noopener noreferrer nofollow">抽检结果.xlsx</a>'
        in article
    )
    assert "坏附件" in article
    # Revision 2 says what changed, as a diff of the old and new text.
    assert "changed title, body" in article
    assert "<ins>（更新）</ins>" in article
    assert "第二段<ins>，新增一句。</ins>" in article


async def test_atom_feed_of_a_search_and_of_any_table(ds, archive_db) -> None:  # type: ignore[no-untyped-def]
    _, articles = archive_db
    page = await ds.client.get("/foodnews/articles", params={"_search": "食品"})
    assert 'href="/foodnews/articles.atom?_search=' in page.text
    response = await ds.client.get("/foodnews/articles.atom", params={"_search": "食品", "_size": "max"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    ns = {"a": "http://www.w3.org/2005/Atom"}
    feed = ElementTree.fromstring(response.content)
    entries = feed.findall("a:entry", ns)
    expected = [a for a in articles if "食品" in a.title or "食品" in a.body]
    assert len(entries) == len(expected) > 0
    assert {e.findtext("a:title", namespaces=ns) for e in entries} == {a.title for a in expected}
    links = {e.find("a:link[@rel='alternate']", ns).get("href") for e in entries}
    assert links == {a.url for a in expected}
    assert "食品" in (feed.findtext("a:title", namespaces=ns) or "")
    # Any other table too, and a canned query.
    for url in ("/foodnews/rejects.atom", "/foodnews/crawl_runs.atom", "/foodnews/search.atom?q=食品"):
        response = await ds.client.get(url)
        assert response.status_code == 200, url
        ElementTree.fromstring(response.content)


async def test_journalist_tools_are_configured(ds) -> None:  # type: ignore[no-untyped-def]
    data = (await ds.client.get("/foodnews/articles.json?_search=食品")).json()
    assert set(data["facet_results"]) == {"source", "organization_group", "published_month", "language"}
    database = (await ds.client.get("/foodnews.json")).json()
    assert {q["name"] for q in database["queries"]} >= {"search", "latest_per_source", "sampling_failures"}
    csv = await ds.client.get("/foodnews/articles.csv?_search=食品")
    assert csv.status_code == 200 and csv.text.startswith("id,canonical_url")
    latest = (await ds.client.get("/foodnews/latest_per_source.json?_shape=objects")).json()["rows"]
    assert latest and all(r["source"] == "cfsn" for r in latest) and len(latest) <= 10
    search_page = (await ds.client.get("/foodnews/search", params={"q": "食品"})).text
    first = latest[0]["article"]
    assert (
        f'<a href="/foodnews/articles/{first}">{first}</a>'
        in (await ds.client.get("/foodnews/latest_per_source")).text
    )
    assert "<mark>食品</mark>" in search_page
    failures = (await ds.client.get("/foodnews/sampling_failures.json?_shape=objects")).json()["rows"]
    assert len(failures) == sum(1 for e in EXPECTED if not e["valid"])
    index = (await ds.client.get("/")).text
    assert "Texts and images © their publishers" in index


def test_data_dictionary_is_up_to_date() -> None:
    from archive.datadict import render

    doc = Path(__file__).resolve().parents[1] / "docs" / "schema.md"
    assert doc.read_text(encoding="utf-8") == render(), "run: python -m archive.datadict > docs/schema.md"


@pytest.mark.parametrize(
    ("url", "safe"),
    [
        ("https://www.cfsn.cn/a.html", True),
        ("http://127.0.0.1:8780/x", True),
        ("javascript:alert(1)", False),
        (" JavaScript:alert(1)", False),
        ("java\nscript:alert(1)", False),
        ("data:text/html,<script>alert(1)</script>", False),
        ("//evil.example/x", False),
        ("/relative/path", False),
        ("vbscript:msgbox(1)", False),
        (None, False),
    ],
)
def test_only_http_urls_become_links(url: str | None, safe: bool) -> None:
    from archive.article import safe_url

    assert (safe_url(url) is not None) is safe


def test_serve_mode_follows_the_write_ahead_log(tmp_path: Path) -> None:
    """A crawl still writing (WAL not checkpointed) makes ``serve`` choose live mode; a closed one does not."""
    from archive.serve import has_pending_writes, needs_upgrade

    path = tmp_path / "foodnews.db"
    archive = Archive(path)
    archive.store(Article(url="https://example.org/a", source="demo", title="标题", body="正文"))
    assert has_pending_writes(path)
    assert not needs_upgrade(path)
    archive.close()
    assert not has_pending_writes(path)


async def test_csv_for_excel_has_a_byte_order_mark_and_is_linked(ds) -> None:  # type: ignore[no-untyped-def]
    """Excel reads a CSV without a BOM in the legacy code page (Chinese garbled); with one, as UTF-8."""
    plain = await ds.client.get("/foodnews/articles.csv?_size=5")
    assert plain.status_code == 200 and not plain.content.startswith(codecs.BOM_UTF8)
    for url in (
        "/foodnews/articles.csv?_size=5&_bom=1",
        "/foodnews/articles.csv?_bom=1&_dl=1&_stream=on&_size=max",
    ):
        response = await ds.client.get(url)
        assert response.status_code == 200 and response.content.startswith(codecs.BOM_UTF8), url
        assert response.content.count(codecs.BOM_UTF8) == 1
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert rows[0][0] == "id" and any("抽检" in cell for row in rows[1:] for cell in row)
    page = await ds.client.get("/foodnews/articles?_search=%E6%8A%BD%E6%A3%80")
    (link,) = re.findall(r'href="([^"]*_bom=1[^"]*)"', page.text)
    link = link.replace("&amp;", "&")
    assert link.startswith("/foodnews/articles.csv?_search=") and "_dl=1" in link
    download = await ds.client.get(link)
    assert download.content.startswith(codecs.BOM_UTF8)
    assert download.headers["content-type"].startswith("text/csv")


async def test_organisation_facet_groups_scripts_and_keeps_the_printed_name(ds, archive_db) -> None:  # type: ignore[no-untyped-def]
    """中国食品安全网 and 中國食品安全網 are one facet value; each article keeps its organisation as printed."""
    _, articles = archive_db
    printed = {a.organization for a in articles}
    assert {"中国食品安全网", "中國食品安全網"} <= printed
    response = await ds.client.get("/foodnews/articles.json?_size=0&_facet_size=max")
    values = {
        v["value"]: v["count"] for v in response.json()["facet_results"]["organization_group"]["results"]
    }
    assert "中國食品安全網" not in values
    assert values["中国食品安全网"] == sum(
        a.organization in ("中国食品安全网", "中國食品安全網") for a in articles
    )
    rows = await ds.client.get(
        "/foodnews/articles.json?_shape=array&organization_group=中国食品安全网&_col=organization"
    )
    assert {r["organization"] for r in rows.json()} == {"中国食品安全网", "中國食品安全網"}


@pytest.mark.parametrize(
    "printed, group",
    [
        ("中國食品安全網", "中国食品安全网"),
        ("中国 食品安全网", "中国食品安全网"),
        ("河北省市场监督管理局网站", "河北省市场监督管理局"),
        ("Food  Standards Agency", "Food Standards Agency"),
        ("网站", "网站"),
        ("", None),
    ],
)
def test_organization_group(printed: str, group: str | None) -> None:
    from archive.search import organization_group

    assert organization_group(printed) == group
    assert organization_group(group) == group  # a group is its own group


async def test_the_home_page_searches_every_article(ds) -> None:  # type: ignore[no-untyped-def]
    home = (await ds.client.get("/")).text
    (action,) = re.findall(r'<form class="home-search" action="([^"]+)" method="get"', home)
    assert action == "/foodnews/articles" and 'name="_search"' in home
    results = await ds.client.get(action, params={"_search": "抽检"})
    assert results.status_code == 200 and 'class="headline"' in results.text and "<mark>" in results.text
