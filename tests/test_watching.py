"""Watching scheduled crawls: ``crawl --all`` runs every spider in one process, a table of every source's run
ends it, each run's duration is recorded, the exit status says whether any source failed, and an
interactive terminal gets a live line per source."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CRAWL_TIMEOUT, REPLAY_ROOT, crawl_command, crawl_env, query

from crawler.demo.server import ReplayServer, replay_file
from crawler.sources import registry

#: How many of each source's start URLs (as its YAML file gives them) the replay serves.
SERVED = {
    source.slug: sum((REPLAY_ROOT / replay_file(url)).is_file() for url in source.start_urls)
    for source in registry().values()
}


def _foodnews(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "crawler.cli", *args],
        env=crawl_env(),
        capture_output=True,
        text=True,
        timeout=CRAWL_TIMEOUT * 2,
        check=False,
    )


def test_crawl_all_runs_every_source_and_tables_them(tmp_path: Path) -> None:
    db = tmp_path / "foodnews.db"
    with ReplayServer() as server:
        result = _foodnews(
            "crawl",
            "--all",
            "--db",
            str(db),
            *("-s", f"FOODNEWS_REPLAY={server.base_url}", "-s", "DOWNLOAD_DELAY=0"),
            *("-s", "AUTOTHROTTLE_ENABLED=0", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8"),
        )
    # The sources the replay does not serve (most bureaus' own start URLs) fail: the exit status says so.
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("foodnews: error: ")]
    assert errors and all("a source missed its expectations" in e for e in errors)
    runs = {
        s: (status, seconds)
        for s, status, seconds in query(db, "select source, status, seconds from crawl_runs")
    }
    assert set(runs) == set(registry())
    finished = {s for s, (status, _) in runs.items() if status == "finished"}
    assert finished >= {s for s, served in SERVED.items() if served == len(registry()[s].start_urls)}
    assert not finished & {s for s, served in SERVED.items() if not served}
    assert len(finished) >= 4
    assert all(isinstance(seconds, float) and seconds > 0 for _, seconds in runs.values())
    table = result.stdout[result.stdout.index("source ") :].splitlines()
    assert table[0].split() == [
        "source",
        "status",
        "fetched",
        "new",
        "changed",
        "unchanged",
        "held",
        "removed",
        "rejected",
        "seconds",
    ]
    rows = {line.split()[0]: line.split() for line in table[1:] if line.strip()}
    assert set(rows) == set(registry())
    (samr,) = query(db, "select status, pages_fetched, items_new from crawl_runs where source = 'samr'")
    assert rows["samr"][1:4] == [samr[0], str(samr[1]), str(samr[2])]


@pytest.mark.parametrize(
    "args, message",
    [
        (["crawl"], "name one spider, or --all"),
        (["crawl", "cfsn", "--all"], "name one spider, or --all"),
        (["crawl", "--all", "-a", "start_urls=https://www.cfsn.cn/"], "with --all, -a takes only max_pages"),
    ],
)
def test_crawl_usage_mistakes_get_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    result = _foodnews(*args, "--db", str(tmp_path / "foodnews.db"))
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "foodnews.db").exists()


def _crawl_on_a_terminal(db: Path, server: ReplayServer) -> str:
    """A crawl whose standard error is a pseudo-terminal; what the terminal showed."""
    primary, secondary = pty.openpty()
    process = subprocess.Popen(
        crawl_command(db, server), stderr=secondary, stdout=subprocess.DEVNULL, env=crawl_env(), cwd=db.parent
    )
    os.close(secondary)
    shown = b""
    while True:
        try:
            chunk = os.read(primary, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        shown += chunk
    process.wait(timeout=CRAWL_TIMEOUT)
    os.close(primary)
    assert process.returncode == 0, shown.decode("utf-8", "replace")
    return shown.decode("utf-8", "replace")


def test_a_terminal_gets_a_live_line_per_source_and_a_pipe_does_not(tmp_path: Path) -> None:
    db = tmp_path / "foodnews.db"
    with ReplayServer() as server:
        shown = _crawl_on_a_terminal(db, server)
        piped = subprocess.run(
            crawl_command(tmp_path / "piped.db", server),
            env=crawl_env(),
            capture_output=True,
            text=True,
            timeout=CRAWL_TIMEOUT,
            check=False,
            cwd=tmp_path,
        )
    ((pages, new),) = query(db, "select pages_fetched, items_new from crawl_runs")
    last = shown.replace("\r", "\n").splitlines()
    cfsn = [line for line in last if line.startswith("cfsn ")]
    # Redrawn as pages came in: more than one count shown (how many depends on the machine's speed).
    assert len({re.search(r": (\d+) pages", line).group(1) for line in cfsn if ": " in line}) >= 2, cfsn  # type: ignore[union-attr]
    assert f"{pages} pages" in cfsn[-1] and f"{new + 2} items" in cfsn[-1]  # (2 rejects are items too)
    assert piped.returncode == 0 and "pages/s" not in piped.stderr
    assert "\r" not in piped.stderr


def _scrapy_crawl(db: Path, start_urls: list[str], server: ReplayServer) -> subprocess.CompletedProcess[str]:
    """``scrapy crawl cfsn`` as Scrapyd or an operator runs it: Scrapy's command line, not foodnews's."""
    return subprocess.run(
        [
            *(sys.executable, "-m", "scrapy", "crawl", "cfsn", "-a", "start_urls=" + ",".join(start_urls)),
            *("-s", f"FOODNEWS_DB={db}", "-s", f"FOODNEWS_REPLAY={server.base_url}"),
            *(
                "-s",
                "DOWNLOAD_DELAY=0",
                "-s",
                "AUTOTHROTTLE_ENABLED=0",
                "-s",
                "CONCURRENT_REQUESTS_PER_DOMAIN=8",
            ),
        ],
        env={**crawl_env(), "SCRAPY_SETTINGS_MODULE": "crawler.settings"},
        cwd=db.parent,
        capture_output=True,
        text=True,
        timeout=CRAWL_TIMEOUT,
        check=False,
    )


def test_scrapy_crawl_exits_1_when_the_run_failed(tmp_path: Path) -> None:
    """Scrapy's own ``crawl`` exits 0 whenever the engine ran; the project's says whether the run failed."""
    with ReplayServer() as server:
        good = _scrapy_crawl(tmp_path / "good.db", server.start_urls("cfsn"), server)
        # A start URL the replay does not serve: nothing fetched, the source's expectations are missed.
        bad = _scrapy_crawl(tmp_path / "bad.db", ["https://www.cfsn.cn/nowhere/"], server)
    assert good.returncode == 0, good.stderr
    assert query(tmp_path / "good.db", "select status from crawl_runs") == [("finished",)]
    assert bad.returncode == 1, bad.stderr
    assert query(tmp_path / "bad.db", "select status from crawl_runs") == [("failed",)]
    errors = [line for line in bad.stderr.splitlines() if line.startswith("foodnews: error: ")]
    assert len(errors) == 1 and "a source missed its expectations" in errors[0], bad.stderr
