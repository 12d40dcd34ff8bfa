"""Crawls through the real Scrapy engine (in subprocesses) against the replay site on 127.0.0.1: the archive
they write, re-crawls, the offline demo, and a crawl killed midway."""

from __future__ import annotations

import json
import re
import shutil
import signal
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import (
    CRAWL_TIMEOUT,
    FIXTURE_BASE,
    REPLAY_ROOT,
    SITE_DIR,
    SlowReplayServer,
    crawl,
    load_expected,
    one_error_line,
    page_file,
    query,
    run_crawl,
    start_crawl,
    table_counts,
)

from crawler.demo.server import ReplayServer
from crawler.sources import registry
from crawler.spiders.cfsn import CfsnSpider

EXPECTED = load_expected()
VALID = [e for e in EXPECTED if e["valid"]]
INVALID = [e for e in EXPECTED if not e["valid"]]


def list_pages(root: Path) -> list[Path]:
    """The column list pages of the replay site (each followed by the spider)."""
    pages = sorted((root / "news").glob("*.html*")) + sorted((root / "front/web").glob("site.hangye@*"))
    for page in pages:  # all within cfsn's default max_pages (3)
        number = re.search(r"page=(\d+)", page.name)
        assert number is None or int(number[1]) <= 3
    return pages


def check_published(got: str | None, want: str) -> None:
    assert got is not None
    if "T" in want:
        assert got == want
    else:
        assert got.startswith(want + "T")


# --- (a) one crawl of the replay site --------------------------------------------------------------------


@pytest.fixture(scope="module")
def crawled(replay: ReplayServer, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    db = tmp_path_factory.mktemp("crawl") / "foodnews.db"
    result = run_crawl(db, replay)
    return db, FIXTURE_BASE, result.stdout


def test_crawl_stores_every_valid_article(crawled: tuple[Path, str, str]) -> None:
    db, base, _ = crawled
    got = {
        row[0]: row[1:]
        for row in query(
            db,
            "select url, title, published, body, authors, editor, organization, source, language "
            "from articles",
        )
    }
    assert len(got) == len(VALID)
    assert set(got) == {base + e["path"] for e in VALID}
    for entry in VALID:
        title, published, body, authors, editor, organization, source, language = got[base + entry["path"]]
        assert title and body and published
        assert title == entry["title"]
        check_published(published, entry["published"])
        assert body.startswith(entry["body_first"]) and body.endswith(entry["body_last"])
        assert len(body.split("\n\n")) == entry["paragraphs"]
        assert json.loads(authors) == entry["authors"]
        assert (editor, organization, source, language) == (
            entry["editor"],
            entry["organization"],
            "cfsn",
            entry["language"],
        )


def test_crawl_stores_images_and_attachments(crawled: tuple[Path, str, str]) -> None:
    db, base, _ = crawled
    for entry in VALID:
        url = base + entry["path"]
        images = query(
            db,
            "select i.url, i.caption, i.credit from images i join articles a "
            "on a.id = i.article_id where a.url = ? order by i.position",
            (url,),
        )
        assert len(images) == len(entry["images"])
        for (img_url, caption, credit), want in zip(images, entry["images"], strict=True):
            assert img_url == base + want["url"] and (caption, credit) == (want["caption"], want["credit"])
        files = query(
            db,
            "select f.title from attachments f join articles a on a.id = f.article_id "
            "where a.url = ? order by f.position",
            (url,),
        )
        assert [f[0] for f in files] == [a["title"] for a in entry["attachments"]]


def test_crawl_records_rejects(crawled: tuple[Path, str, str]) -> None:
    db, base, _ = crawled
    sql = "select url, reason, http_status, times, source from rejects"
    got = {row[0]: row[1:] for row in query(db, sql)}
    assert set(got) == {base + e["path"] for e in INVALID}
    for entry in INVALID:
        reason, status, times, spider = got[base + entry["path"]]
        assert entry["reason"] in reason
        assert (times, spider) == (1, "cfsn")
        missing = not page_file(SITE_DIR, entry["path"]).is_file()
        assert status == (404 if missing else 200)


def test_crawl_run_is_recorded(crawled: tuple[Path, str, str]) -> None:
    db, _, stdout = crawled
    runs = query(
        db,
        "select spider, status, started, finished, pages_fetched, items_new, items_changed, "
        "items_unchanged, items_rejected from crawl_runs",
    )
    assert len(runs) == 1
    spider, status, started, finished, pages, new, changed, unchanged, rejected = runs[0]
    assert (spider, status) == ("cfsn", "finished")
    assert started and finished and started <= finished
    # robots.txt (counted for the source of its host), every list page, every article page (the 404
    # included), and every attachment (downloaded as evidence).
    attachments = {a["url"] for e in VALID for a in e["attachments"]}
    assert attachments
    assert pages == 1 + len(list_pages(SITE_DIR)) + len(EXPECTED) + len(attachments)
    assert (new, changed, unchanged, rejected) == (len(VALID), 0, 0, len(INVALID))
    assert f"{len(VALID)} new" in stdout and f"{len(INVALID)} rejected" in stdout


def test_crawl_registers_source_and_keeps_db_sound(crawled: tuple[Path, str, str]) -> None:
    db, _, _ = crawled
    (cfsn,) = CfsnSpider.sources()
    row = cfsn.row()
    # The crawled source's row as its file describes it, and a row for every other source of the registry.
    assert query(db, f"select {', '.join(row)} from sources where slug = 'cfsn'") == [tuple(row.values())]
    assert query(db, "select count(*) from sources") == [(len(registry()),)]
    assert query(db, "pragma integrity_check") == [("ok",)]
    assert query(db, "select count(*) from revisions") == [(len(VALID),)]
    sql = "select count(*) from articles where page_sha256 is null or fetched_at is null"
    assert query(db, sql) == [(0,)]


# --- (b) re-crawls ---------------------------------------------------------------------------------------

CHANGED = next(e for e in VALID if not e["images"] and not e["attachments"] and "T" in e["published"])
NEW_TITLE = "【更新】" + CHANGED["title"]
NEW_ENDING = "本文于发布后作了更正，此段为更正后的内容，特此说明。"


@pytest.fixture(scope="module")
def recrawled(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The same copy of the site crawled twice, then changed on one page and crawled a third time."""
    root = tmp_path_factory.mktemp("recrawl")
    site = root / "site"
    shutil.copytree(REPLAY_ROOT, site)
    db = root / "foodnews.db"
    out: dict[str, Any] = {"db": db}
    with ReplayServer(site) as server:
        out["base"] = FIXTURE_BASE
        # Full re-crawls (FOODNEWS_INCREMENTAL off): every page fetched again, as the store must take it.
        # The incremental re-crawl, which fetches held articles only when due, is tests/test_incremental.py's.
        run_crawl(db, server)
        out["counts1"] = table_counts(db)
        run_crawl(db, server, FOODNEWS_INCREMENTAL=False)
        out["counts2"] = table_counts(db)
        page = page_file(site / SITE_DIR.name, CHANGED["path"])
        html = page.read_text("utf-8")
        assert html.count(CHANGED["title"]) >= 1 and html.count(CHANGED["body_last"]) == 1
        html = html.replace(CHANGED["title"], NEW_TITLE).replace(CHANGED["body_last"], NEW_ENDING)
        page.write_text(html, "utf-8")
        run_crawl(db, server, FOODNEWS_INCREMENTAL=False)
        out["counts3"] = table_counts(db)
    return out


def _run(db: Path, number: int) -> dict[str, Any]:
    cols = ("status", "items_new", "items_changed", "items_unchanged", "items_rejected")
    sql = f"select {', '.join(cols)} from crawl_runs order by id limit 1 offset ?"
    row = query(db, sql, (number - 1,))[0]
    return dict(zip(cols, row, strict=True))


def test_recrawl_adds_no_rows(recrawled: dict[str, Any]) -> None:
    first, second = recrawled["counts1"], recrawled["counts2"]
    assert first["articles"] == len(VALID) and first["rejects"] == len(INVALID)
    assert {k: v for k, v in second.items() if k != "crawl_runs"} == {
        k: v for k, v in first.items() if k != "crawl_runs"
    }
    assert (first["crawl_runs"], second["crawl_runs"]) == (1, 2)
    assert _run(recrawled["db"], 2) == {
        "status": "finished",
        "items_new": 0,
        "items_changed": 0,
        "items_unchanged": len(VALID),
        "items_rejected": len(INVALID),
    }


def test_recrawl_counts_rejects_again(recrawled: dict[str, Any]) -> None:
    assert query(recrawled["db"], "select distinct times from rejects") == [(3,)]


def test_changed_page_gets_one_revision(recrawled: dict[str, Any]) -> None:
    db, url = recrawled["db"], recrawled["base"] + CHANGED["path"]
    second, third = recrawled["counts2"], recrawled["counts3"]
    assert third["revisions"] == second["revisions"] + 1
    assert {k: third[k] for k in ("articles", "images", "attachments", "rejects")} == {
        k: second[k] for k in ("articles", "images", "attachments", "rejects")
    }
    sql = "select title, body, revision, id from articles where url = ?"
    ((title, body, revision, aid),) = query(db, sql, (url,))
    assert title == NEW_TITLE
    assert body.endswith(NEW_ENDING) and CHANGED["body_last"] not in body
    assert body.startswith(CHANGED["body_first"])
    assert revision == 2
    revisions = query(
        db,
        "select revision, title, body, changed from revisions where article_id = ? order by revision",
        (aid,),
    )
    assert [r[0] for r in revisions] == [1, 2]
    assert revisions[0][1] == CHANGED["title"] and revisions[0][2].endswith(CHANGED["body_last"])
    assert revisions[1][1] == NEW_TITLE and revisions[1][2] == body
    assert sorted(json.loads(revisions[1][3])) == ["body", "title"]
    assert _run(db, 3) == {
        "status": "finished",
        "items_new": 0,
        "items_changed": 1,
        "items_unchanged": len(VALID) - 1,
        "items_rejected": len(INVALID),
    }
    others = query(db, "select count(*) from articles where revision != 1")
    assert others == [(1,)]


# --- (d) a killed crawl ----------------------------------------------------------------------------------


def _count_articles(db: Path) -> int:
    try:
        return query(db, "select count(*) from articles")[0][0]
    except sqlite3.Error:
        return 0  # not created yet


def test_killed_crawl_leaves_a_sound_database(tmp_path: Path) -> None:
    db = tmp_path / "foodnews.db"
    with SlowReplayServer(REPLAY_ROOT) as server:
        process = start_crawl(db, server, CONCURRENT_REQUESTS_PER_DOMAIN=2)
        try:
            deadline = time.monotonic() + CRAWL_TIMEOUT
            while process.poll() is None and time.monotonic() < deadline:
                if db.exists() and _count_articles(db) >= 3:
                    break
                time.sleep(0.05)
            assert process.poll() is None, "the crawl ended before it could be killed"
            process.send_signal(signal.SIGKILL)
        finally:
            if process.poll() is None:
                process.kill()
            process.communicate(timeout=CRAWL_TIMEOUT)
        assert process.returncode == -signal.SIGKILL

        conn = sqlite3.connect(db)
        try:
            assert conn.execute("pragma integrity_check").fetchall() == [("ok",)]
            stored = conn.execute("select url, title, body from articles").fetchall()
            runs = conn.execute("select status, finished from crawl_runs").fetchall()
        finally:
            conn.close()
        assert 3 <= len(stored) < len(VALID), "the crawl was killed midway"
        titles = {FIXTURE_BASE + e["path"]: e for e in VALID}
        for url, title, body in stored:
            assert title == titles[url]["title"] and body.endswith(titles[url]["body_last"])
        assert runs == [("running", None)]

        run_crawl(db, server, CONCURRENT_REQUESTS_PER_DOMAIN=16)

    assert query(db, "pragma integrity_check") == [("ok",)]
    assert query(db, "select count(*) from articles") == [(len(VALID),)]
    assert query(db, "select count(*) from revisions") == [(len(VALID),)]
    # The next run noticed that the killed one's process was gone.
    (killed, finished) = query(db, "select status, error from crawl_runs order by id")
    assert killed[0] == "interrupted" and "ended without closing the run" in killed[1]
    assert finished == ("finished", None)
    # What the killed run stored is held and not due: not fetched again, counted as skipped; every list
    # page is read again (the last run did not finish), so nothing it never reached is missed.
    sql = "select items_new, items_unchanged, items_skipped from crawl_runs where status = 'finished'"
    ((new, unchanged, skipped),) = query(db, sql)
    assert (new, unchanged, skipped) == (len(VALID) - len(stored), 0, len(stored))


# --- (e) a source whose template changed -----------------------------------------------------------------


def test_a_changed_template_fails_the_source_s_run(tmp_path: Path) -> None:
    """The site renames its classes: the rules find nothing, the engine still stores what it can, and the
    run is failed with the reason, so that someone looks."""
    site = tmp_path / "site"
    shutil.copytree(REPLAY_ROOT, site)
    for page in (site / SITE_DIR.name / "news" / "detail").rglob("*.html"):
        page.write_bytes(page.read_bytes().replace(b'class="detail-', b'class="article-'))
    db = tmp_path / "foodnews.db"
    with ReplayServer(site) as server:
        result = crawl(db, server)
    assert result.returncode == 1
    line = one_error_line(result.stderr)
    assert "expectations" in line and "site rule for title found nothing" in line
    ((status, error),) = query(db, "select status, error from crawl_runs")
    assert status == "failed" and "the site rule for body found nothing" in error
    assert "the site rule for title found nothing" in result.stderr  # logged once, by the spider
    assert query(db, "select count(*) from articles")[0][0] > 0
