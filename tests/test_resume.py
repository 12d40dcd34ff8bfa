"""Crash safety and resume: crawls killed with SIGKILL at random moments, then one run to the end, hold
exactly what a clean crawl holds, with no duplicate and a sound database."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from conftest import CRAWL_TIMEOUT, REPLAY_ROOT, SlowReplayServer, query, run_crawl, start_crawl

KILLS = 5


def _contents(db: Path) -> dict[str, Any]:
    return {
        "articles": sorted(
            query(db, "select url, canonical_url, title, body, published, authors from articles")
        ),
        "rejects": sorted(query(db, "select url, reason from rejects")),
        "attachments": sorted(query(db, "select url, sha256 from attachments")),
    }


def _running(db: Path) -> bool:
    if not db.exists():
        return False
    try:
        return bool(query(db, "select count(*) from crawl_runs where status = 'running'")[0][0])
    except sqlite3.Error:  # not created yet
        return False


def test_five_kills_then_one_run_hold_what_a_clean_run_holds(tmp_path: Path) -> None:
    seed = int(os.environ.get("FOODNEWS_KILL_SEED") or time.time_ns() % 1_000_000)
    print(f"kill moments from seed {seed} (FOODNEWS_KILL_SEED={seed} repeats them)")
    moments = random.Random(seed)
    clean, killed = tmp_path / "clean" / "foodnews.db", tmp_path / "killed" / "foodnews.db"
    clean.parent.mkdir()
    killed.parent.mkdir()
    with SlowReplayServer(REPLAY_ROOT) as server:
        run_crawl(clean, server, CONCURRENT_REQUESTS_PER_DOMAIN=4)
        ((started, finished),) = query(clean, "select started, finished from crawl_runs")
        duration = (datetime.fromisoformat(finished) - datetime.fromisoformat(started)).total_seconds()
        stored_after_kill, killed_runs = [], 0
        for _ in range(KILLS):
            process = start_crawl(killed, server, CONCURRENT_REQUESTS_PER_DOMAIN=4)
            try:
                # A moment of the crawl proper (its run recorded, pages being fetched and stored), within
                # the time a whole crawl takes; a re-crawl of what is held is shorter, so a late moment may
                # find it finished.
                deadline = time.monotonic() + CRAWL_TIMEOUT
                while not _running(killed) and process.poll() is None and time.monotonic() < deadline:
                    time.sleep(0.02)
                time.sleep(moments.uniform(0, 0.8 * duration))
            finally:
                process.send_signal(signal.SIGKILL)
                process.communicate(timeout=CRAWL_TIMEOUT)
            killed_runs += process.returncode == -signal.SIGKILL
            if killed.exists():
                conn = sqlite3.connect(killed)
                try:
                    assert conn.execute("pragma integrity_check").fetchall() == [("ok",)]
                    stored_after_kill.append(conn.execute("select count(*) from articles").fetchone()[0])
                finally:
                    conn.close()
        print(
            f"{killed_runs} crawls killed (a clean crawl: {duration:.0f} s); stored after each: {stored_after_kill}"
        )
        assert killed_runs >= 1
        run_crawl(killed, server, CONCURRENT_REQUESTS_PER_DOMAIN=4)
    assert query(killed, "pragma integrity_check") == [("ok",)]
    assert _contents(killed) == _contents(clean)
    # No duplicate: one revision per article (a page stored twice would have made a second), one row per URL.
    ((articles, revisions, urls),) = query(
        killed,
        "select (select count(*) from articles), (select count(*) from revisions),"
        " (select count(distinct url) from articles)",
    )
    assert articles == revisions == urls
    statuses = [s for (s,) in query(killed, "select status from crawl_runs order by id")]
    assert statuses[-1] == "finished"
    # (a kill during the process's start, before its run was recorded, leaves no run)
    assert set(statuses[:-1]) <= {"interrupted", "finished"}, statuses
