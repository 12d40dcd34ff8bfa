"""Evidence: every response kept as a WARC record beside the archive, linked from its article, revision and
attachment; ``foodnews warc`` gives it back as served, ``foodnews reparse`` extracts it again."""

from __future__ import annotations

import gzip
import hashlib
import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import (
    CRAWL_TIMEOUT,
    REPLAY_ROOT,
    crawl,
    crawl_env,
    free_port,
    one_error_line,
    page_file,
    query,
    run_crawl,
)

from crawler.cli import main
from crawler.demo.server import ReplayHandler, ReplayServer
from crawler.warc import read_record

ARTICLE = "/news/detail/22/361026.html"
ARTICLE_URL = "https://www.cfsn.cn" + ARTICLE


@pytest.fixture(scope="module")
def demo_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("warc") / "foodnews.db"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "crawler.cli",
            "demo",
            "--no-serve",
            "--db",
            str(db),
            "--replay-port",
            f"{free_port()}",
        ],
        cwd=db.parent,
        env=crawl_env(),
        capture_output=True,
        text=True,
        timeout=CRAWL_TIMEOUT * 3,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return db


def test_every_article_revision_and_attachment_links_its_record(demo_archive: Path) -> None:
    db, folder = demo_archive, demo_archive.parent / "warc"
    for table in ("articles", "revisions"):
        assert query(db, f"select count(*) from {table} where warc_file is null") == [(0,)], table
    assert query(db, "select count(*) from attachments where sha256 is not null and warc_file is null") == [
        (0,)
    ]
    rows = query(db, "select url, warc_file, warc_offset, page_sha256 from articles")
    alerts = {u for (u,) in query(db, "select a.url from alerts l join articles a on a.id = l.article_id")}
    from_api = 0
    for url, name, offset, sha256 in rows:
        record = read_record(folder, name, offset)
        assert record.status == 200
        if record.url == url:
            assert hashlib.sha256(record.body).hexdigest() == sha256
        else:  # an alert whose page was not read: its evidence is the API page that holds its record
            assert url in alerts and record.url.startswith("https://data.food.gov.uk/food-alerts/")
            assert url in record.body.decode("utf-8")
            from_api += 1
    assert 0 < from_api < len(alerts) + 1
    for url, name, offset, sha256 in query(
        db, "select url, warc_file, warc_offset, sha256 from attachments where sha256 is not null"
    ):
        assert hashlib.sha256(read_record(folder, name, offset).body).hexdigest() == sha256, url


def test_foodnews_warc_gives_the_response_back_as_served(
    demo_archive: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    served = page_file(REPLAY_ROOT / "www.cfsn.cn", ARTICLE).read_bytes()
    assert main(["warc", ARTICLE_URL, "--db", str(demo_archive), "--body"]) == 0
    assert capsysbinary.readouterr().out == served
    assert main(["warc", ARTICLE_URL, "--db", str(demo_archive)]) == 0
    raw = capsysbinary.readouterr().out
    head, _, body = raw.partition(b"\r\n\r\n")
    assert (head.startswith(b"HTTP/1.1 200 OK\r\n") and b"\r\nEtag: " in head.title()) or b"ETag" in head
    assert body == served


def test_foodnews_reparse_restores_every_demo_article_unchanged(demo_archive: Path, tmp_path: Path) -> None:
    db = tmp_path / "foodnews.db"
    db.write_bytes(demo_archive.read_bytes())
    (tmp_path / "warc").symlink_to(demo_archive.parent / "warc")
    before = query(
        db, "select id, title, body, body_html, revision, published, authors from articles order by id"
    )
    result = _cli("reparse", "--db", str(db))
    assert result.returncode == 0, result.stderr
    line = result.stdout.strip().splitlines()[-1]
    assert line == f"reparsed {len(before)} unchanged, 0 changed, 0 new, 0 rejected, 0 unreadable -> {db}"
    after = query(
        db, "select id, title, body, body_html, revision, published, authors from articles order by id"
    )
    assert after == before
    assert query(db, "select count(*) from revisions") == [(len(before),)]


def test_reparse_applies_todays_parser_through_the_store(demo_archive: Path, tmp_path: Path) -> None:
    """An article stored by an older parser (here: a body cut short) gets today's text as a revision."""
    db = tmp_path / "foodnews.db"
    db.write_bytes(demo_archive.read_bytes())
    (tmp_path / "warc").symlink_to(demo_archive.parent / "warc")
    ((good,),) = query(db, "select body from articles where url = ?", (ARTICLE_URL,))
    conn = sqlite3.connect(db)
    with conn:
        conn.execute(
            "update articles set body = ?, content_sha256 = 'old' where url = ?", (good[:40], ARTICLE_URL)
        )
    conn.close()
    result = _cli("reparse", "--db", str(db), "--source", "cfsn", "-v")
    assert result.returncode == 0, result.stderr
    assert f"changed: {ARTICLE_URL}" in result.stdout
    assert ", 1 changed, " in result.stdout
    assert query(db, "select body, revision from articles where url = ?", (ARTICLE_URL,)) == [(good, 2)]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "crawler.cli", *args],
        env=crawl_env(),
        capture_output=True,
        text=True,
        timeout=CRAWL_TIMEOUT,
        check=False,
    )


@pytest.mark.parametrize(
    "args, status, message",
    [
        (["warc", "https://example.com/none", "--db", "{db}"], 2, "no article 'https://example.com/none'"),
        (["warc", ARTICLE_URL, "--db", "{db}", "--revision", "9"], 2, "has no revision 9"),
        (["warc", ARTICLE_URL, "--db", "{missing}"], 2, "no archive at"),
        (["reparse", "--db", "{db}", "--source", "nope"], 2, "unknown source 'nope'"),
    ],
)
def test_bad_requests_get_one_line(demo_archive: Path, args: list[str], status: int, message: str) -> None:
    filled = [a.format(db=demo_archive, missing=demo_archive.parent / "none.db") for a in args]
    result = _cli(*filled)
    assert result.returncode == status
    assert message in one_error_line(result.stderr)


def test_a_lost_warc_file_is_said_not_a_traceback(demo_archive: Path, tmp_path: Path) -> None:
    db = tmp_path / "foodnews.db"
    db.write_bytes(demo_archive.read_bytes())
    (tmp_path / "warc").mkdir()  # empty: the files are gone
    result = _cli("warc", ARTICLE_URL, "--db", str(db))
    assert result.returncode == 1
    assert "cannot read the WARC record" in one_error_line(result.stderr)
    result = _cli("reparse", "--db", str(db))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    count = query(db, "select count(*) from articles")[0][0]
    assert f"0 unchanged, 0 changed, 0 new, 0 rejected, {count} unreadable" in result.stdout
    assert query(db, "select count(*) from revisions") == [(count,)]  # nothing lost or changed


def test_an_imported_article_has_no_record_and_says_so(tmp_path: Path) -> None:
    item = {"url": ARTICLE_URL, "source": "cfsn", "title": "标题", "body": "正文" * 20}
    jsonl = tmp_path / "items.jsonl"
    jsonl.write_text(json.dumps(item, ensure_ascii=False) + "\n", encoding="utf-8")
    db = tmp_path / "foodnews.db"
    assert main(["import", str(jsonl), "--db", str(db)]) == 0
    result = _cli("warc", ARTICLE_URL, "--db", str(db))
    assert result.returncode == 1
    assert "has no WARC record" in one_error_line(result.stderr)


class GzipReplayHandler(ReplayHandler):
    """The replay, every file sent gzip-encoded (Scrapy asks for it)."""

    compress = True


def test_a_gzip_response_is_kept_as_served_and_read_decoded(tmp_path: Path) -> None:
    from functools import partial

    db = tmp_path / "foodnews.db"
    with ReplayServer() as server:
        server.httpd.RequestHandlerClass = partial(GzipReplayHandler, root=server.root)  # type: ignore[assignment]
        run_crawl(db, server)
    ((name, offset),) = query(db, "select warc_file, warc_offset from articles where url = ?", (ARTICLE_URL,))
    record = read_record(tmp_path / "warc", name, offset)
    served = page_file(REPLAY_ROOT / "www.cfsn.cn", ARTICLE).read_bytes()
    assert record.header("Content-Encoding") == "gzip"
    assert record.raw.endswith(gzip.compress(served, mtime=0))
    assert record.body == served


def test_warc_files_rotate_and_every_record_stays_readable(tmp_path: Path) -> None:
    db = tmp_path / "foodnews.db"
    with ReplayServer() as server:
        run_crawl(db, server, FOODNEWS_WARC_MAX_BYTES=20_000)
    files = sorted((tmp_path / "warc").glob("*.warc.gz"))
    assert len(files) > 3
    rows = query(db, "select url, warc_file, warc_offset from articles")
    assert len({name for _, name, _ in rows}) > 1
    for url, name, offset in rows:
        assert read_record(tmp_path / "warc", name, offset).url == url


def test_a_record_cut_short_by_a_kill_spares_the_ones_before(tmp_path: Path) -> None:
    db = tmp_path / "foodnews.db"
    with ReplayServer() as server:
        run_crawl(db, server)
    rows: list[Any] = query(db, "select url, warc_file, warc_offset from articles order by warc_offset")
    url, name, last = rows[-1]
    path = tmp_path / "warc" / name
    path.write_bytes(path.read_bytes()[: last + 50])  # the last record half written
    for url, file, offset in rows[:-1]:
        if file == name:
            assert read_record(tmp_path / "warc", file, offset).url == url
    with pytest.raises((OSError, ValueError, EOFError)):
        read_record(tmp_path / "warc", name, last)


def test_a_warc_folder_that_cannot_be_written_fails_the_run(tmp_path: Path) -> None:
    db = tmp_path / "foodnews.db"
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the WARC folder should be")
    with ReplayServer() as server:
        result = crawl(db, server, FOODNEWS_WARC=str(blocker))
    assert result.returncode == 1, result.stdout + result.stderr
    ((status, error),) = query(db, "select status, error from crawl_runs")
    assert status == "failed" and "could not be kept as WARC records" in error
    # Nothing parsed is lost: the articles are stored, each noting that its evidence is missing.
    notes = query(db, "select notes from articles")
    assert notes and all("warc: cannot keep the response" in n for (n,) in notes)
