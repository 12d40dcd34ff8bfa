"""The ``foodnews`` command line: extract, argument errors, and Scrapy's own ``scrapy list``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO_ROOT, SITE_DIR, crawl_env, load_expected, page_file

from crawler.cli import main

EXPECTED = load_expected()
UTF8 = next(e for e in EXPECTED if e["valid"] and e["encoding"] == "utf-8" and e["path"].startswith("/news/"))
GBK = next(e for e in EXPECTED if e["valid"] and e["encoding"] == "gbk")
ERROR_PAGE = next(e for e in EXPECTED if not e["valid"] and page_file(SITE_DIR, e["path"]).is_file())


def one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    captured = capsys.readouterr()
    assert captured.out == ""
    err = captured.err
    assert err.startswith("foodnews: error: ") and err.endswith("\n") and err.count("\n") == 1, err
    assert "Traceback" not in err
    return err


def test_extract_with_url_map(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    files = [page_file(SITE_DIR, e["path"]) for e in (GBK, UTF8, ERROR_PAGE)]
    url_map = tmp_path / "urls.json"
    urls = ["https://www.cfsn.cn" + e["path"] for e in (GBK, UTF8, ERROR_PAGE)]
    # Keys with and without the extension.
    url_map.write_text(json.dumps({files[0].name: urls[0], files[1].stem: urls[1], files[2].name: urls[2]}))
    capsys.readouterr()
    assert main(["extract", "--urls", str(url_map), *map(str, files)]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert len(lines) == 3 and out.endswith("\n")
    items = [json.loads(line) for line in lines]
    assert [i["url"] for i in items] == urls
    assert [i.get("title") for i in items[:2]] == [GBK["title"], UTF8["title"]]
    assert all(i["source"] == "cfsn" for i in items)  # routed to the cfsn parser by host
    assert items[2]["rejected"] is True and ERROR_PAGE["reason"] in items[2]["reason"]
    assert GBK["title"] in out and UTF8["title"] in out  # non-ASCII not escaped
    assert "\\u" not in out


def test_extract_single_url(capsys: pytest.CaptureFixture[str]) -> None:
    file = page_file(SITE_DIR, UTF8["path"])
    capsys.readouterr()
    assert main(["extract", "--url", "https://www.cfsn.cn" + UTF8["path"], str(file)]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    item = json.loads(line)
    assert item["url"] == "https://www.cfsn.cn" + UTF8["path"]
    assert item["title"] == UTF8["title"]


def test_extract_without_url_uses_file_uri(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = page_file(SITE_DIR, UTF8["path"])
    capsys.readouterr()
    assert main(["extract", str(file)]) == 0
    item = json.loads(capsys.readouterr().out)
    assert item["url"] == file.resolve().as_uri()
    assert item["source"] == "generic"
    assert item["title"] == UTF8["title"]


def test_extract_url_with_two_files(capsys: pytest.CaptureFixture[str]) -> None:
    files = [str(page_file(SITE_DIR, e["path"])) for e in (GBK, UTF8)]
    capsys.readouterr()
    assert main(["extract", "--url", "https://www.cfsn.cn/x.html", *files]) == 2
    one_line_error(capsys)


def test_extract_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    existing = str(page_file(SITE_DIR, UTF8["path"]))
    capsys.readouterr()
    assert main(["extract", existing, str(tmp_path / "missing.html")]) == 2
    assert "missing.html" in one_line_error(capsys)  # nothing printed for the existing file either


@pytest.mark.parametrize("content", ["not json", "[1, 2]"])
def test_extract_bad_url_map(tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str) -> None:
    url_map = tmp_path / "urls.json"
    url_map.write_text(content)
    capsys.readouterr()
    assert main(["extract", "--urls", str(url_map), str(page_file(SITE_DIR, UTF8["path"]))]) == 2
    one_line_error(capsys)


def test_crawl_unknown_spider(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    capsys.readouterr()
    assert main(["crawl", "nosuchspider", "--db", str(tmp_path / "a.db")]) == 2
    err = one_line_error(capsys)
    assert "nosuchspider" in err and "cfsn" in err
    assert not (tmp_path / "a.db").exists()


def test_crawl_bad_setting(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["crawl", "cfsn", "--db", str(tmp_path / "a.db"), "-s", "NOEQUALSSIGN"]) == 2
    one_line_error(capsys)


def test_serve_missing_db(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["serve", "--db", str(tmp_path / "missing.db")]) == 2
    assert "missing.db" in one_line_error(capsys)
    assert not (tmp_path / "missing.db").exists()


def test_usage_error_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["nosuchcommand"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_scrapy_list_from_repo_root() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "scrapy", "list"],
        check=False,
        cwd=REPO_ROOT,
        env=crawl_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    # Every spider file beside a source file, and nothing else.
    from crawler.sources import registry

    assert result.stdout.split() == sorted({s.spider for s in registry().values()})
    assert set(result.stdout.split()) >= {"cfsn", "samr", "govcn", "fsa_uk"}
