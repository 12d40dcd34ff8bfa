"""Crash safety and resume: crawls killed with SIGKILL at random moments, then one run to the end, hold
exactly what a clean crawl holds, with no duplicate and a sound database."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from conftest import (
    CRAWL_TIMEOUT,
    REPLAY_ROOT,
    SlowReplayServer,
    crawl,
    query,
    run_crawl,
    start_crawl,
)

from crawler.demo.server import ReplayServer
from crawler.quarantine import Quarantine

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


#: A crawl whose parser kills its own process on one page: a page that makes the parser crash or run out of
#: memory, and the kernel end the process, at the same point of every run.
DYING_PARSER = """
import os, signal, sys
from crawler.parsers import cfsn
parse = cfsn.parse_article
def dying(body, url, **kwargs):
    if b"POISON-PAGE" in body:
        os.kill(os.getpid(), signal.SIGKILL)
    if b"BUGGY-PAGE" in body:
        raise ValueError("a parser bug\\non two lines")
    return parse(body, url, **kwargs)
cfsn.parse_article = dying
from crawler.cli import main
sys.exit(main(sys.argv[1:]))
"""

POISON = "www.cfsn.cn/news/detail/22/361026.html"


def _dying_crawl(db: Path, server: ReplayServer) -> subprocess.CompletedProcess[str]:
    return crawl(db, server, script=DYING_PARSER)


def test_a_run_killed_at_the_same_page_each_time_gets_past_it(tmp_path: Path, site_copy: Path) -> None:
    """Two crawls die parsing one page; the third records it as a reject with the reason and gets past it."""
    clean, dying = tmp_path / "clean" / "foodnews.db", tmp_path / "dying" / "foodnews.db"
    clean.parent.mkdir()
    dying.parent.mkdir()
    page = site_copy / POISON
    original = page.read_bytes()
    page.write_bytes(original.replace(b"</body>", b"<!-- POISON-PAGE --></body>"))
    poison_url = "https://" + POISON
    with ReplayServer(site_copy) as server:
        run_crawl(clean, server)
        first, second = _dying_crawl(dying, server), _dying_crawl(dying, server)
        assert (first.returncode, second.returncode) == (-signal.SIGKILL, -signal.SIGKILL)
        assert "died while reading " + poison_url in second.stderr  # the first death, seen by the second run
        third = _dying_crawl(dying, server)
        assert third.returncode == 0, third.stderr
        assert query(dying, "pragma integrity_check") == [("ok",)]
        held = {url for (url,) in query(dying, "select url from articles")}
        assert held == {url for (url,) in query(clean, "select url from articles")} - {poison_url}
        ((reason,),) = query(dying, "select reason from rejects where url = ?", (poison_url,))
        assert reason.startswith("not parsed: 2 crawls died while parsing this page"), reason
        # The page changes (the publisher fixed it): it is parsed again, and stored.
        page.write_bytes(original)
        fourth = _dying_crawl(dying, server)
    assert fourth.returncode == 0, fourth.stderr
    assert query(dying, "select count(*) from articles where url = ?", (poison_url,)) == [(1,)]
    assert query(dying, "select count(*) from rejects where url = ?", (poison_url,)) == [(0,)]
    assert (
        list((dying.parent / "foodnews.db.parsing").glob("cfsn-[0-9]*.json")) == []
    )  # a clean end leaves no marker


def test_a_parser_that_raises_makes_a_reject_not_a_lost_page(tmp_path: Path, site_copy: Path) -> None:
    page = site_copy / POISON
    page.write_bytes(page.read_bytes().replace(b"</body>", b"<!-- BUGGY-PAGE --></body>"))
    db = tmp_path / "foodnews.db"
    with ReplayServer(site_copy) as server:
        result = _dying_crawl(db, server)
    assert result.returncode == 0, result.stderr
    assert query(db, "select reason from rejects where url = ?", ("https://" + POISON,)) == [
        ("parser error: ValueError: a parser bug on two lines",)
    ]


def test_only_the_markers_of_gone_processes_count(tmp_path: Path) -> None:
    folder = tmp_path / "foodnews.db.parsing"
    folder.mkdir()
    page = {"url": "https://www.cfsn.cn/a.html", "sha256": "ab" * 32, "source": "cfsn"}
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
    )
    (folder / f"cfsn-{gone.stdout.strip()}.json").write_text(json.dumps(page))
    (folder / f"cfsn-{os.getppid()}.json").write_text(json.dumps(page))  # alive: a crawl going on beside
    (folder / "cfsn-1234567.json").write_text('{"url": "https://www.cfsn.cn/b.h')  # torn: no death to count
    (folder / "govcn-7654321.json").write_text(json.dumps(page))  # another spider's
    quarantine = Quarantine(folder, "cfsn")
    assert quarantine.load() == [page]
    assert quarantine.counts[Quarantine.key(page["url"], page["sha256"])]["deaths"] == 1
    assert sorted(p.name for p in folder.glob("*-[0-9]*.json")) == [
        f"cfsn-{os.getppid()}.json",
        "govcn-7654321.json",
    ]
    again = Quarantine(folder, "cfsn")
    again.load()  # the count was kept
    assert again.counts == quarantine.counts
    with again.parsing(page["url"], page["sha256"], "cfsn"):
        assert json.loads((folder / f"cfsn-{os.getpid()}.json").read_text()) == page
    assert (folder / f"cfsn-{os.getpid()}.json").read_text() == ""
    assert again.counts == {}  # parsed to the end: forgotten
    again.close()
    assert not (folder / f"cfsn-{os.getpid()}.json").exists()
