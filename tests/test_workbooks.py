"""Reading result workbooks as they are (crawler/workbooks.py), on workbooks written here: xls with merged
sample cells, a conclusion column deciding each row, zips named in GBK, documents and damaged files."""

from __future__ import annotations

import io
import os
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import xlwt

from crawler.workbooks import production_date, province_of, read_file, text, workbook_category


def _xls(sheets: dict[str, list[list[object]]], merges: dict[str, list[tuple[int, int, int, int]]]) -> bytes:
    book = xlwt.Workbook(encoding="utf-8")
    dated = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for name, rows in sheets.items():
        sheet = book.add_sheet(name)
        merged = merges.get(name, [])
        covered = {(r, c) for r0, r1, c0, c1 in merged for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)}
        for r0, r1, c0, c1 in merged:
            sheet.write_merge(r0, r1, c0, c1, rows[r0][c0])
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if (r, c) in covered:
                    continue
                if isinstance(value, date):
                    sheet.write(r, c, value, dated)
                elif value != "":
                    sheet.write(r, c, value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


HEADER = [
    "样品名称",
    "生产企业名称",
    "被抽样单位地址",
    "生产日期",
    "不合格项目",
    "检验结果",
    "标准值",
    "备注",
]


def test_an_xls_with_a_sample_merged_over_its_failed_items() -> None:
    rows: list[list[object]] = [
        ["乳制品抽检不合格产品信息", "", "", "", "", "", "", ""],
        HEADER,
        [
            "纯牛奶",
            "某某乳业有限公司",
            "河北省保定市某路1号",
            date(2026, 5, 1),
            "菌落总数",
            "2×10⁵CFU/mL",
            "≤10⁵",
            "",
        ],
        ["", "", "", "", "大肠菌群", "12CFU/mL", "≤5", ""],
        ["酸奶", "某某乳品厂", "吉林市某路2号", "批号 A-0501", "蛋白质", "2.1g/100g", "≥2.3", "复检维持"],
    ]
    merges = {"Sheet1": [(0, 0, 0, 7), *((2, 3, c, c) for c in range(4))]}
    (sheet,) = read_file(_xls({"Sheet1": rows}, merges), "乳制品.xls", "application/vnd.ms-excel")
    assert (sheet["status"], sheet["failed_samples"], sheet["passed_samples"]) == ("read", 2, None)
    first, second, third = sheet["failed"]
    assert first["product"] == second["product"] == "纯牛奶"  # filled down
    assert second["producer"] == "某某乳业有限公司" and second["province"] == "河北"
    assert (first["failed_item"], second["failed_item"]) == ("菌落总数", "大肠菌群")
    assert first["result"] == "2×10⁵CFU/mL"  # as printed: not NFKC'd
    assert second["production_date"] == "2026-05-01"
    assert (third["production_date"], third["production_date_raw"]) == (None, "批号 A-0501")
    assert third["province"] == "吉林"  # (吉林市 is a city of 吉林省: the prefix holds)
    assert (third["remarks"], [r["row"] for r in sheet["failed"]]) == ("复检维持", [3, 4, 5])
    assert first["category"] == "乳制品" and first["category_from"] == "workbook"


def test_a_conclusion_column_decides_each_row() -> None:
    rows: list[list[object]] = [
        ["序号", "抽样编号", "食品名称", "标称生产企业名称", "检验结论", "不合格项目"],
        [1, "A1", "饼干", "甲厂", "合格", ""],
        [2, "A2", "面包", "乙厂", "不合格", "霉菌"],
        [3, "A3", "蛋糕", "丙厂", "合格", ""],
    ]
    (sheet,) = read_file(_xls({"抽检结果": rows}, {}), "结果.xls")
    assert (sheet["failed_samples"], sheet["passed_samples"]) == (1, 2)
    assert [r["product"] for r in sheet["failed"]] == ["面包"]


def test_a_sheet_without_result_columns_is_recorded_not_read() -> None:
    rows: list[list[object]] = [["说明"], ["本次抽检结果见附件二。"]]
    (sheet,) = read_file(_xls({"说明": rows}, {}), "说明.xls")
    assert (sheet["status"], sheet["reason"]) == ("unread", "no header row naming the result columns")


def test_a_zip_named_in_gbk_with_a_document_and_a_damaged_member() -> None:
    book = _xls(
        {"Sheet1": [HEADER, ["大米", "某某米业", "广西壮族自治区南宁市", "", "镉", "0.3", "≤0.2", ""]]}, {}
    )
    members = (("粮食加工品.xls", book), ("说明.docx", b"PK\x03\x04 not really"), ("坏.xlsx", b"PK"))
    # As Chinese Windows writes them: GBK names, no UTF-8 flag. zipfile writes non-ASCII names in UTF-8, so
    # each is written as an ASCII stand-in as long as its GBK bytes, which then take its place.
    stand_ins = {name: str(n) * len(name.encode("gbk")) for n, (name, _) in enumerate(members)}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in members:
            archive.writestr(stand_ins[name], data)
    written = out.getvalue()
    for name, stand_in in stand_ins.items():
        written = written.replace(stand_in.encode(), name.encode("gbk"))
    sheets = read_file(written, "结果.zip", "application/zip")
    assert [(s["workbook"], s["status"]) for s in sheets] == [
        ("结果.zip/粮食加工品.xls", "read"),
        ("结果.zip/说明.docx", "unread"),
        ("结果.zip/坏.xlsx", "unread"),
    ]
    assert sheets[0]["failed"][0]["province"] == "广西"
    assert sheets[2]["reason"].startswith("not a readable workbook: ")


@pytest.mark.parametrize(
    "data, name, kind, reason",
    [
        (b"%PDF-1.7 ...", "结果.pdf", "application/pdf", "a PDF: its tables are not read"),
        (os.urandom(4096), "结果.xlsx", None, "not a readable workbook: "),
        (bytes.fromhex("d0cf11e0a1b11ae1") + os.urandom(2048), "结果.xls", None, "not a readable workbook: "),
        (b"PK\x03\x04" + os.urandom(512), "结果.zip", "application/zip", "not a readable zip: "),
    ],
)
def test_files_that_cannot_be_read_say_why(data: bytes, name: str, kind: str | None, reason: str) -> None:
    (entry,) = read_file(data, name, kind)
    assert entry["status"] == "unread" and entry["reason"].startswith(reason) and entry["failed"] == []


def test_text_dates_provinces_and_categories() -> None:
    assert text("  ＧＺＪ２６\u3000 00１ ") == "GZJ26 001"
    assert production_date(46307) == "2026-10-12" and production_date(46307.5) is None
    assert production_date(20260110) is None  # a batch number that looks like digits, not a serial
    assert production_date("2026年1月5日（购进日期）") == "2026-01-05"
    assert production_date("2026-02-30") is None
    assert province_of("内蒙古自治区包头市") == "内蒙古" and province_of("苏州市工业园区") is None
    assert workbook_category("Sheet1", "糕点监督抽检不合格产品信息", "") == "糕点"
    assert workbook_category("不合格产品信息", "", "附件1：饮料") == "饮料"
    assert workbook_category("Sheet1", "", "P0202611") is None  # a file number names no category


@pytest.mark.parametrize(
    "workbooks, problem",
    [
        (["not a sheet"], "workbooks of an attachment are not sheets"),
        ([{"failed": "rows"}], "workbooks of an attachment are not sheets"),
        ([{"failed_samples": "3", "failed": []}], "workbooks of an attachment: failed_samples is not a int"),
        (
            [{"failed": [{"producer": {"nested": 1}}]}],
            "workbooks of an attachment: a failed row holds other than text",
        ),
    ],
)
def test_imported_workbooks_must_be_what_the_reader_gives(workbooks: list[object], problem: str) -> None:
    from crawler.items import Article, Attachment
    from crawler.pipelines import malformed

    attachment = Attachment(url="https://www.samr.gov.cn/a.xlsx", title="t", workbooks=workbooks)  # type: ignore[arg-type]
    item = Article(
        url="https://www.samr.gov.cn/n.html",
        source="samr",
        title="t",
        body="b" * 40,
        attachments=[attachment],
    )
    assert malformed(item) == problem


def _with_cells(extra: bytes) -> bytes:
    """A small valid xlsx whose sheet gets ``extra`` cells XML at its end."""
    import importlib.util

    path = Path(__file__).parent / "fixtures" / "samr" / "make_site.py"
    spec = importlib.util.spec_from_file_location("samr_make_site", path)
    assert spec and spec.loader
    writer = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(writer)
    book = writer._xlsx_book([("s", [["抽样编号", "食品名称", "不合格项目"], ["A1", "饼干", "霉菌"]], [])])
    source, out = zipfile.ZipFile(io.BytesIO(book)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            data = source.read(name)
            if name == "xl/worksheets/sheet1.xml":
                data = data.replace(b"</sheetData>", extra + b"</sheetData>")
            target.writestr(name, data)
    return out.getvalue()


def test_a_sheet_spanning_the_whole_grid_is_refused_before_the_reader_allocates_it() -> None:
    # One cell at the last row and column: the reader would allocate 17 billion cells and abort the process.
    far = _with_cells(b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>')
    (entry,) = read_file(far, "far.xlsx")
    assert entry["status"] == "unread"
    assert entry["reason"] == "not read: a sheet spans 1,048,576 rows of 16,384 columns, over 2,000,000 cells"
    near = _with_cells(b'<row r="500"><c r="T500" t="inlineStr"><is><t>x</t></is></c></row>')
    (sheet,) = read_file(near, "near.xlsx")
    assert sheet["status"] == "read" and [r["product"] for r in sheet["failed"]] == ["饼干"]


def test_a_zip_member_over_the_limit_is_not_read_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    import crawler.workbooks as workbooks

    monkeypatch.setattr(workbooks, "MAX_MEMBER_BYTES", 1000)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("大.xlsx", b"PK\x03\x04" + b"0" * 100_000)
    honest = out.getvalue()
    (entry,) = read_file(honest, "结果.zip", "application/zip")
    assert entry["reason"] == "100004 bytes uncompressed, over 1000"
    # The same zip claiming its member is 10 bytes (local header and central directory): no more is inflated.
    lying = bytearray(honest)
    local, central = lying.index(b"PK\x03\x04"), lying.index(b"PK\x01\x02")
    lying[local + 22 : local + 26] = lying[central + 24 : central + 28] = (10).to_bytes(4, "little")
    (entry,) = read_file(bytes(lying), "结果.zip", "application/zip")
    assert entry["reason"] == "cannot be taken out of the zip: Bad CRC-32 for file '大.xlsx'"


def test_an_xls_spanning_its_whole_grid_is_refused_and_a_real_one_read() -> None:
    """An xls's grid is at most 65,536 × 256, which the reader allocates whole (1 GB, 9 s measured) for one
    cell in its last corner: refused from the cell records before."""
    rows: list[list[object]] = [
        HEADER,
        ["大米", "某某米业", "广西壮族自治区南宁市", "", "镉", "0.3", "≤0.2", ""],
    ]
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("Sheet1")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    sheet.write(65535, 255, "x")
    out = io.BytesIO()
    book.save(out)
    (entry,) = read_file(out.getvalue(), "far.xls")
    assert (entry["status"], entry["reason"]) == (
        "unread",
        "not read: a sheet spans 65,536 rows of 256 columns, over 2,000,000 cells",
    )
    (sheet_read,) = read_file(_xls({"Sheet1": rows}, {}), "near.xls")
    assert sheet_read["status"] == "read" and [r["product"] for r in sheet_read["failed"]] == ["大米"]


def test_a_notice_states_its_failures_in_its_title_or_text() -> None:
    from crawler.workbooks import stated_failures

    assert stated_failures("市场监管总局关于12批次食品抽检不合格情况的通告", "") == (
        12,
        "12批次食品抽检不合格",
    )
    assert stated_failures("通告", "抽取312批次样品，检出7批次样品不合格。") == (7, "检出7批次样品不合格")
    assert stated_failures("通告", "本次抽檢，檢出3批次樣品不合格。") == (3, "檢出3批次樣品不合格")
    assert (
        stated_failures("通告", "合格样品二百九十六批次，不合格样品四批次。") is None
    )  # numbers in words: none
    assert stated_failures(None, None) is None


REPLAY_XLS = (
    Path(__file__).parent.parent
    / "crawler/demo/site/www.samr.gov.cn/cms_files/filemanager/1647978232/attach/202611/P020261205.xls"
)


@pytest.mark.parametrize(
    "offset, value, reason",
    [
        # the DIMENSIONS record's first row past its last: the reader would allocate 2 TB and abort
        (2190, 187, "not read: its DIMENSIONS record starts past its end (a damaged file)"),
        # a damaged allocation table olefile refuses, which the reader reads on to a 555 GB allocation
        (
            73,
            61,
            "not a readable workbook: a damaged compound file (incorrect DIFAT, first index out of range)",
        ),
    ],
)
def test_a_damaged_xls_the_reader_would_die_on_is_refused(offset: int, value: int, reason: str) -> None:
    data = bytearray(REPLAY_XLS.read_bytes())
    assert read_file(bytes(data), "P020261205.xls")[0]["status"] == "read"
    data[offset] = value
    (entry,) = read_file(bytes(data), "P020261205.xls")
    assert (entry["status"], entry["reason"]) == ("unread", reason)


@pytest.mark.parametrize(
    "extra, reason",
    [
        # a cell reference in single quotes, or with spaces around the equals sign, is a reference still
        (b"<row r='1048576'><c r='XFD1048576' t='inlineStr'><is><t>x</t></is></c></row>", "1,048,576 rows"),
        (
            b'<row r = "1048576"><c r = "XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>',
            "1,048,576 rows",
        ),
    ],
)
def test_a_far_cell_is_found_however_its_reference_is_quoted(extra: bytes, reason: str) -> None:
    (entry,) = read_file(_with_cells(extra), "far.xlsx")
    assert entry["status"] == "unread" and reason in entry["reason"]


def test_merged_ranges_over_the_grid_and_parts_too_large_are_refused() -> None:
    merged = _with_cells(b"")
    source, out = zipfile.ZipFile(io.BytesIO(merged)), io.BytesIO()
    ranges = "".join(f'<mergeCell ref="A{3 + n}:XFD2000"/>' for n in range(20))
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            data = source.read(name)
            if name == "xl/worksheets/sheet1.xml":
                data = data.replace(
                    b"</worksheet>", f'<mergeCells count="20">{ranges}</mergeCells></worksheet>'.encode()
                )
            target.writestr(name, data)
    (entry,) = read_file(out.getvalue(), "merged.xlsx")
    assert entry["reason"].startswith("not read: its merged ranges cover ") and entry["reason"].endswith(
        "over 2,000,000"
    )
    # Shared strings of a GB in a file of a few MB: refused by the size the parts declare.
    big, out = zipfile.ZipFile(io.BytesIO(merged)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name in big.namelist():
            target.writestr(name, big.read(name))
        target.writestr("xl/sharedStrings.xml", b"<sst>" + b"<si><t>x</t></si>" * 7_000_000 + b"</sst>")
    (entry,) = read_file(out.getvalue(), "strings.xlsx")
    assert (
        entry["reason"].startswith("not read: ") and "bytes uncompressed, over 104,857,600" in entry["reason"]
    )


def test_many_sheets_together_over_the_cell_limit_are_refused() -> None:
    rows: list[list[object]] = [HEADER, *([["大米", "某某米业", "", "", "镉", "0.3", "≤0.2", ""]] * 2)]
    book = xlwt.Workbook(encoding="utf-8")
    for n in range(40):
        sheet = book.add_sheet(f"S{n}")
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                sheet.write(r, c, value)
        sheet.write(255, 255, "x")  # 256 × 256 = 65,536 cells each; 40 sheets: 2,621,440
    out = io.BytesIO()
    book.save(out)
    (entry,) = read_file(out.getvalue(), "sheets.xls")
    assert entry["reason"] == "not read: its 40 sheets span 2,621,440 cells, over 2,000,000"


def _sheet(
    rows: list[list[object]], merges: list[tuple[int, int, int, int]] | None = None, name: str = "Sheet1"
) -> dict[str, Any]:
    (sheet,) = read_file(_xls({name: rows}, {name: merges or []}), "结果.xls")
    return sheet


def test_a_note_merged_across_the_table_is_not_a_failure() -> None:
    note = "注：以上信息仅指本次抽检标称的生产企业相关产品的生产日期/批号和所检项目。"
    rows: list[list[object]] = [
        ["抽样编号", "食品名称", "标称生产企业名称", "不合格项目", "检验结果"],
        ["DC1", "饼干", "甲厂", "霉菌", "150CFU/g"],
        [note, "", "", "", ""],
    ]
    sheet = _sheet(rows, [(2, 2, 0, 4)], name="不合格产品")
    assert (sheet["failed_samples"], [r["product"] for r in sheet["failed"]]) == (1, ["饼干"])


def test_a_row_s_conclusion_comes_before_a_title_naming_both() -> None:
    rows: list[list[object]] = [
        ["食品安全监督抽检合格及不合格产品信息", "", "", ""],
        ["抽样编号", "食品名称", "不合格项目", "检验结论"],
        ["A1", "饼干", "", "合格"],
        ["A2", "面包", "霉菌", "不合格"],
    ]
    sheet = _sheet(rows, [(0, 0, 0, 3)])
    assert (sheet["failed_samples"], sheet["passed_samples"]) == (1, 1)
    assert [(r["product"], r["category"]) for r in sheet["failed"]] == [("面包", None)]  # no category in it


@pytest.mark.parametrize(
    "header", ["生产日期(批号)", "生产日期（批号）", "生产日期、批号", "生产日期批号", "生产日期/批号"]
)
def test_a_production_date_header_in_its_forms(header: str) -> None:
    rows: list[list[object]] = [
        ["抽样编号", "食品名称", header, "不合格项目"],
        ["A1", "饼干", date(2026, 3, 5), "霉菌"],
    ]
    assert _sheet(rows, name="不合格")["failed"][0]["production_date"] == "2026-03-05"


def test_a_number_under_a_batch_header_is_no_date() -> None:
    rows: list[list[object]] = [["抽样编号", "食品名称", "批号", "不合格项目"], ["A1", "饼干", 43000, "霉菌"]]
    (row,) = _sheet(rows, name="不合格")["failed"]
    assert (row["production_date"], row["production_date_raw"]) == (None, "43000")


def test_categories_and_provinces_that_only_look_like_one() -> None:
    assert workbook_category("Sheet1", "浙江省市场监督管理局2023年第12期食品安全监督抽检信息", "") is None
    assert workbook_category("Sheet1", "2026年第3批饮料监督抽检不合格产品信息", "") == "饮料"
    assert workbook_category("Sheet1", "水产品监督抽检不合格产品信息", "") == "水产品"
    assert (
        workbook_category("Sheet1", "食用油、油脂及其制品监督抽检不合格产品信息", "")
        == "食用油、油脂及其制品"
    )
    assert province_of("海南藏族自治州共和县某路1号") is None  # in Qinghai
    assert province_of("海南省海口市某路1号") == "海南"


def test_a_header_over_two_rows_under_a_merged_group() -> None:
    rows: list[list[object]] = [
        ["饮料监督抽检不合格产品信息", "", "", "", "", "", ""],
        ["抽样编号", "食品名称", "标称生产企业名称", "不合格项目", "", "", "备注"],
        ["", "", "", "项目名称", "检验结果", "标准值", ""],
        ["A1", "果汁", "甲厂", "菌落总数", "3×10⁴CFU/mL", "≤10⁴CFU/mL", ""],
    ]
    # the group merged across its three columns; the other header cells merged down over both rows
    merges = [(0, 0, 0, 6), (1, 1, 3, 5), *((1, 2, c, c) for c in (0, 1, 2, 6))]
    sheet = _sheet(rows, merges)
    (row,) = sheet["failed"]
    assert (row["sample_number"], row["product"], row["producer"]) == ("A1", "果汁", "甲厂")
    assert (row["failed_item"], row["result"], row["standard"]) == ("菌落总数", "3×10⁴CFU/mL", "≤10⁴CFU/mL")
    assert (row["category"], row["row"]) == ("饮料", 4)
