"""Scrapyd deployment: the project deployed with ``scrapyd-deploy`` (scrapy.cfg's [deploy] target) to a real
``scrapyd`` started on 127.0.0.1, a job scheduled through its API, and the crawl landing in the archive."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from conftest import CRAWL_TIMEOUT, REPO_ROOT, crawl_env, free_port, load_expected, query

from crawler.demo.server import ReplayServer

#: What a deploy copies of the checkout (what a clean clone has, not what a working one gathers).
_IGNORED = shutil.ignore_patterns(
    ".git",
    ".venv*",
    "data",
    "build",
    "*.egg-info",
    "__pycache__",
    ".ruff_cache",
    ".mypy_cache",
    ".pytest_cache",
)


def _bin(name: str) -> str:
    path = Path(sys.executable).parent / name
    if not path.exists():
        pytest.skip(f"{name} is not installed in this environment (pip install -e '.[test]')")
    return str(path)


def _api(base: str, path: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
    body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
    with urllib.request.urlopen(f"{base}/{path}", data=body, timeout=10) as response:
        answer: dict[str, Any] = json.load(response)
    assert answer.get("status") == "ok", answer
    return answer


def test_scrapyd_deploy_and_a_scheduled_crawl_into_the_archive(tmp_path: Path) -> None:
    scrapyd, deploy = _bin("scrapyd"), _bin("scrapyd-deploy")
    project = tmp_path / "project"
    shutil.copytree(REPO_ROOT, project, ignore=_IGNORED)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    # The [deploy] target of scrapy.cfg, pointed at this test's server.
    cfg = (project / "scrapy.cfg").read_text(encoding="utf-8")
    assert "[deploy]" in cfg and "project = foodnews" in cfg
    (project / "scrapy.cfg").write_text(
        cfg.replace("url = http://localhost:6800/", f"url = {base}/"), encoding="utf-8"
    )
    server_dir = tmp_path / "scrapyd"
    server_dir.mkdir()
    (server_dir / "scrapyd.conf").write_text(
        f"[scrapyd]\nbind_address = 127.0.0.1\nhttp_port = {port}\npoll_interval = 0.5\nmax_proc = 1\n",
        encoding="utf-8",
    )
    server = subprocess.Popen(
        [scrapyd], cwd=server_dir, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=crawl_env()
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                _api(base, "daemonstatus.json")
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"scrapyd did not start: {server.communicate()[1]!r}") from None
                time.sleep(0.2)
        deployed = subprocess.run(
            [deploy], cwd=project, capture_output=True, text=True, timeout=CRAWL_TIMEOUT * 2, check=False
        )
        assert deployed.returncode == 0, deployed.stdout + deployed.stderr
        assert '"status": "ok"' in deployed.stdout, deployed.stdout
        assert set(_api(base, "listspiders.json?project=foodnews")["spiders"]) >= {
            "cfsn",
            "samr",
            "govcn",
            "fsa_uk",
        }

        db = tmp_path / "archive" / "foodnews.db"
        db.parent.mkdir()
        with ReplayServer() as replay:
            settings = {
                "FOODNEWS_DB": str(db),
                "FOODNEWS_REPLAY": replay.base_url,
                "DOWNLOAD_DELAY": "0",
                "AUTOTHROTTLE_ENABLED": "False",
            }
            job = _api(
                base,
                "schedule.json",
                {
                    "project": "foodnews",
                    "spider": "cfsn",
                    "setting": [f"{k}={v}" for k, v in settings.items()],
                    "start_urls": ",".join(replay.start_urls("cfsn")),
                },
            )["jobid"]
            deadline = time.monotonic() + CRAWL_TIMEOUT * 2
            while True:
                jobs = _api(base, "listjobs.json?project=foodnews")
                if any(j["id"] == job for j in jobs["finished"]):
                    break
                assert time.monotonic() < deadline, jobs
                time.sleep(0.5)
    finally:
        server.terminate()
        server.wait(timeout=10)
    valid = [e for e in load_expected() if e["valid"]]
    assert query(db, "select count(*) from articles") == [(len(valid),)]
    assert query(db, "select spider, status from crawl_runs") == [("cfsn", "finished")]
    assert query(db, "select count(*) from articles where warc_file is null") == [(0,)]
