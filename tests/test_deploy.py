"""The deployment files of deploy/: a systemd service and timer that systemd accepts, and a crontab line."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import REPO_ROOT

DEPLOY = REPO_ROOT / "deploy"


def test_systemd_accepts_the_service_and_the_timer(tmp_path: Path) -> None:
    if not shutil.which("systemd-analyze"):
        pytest.skip("systemd-analyze is not installed")
    # As installed: the paths of the unit replaced by ones that exist on this machine.
    for name in ("foodnews-crawl.service", "foodnews-crawl.timer"):
        text = (DEPLOY / name).read_text(encoding="utf-8")
        text = text.replace("/srv/foodnews/.venv/bin/foodnews", shutil.which("true") or "/bin/true")
        (tmp_path / name).write_text(text.replace("User=foodnews", "User=root"), encoding="utf-8")
    result = subprocess.run(
        ["systemd-analyze", "verify", *(str(p) for p in sorted(tmp_path.iterdir()))],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    service = (DEPLOY / "foodnews-crawl.service").read_text(encoding="utf-8")
    assert "ExecStart=/srv/foodnews/.venv/bin/foodnews crawl --all" in service
    timer = (DEPLOY / "foodnews-crawl.timer").read_text(encoding="utf-8")
    calendar = next(line.split("=", 1)[1] for line in timer.splitlines() if line.startswith("OnCalendar="))
    shown = subprocess.run(
        ["systemd-analyze", "calendar", "--iterations=4", calendar],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    elapses = [line.split()[-2] for line in shown.splitlines() if "lapse" in line]
    assert elapses and all(t.endswith(":17:00") for t in elapses), shown


def test_the_crontab_line_crawls_every_source_under_a_lock() -> None:
    lines = [
        line
        for line in (DEPLOY / "crontab").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert len(lines) == 1
    minute, hour, day, month, weekday, command = lines[0].split(None, 5)
    assert (minute, hour, day, month, weekday) == ("17", "*/6", "*", "*", "*")
    assert "flock -n" in command and ".venv/bin/foodnews crawl --all" in command
