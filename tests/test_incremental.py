"""Incremental re-crawls: list pages and only new or due articles are fetched; a due article is asked for
conditionally; a changed page gives one revision; a withdrawn one is marked, its content kept."""

from __future__ import annotations

import http.client
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import CRAWL_TIMEOUT, crawl_env, free_port, page_file, query, run_crawl

from crawler.demo.server import ReplayServer
from crawler.incremental import Schedule

NOW = datetime(2026, 12, 4, tzinfo=UTC)
#: Every held article is due at once: each re-crawl re-checks all the articles its list pages link to.
ALWAYS_DUE = {"FOODNEWS_RECHECK_MIN_HOURS": 0, "FOODNEWS_RECHECK_MAX_DAYS": 0}
#: An article on the first page of cfsn's 要闻 list (so a re-crawl that stops at that page still sees it).
ON_FIRST_PAGE = "/news/detail/22/361026.html"


@pytest.mark.parametrize(
    "age, since_checked, due",
    [
        (timedelta(hours=2), timedelta(hours=5), False),  # young: at least 6 h apart
        (timedelta(hours=2), timedelta(hours=6), True),
        (timedelta(days=8), timedelta(days=1), False),  # a quarter of 8 days: 2 days apart
        (timedelta(days=8), timedelta(days=2), True),
        (timedelta(days=3650), timedelta(days=29), False),  # old: at most 30 days apart
        (timedelta(days=3650), timedelta(days=30), True),
    ],
)
def test_an_article_is_rechecked_by_its_age(age: timedelta, since_checked: timedelta, due: bool) -> None:
    assert Schedule().due(NOW, NOW - since_checked, NOW - age) is due


def _demo(db: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "crawler.cli", "demo", "--no-serve", "--db", str(db)]
    result = subprocess.run(
        [*command, "--replay-port", str(free_port())],
        cwd=db.parent,
        env=crawl_env(),
        capture_output=True,
        text=True,
        timeout=CRAWL_TIMEOUT * 3,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def _runs(db: Path, first_id: int) -> dict[str, tuple[int, ...]]:
    """Per source, the counts of the runs from ``first_id`` on (one run per source)."""
    rows = query(
        db,
        "select source, pages_fetched, items_new, items_changed, items_unchanged, items_skipped, items_removed"
        " from crawl_runs where id >= ? order by id",
        (first_id,),
    )
    return {source: tuple(counts) for source, *counts in rows}


def test_a_recrawl_of_the_unchanged_demo_fetches_a_tenth_and_stores_nothing_new(tmp_path: Path) -> None:
    db = tmp_path / "foodnews.db"
    _demo(db)
    first = _runs(db, 1)
    articles = query(db, "select count(*) from articles")[0][0]
    second_id = query(db, "select max(id) + 1 from crawl_runs")[0][0]
    _demo(db)
    second = _runs(db, second_id)
    assert set(second) == set(first)
    fetched = [sum(run[0] for run in runs.values()) for runs in (first, second)]
    print(f"pages fetched: first crawl {fetched[0]}, re-crawl {fetched[1]} ({fetched[1] / fetched[0]:.0%})")
    assert fetched[1] <= 0.3 * fetched[0]
    assert sum(run[1] for run in second.values()) == 0  # items_new
    assert sum(run[2] for run in second.values()) == 0  # items_changed
    assert sum(run[4] for run in second.values()) > 0  # held articles not fetched again, counted
    assert query(db, "select count(*) from articles")[0][0] == articles
    assert query(db, "select count(*) from revisions")[0][0] == articles
    statuses = query(db, "select distinct status from crawl_runs where id >= ?", (second_id,))
    assert statuses == [("finished",)]


def test_incremental_off_fetches_everything_again(tmp_path: Path) -> None:
    db = tmp_path / "foodnews.db"
    with ReplayServer() as server:
        run_crawl(db, server)
        run_crawl(db, server, FOODNEWS_INCREMENTAL=False)
    first, second = query(
        db, "select pages_fetched, items_new, items_unchanged, items_skipped from crawl_runs order by id"
    )
    # Every page again, and every attachment with its article.
    assert second[0] == first[0]
    assert (second[1], second[2], second[3]) == (0, first[1], 0)


def _article(db: Path, url: str) -> tuple[Any, ...]:
    return query(db, "select id, revision, removed_at, title, body from articles where url = ?", (url,))[0]


def test_a_due_recheck_is_conditional_a_changed_page_gives_one_revision(
    tmp_path: Path, site_copy: Path, replay_copy: ReplayServer
) -> None:
    db = tmp_path / "foodnews.db"
    run_crawl(db, replay_copy)
    page = page_file(site_copy / "www.cfsn.cn", ON_FIRST_PAGE)
    html = page.read_text(encoding="utf-8")
    first_paragraph = html.index("<p>") + len("<p>")
    page.write_text(html[:first_paragraph] + "（更正）" + html[first_paragraph:], encoding="utf-8")
    revisions = query(db, "select count(*) from revisions")[0][0]
    run_crawl(db, replay_copy, **ALWAYS_DUE)
    new, changed, unchanged, skipped = query(
        db,
        "select items_new, items_changed, items_unchanged, items_skipped from crawl_runs"
        " order by id desc limit 1",
    )[0]
    assert (new, changed, skipped) == (0, 1, 0)
    assert unchanged > 0  # the other articles of the first list pages: 304 Not Modified
    assert query(db, "select count(*) from revisions")[0][0] == revisions + 1
    url = "https://www.cfsn.cn" + ON_FIRST_PAGE
    aid, revision, removed_at, _, body = _article(db, url)
    assert (revision, removed_at) == (2, None) and "（更正）" in body
    assert query(db, "select revision from revisions where article_id = ? order by revision", (aid,)) == [
        (1,),
        (2,),
    ]
    # Validators kept for the next re-check: the ETag the replay sent with the changed page.
    assert query(db, "select etag from articles where id = ?", (aid,))[0][0].startswith('"')


def test_a_withdrawn_article_is_marked_and_kept(
    tmp_path: Path, site_copy: Path, replay_copy: ReplayServer
) -> None:
    db = tmp_path / "foodnews.db"
    run_crawl(db, replay_copy)
    url = "https://www.cfsn.cn" + ON_FIRST_PAGE
    _, _, _, title, body = _article(db, url)
    page = page_file(site_copy / "www.cfsn.cn", ON_FIRST_PAGE)
    kept = page.read_bytes()
    page.unlink()
    run_crawl(db, replay_copy, **ALWAYS_DUE)
    _, revision, removed_at, title_after, body_after = _article(db, url)
    assert removed_at is not None and datetime.fromisoformat(removed_at).tzinfo is not None
    assert (revision, title_after, body_after) == (1, title, body)
    assert query(db, "select items_removed from crawl_runs order by id desc limit 1") == [(1,)]
    assert query(db, "select count(*) from rejects where url = ?", (url,)) == [(0,)]
    page_html = _served_page(
        db, f"/foodnews/articles/{query(db, 'select id from articles where url = ?', (url,))[0][0]}"
    )
    assert "Withdrawn / 已撤下" in page_html and removed_at in page_html and body.split("\n")[0] in page_html
    # Served again (as it was: 304 Not Modified to the held ETag): no longer withdrawn.
    page.write_bytes(kept)
    run_crawl(db, replay_copy, **ALWAYS_DUE)
    assert _article(db, url)[1:] == (1, None, title, body)


def _served_page(db: Path, path: str) -> str:
    """A page of ``foodnews serve`` (a real Datasette over HTTP) on the archive."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "crawler.cli", "serve", "--db", str(db), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=crawl_env(),
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
                    return str(response.read().decode("utf-8"))
            except urllib.error.HTTPError:
                raise
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _get(server: ReplayServer, path: str, **headers: str) -> tuple[int, str | None]:
    conn = http.client.HTTPConnection("127.0.0.1", int(server.httpd.server_address[1]), timeout=10)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status, response.getheader("ETag")
    finally:
        conn.close()


def test_the_replay_answers_conditional_requests_as_a_web_server_does(replay: ReplayServer) -> None:
    path = "/www.cfsn.cn" + ON_FIRST_PAGE
    status, etag = _get(replay, path)
    assert status == 200 and etag
    assert _get(replay, path, **{"If-None-Match": etag})[0] == 304
    assert _get(replay, path, **{"If-None-Match": '"other"'})[0] == 200
    assert _get(replay, path, **{"If-Modified-Since": "Sat, 01 Jan 2000 00:00:00 GMT"})[0] == 200
    assert _get(replay, path, **{"If-Modified-Since": "Fri, 01 Jan 2100 00:00:00 GMT"})[0] == 304
    assert _get(replay, path, **{"If-Modified-Since": "not a date"})[0] == 200


@pytest.mark.parametrize("last_status, reads_on", [("finished", False), ("interrupted", True)])
def test_a_recrawl_stops_at_a_held_list_page_only_after_a_finished_run(
    tmp_path: Path, last_status: str, reads_on: bool
) -> None:
    """A first crawl read one list page of each column; the re-crawl may read three. After a run that
    finished, the first page (all held) says the rest is held too; after a killed one it says nothing."""
    db = tmp_path / "foodnews.db"
    with ReplayServer() as server:
        run_crawl(db, server, arguments={"max_pages": "1"})
        held = query(db, "select count(*) from articles")[0][0]
        conn = sqlite3.connect(db)
        with conn:
            conn.execute("update crawl_runs set status = ?", (last_status,))
        conn.close()
        run_crawl(db, server, arguments={"max_pages": "3"})
    new, skipped = query(db, "select items_new, items_skipped from crawl_runs order by id desc limit 1")[0]
    assert skipped == held
    assert (new > 0) is reads_on
