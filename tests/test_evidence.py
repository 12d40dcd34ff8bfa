"""Attachments kept as evidence: downloaded through the real engine, stored by SHA-256 beside the archive,
recorded with hash, size, media type and path, or with the reason they could not be kept."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import pytest
from conftest import crawl_command, crawl_env, query

from crawler.demo.server import ReplayServer
from crawler.files import kept_path, media_type

ARTICLE = "www.cfsn.cn/news/detail/2369/361024.html"
ARTICLE_URL = "https://" + ARTICLE
WORKBOOK = "https://www.cfsn.cn/upload/file/2026/08/抽检结果.xlsx"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _zip(names: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in names.items():
            archive.writestr(name, data)
    return out.getvalue()


def test_media_type_from_the_first_bytes_then_the_name() -> None:
    # A workbook whose first entry is not the one filetype looks at is still a workbook.
    workbook = _zip({"docProps/app.xml": b"<x/>", "xl/workbook.xml": b"<workbook/>"})
    assert media_type(workbook, "https://x.gov.cn/a.bin") == XLSX
    document = _zip({"word/document.xml": b"<w/>"})
    assert media_type(document, "https://x.gov.cn/a").endswith("wordprocessingml.document")
    plain = _zip({"一.xlsx": workbook, "二.xlsx": workbook})
    assert media_type(plain, "https://x.gov.cn/results.xlsx") == "application/zip"
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600
    assert media_type(ole, "https://x.gov.cn/old.xls") == "application/vnd.ms-excel"
    assert media_type(ole, "https://x.gov.cn/old.doc") == "application/msword"
    assert media_type(b"%PDF-1.7\n...", "https://x.gov.cn/notice") == "application/pdf"
    assert media_type(b"a,b\n1,2\n", "https://x.gov.cn/r.csv") == "text/csv"
    assert media_type(b"????", "https://x.gov.cn/r", "application/octet-stream") == "application/octet-stream"
    assert media_type(b"????", "https://x.gov.cn/r") is None


def test_kept_path_is_named_by_the_hash() -> None:
    digest = hashlib.sha256(b"x").hexdigest()
    assert kept_path(digest, XLSX) == f"sha256/{digest[:2]}/{digest}.xlsx"
    assert kept_path(digest, None) == f"sha256/{digest[:2]}/{digest}"


def _add_links(site: Path, links: dict[str, str]) -> None:
    """Link more files from the article that already has the workbook."""
    page = site / ARTICLE
    html = page.read_text(encoding="utf-8")
    extra = "".join(
        f'<p>附件{i}：<a href="{href}">{title}</a></p>' for i, (href, title) in enumerate(links.items(), 2)
    )
    marker = "抽检结果.xlsx</a></p>"  # the body's last paragraph: its attachment line
    assert marker in html
    page.write_text(html.replace(marker, marker + extra, 1), encoding="utf-8")


def _crawl(db: Path, server: ReplayServer, **settings: object) -> None:
    import subprocess

    result = subprocess.run(
        crawl_command(db, server, **settings),
        cwd=db.parent,
        env=crawl_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def _rows(db: Path) -> dict[str, tuple[object, ...]]:
    rows = query(
        db,
        "select url, sha256, size, media_type, path, error from attachments where article_id = "
        "(select id from articles where url = ?) order by position",
        (ARTICLE_URL,),
    )
    return {r[0]: r[1:] for r in rows}


def test_attachments_are_kept_by_hash_with_reasons_for_the_rest(site_copy: Path, tmp_path: Path) -> None:
    files = site_copy / "www.cfsn.cn" / "upload" / "file" / "2026" / "08"
    workbook = (files / "抽检结果.xlsx").read_bytes()
    (files / "副本.xlsx").write_bytes(workbook)  # the same file under another name: kept once
    (files / "big.zip").write_bytes(_zip({f"{i}.xlsx": workbook for i in range(3)}) + b"\0" * 40_000)
    (files / "gone.html.xlsx").write_text("<html><body>页面不存在</body></html>", encoding="utf-8")
    _add_links(
        site_copy,
        {
            "/upload/file/2026/08/副本.xlsx": "副本.xlsx",
            "/upload/file/2026/08/missing.xlsx": "missing.xlsx",
            "/upload/file/2026/08/big.zip": "big.zip",
            "/upload/file/2026/08/gone.html.xlsx": "gone.xlsx",
        },
    )
    db = tmp_path / "foodnews.db"
    with ReplayServer(site_copy) as server:
        _crawl(db, server, FOODNEWS_MAX_ATTACHMENT_BYTES=30_000)
    rows = _rows(db)
    digest = hashlib.sha256(workbook).hexdigest()
    kept = (digest, len(workbook), XLSX, kept_path(digest, XLSX), None)
    assert rows[WORKBOOK] == kept
    assert rows["https://www.cfsn.cn/upload/file/2026/08/副本.xlsx"] == kept
    assert (tmp_path / "files" / kept_path(digest, XLSX)).read_bytes() == workbook
    assert rows["https://www.cfsn.cn/upload/file/2026/08/missing.xlsx"][:4] == (None, None, None, None)
    assert rows["https://www.cfsn.cn/upload/file/2026/08/missing.xlsx"][4] == "HTTP 404"
    big = rows["https://www.cfsn.cn/upload/file/2026/08/big.zip"]
    assert big[0] is None and "FOODNEWS_MAX_ATTACHMENT_BYTES (30000 bytes)" in str(big[4])
    assert rows["https://www.cfsn.cn/upload/file/2026/08/gone.html.xlsx"][4] == (
        "an HTML page came back instead of the file"
    )
    # Only the one file is kept, and no partial file is left behind.
    assert [p.name for p in (tmp_path / "files").rglob("*") if p.is_file()] == [Path(kept[3]).name]
    # The article is stored whatever became of its attachments, and the run finished.
    assert query(db, "select status from crawl_runs") == [("finished",)]


def test_a_kept_file_is_fetched_with_its_article_and_outlives_its_link(
    site_copy: Path, tmp_path: Path
) -> None:
    db = tmp_path / "foodnews.db"
    with ReplayServer(site_copy) as server:
        _crawl(db, server)
    first = _rows(db)[WORKBOOK]
    assert first[0] is not None and first[4] is None
    # The regulator takes the workbook down; the copy beside the archive is what is left.
    (site_copy / "www.cfsn.cn" / "upload" / "file" / "2026" / "08" / "抽检结果.xlsx").unlink()
    # (A full re-crawl: the article is fetched again, and its attachment with it.)
    with ReplayServer(site_copy) as server:
        _crawl(db, server, FOODNEWS_INCREMENTAL=False)
    again = _rows(db)[WORKBOOK]
    assert again[:4] == first[:4]  # the hash, size, type and path of the copy kept before
    assert again[4] == "HTTP 404 (the copy downloaded before is kept)"
    assert (tmp_path / "files" / first[3]).is_file()


@pytest.mark.parametrize(
    "field, value, problem",
    [
        ("sha256", "abc", "sha256 of an attachment is not 64 hex digits"),
        ("size", -1, "size of an attachment is not a byte count"),
        ("path", "../../etc/passwd", "path of an attachment is not a kept file's path"),
    ],
)
def test_imported_attachment_fields_are_checked(field: str, value: object, problem: str) -> None:
    from crawler.items import Article, Attachment
    from crawler.pipelines import malformed

    attachment = Attachment(url=WORKBOOK, title="t")
    setattr(attachment, field, value)
    item = Article(url=ARTICLE_URL, source="cfsn", title="t", body="b" * 40, attachments=[attachment])
    assert (malformed(item) or "").startswith(problem)
