"""Limits benchmark: what hostile pages cost a crawl, and what hostile requests cost the server.

1. The real ``cfsn`` spider crawls the hostile site (``crawler/demo/hostile.py``: a gzip bomb, 30 MB pages,
   a page of 200,000 tags, one far over the body limit, redirect loops, a slow body) into a new archive;
   prints each page's reject and the crawl's peak RSS (the goal: at most 300 MB).
2. ``foodnews serve`` serves an archive holding three bodies of 3.6 million characters (written before
   bodies were capped, or by another tool). Each hostile request is sent, and 0.3 s later an unrelated
   one (``/foodnews/sources.json``); prints how long each took (the goals: the hostile one answered or
   refused within 3 s, the unrelated one within 1 s), then the server's peak RSS.

Run: ``python bench/bench_limits.py`` (about a minute). Figures, never a pass or fail.
"""

from __future__ import annotations

import argparse
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from archive.store import Archive
from crawler.demo.hostile import ATTACKS, COLUMN, HostileServer
from crawler.items import Article

HUGE = "食品抽检结果公布，部分产品检出问题。" * 200_000 + "奶粉"


def crawl_hostile(folder: Path) -> None:
    db = folder / "hostile.db"
    with HostileServer() as server:
        command = [sys.executable, "-m", "crawler.cli", "crawl", "cfsn", "--db", str(db)]
        command += ["-a", f"start_urls={server.base_url}{COLUMN}"]
        for setting in (
            "DOWNLOAD_DELAY=0",
            "AUTOTHROTTLE_ENABLED=False",
            "CONCURRENT_REQUESTS_PER_DOMAIN=8",
            "DOWNLOAD_TIMEOUT=3",
            "RETRY_TIMES=0",
            "LOG_LEVEL=ERROR",
        ):
            command += ["-s", setting]
        started = time.monotonic()
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.monotonic() - started
        out = proc.stdout.read() if proc.stdout else ""
    print("## A crawl of the hostile site\n")
    print(out.strip())
    conn = sqlite3.connect(db)
    rejects = dict(conn.execute("select url, reason from rejects"))
    conn.close()
    print("\n| page | reject reason |\n|---|---|")
    for name, (path, _) in ATTACKS.items():
        print(f"| {name} | {rejects.get(server.base_url + path, '(none)')} |")
    print(
        f"\nexit status {os.waitstatus_to_exitcode(status)}, {seconds:.1f} s, "
        f"peak RSS {usage.ru_maxrss / 1024:.0f} MB (goal: at most 300 MB)\n"
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def timed_get(url: str, out: dict[str, object]) -> None:
    started = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=120) as response:
            size = len(response.read())
            out["status"] = response.status
    except urllib.error.HTTPError as exc:
        size = len(exc.read())
        out["status"] = exc.code
    out["seconds"] = time.monotonic() - started
    out["bytes"] = size


def serve_hostile(folder: Path) -> None:
    db = folder / "foodnews.db"
    with Archive(db) as archive:
        for i in range(43):
            body = HUGE if i < 3 else f"第{i}篇：市场监管部门通报奶粉抽检结果，部分产品检出问题。" * 20
            archive.store(
                Article(
                    url=f"https://www.cfsn.cn/news/detail/22/{i}.html",
                    source="cfsn",
                    title=f"第{i}篇 奶粉抽检",
                    body=body,
                    language="zh-Hans",
                )
            )
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "crawler.cli", "serve", "--db", str(db), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/foodnews/sources.json", timeout=2).read()
                break
            except OSError:
                time.sleep(0.2)

        def sql(text: str) -> str:
            return base + "/foodnews.json?sql=" + quote(text)

        many_calls = sql(
            "with recursive n(i) as (select 1 union all select i + 1 from n limit 1000000) select "
            "count(foodnews_snippet((select body from articles where rowid = 1) || i, '奶粉')) from n"
        )
        requests = [
            ("SQL functions, a million calls", [many_calls]),
            ("the same, three at once", [many_calls] * 3),
            (
                "foodnews_highlight of 3 huge bodies",
                [sql("select foodnews_highlight(body, '奶粉') from articles where rowid <= 3")],
            ),
            (
                "HTML search page, 2 huge bodies as snippets",
                [base + "/foodnews/articles?_search=" + quote("奶粉") + "&_col=title&_col=body&_size=2"],
            ),
            ("HTML search page, every column", [base + "/foodnews/articles?_search=" + quote("奶粉")]),
            ("hex(randomblob(250000000))", [sql("select hex(randomblob(250000000))")]),
            (
                "200 rows of 800 KB",
                [
                    sql(
                        "with recursive n(i) as (select 1 union all select i + 1 from n limit 200) "
                        "select hex(randomblob(400000)) from n"
                    )
                ],
            ),
        ]
        print("## Hostile requests to `foodnews serve`\n")
        print(
            "| request | status | seconds | bytes | unrelated request made 0.3 s later |\n|---|---|---|---|---|"
        )
        for name, urls in requests:
            results: list[dict[str, object]] = [{} for _ in urls]
            threads = [
                threading.Thread(target=timed_get, args=(u, r)) for u, r in zip(urls, results, strict=True)
            ]
            for t in threads:
                t.start()
            time.sleep(0.3)
            other: dict[str, object] = {}
            timed_get(base + "/foodnews/sources.json", other)
            for t in threads:
                t.join()
            slowest = max(results, key=lambda r: float(r["seconds"]))  # type: ignore[arg-type]
            print(
                f"| {name} | {slowest['status']} | {slowest['seconds']:.2f} | {slowest['bytes']:,} | "
                f"{other['status']} in {other['seconds']:.2f} s |"
            )
        status = Path(f"/proc/{proc.pid}/status")
        if status.exists():
            hwm = next(line for line in status.read_text().splitlines() if line.startswith("VmHWM"))
            print(f"\nserver peak RSS: {int(hwm.split()[1]) / 1024:.0f} MB")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["crawl", "serve"], help="run one part")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        if args.only in (None, "crawl"):
            crawl_hostile(Path(folder))
        if args.only in (None, "serve"):
            serve_hostile(Path(folder))


if __name__ == "__main__":
    main()
