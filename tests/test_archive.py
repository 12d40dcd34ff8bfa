"""The SQLite archive (idempotent upserts, revisions, rejects, runs), validation, and ``foodnews import``."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from conftest import SITE_DIR, load_expected, page_file
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from archive.store import Archive, article_id
from crawler.cli import main
from crawler.items import Article, Attachment, Image, Reject
from crawler.pipelines import ArchivePipeline, ValidationPipeline, validate
from crawler.spiders.cfsn import CfsnSpider

URL = "https://www.cfsn.cn/news/detail/22/361026.html"
BODY = "秋季学期开学在即，多地市场监管部门集中开展校园食品安全专项检查。\n\n检查重点包括学校食堂和校园周边食品经营者。"


def article(**changes: Any) -> Article:
    values: dict[str, Any] = {
        "url": URL,
        "canonical_url": URL,
        "source": "cfsn",
        "title": "秋季开学在即 多地开展校园食品安全检查",
        "body": BODY,
        "authors": ["王明"],
        "editor": "刘洋",
        "organization": "中国食品安全网",
        "published": "2026-09-08T10:20:00+08:00",
        "published_precision": "minute",
        "published_raw": "2026-09-08 10:20",
        "fetched_at": "2026-09-09T00:00:00+00:00",
        "images": [
            Image("https://www.cfsn.cn/upload/a1.jpg", "启动仪式现场", "邯郸市市场监督管理局"),
            Image("https://www.cfsn.cn/upload/a2.jpg", "执法人员检查", None),
        ],
        "attachments": [Attachment("https://www.cfsn.cn/upload/file/r.xlsx", "抽检结果.xlsx")],
        "language": "zh-Hans",
    }
    values.update(changes)
    return Article(**values)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "archive" / "foodnews.db"  # a directory that does not exist yet


def rows(db: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def test_new_article(db: Path) -> None:
    with Archive(db) as archive:
        assert archive.store_article(article()) == "new"
    (row,) = rows(
        db,
        "select id, url, title, body, authors, published, published_month, revision, "
        "first_seen from articles",
    )
    assert row[0] == article_id(URL)
    assert row[1:4] == (URL, "秋季开学在即 多地开展校园食品安全检查", BODY)
    assert json.loads(row[4]) == ["王明"]
    assert row[5:8] == ("2026-09-08T10:20:00+08:00", "2026-09", 1)
    assert row[8] == "2026-09-09T00:00:00+00:00"
    assert rows(db, "select revision, title, body from revisions") == [(1, article().title, BODY)]
    assert rows(db, "select url, caption, credit from images order by position") == [
        ("https://www.cfsn.cn/upload/a1.jpg", "启动仪式现场", "邯郸市市场监督管理局"),
        ("https://www.cfsn.cn/upload/a2.jpg", "执法人员检查", None),
    ]
    assert rows(db, "select url, title from attachments") == [
        ("https://www.cfsn.cn/upload/file/r.xlsx", "抽检结果.xlsx")
    ]
    assert rows(db, "select slug from sources") == [("cfsn",)]


def test_unchanged_article(db: Path) -> None:
    with Archive(db) as archive:
        archive.store_article(article())
        assert archive.store_article(article(fetched_at="2026-09-10T00:00:00+00:00")) == "unchanged"
    assert rows(db, "select count(*) from articles") == [(1,)]
    assert rows(db, "select count(*) from revisions") == [(1,)]
    assert rows(db, "select count(*) from images") == [(2,)]
    assert rows(db, "select count(*) from attachments") == [(1,)]
    assert rows(db, "select revision, first_seen, last_seen from articles") == [
        (1, "2026-09-09T00:00:00+00:00", "2026-09-10T00:00:00+00:00")
    ]


def test_changed_article_keeps_old_text_in_revisions(db: Path) -> None:
    new_body = BODY.replace("集中开展", "全面开展")
    with Archive(db) as archive:
        archive.store_article(article())
        later = "2026-09-10T00:00:00+00:00"
        assert archive.store_article(article(body=new_body, fetched_at=later)) == "changed"
        assert (
            archive.store_article(article(title="更正：多地开展校园食品安全检查", body=new_body)) == "changed"
        )
    assert rows(db, "select title, body, revision from articles") == [
        ("更正：多地开展校园食品安全检查", new_body, 3)
    ]
    revisions = rows(db, "select revision, title, body, changed from revisions order by revision")
    assert [(r[0], r[1], r[2]) for r in revisions] == [
        (1, article().title, BODY),
        (2, article().title, new_body),
        (3, "更正：多地开展校园食品安全检查", new_body),
    ]
    assert [json.loads(r[3]) for r in revisions] == [["title", "body"], ["body"], ["title"]]


def test_images_and_attachments_replaced_without_duplicates(db: Path) -> None:
    with Archive(db) as archive:
        archive.store_article(article())
        archive.store_article(article())
        archive.store_article(
            article(images=[Image("https://www.cfsn.cn/upload/b.jpg", "新图", None)], attachments=[])
        )
        archive.store_article(
            article(images=[Image("https://www.cfsn.cn/upload/b.jpg", "新图", None)], attachments=[])
        )
    assert rows(db, "select position, url, caption from images") == [
        (0, "https://www.cfsn.cn/upload/b.jpg", "新图")
    ]
    assert rows(db, "select count(*) from attachments") == [(0,)]
    # Only images changed: not a new revision of the text.
    assert rows(db, "select count(*) from revisions") == [(1,)]


def test_same_canonical_url_is_one_article(db: Path) -> None:
    with Archive(db) as archive:
        archive.store_article(article())
        outcome = archive.store_article(article(url=URL + "?utm_source=wx"))
    assert outcome == "unchanged"
    assert rows(db, "select count(*), max(url) from articles") == [(1, URL + "?utm_source=wx")]


def test_reject_upsert(db: Path) -> None:
    reject = Reject(url=URL, reason="not an article: error page (页面不存在)", source="cfsn", http_status=200)
    with Archive(db) as archive:
        run = archive.start_run("cfsn")
        archive.store_reject(reject, run)
        archive.store_reject(Reject(url=URL, reason="HTTP 404", source="cfsn", http_status=404), run)
        archive.store_reject(Reject(url=URL, reason="HTTP 404", source="other"))
    sql = "select source, url, reason, http_status, times, run_id from rejects order by source"
    assert rows(db, sql) == [
        ("cfsn", URL, "HTTP 404", 404, 2, run),
        ("other", URL, "HTTP 404", None, 1, None),
    ]
    ((first, at),) = rows(db, "select first_seen, at from rejects where source = 'cfsn'")
    assert first <= at


def test_reject_removed_when_page_later_parses(db: Path) -> None:
    with Archive(db) as archive:
        assert archive.store(Reject(url=URL, reason="no body text found", source="cfsn")) == "rejected"
        archive.store(Reject(url=URL + "x", reason="no body text found", source="cfsn"))
        assert rows(db, "select count(*) from rejects") == [(2,)]
        assert archive.store(article()) == "new"
    assert rows(db, "select url from rejects") == [(URL + "x",)]


def test_wal_mode(db: Path) -> None:
    archive = Archive(db)
    archive.store_article(article())
    assert rows(db, "pragma journal_mode") == [("wal",)]
    archive.close()
    assert rows(db, "pragma journal_mode") == [("wal",)]
    assert rows(db, "pragma integrity_check") == [("ok",)]


def test_crawl_runs(db: Path) -> None:
    with Archive(db) as archive:
        run = archive.start_run("cfsn")
        assert rows(db, "select spider, status, finished from crawl_runs where id = ?", (run,)) == [
            ("cfsn", "running", None)
        ]
        archive.finish_run(
            run,
            "finished",
            pages_fetched=5,
            items_new=3,
            items_changed=1,
            items_unchanged=0,
            items_rejected=1,
        )
        second = archive.start_run("cfsn")
    assert second != run
    ((status, started, finished, *counts),) = rows(
        db,
        "select status, started, finished, pages_fetched, items_new, items_changed, items_unchanged, "
        "items_rejected from crawl_runs where id = ?",
        (run,),
    )
    assert status == "finished" and started <= finished
    assert counts == [5, 3, 1, 0, 1]


def test_reopen_is_idempotent(db: Path) -> None:
    with Archive(db) as archive:
        archive.store_article(article())
    with Archive(db) as archive:
        assert archive.store_article(article()) == "unchanged"
    assert rows(db, "select count(*) from articles") == [(1,)]


# --- validation ------------------------------------------------------------------------------------------


def test_validate_accepts_a_good_item() -> None:
    assert validate(article()) is None
    assert validate(article(published=None)) is None
    assert validate(article(published="2026-09-08T00:00:00+00:00")) is None


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"title": "  \u3000 "}, "title"),
        ({"title": ""}, "title"),
        ({"body": "太短的正文。"}, "body"),
        ({"published": "2026/09/08 10:20"}, "ISO"),
        ({"published": "2026-09-08T10:20:00"}, "offset"),
        ({"url": "file:///tmp/a.html"}, "url"),
    ],
)
def test_validate_rejects(changes: dict[str, Any], words: str) -> None:
    reason = validate(article(**changes))
    assert reason is not None and words in reason


def test_validate_min_body_chars() -> None:
    assert validate(article(body="一二三四五六七八九十"), min_body_chars=10) is None
    assert validate(article(body="一二三四五六七八九"), min_body_chars=10) is not None


def test_validation_pipeline_through_crawler() -> None:
    crawler = get_crawler(CfsnSpider, settings_dict={"FOODNEWS_MIN_BODY_CHARS": 20})
    pipeline = ValidationPipeline.from_crawler(crawler)
    good = pipeline.process_item(article(title=" 标题\u3000 ", authors=[" 王明 ", "  "]))
    assert isinstance(good, Article) and good.title == "标题" and good.authors == ["王明"]
    bad = pipeline.process_item(article(body="短"))
    assert isinstance(bad, Reject) and bad.url == URL and "invalid item: body" in bad.reason
    assert crawler.stats is not None and crawler.stats.get_value("validation/rejected") == 1
    reject = Reject(url=URL, reason="x", source="cfsn")
    assert pipeline.process_item(reject) is reject


def test_archive_pipeline_not_configured_without_db() -> None:
    with pytest.raises(NotConfigured):
        ArchivePipeline.from_crawler(get_crawler(CfsnSpider, settings_dict={"FOODNEWS_DB": ""}))


def test_an_item_the_archive_cannot_store_becomes_a_reject(db: Path) -> None:
    """A problem of one item (here a lone surrogate, which SQLite cannot be given) is a reject naming it;
    the crawl goes on and the run loses nothing (it fails only cfsn's expectations of a real crawl)."""
    crawler = get_crawler(CfsnSpider, settings_dict={"FOODNEWS_DB": str(db)})
    crawler.spider = crawler._create_spider()
    pipeline = ArchivePipeline.from_crawler(crawler)
    pipeline.open_spider()
    pipeline.process_item(article(title="标题\ud800"))
    pipeline.process_item(article(url=URL + "?2", canonical_url=URL + "?2"))
    pipeline.spider_closed(crawler.spider, "finished")
    ((reason,),) = rows(db, "select reason from rejects where url = ?", (URL,))
    assert reason.startswith("cannot store:") and "surrogate" in reason
    assert rows(db, "select url from articles") == [(URL + "?2",)]
    ((new, rejected, lost, error),) = rows(
        db, "select items_new, items_rejected, items_lost, error from crawl_runs"
    )
    assert (new, rejected, lost) == (1, 1, 0)
    assert error.startswith("expectations not met: fetched nothing;") and "store" not in error


# --- foodnews import -------------------------------------------------------------------------------------

EXPECTED = load_expected()


def _extract_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Path, list[dict[str, Any]]]:
    """JSON lines printed by ``foodnews extract`` for every fixture page (valid and invalid) with a file."""
    entries = [e for e in EXPECTED if page_file(SITE_DIR, e["path"]).is_file()]
    files = [page_file(SITE_DIR, e["path"]) for e in entries]
    url_map = tmp_path / "urls.json"
    url_map.write_text(
        json.dumps({f.name: "https://www.cfsn.cn" + e["path"] for f, e in zip(files, entries, strict=True)})
    )
    capsys.readouterr()
    assert main(["extract", "--urls", str(url_map), *map(str, files)]) == 0
    out = capsys.readouterr().out
    jsonl = tmp_path / "items.jsonl"
    jsonl.write_text(out, encoding="utf-8")
    return jsonl, entries


def test_import_extract_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    jsonl, entries = _extract_lines(tmp_path, capsys)
    db = tmp_path / "import.db"
    assert main(["import", str(jsonl), "--db", str(db)]) == 0
    valid = [e for e in entries if e["valid"]]
    invalid = [e for e in entries if not e["valid"]]
    assert invalid
    titles = dict(rows(db, "select url, title from articles"))
    assert titles == {"https://www.cfsn.cn" + e["path"]: e["title"] for e in valid}
    assert sorted(r[0] for r in rows(db, "select url from rejects")) == sorted(
        "https://www.cfsn.cn" + e["path"] for e in invalid
    )
    assert rows(db, "select distinct source from articles") == [("cfsn",)]
    expected_images = sum(len(e["images"]) for e in valid)
    expected_attachments = sum(len(e["attachments"]) for e in valid)
    before = {
        t: rows(db, f"select count(*) from {t}")[0][0]
        for t in ("articles", "revisions", "images", "attachments", "rejects")
    }
    assert before == {
        "articles": len(valid),
        "revisions": len(valid),
        "images": expected_images,
        "attachments": expected_attachments,
        "rejects": len(invalid),
    }
    printed = capsys.readouterr().out
    assert f"{len(valid)} new" in printed and f"{len(invalid)} rejected" in printed

    assert main(["import", str(jsonl), "--db", str(db)]) == 0
    after = {t: rows(db, f"select count(*) from {t}")[0][0] for t in before}
    assert after == before
    assert "0 new" in capsys.readouterr().out
    assert rows(db, "select max(times) from rejects") == [(2,)]


def test_import_validates_items(tmp_path: Path) -> None:
    jsonl = tmp_path / "items.jsonl"
    good = article().to_dict()
    bad = article(url=URL + "-2", canonical_url="", body="短").to_dict()
    lines = [json.dumps(good, ensure_ascii=False), "", json.dumps(bad, ensure_ascii=False)]
    jsonl.write_text("\n".join(lines) + "\n")
    db = tmp_path / "a.db"
    assert main(["import", str(jsonl), "--db", str(db)]) == 0
    assert rows(db, "select url from articles") == [(URL,)]
    ((reason,),) = rows(db, "select reason from rejects")
    assert reason.startswith("invalid item:") and "body" in reason


def test_article_dict_round_trip() -> None:
    item = article()
    assert Article.from_dict(item.to_dict()) == item
    assert Article.from_dict({**item.to_dict(), "unknown": 1}) == item
