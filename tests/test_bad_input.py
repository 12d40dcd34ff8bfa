"""Bad input to the command line: a clear one-line error or a reject, nothing stored, no file changed."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import random
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import SITE_DIR, crawl_env, free_port, one_error_line, page_file

from crawler.cli import main
from crawler.extract import _CONTROL_BYTES, _controls, binary_kind, extract

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
)
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n"


def _zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("a.txt", "x")
    return out.getvalue()


#: name: (bytes, what binary_kind calls them)
FILES = {
    "image.png": (PNG, "a PNG image"),
    "notice.pdf": (PDF, "a PDF document"),
    "random.bin": (hashlib.sha256(b"seed").digest() * 200, "binary data"),
    "program": (Path(sys.executable).resolve().read_bytes()[:20_000], "an executable (ELF)"),
    "page.html.gz": (gzip.compress(b"<html><body><p>text</p></body></html>"), "gzip-compressed data"),
    "results.zip": (_zip(), "a zip archive"),
}


@pytest.mark.parametrize("name", FILES)
def test_extract_rejects_what_is_not_a_text_page(
    tmp_path: Path, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    data, kind = FILES[name]
    path = tmp_path / name
    path.write_bytes(data)
    capsys.readouterr()
    assert main(["extract", str(path)]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    item = json.loads(line)
    assert item["rejected"] is True and item["reason"] == f"not a text page: {kind}"


@pytest.mark.parametrize(
    "text, encoding",
    [
        ("<html><body><p>市场监管总局通报</p></body></html>", "utf-16"),
        ("<html><body><p>市场监管总局通报</p></body></html>", "gb18030"),
        ("<html><body><p>市場監管總局通報</p></body></html>", "big5"),
        ("BM is how this plain-text item starts, and it is text.", "ascii"),
        ("MZ, PK and ID3 are letters too.\n\fA form feed between pages.", "ascii"),
    ],
)
def test_text_of_any_encoding_is_not_binary(text: str, encoding: str) -> None:
    assert binary_kind(text.encode(encoding)) is None


@pytest.mark.parametrize("seed", range(5))
def test_the_control_count_in_c_equals_the_plain_count(seed: int) -> None:
    data = bytes(range(256)) + random.Random(seed).randbytes(8192)
    assert len(data) - len(data.translate(None, _CONTROL_BYTES)) == _controls(data)
    assert _controls(data) > 0


@pytest.mark.parametrize("controls, binary", [(409, False), (410, True)])
def test_text_is_binary_past_one_control_character_in_twenty(controls: int, binary: bool) -> None:
    head = (b"\x01" * controls + b"a" * 8192)[:8192]  # 8192 // 20 = 409
    assert (binary_kind(head) == "binary data") is binary


def test_no_page_of_the_shared_corpus_is_taken_for_binary() -> None:
    corpus = Path(__file__).resolve().parents[2] / "shared" / "corpus"
    if not corpus.is_dir():
        pytest.skip("../shared/corpus is absent")
    pages = [p for p in corpus.rglob("*.html")]
    assert pages
    assert [p.name for p in pages if binary_kind(p.read_bytes())] == []


def test_a_fixture_page_still_parses() -> None:
    path = page_file(SITE_DIR, "/news/detail/22/361026.html")
    assert not hasattr(extract(path.read_bytes(), "https://www.cfsn.cn/news/detail/22/361026.html"), "reason")


@pytest.mark.parametrize("name", ["image.png", "notice.pdf", "random.bin"])
def test_import_refuses_a_binary_file_and_creates_nothing(
    tmp_path: Path, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    data, kind = FILES[name]
    path = tmp_path / name
    path.write_bytes(data)
    db = tmp_path / "a.db"
    capsys.readouterr()
    assert main(["import", str(path), "--db", str(db)]) == 2
    err = one_error_line(capsys.readouterr().err)
    assert f"is not JSON Lines: it is {kind}" in err
    assert not db.exists()


def test_what_extract_prints_for_a_png_imports_as_a_reject_not_an_article(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    png = tmp_path / "image.png"
    png.write_bytes(PNG)
    capsys.readouterr()
    main(["extract", "--url", "https://www.cfsn.cn/upload/a.png", str(png)])
    items = tmp_path / "items.jsonl"
    items.write_text(capsys.readouterr().out)
    db = tmp_path / "a.db"
    assert main(["import", str(items), "--db", str(db)]) == 0
    conn = sqlite3.connect(db)
    assert conn.execute("select count(*) from articles").fetchone() == (0,)
    assert conn.execute("select reason from rejects").fetchall() == [("not a text page: a PNG image",)]
    conn.close()


def _serve(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "crawler.cli", "serve", "--db", str(db), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=crawl_env(),
        check=False,
    )


def test_serve_refuses_a_file_that_is_not_sqlite(tmp_path: Path) -> None:
    db = tmp_path / "notes.db"
    db.write_text("my notes, not a database\n")
    result = _serve(db, "--port", str(free_port()))
    assert result.returncode == 2 and result.stdout == ""
    assert "not a database" in one_error_line(result.stderr)
    assert db.read_text() == "my notes, not a database\n"


def test_serve_leaves_an_unrelated_sqlite_file_byte_identical(tmp_path: Path) -> None:
    db = tmp_path / "other.db"
    conn = sqlite3.connect(db)
    conn.execute("create table customers (name text)")
    conn.execute("insert into customers values ('a')")
    conn.commit()
    conn.close()
    before = db.read_bytes()
    result = _serve(db, "--port", str(free_port()))
    assert result.returncode == 2
    assert result.stdout == ""  # nothing said of upgrading, nothing of serving
    assert "not a foodnews archive" in one_error_line(result.stderr) and "customers" in result.stderr
    assert db.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.db"]  # no -wal, no -shm


# A bad or busy port: tests/test_serve_limits.py (test_serve_on_a_port_it_cannot_have_is_one_line).


@pytest.mark.parametrize("command", ["import", "crawl", "serve", "demo"])
def test_a_db_in_a_missing_folder_is_an_error_not_a_new_folder(
    tmp_path: Path, command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    items = tmp_path / "items.jsonl"
    items.write_text("")
    db = tmp_path / "typo" / "deeper" / "foodnews.db"
    argv = {
        "import": ["import", str(items)],
        "crawl": ["crawl", "cfsn"],
        "serve": ["serve"],
        "demo": ["demo", "--no-serve"],
    }[command]
    capsys.readouterr()
    assert main([*argv, "--db", str(db)]) == 2
    assert "does not exist" in one_error_line(capsys.readouterr().err)
    assert not (tmp_path / "typo").exists()


def test_help_texts_are_plain_text() -> None:
    for command in ("", "crawl", "extract", "import", "serve", "demo", "sources"):
        result = subprocess.run(
            [sys.executable, "-m", "crawler.cli", *([command] if command else []), "--help"],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "COLUMNS": "100"},
        )
        assert result.stdout.startswith(("usage: foodnews " + command).strip())
        assert "`" not in result.stdout and "\x1b" not in result.stdout, command
