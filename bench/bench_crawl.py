"""Crawl benchmark: the full pipeline (fetch, parse, validate, store, WARC) on a replay of ≥ 10,000 article
pages, beside ``scrapy bench`` in the same run.

The replay is generated from the cfsn fixtures: the article page of ``crawler/demo/site`` repeated with a
distinct headline and paragraph each time, behind list pages of 20 links with a 下一页 link to the next.
The real ``cfsn`` spider crawls it through ``foodnews crawl`` (robots.txt obeyed, no politeness delay, the
local server on 127.0.0.1 in another process), then crawls it again at once (incremental: held articles are
not due). Printed: pages/s of both crawls and of ``scrapy bench``, their ratio, peak RSS of the crawl
process, WARC bytes per page, and the re-crawl's page count and duration. Figures, never a pass or fail.

Run: ``make bench-crawl`` or ``python bench/bench_crawl.py --articles 10000`` (a few minutes).
"""

from __future__ import annotations

import argparse
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crawler.demo.server import replay_name

SITE = ROOT / "crawler" / "demo" / "site" / "www.cfsn.cn"
TEMPLATE = SITE / "news" / "detail" / "22" / "361026.html"
HEADLINE = "秋季开学在即 多地集中开展校园食品安全专项检查"
PER_PAGE = 20


def generate(root: Path, articles: int) -> int:
    """Write the replay site under ``root``; returns the number of list pages."""
    page = TEMPLATE.read_text(encoding="utf-8")
    host = root / "www.cfsn.cn"
    (host / "news" / "detail" / "22").mkdir(parents=True)
    (host / "robots.txt").write_text("User-agent: *\nAllow: /\n", encoding="utf-8")
    for n in range(articles):
        number = 500000 + n
        text = page.replace(HEADLINE, f"{HEADLINE}（第{n + 1}篇）")
        text = text.replace("<p>", f"<p>编号{number}的检查记录。", 1)
        (host / "news" / "detail" / "22" / f"{number}.html").write_text(text, encoding="utf-8")
    lists = (articles + PER_PAGE - 1) // PER_PAGE
    for index in range(lists):
        links = "\n".join(
            f'<li><a href="/news/detail/22/{500000 + n}.html">检查记录 {n + 1}</a></li>'
            for n in range(index * PER_PAGE, min(articles, (index + 1) * PER_PAGE))
        )
        following = (
            f'<a class="next" href="/news/bench.html?page={index + 2}">下一页</a>'
            if index + 1 < lists
            else ""
        )
        html = (
            '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>要闻_中国食品安全网</title>'
            f'</head><body><ul class="list">{links}</ul><div class="pages">{following}</div></body></html>'
        )
        name = replay_name("/www.cfsn.cn/news/bench.html", f"page={index + 1}" if index else "")
        (root / name).write_text(html, encoding="utf-8")
    return lists


def crawl(db: Path, base: str, lists: int) -> tuple[float, int, dict[str, int]]:
    """One ``foodnews crawl cfsn`` of the replay: (seconds, peak RSS in KiB, counts of its run)."""
    command = [
        sys.executable,
        "-m",
        "crawler.cli",
        "crawl",
        "cfsn",
        "--db",
        str(db),
        "-a",
        "start_urls=https://www.cfsn.cn/news/bench.html",
        "-a",
        f"max_pages={lists}",
    ]
    for key, value in {
        "FOODNEWS_REPLAY": base,
        "DOWNLOAD_DELAY": 0,
        "AUTOTHROTTLE_ENABLED": False,
        "CONCURRENT_REQUESTS": 32,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 32,
        "LOG_LEVEL": "ERROR",
        "FOODNEWS_PROGRESS": False,
    }.items():
        command += ["-s", f"{key}={value}"]
    env = {**os.environ, "FOODNEWS_LOG_LEVEL": "ERROR"}
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=db.parent, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    out = (process.stdout.read() if process.stdout else b"").decode()
    err = (process.stderr.read() if process.stderr else b"").decode()
    if status != 0:
        print(out, err, file=sys.stderr)
    conn = sqlite3.connect(db)
    try:
        row = conn.execute(
            "select pages_fetched, items_new, items_unchanged, items_skipped, items_rejected, status"
            " from crawl_runs order by id desc limit 1"
        ).fetchone()
    finally:
        conn.close()
    counts = dict(zip(("pages", "new", "unchanged", "skipped", "rejected"), row[:5], strict=True))
    counts["status_ok"] = int(row[5] == "finished")
    return seconds, usage.ru_maxrss, counts


def scrapy_bench(seconds: int) -> float:
    """Pages a second of ``scrapy bench`` (Scrapy's own local server and a spider that only follows links)."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "scrapy",
            "bench",
            "-s",
            f"CLOSESPIDER_TIMEOUT={seconds}",
            "-s",
            "LOG_LEVEL=INFO",
        ],
        cwd=tempfile.gettempdir(),
        capture_output=True,
        text=True,
        check=False,
    )
    log = result.stdout + result.stderr
    pages = re.search(r"'response_received_count': (\d+)", log)
    elapsed = re.search(r"'elapsed_time_seconds': ([\d.]+)", log)
    if not (pages and elapsed):
        raise SystemExit(f"scrapy bench printed no stats:\n{log[-2000:]}")
    return int(pages.group(1)) / float(elapsed.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--bench-seconds", type=int, default=20, help="how long scrapy bench runs")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="foodnews-bench-crawl-"))
    site = work / "site"
    site.mkdir()
    started = time.perf_counter()
    lists = generate(site, args.articles)
    print(
        f"replay: {args.articles:,} articles, {lists:,} list pages, written in {time.perf_counter() - started:.1f} s"
    )
    server = subprocess.Popen(
        [sys.executable, "-c", _SERVER, str(site)], stdout=subprocess.PIPE, text=True, cwd=str(ROOT)
    )
    try:
        assert server.stdout is not None
        base = server.stdout.readline().strip()
        db = work / "archive" / "foodnews.db"
        db.parent.mkdir()
        first = crawl(db, base, lists)
        again = crawl(db, base, lists)
    finally:
        server.terminate()
        server.wait()
    bench = scrapy_bench(args.bench_seconds)
    warc = sum(p.stat().st_size for p in (db.parent / "warc").glob("*.warc.gz"))
    for label, (seconds, rss, counts) in (("crawl", first), ("re-crawl", again)):
        print(
            f"{label}: {counts['pages']:,} pages in {seconds:.1f} s = {counts['pages'] / seconds:.1f} pages/s; "
            f"{counts['new']:,} new, {counts['unchanged']:,} unchanged, {counts['skipped']:,} held and not due, "
            f"{counts['rejected']} rejected; finished: {bool(counts['status_ok'])}; peak RSS {rss / 1024:.0f} MB"
        )
    seconds, _, counts = first
    rate = counts["pages"] / seconds
    print(f"scrapy bench: {bench:.1f} pages/s (same machine, same run)")
    print(f"full pipeline / scrapy bench: {rate / bench:.2f}x")
    print(f"WARC: {warc / 1e6:.1f} MB, {warc / counts['pages']:,.0f} bytes a page")
    print(
        f"re-crawl: {again[2]['pages']:,} pages ({again[2]['pages'] / counts['pages']:.1%} of the first), {again[0]:.1f} s"
    )
    print(f"(work folder: {work})")


_SERVER = """
import sys
from pathlib import Path
from crawler.demo.server import ReplayServer
server = ReplayServer(Path(sys.argv[1]))
with server:
    print(server.base_url, flush=True)
    import threading
    threading.Event().wait()
"""


if __name__ == "__main__":
    main()
