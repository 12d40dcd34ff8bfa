"""Nothing lost, nothing hangs: crawls and imports on a full disk, a read-only medium, a locked or foreign
file, two at once, and against a hostile site, each through the real engine into real SQLite files."""

from __future__ import annotations

import contextlib
import hashlib
import multiprocessing
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import (
    CRAWL_TIMEOUT,
    REPLAY_ROOT,
    SlowReplayServer,
    crawl,
    crawl_env,
    load_expected,
    one_error_line,
    query,
    remount_read_only,
    start_crawl,
    tmpfs,
)
from test_archive import article
from test_import import good_line

from archive.store import HOST, Archive, ArchiveError, SourceBusy, process_alive, utc_now
from crawler.cli import EXIT_BUSY
from crawler.demo.hostile import ATTACKS, COLUMN, GOOD, HostileServer
from crawler.demo.server import ReplayServer

EXPECTED = load_expected()
VALID = [e for e in EXPECTED if e["valid"]]
INVALID = [e for e in EXPECTED if not e["valid"]]


def run_row(db: Path) -> dict[str, object]:
    cols = (
        "status",
        "error",
        "items_new",
        "items_changed",
        "items_unchanged",
        "items_rejected",
        "items_lost",
    )
    (row,) = query(db, f"select {', '.join(cols)} from crawl_runs order by id desc limit 1")
    return dict(zip(cols, row, strict=True))


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- a full disk -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def replay() -> object:
    with ReplayServer(REPLAY_ROOT) as server:
        yield server


def test_a_full_disk_fails_the_run_and_loses_nothing_it_reported(
    tmp_path: Path, replay: ReplayServer
) -> None:
    with tmpfs(tmp_path / "small", "2m") as folder:
        db = folder / "foodnews.db"
        result = crawl(db, replay)
        assert result.returncode == 1, result.stderr
        line = one_error_line(result.stderr)
        assert "disk full" in line and "recorded as failed" in line
        assert query(db, "pragma integrity_check") == [("ok",)]
        run = run_row(db)
        assert run["status"] == "failed" and "disk full" in str(run["error"])
        assert isinstance(run["items_lost"], int) and run["items_lost"] > 0
        # Every item the run reported as stored is there, and it printed what crawl_runs says.
        stored = query(db, "select count(*) from articles")[0][0]
        assert 0 < stored < len(VALID) and run["items_new"] == stored
        assert f"{stored} new" in result.stdout and f"{run['items_lost']} not stored" in result.stdout
        assert query(db, "select count(*) from rejects")[0][0] == run["items_rejected"]
        # The next crawl on the full disk stores what room there is (or is refused at its start), and fails
        # the same way, saying which.
        runs = query(db, "select count(*) from crawl_runs")[0][0]
        again = crawl(db, replay)
        line = one_error_line(again.stderr)
        assert again.returncode == 1 and "disk full" in line
        if "no run could be recorded" in line:
            assert query(db, "select count(*) from crawl_runs")[0][0] == runs
            assert query(db, "select count(*) from articles")[0][0] == stored
        elif "could not be closed" in line:  # its start recorded, then no room to record its failure
            assert query(db, "select status from crawl_runs order by id desc limit 1") == [("running",)]
            assert query(db, "select count(*) from articles")[0][0] == stored
        else:
            second = run_row(db)
            assert second["status"] == "failed"
            assert query(db, "select count(*) from articles")[0][0] == stored + (second["items_new"] or 0)


def test_an_import_on_a_full_disk_stops_with_what_it_stored(tmp_path: Path) -> None:
    jsonl = tmp_path / "items.jsonl"
    jsonl.write_bytes(b"\n".join(good_line(n) for n in range(1, 3001)) + b"\n")
    with tmpfs(tmp_path / "small", "1m") as folder:
        db = folder / "foodnews.db"
        result = subprocess.run(
            [sys.executable, "-m", "crawler.cli", "import", str(jsonl), "--db", str(db)],
            capture_output=True,
            text=True,
            timeout=CRAWL_TIMEOUT,
            check=False,
        )
        assert result.returncode == 1
        line = one_error_line(result.stderr)
        assert "import stopped at line" in line and "disk full" in line
        assert query(db, "pragma integrity_check") == [("ok",)]
        stored = query(db, "select count(*) from articles")[0][0]
        assert 0 < stored < 3000 and result.stdout.startswith(f"imported {stored} new,")


# --- read-only, foreign and locked files -----------------------------------------------------------------


def test_a_read_only_archive_is_refused_before_anything_is_fetched(
    tmp_path: Path, replay: ReplayServer
) -> None:
    with tmpfs(tmp_path / "ro", "4m") as folder:
        db = folder / "foodnews.db"
        Archive(db).close()
        before = digest(db)
        remount_read_only(folder)
        result = crawl(db, replay)
        assert result.returncode == 1
        assert "read-only" in one_error_line(result.stderr)
        assert "pages fetched" not in result.stdout
        assert digest(db) == before and sorted(p.name for p in folder.iterdir()) == ["foodnews.db"]


@pytest.mark.parametrize("kind", ["folder", "fifo"])
def test_a_path_that_is_not_a_file_is_refused(tmp_path: Path, replay: ReplayServer, kind: str) -> None:
    db = tmp_path / "foodnews.db"
    if kind == "folder":
        db.mkdir()
    else:
        os.mkfifo(db)
    result = crawl(db, replay)
    assert result.returncode == 1 and "not a file" in one_error_line(result.stderr)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["foodnews.db"]


@pytest.mark.parametrize("size", ["128k", "256k", "384k", "768k"])
def test_a_disk_that_fills_at_any_point_of_the_start_says_what_was_recorded(
    tmp_path: Path, replay: ReplayServer, size: str
) -> None:
    """However early the disk fills (the schema, the source's row, the run, its reserve, the first items),
    the one line says whether a run was recorded, and crawl_runs agrees."""
    with tmpfs(tmp_path / "tiny", size) as folder:
        db = folder / "foodnews.db"
        result = crawl(db, replay)
        assert result.returncode == 1
        line = one_error_line(result.stderr)
        assert "disk full" in line, line
        has_runs = db.exists() and query(
            db, "select count(*) from sqlite_master where name = 'crawl_runs'"
        ) == [(1,)]
        runs = query(db, "select status from crawl_runs") if has_runs else []
        if "no run could be recorded" in line:
            assert runs == [] and "pages fetched" not in result.stdout
        else:
            assert runs == [("failed",)]
        if db.exists():
            assert query(db, "pragma integrity_check") == [("ok",)]


def test_a_full_disk_is_named_as_such_when_sqlite_calls_it_an_io_error(
    tmp_path: Path, replay: ReplayServer
) -> None:
    with tmpfs(tmp_path / "small", "2m") as folder:
        db = folder / "foodnews.db"
        Archive(db).close()
        filler = folder / "filler"
        with filler.open("wb") as f, contextlib.suppress(OSError):
            while True:
                f.write(bytes(64 * 1024))
        result = crawl(db, replay)
        assert result.returncode == 1 and "disk full" in one_error_line(result.stderr)


def test_a_foreign_sqlite_file_is_left_alone(tmp_path: Path, replay: ReplayServer) -> None:
    db = tmp_path / "other.db"
    conn = sqlite3.connect(db)
    conn.execute("create table notes(text)")
    conn.commit()
    conn.close()
    before = digest(db)
    result = crawl(db, replay)
    assert result.returncode == 1 and "not a foodnews archive" in one_error_line(result.stderr)
    assert digest(db) == before


def _hold_write_lock(db: Path, seconds: float, ready: Any) -> None:
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("begin immediate")
    ready.set()
    time.sleep(seconds)
    conn.execute("rollback")


@contextlib.contextmanager
def write_lock_held(db: Path, seconds: float) -> Iterator[None]:
    """Another process holds the archive's write lock for ``seconds`` from the start of the block."""
    spawn = multiprocessing.get_context("spawn")
    ready = spawn.Event()
    holder = spawn.Process(target=_hold_write_lock, args=(db, seconds, ready))
    holder.start()
    try:
        assert ready.wait(30), "the lock holder did not start"
        yield
    finally:
        holder.join()


def test_a_lock_held_too_long_is_reported_as_locked(tmp_path: Path, replay: ReplayServer) -> None:
    db = tmp_path / "foodnews.db"
    Archive(db).close()
    with write_lock_held(db, 5):
        started = time.monotonic()
        result = crawl(db, replay, FOODNEWS_DB_TIMEOUT=1)
        assert result.returncode == 1 and "locked" in one_error_line(result.stderr)
        assert time.monotonic() - started < 4.5, "the crawl waited for the lock longer than its timeout"
    assert query(db, "select count(*) from crawl_runs") == [(0,)]


def test_a_store_waits_for_another_writer(tmp_path: Path) -> None:
    """BEGIN IMMEDIATE with a busy timeout: a writer that holds the lock for a while delays a store, and
    the store then succeeds; past the timeout it fails as 'locked'."""
    db = tmp_path / "foodnews.db"
    Archive(db).close()
    with write_lock_held(db, 1.5):
        started = time.monotonic()
        with Archive(db, timeout=20) as archive:
            assert archive.store(article()) == "new"
        assert time.monotonic() - started > 0.5, "the lock was not held"
    with Archive(db, timeout=0.2) as archive, write_lock_held(db, 1.5):
        with pytest.raises(ArchiveError) as caught:
            archive.store(article(title="另一个标题"))
        assert caught.value.cause == "locked" and caught.value.fatal


def _open(db: str) -> str:
    try:
        Archive(db, timeout=30).close()
    except (ArchiveError, sqlite3.Error) as exc:  # reported to the test, which fails on it
        return f"{type(exc).__name__}: {exc}"
    return "ok"


def test_schema_setup_is_safe_when_many_open_a_new_file_at_once(tmp_path: Path) -> None:
    db = tmp_path / "new.db"
    with multiprocessing.get_context("spawn").Pool(6) as pool:
        results = pool.map(_open, [str(db)] * 6)
    assert results == ["ok"] * 6
    names = [r[0] for r in query(db, "select name from _sqlite_migrations order by id")]
    assert names == sorted(set(names)) and names[0] == "m001_initial"
    assert query(db, "pragma integrity_check") == [("ok",)]


# --- two crawls at once ----------------------------------------------------------------------------------


def _running(db: Path) -> bool:
    try:
        return query(db, "select count(*) from crawl_runs where status = 'running'") == [(1,)]
    except sqlite3.Error:
        return False  # not created yet


def test_a_second_crawl_of_the_same_source_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "foodnews.db"
    with SlowReplayServer(REPLAY_ROOT) as server:
        first = start_crawl(db, server, CONCURRENT_REQUESTS_PER_DOMAIN=2)
        try:
            deadline = time.monotonic() + CRAWL_TIMEOUT
            while not _running(db):
                assert first.poll() is None and time.monotonic() < deadline
                time.sleep(0.05)
            second = crawl(db, server)
            _, err = first.communicate(timeout=CRAWL_TIMEOUT)
        finally:
            if first.poll() is None:
                first.kill()
    assert first.returncode == 0, err
    assert second.returncode == EXIT_BUSY
    assert "busy" in one_error_line(second.stderr) and "cfsn is being crawled" in second.stderr
    assert query(db, "select count(*), count(distinct canonical_url) from articles") == [
        (len(VALID), len(VALID))
    ]
    assert query(db, "select status, items_new from crawl_runs") == [("finished", len(VALID))]


def test_a_crawl_and_an_import_write_the_same_archive_at_once(tmp_path: Path) -> None:
    """Two writers take turns for the lock: each stores every one of its items, and both say so."""
    db = tmp_path / "foodnews.db"
    jsonl = tmp_path / "items.jsonl"
    jsonl.write_bytes(b"\n".join(good_line(n) for n in range(1, 1501)) + b"\n")
    with SlowReplayServer(REPLAY_ROOT) as server:
        importer = subprocess.Popen(
            [sys.executable, "-m", "crawler.cli", "import", str(jsonl), "--db", str(db)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=crawl_env(),
        )
        crawler = start_crawl(db, server, CONCURRENT_REQUESTS_PER_DOMAIN=8)
        crawl_out, crawl_err = crawler.communicate(timeout=CRAWL_TIMEOUT)
        import_out, import_err = importer.communicate(timeout=CRAWL_TIMEOUT)
    assert crawler.returncode == 0, crawl_err
    assert importer.returncode == 0, import_err
    assert import_out.startswith("imported 1500 new,")
    assert f"{len(VALID)} new" in crawl_out
    assert query(db, "select count(*) from articles where url not like '%?id=%'") == [(len(VALID),)]
    assert query(db, "select count(*) from articles where url like '%?id=%'") == [(1500,)]
    assert query(db, "pragma integrity_check") == [("ok",)]


# --- runs that end badly ---------------------------------------------------------------------------------


def test_a_run_whose_process_is_gone_is_marked_interrupted(tmp_path: Path) -> None:
    db = tmp_path / "foodnews.db"
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
    )
    dead_pid = int(gone.stdout)
    with Archive(db) as archive:
        live = archive.start_run("other")  # this process: alive
        archive.db.execute(
            "insert into crawl_runs(spider, started, status, host, pid) values ('cfsn', ?, 'running', ?, ?)",
            [utc_now(), HOST, dead_pid],
        )
        archive.db.execute(
            "insert into crawl_runs(spider, started, status) values ('old', ?, 'running')", [utc_now()]
        )
        archive.db.conn.commit()
        (dead,) = [r[0] for r in archive.db.execute("select id from crawl_runs where pid = ?", [dead_pid])]
        (killed_reserve,) = [tmp_path / f"foodnews.db-reserve.{dead}"]
        killed_reserve.write_bytes(b"\0")
        run = archive.start_run("cfsn")
        with pytest.raises(SourceBusy):
            archive.start_run("other")
    statuses = dict(query(db, "select id, status from crawl_runs"))
    assert statuses[live] == "running" and statuses[dead] == "interrupted" and statuses[run] == "running"
    assert query(db, "select status from crawl_runs where spider = 'old'") == [("interrupted",)]
    assert not killed_reserve.exists()


def test_a_reused_pid_is_not_taken_for_the_run_s_process() -> None:
    assert process_alive(os.getpid(), utc_now())
    # This process started before now: as the process of a run that started in 2001 it would be another.
    assert not process_alive(os.getpid(), "2001-01-01T00:00:00+00:00")


# --- a hostile site --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hostile_crawl(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, str, subprocess.CompletedProcess[str]]:
    db = tmp_path_factory.mktemp("hostile") / "foodnews.db"
    with HostileServer() as server:
        result = crawl(db, [server.base_url + COLUMN], DOWNLOAD_TIMEOUT=3, RETRY_TIMES=0)
    return db, server.base_url, result


def test_every_attack_is_a_reject_with_its_reason(
    hostile_crawl: tuple[Path, str, subprocess.CompletedProcess[str]],
) -> None:
    db, base, result = hostile_crawl
    # A site that is nothing but attacks is no healthy source: the run says so, and so does the exit status.
    assert result.returncode == 1 and "expectations" in one_error_line(result.stderr)
    rejects = dict(query(db, "select url, reason from rejects"))
    for name, (path, words) in ATTACKS.items():
        assert words in rejects.get(base + path, ""), (name, rejects.get(base + path))
    # Rejects are recorded under the linked URL, never a hop of a redirect chain.
    assert set(rejects) == {base + path for path, _ in ATTACKS.values()}
    assert query(db, "select url from articles") == [(base + GOOD,)]
    assert query(db, "select max(length(body)) from articles")[0][0] < 10_000
    run = run_row(db)
    assert run["status"] == "failed" and "8 of 9 pages rejected" in str(run["error"])
