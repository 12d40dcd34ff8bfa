"""A server no request can stall: bounded SQL functions, capped values and responses, an immutable file
that changes under the server, and serving from a read-only medium."""

from __future__ import annotations

import asyncio
import json
import socket
import sqlite3
import subprocess
import sys
import time
import unicodedata
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from conftest import free_port, remount_read_only, tmpfs
from hypothesis import given, settings
from hypothesis import strategies as st
from test_archive import URL, article

from archive import search
from archive.serve import make_datasette
from archive.store import Archive

# Bodies far longer than any article (an archive written before bodies were capped, or by another tool).
HUGE = "食品抽检结果公布，部分产品检出问题。" * 40_000 + "奶粉"


@pytest.fixture(scope="module")
def huge_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("huge") / "foodnews.db"
    with Archive(path) as archive:
        for i in range(3):
            archive.store(
                article(
                    url=f"{URL}?id={i}", canonical_url=f"{URL}?id={i}", title=f"第{i}篇 奶粉抽检", body=HUGE
                )
            )
        for i in range(3, 40):
            archive.store(article(url=f"{URL}?id={i}", canonical_url=f"{URL}?id={i}", title=f"第{i}篇 通报"))
    return path


@pytest.fixture(scope="module")
def ds(huge_archive: Path) -> Any:
    return make_datasette(huge_archive, immutable=True)


def sql_url(sql: str) -> str:
    return "/foodnews.json?sql=" + quote(sql)


# --- bounded work ----------------------------------------------------------------------------------------


def test_snippets_and_highlights_look_at_a_bounded_excerpt(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[int] = []
    real = search.match_spans
    monkeypatch.setattr(
        search, "match_spans", lambda text, query: seen.append(len(text)) or real(text, query)
    )
    snippet = search.snippet(HUGE, "奶粉", width=100)
    marked = search.highlight(HUGE, "抽检")
    assert seen and max(seen) <= search.SCAN_CHARS
    assert snippet.endswith("…") and len(snippet) <= 102 and search.MARK_START not in snippet
    # The whole text comes back, marked within the excerpt only.
    assert marked.replace(search.MARK_START, "").replace(search.MARK_END, "") == HUGE
    rest = HUGE[search.SCAN_CHARS :]
    assert search.MARK_START in marked[: -len(rest)] and marked[-len(rest) :] == rest


def _normalised_one_by_one(text: str) -> str:
    """The per-character normaliser as first written: the table-driven one must give the same text."""
    table = search._t2s_table()
    out = []
    for c in text:
        n = unicodedata.normalize("NFKC", c).translate(table) if not c.isascii() else c
        out.append(n if len(n) == 1 else c)
    return "".join(out)


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=60)
    | st.text(alphabet="檢測检测ＡＢｃ１２，。（）㈱ﬁ①Ⅻ㍿丽\u2f800\U0002f800\u3000 ", max_size=30)
)
def test_the_character_table_normalises_as_nfkc_and_t2s_do(text: str) -> None:
    assert search._normalised_by_char(text) == _normalised_one_by_one(text)


def test_a_search_query_has_a_length_limit() -> None:
    search.match_expression("食" * search.MAX_QUERY_CHARS)
    with pytest.raises(ValueError, match="longer than"):
        search.match_expression("食" * (search.MAX_QUERY_CHARS + 1))


# --- requests that would stall the server ----------------------------------------------------------------


async def test_sql_functions_on_huge_values_answer(ds: Any) -> None:
    response = await ds.client.get(
        sql_url(
            "select foodnews_highlight(body, '奶粉') as h, "
            "foodnews_snippet(body, '奶粉') as s from articles where rowid <= 3"
        )
    )
    assert response.status_code == 200
    rows = response.json()["rows"]
    assert len(rows) == 3 and all(len(r[1]) < 200 for r in rows)


async def test_many_calls_stop_at_the_time_limit_while_other_requests_answer(ds: Any) -> None:
    """Each call is bounded, so SQLite's progress handler gets control between two and ends the query at
    Datasette's limit; a request made meanwhile is answered first."""
    slow = sql_url(
        "with recursive n(i) as (select 1 union all select i + 1 from n limit 100000) "
        "select count(foodnews_snippet((select body from articles where rowid = 1) || i, '奶粉')) from n"
    )
    done: list[str] = []

    async def get(name: str, url: str) -> Any:
        response = await ds.client.get(url)
        done.append(name)
        return response

    slow_task = asyncio.create_task(get("slow", slow))
    await asyncio.sleep(0.2)
    other = await get("other", "/foodnews/sources.json")
    slow_response = await slow_task
    assert other.status_code == 200 and done == ["other", "slow"]
    assert slow_response.status_code == 400 and "too long" in slow_response.text


async def test_a_huge_value_is_refused(ds: Any) -> None:
    response = await ds.client.get(sql_url("select hex(randomblob(250000000))"))
    assert response.status_code == 400 and "too big" in response.text


async def test_a_huge_response_is_refused(ds: Any) -> None:
    response = await ds.client.get(
        sql_url(
            "with recursive n(i) as (select 1 union all select i + 1 from n "
            "limit 200) select hex(randomblob(400000)) from n"
        )
    )
    assert response.status_code == 400 and "result larger than" in response.text
    # An ordinary page of the same archive is not.
    assert (await ds.client.get("/foodnews/articles.json?_size=10&_col=title")).status_code == 200


async def test_an_overlong_search_is_a_bad_request(ds: Any) -> None:
    response = await ds.client.get("/foodnews/articles.json?_search=" + quote("食" * 1001))
    assert response.status_code == 400 and "longer than 1000" in response.text


async def test_a_search_page_of_huge_bodies_shows_bounded_snippets(ds: Any) -> None:
    response = await ds.client.get("/foodnews/articles?_search=" + quote("奶粉") + "&_col=title&_col=body")
    assert response.status_code == 200
    assert len(response.text) < 100_000 and "<mark>奶粉</mark>" in response.text


# --- a file that changes under the server ----------------------------------------------------------------


async def test_the_immutable_server_notices_a_changed_file(tmp_path: Path) -> None:
    path = tmp_path / "foodnews.db"
    Archive(path).close()
    ds = make_datasette(path, immutable=True)
    assert (await ds.client.get("/foodnews/articles.json?_size=0")).json()["filtered_table_rows_count"] == 0
    assert (await ds.client.get("/foodnews.db")).status_code == 200  # immutable: downloadable
    ids = []
    with Archive(path) as archive:
        for i in range(29):
            item = article(url=f"{URL}?id={i}", canonical_url=f"{URL}?id={i}", title=f"第{i}篇")
            archive.store(item)
            if i == 0:  # a writer still open: the new rows are in the WAL only
                count = (await ds.client.get("/foodnews/articles.json?_size=0")).json()
                assert count["filtered_table_rows_count"] == 1
        ids = [r[0] for r in archive.db.execute("select id from articles")]
    data = (await ds.client.get("/foodnews/articles.json?_size=0")).json()
    assert data["filtered_table_rows_count"] == 29
    for aid in ids:
        assert (await ds.client.get(f"/foodnews/articles/{aid}")).status_code == 200
    (database,) = (await ds.client.get("/-/databases.json")).json()
    assert database["is_mutable"] is True
    assert (await ds.client.get("/foodnews.db")).status_code != 200  # live: no download of a moving file


# --- serving from a read-only medium ---------------------------------------------------------------------


def test_serve_from_a_read_only_medium(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "ro", "8m") as folder:
        db = folder / "foodnews.db"
        with Archive(db) as archive:
            archive.store(article())
        remount_read_only(folder)
        port = free_port()
        proc = subprocess.Popen(
            [sys.executable, "-m", "crawler.cli", "serve", "--db", str(db), "--port", str(port)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    url = f"http://127.0.0.1:{port}/foodnews/articles.json?_shape=objects&_search=" + quote(
                        "校园"
                    )
                    with urllib.request.urlopen(url, timeout=5) as response:
                        data = json.load(response)
                    break
                except OSError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        proc.kill()
                        raise AssertionError(f"serve did not answer: {proc.communicate()[0]}") from None
                    time.sleep(0.2)
            assert [r["title"] for r in data["rows"]] == [article().title]
        finally:
            proc.terminate()
            proc.wait(timeout=10)


async def test_printf_which_builds_before_it_checks_is_refused(ds: Any) -> None:
    response = await ds.client.get(sql_url("select printf('%.*c', 2000000000, 'x')"))
    assert response.status_code == 400 and "printf" in response.text
    assert (await ds.client.get(sql_url("select upper('ok')"))).status_code == 200


async def test_a_deleted_file_is_still_served_from_the_open_connections(tmp_path: Path) -> None:
    path = tmp_path / "foodnews.db"
    with Archive(path) as archive:
        archive.store(article())
    ds = make_datasette(path, immutable=True)
    url = "/foodnews/articles.json?_size=0"
    assert (await ds.client.get(url)).status_code == 200
    db = ds.get_database("foodnews")
    path.unlink()
    assert db._went_live() is False  # nothing to notice: no stat of a missing file is an error
    assert (await ds.client.get("/-/versions.json")).status_code == 200


@pytest.mark.parametrize(
    ("port", "status", "words"),
    [
        ("99999", 2, "1 to 65535"),
        ("-1", 2, "1 to 65535"),
        ("0", 2, "1 to 65535"),
        ("busy", 2, "cannot listen"),
    ],
)
def test_serve_on_a_port_it_cannot_have_is_one_line(
    huge_archive: Path, port: str, status: int, words: str
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        number = str(taken.getsockname()[1]) if port == "busy" else port
        result = subprocess.run(
            [sys.executable, "-m", "crawler.cli", "serve", "--db", str(huge_archive), "--port", number],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == status
    assert result.stderr.count("\n") == 1 and words in result.stderr and "Traceback" not in result.stderr
    assert "serving" not in result.stdout


async def test_the_time_limit_is_checked_often_enough_for_heavy_rows(ds: Any) -> None:
    """Datasette's limit is checked every 50 SQLite instructions, not every 1,000: a row that copies a huge
    value into a Python function costs milliseconds (bench/bench_limits.py measures the overshoot)."""
    import datasette.database

    checker = datasette.database.sqlite_timelimit

    class Probe:
        """Records how the progress handler is set."""

        def __init__(self) -> None:
            self.every: list[int] = []

        def set_progress_handler(self, handler: Any, n: int) -> None:
            self.every.append(n)

    probe = Probe()
    with checker(probe, 2000):  # type: ignore[arg-type]
        pass
    assert probe.every == [50, 0]
    # The deadline still ends a query, with the error Datasette reports as "too long".
    conn = sqlite3.connect(":memory:")
    with pytest.raises(sqlite3.OperationalError, match="interrupted"), checker(conn, 30):
        conn.execute(
            "with recursive n(i) as (select 1 union all select i + 1 from n limit 50000000) select count(*) from n"
        )
    conn.close()
