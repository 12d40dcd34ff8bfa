"""The offline demo: every source through its local replay, real URLs in the archive whatever the replay's
port, evidence files beside it, and a source whose template changed noticed while the others are stored."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import pytest
from conftest import CRAWL_TIMEOUT, REPLAY_ROOT, REPO_ROOT, crawl_env, free_port, query, table_counts

from crawler.demo.server import demo_spiders, demo_start_urls
from crawler.sources import for_url, registry

#: Every spider of the project has a replay in the demo.
SPIDERS = {"cfsn", "samr", "govcn", "fsa_uk"}


def _demo(db: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "crawler.cli", "demo", "--no-serve", "--db", str(db)]
    return subprocess.run(
        [*command, "--replay-port", str(free_port()), *extra],
        cwd=db.parent.parent,
        env=crawl_env(),
        capture_output=True,
        text=True,
        timeout=CRAWL_TIMEOUT * 3,
        check=False,
    )


def _demo_sources() -> set[str]:
    """The sources the demo's start URLs belong to."""
    found = [for_url(url) for spider in demo_spiders() for url in demo_start_urls(spider)]
    assert None not in found, "a demo start URL is on no source's host"
    return {s.slug for s in found if s is not None}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The demo run twice into one archive, each time with its replay on another port."""
    db = tmp_path_factory.mktemp("demo") / "data" / "foodnews.db"
    db.parent.mkdir()
    runs = []
    for _ in range(2):
        result = _demo(db)
        runs.append({"result": result, "counts": {**table_counts(db), "alerts": _count(db, "alerts")}})
    return {"db": db, "runs": runs}


def _count(db: Path, table: str) -> int:
    return int(query(db, f"select count(*) from [{table}]")[0][0])


def test_the_demo_has_every_spider() -> None:
    assert set(demo_spiders()) >= SPIDERS


def test_demo_stores_every_source(demo: dict[str, Any]) -> None:
    db = demo["db"]
    first = demo["runs"][0]["result"]
    assert first.returncode == 0, first.stdout + first.stderr
    assert "Traceback" not in first.stderr
    for spider in demo_spiders():
        assert f"crawl finished: {spider}: " in first.stdout
    stored = dict(query(db, "select source, count(*) from articles group by source"))
    assert {s for s in _demo_sources() if not stored.get(s)} == set()
    assert len(_demo_sources()) >= len(SPIDERS) + 2  # the bureaus are sources of their own
    runs = query(
        db,
        "select source, status, error from crawl_runs where id in (select max(id) from crawl_runs group by source)",
    )
    assert {source for source, _, _ in runs} == _demo_sources()
    assert [(s, status, e) for s, status, e in runs if status != "finished"] == []
    assert query(db, "select source, last_status from source_health where last_status is not null") == sorted(
        (s, "finished") for s in _demo_sources()
    )


def test_demo_stores_the_real_urls_and_a_second_run_adds_no_row(demo: dict[str, Any]) -> None:
    first, second = demo["runs"]
    assert second["result"].returncode == 0, second["result"].stderr
    content = [k for k in first["counts"] if k != "crawl_runs"]
    assert {k: second["counts"][k] for k in content} == {k: first["counts"][k] for k in content}
    assert second["counts"]["crawl_runs"] == 2 * first["counts"]["crawl_runs"]
    urls = [
        row[0]
        for row in query(
            demo["db"],
            "select url from articles union all select url from rejects union all select url from attachments",
        )
    ]
    assert urls
    for url in urls:
        parts = urlsplit(url)
        assert parts.scheme in ("http", "https") and parts.port is None, url
        assert for_url(url) is not None, url  # on a source's own host, never the replay's


def test_sources_table_is_the_registry(demo: dict[str, Any]) -> None:
    rows = query(demo["db"], "select slug, spider, name, region, level from sources order by slug")
    expected = sorted((s.slug, s.spider, s.name, s.region, s.level) for s in registry().values())
    assert rows == expected
    listed = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "sources"],
        capture_output=True,
        text=True,
        check=True,
        env=crawl_env(),
    ).stdout.splitlines()
    assert sorted(line.split("\t")[0] for line in listed) == [r[0] for r in rows]
    assert sum(1 for r in rows if r[1] == "govcn") >= 20


def test_attachments_are_kept_beside_the_archive(demo: dict[str, Any]) -> None:
    db = demo["db"]
    rows = query(
        db,
        "select a.url, sha256, size, path, media_type, s.source from attachments a "
        "join articles s on s.id = a.article_id where sha256 is not null",
    )
    assert {source for *_, source in rows} >= {"samr"}
    assert any(kind == "application/zip" for *_, kind, _ in rows)
    assert any(kind.endswith("spreadsheetml.sheet") for *_, kind, _ in rows)
    for url, sha256, size, path, _, _ in rows:
        data = (db.parent / "files" / path).read_bytes()
        assert (hashlib.sha256(data).hexdigest(), len(data)) == (sha256, size), url
    assert query(db, "select url, error from attachments where sha256 is null") == []


def test_alerts_keep_their_allergens_and_batches(demo: dict[str, Any]) -> None:
    rows = query(
        demo["db"],
        "select a.url, notation, alert_type, allergens, batch_codes from alerts l "
        "join articles a on a.id = l.article_id",
    )
    assert rows
    assert all(url.startswith("https://www.food.gov.uk/") for url, *_ in rows)
    assert any(kind == "AA" and allergens != "[]" for _, _, kind, allergens, _ in rows)
    assert any(batches != "[]" for *_, batches in rows)


def test_a_changed_template_fails_its_source_only(tmp_path: Path) -> None:
    """cfsn's article template changes (its rules find nothing): its run fails with the reason and the demo
    exits non-zero, while every other source's items are stored."""
    site = tmp_path / "site"
    shutil.copytree(REPLAY_ROOT, site)
    changed = 0
    for page in (site / "www.cfsn.cn" / "news" / "detail").rglob("*.html"):
        html = page.read_text(encoding="utf-8", errors="surrogateescape")
        for old, new in (
            ("detail-title", "art-head"),
            ("detail-content", "art-text"),
            ("detail-info", "art-meta"),
        ):
            html = html.replace(old, new)
        page.write_text(html, encoding="utf-8", errors="surrogateescape")
        changed += 1
    assert changed >= 20
    db = tmp_path / "data" / "foodnews.db"
    db.parent.mkdir()
    result = _demo(db, "--replay-site", str(site))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert "crawl failed: cfsn: " in result.stdout
    assert "cfsn: expectations not met: " in result.stderr
    assert "the site rule for title found nothing" in result.stderr
    runs = {
        s: (status, error) for s, status, error in query(db, "select source, status, error from crawl_runs")
    }
    status, error = runs.pop("cfsn")
    assert status == "failed" and "the site rule for body found nothing" in error
    assert {s: v for s, v in runs.items() if v[0] != "finished"} == {}
    stored = dict(query(db, "select source, count(*) from articles group by source"))
    assert all(stored.get(s) for s in runs), stored
    assert stored.get("cfsn")  # the engine's values are still used: nothing is lost


def _documented_searches() -> list[str]:
    """The example searches of docs/search.md's first block and of the README's search section."""
    doc = (REPO_ROOT / "docs" / "search.md").read_text(encoding="utf-8")
    block = doc.split("```text\n", 1)[1].split("```", 1)[0]
    # Columns are two or more spaces apart; a query may hold one space (every word must match).
    urls = [
        re.split(r"\s{2,}", line)[0].replace(" ", "%20")
        for line in block.splitlines()
        if line.startswith("/foodnews/")
    ]
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Searching the archive", 1)[1].split("\n## ", 1)[0]
    script = re.findall(r"\((\S+) finds (\S+)\)", section)[0]  # (检测 finds 檢測)
    english = re.findall(r"\((recall, [^)]*)\)", section)[0].split(", ")  # (recall, recalls, recalled)
    words = [*script, *english]
    return urls + [f"/foodnews/articles?_search={quote(w)}" for w in words]


async def test_every_documented_search_finds_a_demo_article(demo: dict[str, Any]) -> None:
    from archive.serve import make_datasette

    searches = _documented_searches()
    assert len(searches) >= 8
    ds = make_datasette(demo["db"])
    for url in searches:
        path, _, query_string = url.partition("?")
        json_url = f"{path.split('.')[0]}.json?{query_string}&_shape=objects"
        response = await ds.client.get(json_url)
        assert response.status_code == 200, (url, response.text[:300])
        assert response.json()["rows"], f"{url} finds nothing in the demo"


async def test_the_article_page_shows_each_image_once_and_the_archived_workbooks(
    demo: dict[str, Any],
) -> None:
    from archive.serve import make_datasette

    db = demo["db"]
    ds = make_datasette(db)
    ((notice, count),) = query(
        db,
        "select article_id, count(*) from attachments where sha256 is not null and article_id in "
        "(select id from articles where source = 'samr') group by article_id order by article_id limit 1",
    )
    page = (await ds.client.get(f"/foodnews/articles/{notice}")).text
    links = re.findall(r'<a class="archived" href="(/-/files/sha256/[^"]+)">archived copy</a>', page)
    assert len(links) == count
    for link in links:
        response = await ds.client.get(link)
        assert response.status_code == 200
        assert hashlib.sha256(response.content).hexdigest() == link.rsplit("/", 1)[1].split(".")[0]
    assert (await ds.client.get("/-/files/sha256/00/" + "0" * 64)).status_code == 404
    assert (await ds.client.get("/-/files/../../etc/passwd")).status_code == 404
    assert '<details class="all-fields">' in page
    article_part = page.split('<details class="all-fields">')[0]
    for (url,) in query(db, "select url from attachments where article_id = ?", (notice,)):
        assert article_part.count(f'href="{url}"') == 1, url  # linked once: in the body, not again below
    relevance = (await ds.client.get("/foodnews/articles?_search=%E5%A5%B6%E7%B2%89")).text
    assert 'href="/foodnews/search?q=%E5%A5%B6%E7%B2%89">Most relevant first</a>' in relevance
    # Each image of an article with images appears once (inline in the body, not listed again).
    for (article,) in query(db, "select distinct article_id from images where url is not null"):
        html = (await ds.client.get(f"/foodnews/articles/{article}")).text
        article_part = html.split('<details class="all-fields">')[0]
        for (url,) in query(
            db, "select url from images where article_id = ? and url is not null", (article,)
        ):
            assert article_part.count(f'src="{url}"') == 1, (article, url)


async def test_the_articles_page_is_a_compact_reading_list(demo: dict[str, Any]) -> None:
    from archive.serve import make_datasette

    ds = make_datasette(demo["db"])
    response = await ds.client.get("/foodnews/articles?source=cfsn")
    html = response.text
    assert html.count('class="headline"') == 29
    assert len(response.content) < 60_000, len(response.content)
    assert "<td" not in html.split('<ol class="reading-list">')[1].split("</ol>")[0]
    assert 'class="col-body_html' not in html and "&lt;div&gt;&lt;p&gt;" not in html  # no raw HTML column
    empty = (
        await ds.client.get("/foodnews/articles?_search=%E6%B2%A1%E6%9C%89%E8%BF%99%E4%B8%AA%E8%AF%8D")
    ).text
    assert "No article contains “没有这个词”" in empty and 'class="headline"' not in empty


def test_the_demo_holds_every_failed_row_of_its_workbooks(demo: dict[str, Any]) -> None:
    """Every failed row of every replayed workbook, field by field (run twice: no row twice), against what
    the fixture writers wrote (samr) and the hand-made truth of the others."""
    from archive.schema import INSPECTION_COLUMNS

    fixtures = REPO_ROOT / "tests" / "fixtures"
    samr = json.loads((fixtures / "samr" / "inspections.json").read_text(encoding="utf-8"))["rows"]
    others = json.loads((fixtures / "inspections-demo.json").read_text(encoding="utf-8"))["rows"]
    fields = ["workbook", "sheet", "row", *INSPECTION_COLUMNS]
    expected = sorted(
        [(urlsplit(r["attachment_url"]).path, *(r[f] for f in fields)) for r in samr]
        + [(r["url_path"], *(r[f] for f in fields)) for r in others],
        key=repr,
    )
    found = query(demo["db"], f"select attachment_url, {', '.join(fields)} from inspection_results")
    got = sorted([(unquote(urlsplit(url).path), *rest) for url, *rest in found], key=repr)
    assert got == expected
    # Each row's notice is the article that links its workbook.
    assert query(
        demo["db"],
        "select count(*) from inspection_results r where not exists (select 1 from attachments a"
        " where a.article_id = r.article_id and a.url = r.attachment_url and a.sha256 = r.attachment_sha256)",
    ) == [(0,)]
