"""Shared fixtures: the replay site and its ground truth, local replay servers, and real crawls.

Scrapy's Twisted reactor can start only once per process, so every crawl through the real engine runs in
a subprocess (``python -m crawler.cli crawl cfsn ...``) against a replay served from this process.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from crawler.demo.server import ReplayHandler, ReplayServer, replay_name

REPO_ROOT = Path(__file__).resolve().parent.parent
#: The replay of every source's site: one folder per host (crawler/demo/server.py).
REPLAY_ROOT = REPO_ROOT / "crawler" / "demo" / "site"
#: The replayed cfsn site, whose pages tests/fixtures/cfsn/expected.json describes.
SITE_DIR = REPLAY_ROOT / "www.cfsn.cn"
EXPECTED_JSON = REPO_ROOT / "tests" / "fixtures" / "cfsn" / "expected.json"
# The real site the fixture pages model: their URLs are its URLs, in tests and in a crawl of the replay.
FIXTURE_BASE = "https://www.cfsn.cn"
CRAWL_TIMEOUT = 60


def load_expected() -> list[dict[str, Any]]:
    """The replay site's ground truth (one object per article page)."""
    return json.loads(EXPECTED_JSON.read_text(encoding="utf-8"))


def page_file(root: Path, path: str) -> Path:
    """The file that serves ``path`` (a URL path, maybe with a query), by the replay's own rule."""
    name, _, query = path.partition("?")
    return root / replay_name(unquote(name), unquote(query))


@pytest.fixture(scope="session")
def site_dir() -> Path:
    """The replay of the sites shipped with the crawler (read-only: copy it before changing anything)."""
    assert SITE_DIR.is_dir()
    return REPLAY_ROOT


@pytest.fixture(scope="session")
def expected() -> list[dict[str, Any]]:
    return load_expected()


@pytest.fixture(scope="module")
def replay(site_dir: Path) -> Iterator[ReplayServer]:
    """The unmodified replay site on 127.0.0.1 (a free port)."""
    with ReplayServer(site_dir) as server:
        yield server


@pytest.fixture
def site_copy(site_dir: Path, tmp_path: Path) -> Path:
    """A private copy of the replay site, for tests that change pages."""
    target = tmp_path / "site"
    shutil.copytree(site_dir, target)
    return target


@pytest.fixture
def replay_copy(site_copy: Path) -> Iterator[ReplayServer]:
    """The private copy of the site, served on 127.0.0.1."""
    with ReplayServer(site_copy) as server:
        yield server


class SlowReplayHandler(ReplayHandler):
    """Answers like the replay, but only after a pause: gives a test time to kill a crawl midway."""

    delay = 0.2

    def do_GET(self) -> None:
        time.sleep(self.delay)
        super().do_GET()


class SlowReplayServer(ReplayServer):
    """A replay server whose every response takes ``SlowReplayHandler.delay`` seconds."""

    def __init__(self, root: Path | None = None, port: int = 0):
        super().__init__(root, port)
        self.httpd.RequestHandlerClass = partial(SlowReplayHandler, root=self.root)  # type: ignore[assignment]


# --- crawls in a subprocess ------------------------------------------------------------------------------


def crawl_command(
    db: Path,
    target: ReplayServer | list[str],
    spider: str = "cfsn",
    arguments: dict[str, str] | None = None,
    script: str | None = None,
    **settings: Any,
) -> list[str]:
    """The ``foodnews crawl SPIDER`` command line for a crawl into ``db`` of a replay (the start URLs of
    ``crawler/demo/starts/SPIDER.txt``, real URLs fetched from it through ``FOODNEWS_REPLAY``) or of a list of
    start URLs, fetched as they are; ``arguments`` are spider arguments (``-a``) besides the start URLs.
    With ``script``, Python runs that code (a test's fault, then ``crawler.cli.main``) instead of the CLI."""
    if isinstance(target, ReplayServer):
        start_urls, settings = target.start_urls(spider), {"FOODNEWS_REPLAY": target.base_url, **settings}
    else:
        start_urls = target
    assert all("," not in url for url in start_urls)
    values = {
        "DOWNLOAD_DELAY": 0,
        "AUTOTHROTTLE_ENABLED": False,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
        **settings,
    }
    command = [
        sys.executable,
        *(("-c", script) if script else ("-m", "crawler.cli")),
        "crawl",
        spider,
        "--db",
        str(db),
        "-a",
        "start_urls=" + ",".join(start_urls),
    ]
    for key, value in (arguments or {}).items():
        command += ["-a", f"{key}={value}"]
    for key, value in values.items():
        command += ["-s", f"{key}={value}"]
    return command


def free_port() -> int:
    """A port of 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def crawl_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("FOODNEWS_DB", None)
    env["FOODNEWS_LOG_LEVEL"] = "WARNING"
    return env


def run_crawl(
    db: Path,
    target: ReplayServer | list[str],
    spider: str = "cfsn",
    arguments: dict[str, str] | None = None,
    **settings: Any,
) -> subprocess.CompletedProcess[str]:
    """Crawl with ``spider`` through the real Scrapy engine (in a subprocess) into the archive at ``db``."""
    result = subprocess.run(
        crawl_command(db, target, spider, arguments, **settings),
        cwd=db.parent,
        env=crawl_env(),
        capture_output=True,
        text=True,
        timeout=CRAWL_TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, f"crawl failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
    return result


def start_crawl(
    db: Path, target: ReplayServer | list[str], spider: str = "cfsn", **settings: Any
) -> subprocess.Popen[str]:
    """Start a crawl subprocess without waiting for it."""
    return subprocess.Popen(
        crawl_command(db, target, spider, **settings),
        cwd=db.parent,
        env=crawl_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def query(db: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Rows of a query on a closed archive (opened read-only, so a test cannot change it by accident)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def table_counts(db: Path) -> dict[str, int]:
    """How many rows each content table holds."""
    tables = ("articles", "revisions", "images", "attachments", "rejects", "crawl_runs")
    return {t: query(db, f"select count(*) from [{t}]")[0][0] for t in tables}


# --- small file systems ----------------------------------------------------------------------------------


@contextlib.contextmanager
def tmpfs(path: Path, size: str) -> Iterator[Path]:
    """A tmpfs of ``size`` (mount's syntax: '2m') mounted at ``path`` for the block: a real full disk.

    Mounting needs root (as in CI); elsewhere the test is skipped, saying so.
    """
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a small tmpfs needs root")
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], check=True)
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def remount_read_only(path: Path) -> None:
    """Make a tmpfs of :func:`tmpfs` read-only: what a read-only medium or mount looks like to a writer."""
    subprocess.run(["mount", "-o", "remount,ro", str(path)], check=True)


def one_error_line(stderr: str, prefix: str = "foodnews: error: ") -> str:
    """The one ``foodnews: error:`` line a failed command prints (Scrapy's log lines aside), no traceback."""
    assert "Traceback" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if line.startswith(prefix)]
    assert len(lines) == 1, stderr
    return lines[0]


def crawl(
    db: Path,
    target: ReplayServer | list[str],
    spider: str = "cfsn",
    script: str | None = None,
    **settings: Any,
) -> subprocess.CompletedProcess[str]:
    """A crawl like :func:`run_crawl` that may fail (or a ``script`` of the test's running it): the caller
    looks at its exit status."""
    return subprocess.run(
        crawl_command(db, target, spider, script=script, **settings),
        cwd=db.parent,
        env=crawl_env(),
        capture_output=True,
        text=True,
        timeout=CRAWL_TIMEOUT,
        check=False,
    )
