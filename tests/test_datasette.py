"""The archive as journalists see it: Datasette in-process, and one real `foodnews serve` over HTTP."""

from __future__ import annotations

import json
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

from archive.serve import CONFIG_DIR, make_datasette
from archive.store import Archive
from crawler.items import Article, Image, Reject
from crawler.parsers.cfsn import parse_article

SITE = Path(__file__).resolve().parents[1] / "crawler" / "demo" / "site"
EXPECTED = json.loads((Path(__file__).parent / "fixtures" / "cfsn" / "expected.json").read_text(encoding="utf-8"))
BASE = "http://127.0.0.1:8000"


def _build(db_path: Path) -> list[Article]:
    """An archive of every fixture page parsed by the cfsn parser (the crawl itself is tested elsewhere)."""
    articles = []
    with Archive(db_path) as archive:
        for entry in EXPECTED:
            page = SITE / entry["path"].lstrip("/").replace("?", "@")
            if not page.exists():
                archive.store(Reject(url=BASE + entry["path"], reason="HTTP 404", source="cfsn", http_status=404))
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
    assert set(data["facet_results"]) >= {"source", "organization", "published_month"}
    months = {v["value"] for v in data["facet_results"]["published_month"]["results"]}
    assert months == {a.published[:7] for a in articles if a.published}


async def test_every_table_and_column_is_described(ds) -> None:  # type: ignore[no-untyped-def]
    metadata = yaml.safe_load((CONFIG_DIR / "metadata.yaml").read_text(encoding="utf-8"))
    tables = metadata["databases"]["foodnews"]["tables"]
    db = ds.get_database("foodnews")
    for table in await db.table_names():
        if await db.execute_fn(lambda conn, t=table: conn.execute(  # noqa: B023
                "select sql from sqlite_master where name = ?", [t]).fetchone()[0].startswith("CREATE VIRTUAL")):
            continue
        if table.startswith("articles_search") or table in ("_sqlite_migrations", "_search_index"):
            assert tables[table]["hidden"] is True
            continue
        assert tables[table]["description"], table
        columns = await db.table_columns(table)
        missing = [c for c in columns if not tables[table].get("columns", {}).get(c)]
        assert not missing, f"{table}: columns without a description: {missing}"
    response = await ds.client.get("/foodnews/articles")
    assert "One row per article" in response.text


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
        archive.store(Article(url="https://example.org/a", source="demo", title="Recall of infant formula",
                              body="The regulator announced a recall of infant formula today."))
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
        archive.store(Article(
            url="https://example.org/x", source="demo", title="标题" + payload, body="正文" + payload * 2,
            organization=payload, authors=[payload], images=[Image(url="javascript:alert(3)", caption=payload)],
        ))
    ds = make_datasette(path)
    row = (await ds.client.get("/foodnews/articles.json?_shape=objects")).json()["rows"][0]
    html = (await ds.client.get(f"/foodnews/articles/{row['id']}")).text
    assert "<script>alert(1)" not in html
    assert 'onerror="alert(2)"' not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_foodnews_serve_over_http(archive_db) -> None:  # type: ignore[no-untyped-def]
    path, articles = archive_db
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "crawler.cli", "serve", "--db", str(path), "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}/foodnews/articles.json?_shape=objects&_size=max"
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    data = json.load(response)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"serve did not answer: {proc.stdout.read() if proc.stdout else ''}")
                time.sleep(0.2)
        assert {r["title"] for r in data["rows"]} == {a.title for a in articles}
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/foodnews/rejects.json?_shape=objects") as response:
            rejects = json.load(response)["rows"]
        assert len(rejects) == sum(1 for e in EXPECTED if not e["valid"])
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    # Served read-write, the file is still a valid database afterwards.
    assert sqlite3.connect(path).execute("pragma integrity_check").fetchone()[0] == "ok"


def test_data_dictionary_is_up_to_date() -> None:
    from archive.datadict import render

    doc = Path(__file__).resolve().parents[1] / "docs" / "schema.md"
    assert doc.read_text(encoding="utf-8") == render(), "run: python -m archive.datadict > docs/schema.md"
