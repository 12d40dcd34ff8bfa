"""``foodnews import`` as a stream of independent lines: every good line stored, every bad one named."""

from __future__ import annotations

import contextlib
import io
import json
import random
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_archive import URL, article, rows

from crawler.cli import main

# Characters that str.splitlines() takes for line ends, and that JSON writers leave unescaped.
SEPARATORS = "\u2028\u2029\u0085\x1c\x1d\x1e\r\x0b\x0c"


def good_line(i: int) -> bytes:
    """A valid article line; every third one has line-separator characters inside its body."""
    body = f"第{i}篇：市场监管部门近日通报了一批食品安全监督抽检结果。\n\n涉及粮食加工品、食用油等类别。"
    if i % 3 == 0:
        body = body.replace("。\n\n", "。\u2028第二段\u2029第三段\u0085") + "\r\n结束"
    item = article(url=f"{URL}?id={i}", canonical_url=f"{URL}?id={i}", body=body, title=f"第{i}篇 抽检通报")
    return json.dumps(item.to_dict(), ensure_ascii=False).encode("utf-8")


def _with(**fields: Any) -> Callable[[int], bytes]:
    def make(i: int) -> bytes:
        data = json.loads(good_line(i))
        data.update(fields)
        return json.dumps(data, ensure_ascii=False).encode("utf-8")

    return make


def _surrogate(i: int) -> bytes:
    # A lone surrogate can only be written as a JSON escape: the line is valid UTF-8 and valid JSON.
    return good_line(i).replace("抽检通报".encode(), b"\\ud800")


#: Kinds of bad line, each with the words its report must contain.
BAD: dict[str, tuple[Callable[[int], bytes], str]] = {
    "not json": (lambda i: b"this is not json", "not JSON"),
    "truncated": (lambda i: good_line(i)[:40], "not JSON"),
    "array": (lambda i: b"[1, 2, 3]", "JSON object"),
    "not utf-8": (lambda i: good_line(i).decode().encode("gb18030"), "not UTF-8"),
    "lone surrogate": (_surrogate, "U+D800"),
    "nul in url": (_with(url=URL + "\x00x"), "control character"),
    "javascript canonical": (_with(canonical_url="javascript:alert(1)"), "not http(s)"),
    "data canonical": (_with(canonical_url="data:text/html,<b>x</b>"), "not http(s)"),
    "bad fetched_at": (_with(fetched_at="yesterday"), "fetched_at"),
    "long slug": (_with(source="s" * 10_000), "slug"),
    "title int": (_with(title=5), "title"),
    "images strings": (_with(images=["https://www.cfsn.cn/upload/a1.jpg"]), "images"),
    "deep nesting": (lambda i: b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    "url without host": (_with(url="http://", canonical_url=""), "no host"),
    "alert not an object": (_with(alert=["FSA-AA-01-2026"]), "alert: expected an object"),
    "alert allergens not strings": (
        _with(alert={"notation": "FSA-AA-01-2026", "allergens": [1]}),
        "allergens",
    ),
    "alert without notation": (_with(alert={"status": "Published"}), "missing notation"),
    "attachment size text": (
        _with(attachments=[{"url": URL + ".xlsx", "size": "big"}]),
        "attachments.size",
    ),
    "attachment path outside": (
        _with(attachments=[{"url": URL + ".xlsx", "path": "../../etc/passwd"}]),
        "not a kept file's path",
    ),
}


def run_import(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], lines: list[bytes], *flags: str
) -> tuple[int, Path, str, str]:
    jsonl = tmp_path / "items.jsonl"
    jsonl.write_bytes(b"\n".join(lines) + b"\n")
    db = tmp_path / "a.db"
    capsys.readouterr()
    status = main(["import", str(jsonl), "--db", str(db), *flags])
    out, err = capsys.readouterr()
    return status, db, out, err


def reported_lines(err: str) -> list[int]:
    """The line numbers that ``foodnews: FILE:N: reason`` messages name, in order."""
    return [
        int(line.split(":")[2])
        for line in err.splitlines()
        if line.startswith("foodnews: ") and not line.startswith("foodnews: error: ")
    ]


@pytest.mark.parametrize("kind", BAD)
def test_a_bad_line_is_named_and_the_others_are_stored(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    make, words = BAD[kind]
    status, db, out, err = run_import(tmp_path, capsys, [good_line(1), make(2), good_line(3)])
    assert status == 1
    assert reported_lines(err) == [2] and words in err and "Traceback" not in err
    assert sorted(r[0] for r in rows(db, "select url from articles")) == [f"{URL}?id=1", f"{URL}?id=3"]
    assert out.startswith("imported 2 new,") and "1 bad line " in out


def test_line_separators_inside_text_are_kept(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = [good_line(3), good_line(6)]
    status, db, _, err = run_import(tmp_path, capsys, lines)
    assert (status, err) == (0, "")
    stored = dict(rows(db, "select url, body from articles"))
    for line in lines:
        data = json.loads(line)
        assert stored[data["url"]] == data["body"] and "\u2028" in data["body"]


def test_a_bad_line_with_a_usable_url_is_also_a_reject(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, db, _, err = run_import(tmp_path, capsys, [_with(fetched_at="yesterday")(1)])
    assert status == 1 and reported_lines(err) == [1]
    ((url, reason, source),) = rows(db, "select url, reason, source from rejects")
    assert (url, source) == (f"{URL}?id=1", "cfsn") and "fetched_at" in reason
    assert rows(db, "select count(*) from articles") == [(0,)]


def test_a_well_formed_non_article_is_a_reject_not_a_bad_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    short = json.dumps(article(body="短").to_dict(), ensure_ascii=False).encode()
    status, db, out, err = run_import(tmp_path, capsys, [short])
    assert (status, err) == (0, "")
    assert "1 rejected; 0 bad lines" in out
    ((reason,),) = rows(db, "select reason from rejects")
    assert reason.startswith("invalid item: body")


def test_strict_stops_at_the_first_bad_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = [good_line(1), b"not json", good_line(3), b"[]"]
    status, db, out, err = run_import(tmp_path, capsys, lines, "--strict")
    assert status == 1
    assert reported_lines(err) == [2] and "stopped at line 2 (--strict)" in err
    assert rows(db, "select url from articles") == [(f"{URL}?id=1",)]
    assert out.startswith("imported 1 new,")


def test_an_overlong_line_is_reported_without_being_loaded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    limit = max(len(good_line(1)), len(good_line(3))) + 1
    monkeypatch.setattr("crawler.jsonlines.MAX_LINE_BYTES", limit)
    status, db, _, err = run_import(tmp_path, capsys, [good_line(1), b"x" * (5 * limit), good_line(3)])
    assert status == 1 and reported_lines(err) == [2] and f"longer than {limit} bytes" in err
    assert rows(db, "select count(*) from articles") == [(2,)]


def test_missing_file_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import", str(tmp_path / "nope.jsonl"), "--db", str(tmp_path / "a.db")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("foodnews: error: ") and err.count("\n") == 1 and "nope.jsonl" in err


def test_ten_thousand_lines_with_ten_bad_ones(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The issue's case: 9,990 good lines stored (a third of them with U+2028, U+2029 or U+0085 inside
    their text), and each of the 10 bad ones (among them a lone surrogate) named with its number."""
    rng = random.Random(10)
    kinds = [
        "lone surrogate",
        "not utf-8",
        "nul in url",
        "javascript canonical",
        "data canonical",
        "bad fetched_at",
        "long slug",
        "truncated",
        "not json",
        "array",
    ]
    bad_at = dict(zip(sorted(rng.sample(range(1, 10_001), len(kinds))), kinds, strict=True))
    lines = [BAD[bad_at[n]][0](n) if n in bad_at else good_line(n) for n in range(1, 10_001)]
    status, db, out, err = run_import(tmp_path, capsys, lines)
    assert status == 1
    assert reported_lines(err) == sorted(bad_at)
    assert "imported 9990 new, 0 changed, 0 unchanged, 0 rejected; 10 bad lines" in out
    stored = {r[0] for r in rows(db, "select url from articles")}
    assert stored == {f"{URL}?id={n}" for n in range(1, 10_001) if n not in bad_at}
    assert rows(db, "pragma integrity_check") == [("ok",)]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(["good", *BAD]), min_size=1, max_size=12), st.sampled_from(["", "\r", " \t"]))
def test_fuzzed_mixes_of_good_and_bad_lines(
    tmp_path_factory: pytest.TempPathFactory, kinds: list[str], line_end: str
) -> None:
    """For any mix, exactly the good lines are stored and exactly the bad ones are named, in order."""
    folder = tmp_path_factory.mktemp("fuzz")
    lines = [
        (good_line(n) if kind == "good" else BAD[kind][0](n)) + line_end.encode()
        for n, kind in enumerate(kinds, 1)
    ]
    jsonl = folder / "items.jsonl"
    jsonl.write_bytes(b"\n".join(lines))
    db = folder / "a.db"
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        status = main(["import", str(jsonl), "--db", str(db)])
    good = {f"{URL}?id={n}" for n, kind in enumerate(kinds, 1) if kind == "good"}
    bad = [n for n, kind in enumerate(kinds, 1) if kind != "good"]
    assert status == (1 if bad else 0)
    assert reported_lines(err.getvalue()) == bad
    conn = sqlite3.connect(db)
    try:
        assert {r[0] for r in conn.execute("select url from articles")} == good
    finally:
        conn.close()


def test_an_alert_and_kept_attachments_are_imported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """What ``scrapy crawl fsa_uk -O`` writes comes back with its alert and its attachments' hashes."""
    alert = {
        "notation": "FSA-AA-01-2026",
        "alert_type": "AA",
        "allergens": ["Milk"],
        "products": [{"name": "Oat bars", "batch_codes": ["L1", "L2"]}],
    }
    digest = "ab" * 32
    attachment = {
        "url": URL + ".xlsx",
        "title": "结果.xlsx",
        "sha256": digest,
        "size": 10,
        "path": f"sha256/ab/{digest}.xlsx",
    }
    status, db, _, err = run_import(tmp_path, capsys, [_with(alert=alert, attachments=[attachment])(1)])
    assert status == 0, err
    assert rows(db, "select notation, alert_type, allergens, batch_codes from alerts") == [
        ("FSA-AA-01-2026", "AA", '["Milk"]', '["L1", "L2"]')
    ]
    assert rows(db, "select sha256, size, path from attachments") == [
        (digest, 10, f"sha256/ab/{digest}.xlsx")
    ]
