"""Sampling results as data: the failed rows of the replayed result workbooks, crawled through the real
engine into ``inspection_results``, checked field by field against what the fixture writer wrote
(``tests/fixtures/samr/inspections.json``); a damaged workbook recorded with its reason; a changed
workbook replacing its rows."""

from __future__ import annotations

import json
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from conftest import CRAWL_TIMEOUT, REPLAY_ROOT, crawl, crawl_env, query, run_crawl

from archive.schema import INSPECTION_COLUMNS
from crawler.demo.server import ReplayServer, replay_file

EXPECTED = json.loads(
    (Path(__file__).parent / "fixtures" / "samr" / "inspections.json").read_text(encoding="utf-8")
)
ORIGIN = ("notice_url", "attachment_url", "workbook", "sheet", "row")


def _rows(db: Path) -> list[dict[str, Any]]:
    columns = [
        "a.url",
        "r.attachment_url",
        "r.workbook",
        "r.sheet",
        "r.row",
        *(f"r.{c}" for c in INSPECTION_COLUMNS),
    ]
    names = [*ORIGIN, *INSPECTION_COLUMNS]
    found = query(
        db,
        f"select {', '.join(columns)} from inspection_results r join articles a on a.id = r.article_id",
    )
    return sorted((dict(zip(names, row, strict=True)) for row in found), key=_key)


def _key(row: dict[str, Any]) -> tuple[str, str, str, int]:
    return (row["attachment_url"], row["workbook"], row["sheet"] or "", row["row"] or 0)


@pytest.fixture(scope="module")
def samr_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("inspections") / "foodnews.db"
    with ReplayServer(REPLAY_ROOT) as server:
        run_crawl(db, server, spider="samr")
    return db


def test_every_failed_row_of_the_workbooks_field_by_field(samr_archive: Path) -> None:
    expected = sorted(
        ({k: row[k] for k in (*ORIGIN, *INSPECTION_COLUMNS)} for row in EXPECTED["rows"]), key=_key
    )
    found = _rows(samr_archive)
    assert len(found) == len(expected) == 41
    for want, got in zip(expected, found, strict=True):
        assert got == want, f"{want['workbook']} {want['sheet']} row {want['row']}"


def test_each_sheet_is_counted_and_the_damaged_workbook_recorded(samr_archive: Path) -> None:
    found = query(
        samr_archive,
        "select a.url, w.attachment_url, w.workbook, w.sheet, w.status, w.failed_samples, w.failed_rows,"
        " w.passed_samples, w.reason from inspection_workbooks w join articles a on a.id = w.article_id",
    )
    names = ["notice_url", "attachment_url", "workbook", "sheet", "status", "failed_samples", "failed_rows"]
    got = sorted(
        ({**dict(zip(names, row[:7], strict=True)), "passed_samples": row[7]} for row in found),
        key=lambda r: (r["workbook"], r["sheet"] or ""),
    )
    want = sorted(
        ({k: s[k] for k in [*names, "passed_samples"]} for s in EXPECTED["sheets"]),
        key=lambda r: (r["workbook"], r["sheet"] or ""),
    )
    assert got == want
    ((reason,),) = [row[8:] for row in found if row[4] == "unread"]
    assert reason.startswith("not a readable workbook: ")
    # The notice of the damaged workbook is stored, its other workbook read.
    ((notice,),) = {(row[0],) for row in found if row[4] == "unread"}
    assert query(samr_archive, "select count(*) from articles where url = ?", (notice,)) == [(1,)]
    samples = query(
        samr_archive,
        "select s.failed_samples, s.failed_rows, s.passed_samples, s.files_unread from inspection_samples s"
        " join articles a on a.id = s.article_id where a.url = ?",
        (notice,),
    )
    assert samples == [(3, 6, 4, 1)]


def test_a_changed_workbook_replaces_its_rows_and_keeps_the_old_ones(tmp_path: Path) -> None:
    site = tmp_path / "site"
    shutil.copytree(REPLAY_ROOT, site)
    db = tmp_path / "foodnews.db"
    book = next(row for row in EXPECTED["rows"] if row["workbook"].endswith("a.xlsx"))
    with ReplayServer(site) as server:
        run_crawl(db, server, spider="samr")
        before = query(
            db, "select count(*) from inspection_results where attachment_url = ?", (book["attachment_url"],)
        )
        # The bureau replaces the workbook with the plain layout of another: its rows are others now.
        other = next(row for row in EXPECTED["rows"] if row["workbook"].endswith("0.xlsx"))
        shutil.copyfile(
            site / replay_file(other["attachment_url"]), site / replay_file(book["attachment_url"])
        )
        run_crawl(db, server, spider="samr", FOODNEWS_INCREMENTAL=False)
    after = query(
        db,
        "select product from inspection_results where attachment_url = ? order by row",
        (book["attachment_url"],),
    )
    kept = query(
        db,
        "select product, notice_revision from inspection_results_replaced where attachment_url = ? order by row",
        (book["attachment_url"],),
    )
    assert before == [(6,)]
    assert len(kept) == 6 and {p for p, _ in kept} == {"饮料样品1", "饮料样品2", "饮料样品3"}
    assert after and all(p.startswith(other["product"].rstrip("0123456789")) for (p,) in after)
    assert query(db, "pragma integrity_check") == [("ok",)]


async def test_search_finds_a_producer_by_a_two_character_word_in_either_script(samr_archive: Path) -> None:
    from archive.serve import make_datasette

    client = make_datasette(samr_archive).client
    expected = {(r["producer"], r["row"]) for r in EXPECTED["rows"] if "饮品" in r["producer"]}
    assert len(expected) == 6
    for word in ("饮品", "飲品"):
        response = await client.get(
            f"/foodnews/inspection_results.json?_search={word}&_shape=objects&_size=max"
        )
        assert response.status_code == 200, response.text
        assert {(r["producer"], r["row"]) for r in response.json()["rows"]} == expected, word
    page = await client.get("/foodnews/inspection_results?_search=飲品")
    assert page.status_code == 200 and 'name="_search"' in page.text  # the search box is offered
    facets = (await client.get("/foodnews/inspection_results.json?_shape=objects")).json()["facet_results"]
    assert {"failed_item", "category", "province"} <= set(facets)
    provinces = {f["value"]: f["count"] for f in facets["province"]["results"]}
    assert provinces == Counter(r["province"] for r in EXPECTED["rows"] if r["province"])


async def test_the_company_query_links_each_failure_to_its_notice_and_workbook(samr_archive: Path) -> None:
    from archive.serve import make_datasette

    client = make_datasette(samr_archive).client
    expected = [r for r in EXPECTED["rows"] if "酒业" in r["producer"]]
    response = await client.get("/foodnews/company_failures.json?q=酒業&_shape=objects")
    assert response.status_code == 200, response.text
    rows = response.json()["rows"]
    assert sorted((r["producer"], r["failed_item"], r["notice_url"]) for r in rows) == sorted(
        (r["producer"], r["failed_item"], r["notice_url"]) for r in expected
    )
    html = (await client.get("/foodnews/company_failures?q=酒業")).text
    workbook = rows[0]["workbook"]
    assert f'href="/-/files/{workbook}"' in html and f'href="{rows[0]["notice_url"]}"' in html
    kept = await client.get(f"/-/files/{workbook}")
    assert kept.status_code == 200 and kept.content[:8] == bytes.fromhex("d0cf11e0a1b11ae1")  # the xls itself
    # The notice's page lists its failures.
    article = (await client.get(f"/foodnews/articles/{rows[0]['article']}")).text
    assert "不合格产品" in article and all(r["product"] in article for r in expected)


#: A crawl whose workbook reader kills its own process on xls files: a reader that crashes natively (calamine
#: is Rust; an abort is no exception) on one workbook, at the same point of every run.
DYING_READER = """
import os, signal, sys
import crawler.workbooks as workbooks
read = workbooks.read_file
def dying(data, name, media_type=None):
    if data[:8] == bytes.fromhex("d0cf11e0a1b11ae1"):
        os.kill(os.getpid(), signal.SIGKILL)
    return read(data, name, media_type)
workbooks.read_file = dying
from crawler.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_a_workbook_the_reader_dies_on_twice_is_not_read_again(tmp_path: Path) -> None:
    db = tmp_path / "foodnews.db"
    xls = next(r for r in EXPECTED["sheets"] if r["workbook"].endswith(".xls"))
    with ReplayServer(REPLAY_ROOT) as server:
        runs = [crawl(db, server, "samr", script=DYING_READER) for _ in range(3)]
    assert [r.returncode for r in runs] == [-signal.SIGKILL, -signal.SIGKILL, 0], runs[-1].stderr
    assert query(
        db,
        "select status, reason from inspection_workbooks where attachment_url = ?",
        (xls["attachment_url"],),
    ) == [("unread", "not read: 2 crawls died while reading this file")]
    # Its notice is stored, and every other workbook read.
    assert query(db, "select count(*) from articles where url = ?", (xls["notice_url"],)) == [(1,)]
    assert query(db, "select count(*) from inspection_results")[0][0] == len(EXPECTED["rows"]) - 2


def test_reparse_reads_the_kept_workbooks_again(samr_archive: Path, tmp_path: Path) -> None:
    """An improved reader reaches the whole archive without a crawl: reparse reads the kept files again."""
    copy = tmp_path / "archive"
    shutil.copytree(samr_archive.parent, copy)
    db = copy / samr_archive.name
    conn = sqlite3.connect(db)
    with conn:  # as an older reader left it: one workbook's rows missing, another's counted wrong
        conn.execute("delete from inspection_results where workbook like '%a.xlsx'")
        conn.execute("update inspection_workbooks set failed_samples = 99 where workbook like '%.xls'")
    conn.close()
    result = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "reparse", "--db", str(db)],
        env=crawl_env(),
        capture_output=True,
        text=True,
        timeout=CRAWL_TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "reparsed 110 unchanged" in result.stdout
    assert _rows(db) == _rows(samr_archive)
    assert query(db, "select max(failed_samples) from inspection_workbooks where workbook like '%.xls'") == [
        (2,)
    ]


def test_rows_from_before_the_column_order_keep_their_ids_and_their_search(tmp_path: Path) -> None:
    from sqlite_utils import Database

    from archive import search
    from archive.schema import INSPECTION_ORDER, migrations
    from archive.store import Archive

    path = tmp_path / "foodnews.db"
    db = Database(sqlite3.connect(path))
    migrations.apply(db, stop_before="m014_inspection_column_order")
    db["sources"].insert({"slug": "samr", "name": "samr"})
    url = "https://www.samr.gov.cn/n.html"
    db["articles"].insert(
        {
            "id": "a1",
            "url": url,
            "canonical_url": url,
            "source": "samr",
            "title": "t",
            "body": "b",
            "revision": 1,
        }
    )
    db["inspection_results"].insert({"id": 7, "article_id": "a1", "producer": "某某飲品有限公司", "row": 3})
    db.execute(
        "insert into inspection_results_search (rowid, names) values (7, ?)",
        [search.index_text("某某飲品有限公司")],
    )
    db.conn.commit()
    db.conn.close()
    with Archive(path) as archive:
        columns = [c.name for c in archive.db["inspection_results"].columns]
        found = archive.db.execute(
            "select r.id, r.producer, r.row from inspection_results_search s join inspection_results r"
            " on r.id = s.rowid where inspection_results_search match ?",
            [search.match_expression("饮品")],
        ).fetchall()
    assert columns[: len(INSPECTION_ORDER)] == INSPECTION_ORDER
    assert found == [(7, "某某飲品有限公司", 3)]


def test_each_notice_states_its_failures_beside_what_its_workbooks_list(samr_archive: Path) -> None:
    rows = query(
        samr_archive,
        "select title, failed_samples, stated_failed_samples, stated_as, agrees from inspection_samples",
    )
    assert len(rows) == 6  # the notices with workbooks
    for title, failed, stated, stated_as, agrees in rows:
        number = int(title.split("关于", 1)[1].split("批次", 1)[0])  # 市场监管总局关于12批次食品抽检不合格…
        assert (stated, stated_as) == (number, f"{number}批次食品抽检不合格")
        assert agrees == (stated == failed)
    # (the replay's notices state more batches than their workbooks list: they disagree, and it shows)
    assert {agrees for *_, agrees in rows} == {0}


def _notice(sha: str, rows: int, workbooks: list[dict[str, Any]] | None = None) -> Any:
    from crawler.items import Article, Attachment

    attachment = Attachment(
        url="https://www.samr.gov.cn/a.xlsx",
        title="a.xlsx",
        sha256=sha,
        size=10,
        media_type="application/zip",
        path=f"sha256/{sha[:2]}/{sha}.xlsx",
    )
    attachment.workbooks = workbooks or [
        {
            "workbook": "a.xlsx",
            "sheet": "S",
            "status": "read",
            "reason": None,
            "failed_samples": rows,
            "passed_samples": None,
            "failed": [
                {"row": n + 2, "sample_number": f"S{n}", "product": f"饼干{sha[0]}"} for n in range(rows)
            ],
        }
    ]
    return Article(
        url="https://www.samr.gov.cn/n.html",
        source="samr",
        title="关于2批次食品抽检不合格情况的通告",
        body="检出2批次样品不合格。" * 3,
        attachments=[attachment],
    )


def test_a_workbook_replaced_again_and_again_keeps_every_past(tmp_path: Path) -> None:
    """(SQLite gives a deleted row's id to the next row: the replaced rows have ids of their own.)"""
    from archive.store import Archive

    with Archive(tmp_path / "foodnews.db") as archive:
        for sha in ("a" * 64, "b" * 64, "c" * 64, "a" * 64):
            archive.store(_notice(sha, 2))
        held = archive.db.execute("select product from inspection_results").fetchall()
        kept = archive.db.execute(
            "select attachment_sha256, product, result_id from inspection_results_replaced order by id"
        ).fetchall()
    assert held == [("饼干a",), ("饼干a",)]
    assert [(sha[0], product) for sha, product, _ in kept] == [("a", "饼干a")] * 2 + [("b", "饼干b")] * 2 + [
        ("c", "饼干c")
    ] * 2
    assert all(isinstance(result_id, int) for *_, result_id in kept)


def test_the_same_file_read_alike_keeps_its_row_ids_and_a_reading_that_failed_keeps_its_rows(
    tmp_path: Path,
) -> None:
    from archive.store import Archive

    with Archive(tmp_path / "foodnews.db") as archive:
        archive.store(_notice("a" * 64, 2))
        first = archive.db.execute("select id, product from inspection_results order by id").fetchall()
        archive.store(_notice("a" * 64, 2))  # a re-crawl: the same file, read the same way
        assert (
            archive.db.execute("select id, product from inspection_results order by id").fetchall() == first
        )
        # The kept copy could not be read this time (a crawl's problem, not the file's): the rows stay.
        unread = {
            "workbook": "a.xlsx",
            "sheet": None,
            "status": "unread",
            "reason": "the kept file cannot be read: Permission denied",
            "failed": [],
            "failed_samples": 0,
            "passed_samples": None,
            "transient": True,
        }
        archive.store(_notice("a" * 64, 0, [unread]))
        assert (
            archive.db.execute("select id, product from inspection_results order by id").fetchall() == first
        )
        # Read otherwise now (a better reader, say): the rows are replaced, nothing kept as a past file.
        archive.store(_notice("a" * 64, 3))
        assert len(archive.db.execute("select id from inspection_results").fetchall()) == 3
        assert archive.db.execute("select count(*) from inspection_results_replaced").fetchone() == (0,)
