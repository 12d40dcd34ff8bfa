"""Sampling results as data: the rows of the result workbooks attached to sampling notices.

SAMR and the market-supervision bureaus publish a sampling round as a notice whose text says only "N batches
failed", with the results in workbooks: one per food category, or a zip of them (sites-cn.md §7). Their
layouts vary, so a workbook is read as it is:

- **headers by name**: in each sheet, the row among the first ten whose cells name the most known columns
  (`COLUMNS`, each with the synonyms seen) is the header; the order and number of columns vary, a title row
  above it is common. A header cell joining several columns (``不合格项目║检验结果║标准值``) splits its values
  on the same separator;
- **merged cells filled**: a merged range (a sample's cells spanning its rows, one per failed item) gives its
  value to every cell it covers;
- **dates**: a production date is an ISO date where the cell is one (a date cell, an Excel serial number in
  the date column, or text in a date form), kept beside the text as printed; a batch number stays text;
- **text**: full-width ASCII and ideographic spaces become ASCII, whitespace runs become one space; nothing
  else changes (``×10⁵`` and ``μg`` stay as printed);
- **failed or passed**: a sheet whose name or title says 不合格 lists failures, one saying 合格 (and not 不合格)
  passed samples; otherwise a conclusion column (检验结论) decides each row, and failing that a row naming a
  failed item is a failure. Rows sharing a sampling number (抽样编号) are one sample.

xlsx, xls and zips of them are read with python-calamine (one reader for both formats, with merged ranges,
and the fastest measured: docs/inspections.md). Word documents and PDFs are recorded as not read, with the
reason; so is a workbook that cannot be opened. Nothing here raises on a file's content.
"""

from __future__ import annotations

import io
import logging
import re
import struct
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

#: Every column the archive keeps, with the header names it goes by (normalised: no spaces, ASCII
#: punctuation). The first name is the one the notes list; matching is exact, then by prefix.
COLUMNS: dict[str, tuple[str, ...]] = {
    "sample_number": ("抽样编号", "样品编号", "抽样单编号", "抽检编号", "报告编号"),
    "product": ("食品名称", "样品名称", "产品名称", "抽检食品名称", "抽样食品名称"),
    "brand": ("商标", "品牌", "商标/品牌"),
    "specification": ("规格型号", "规格", "型号", "包装规格"),
    "production_date": (
        "生产日期/批号",
        "生产日期或批号",
        "生产(购进)日期/批号",
        "生产日期",
        "批号",
        "生产日期/批次",
        "购进日期",
    ),
    "producer": ("标称生产企业名称", "标示生产企业名称", "生产企业名称", "标称生产者名称", "生产企业"),
    "producer_address": ("标称生产企业地址", "标示生产企业地址", "生产企业地址", "标称生产者地址"),
    "sampled_business": ("被抽样单位名称", "被抽样单位", "被抽检单位名称", "受检单位名称", "受检单位"),
    "sampled_address": ("被抽样单位地址", "被抽检单位地址", "受检单位地址"),
    "sampled_province": ("被抽样单位所在省份", "被抽样单位省份", "所在省份", "省份"),
    "failed_item": ("不合格项目", "不合格项目名称", "检验不合格项目"),
    "result": ("检验结果", "检验值", "实测值", "检测结果"),
    "standard": ("标准值", "标准要求", "标准规定", "标准指标", "标准限值"),
    "testing_institution": ("检验机构", "检验单位", "承检机构", "检测机构"),
    "category": ("食品细类", "食品品种", "细类"),
    "broad_category": ("食品大类", "食品类别", "分类", "类别"),
    "remarks": ("备注",),
    "conclusion": ("检验结论", "结论", "判定结论", "检验结果判定"),
}
#: What a cell holds for "not applicable" (an unpacked farm product has no producer): left empty.
NOT_GIVEN = {"/", "／", "\\", "-", "--", "—", "——", "无"}
#: A header row names at least this many known columns.
MIN_HEADER_COLUMNS = 3
#: Rows searched for the header.
HEADER_ROWS = 10
#: A cell joining several columns, in header and values alike.
JOINED = re.compile(r"[║|｜]")

logger = logging.getLogger(__name__)

_NAMES = {name: column for column, names in COLUMNS.items() for name in names}
_WIDE = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20, 0xA0: 0x20}
_SPACES = re.compile(r"\s+")
_DATE = re.compile(
    r"(?<!\d)(?P<y>(?:19|20)\d\d)\s*(?:[-/.]|年)\s*(?P<m>\d{1,2})\s*(?:[-/.]|月)\s*(?P<d>\d{1,2})(?:\s*日)?(?!\d)"
)
#: Excel's day 0 (serial 1 is 1900-01-01; the 1900 leap-year bug is past by serial 61).
_EXCEL_EPOCH = date(1899, 12, 30)
#: Serial numbers taken as dates in a date column: 1980 to 2079.
_SERIALS = (29221, 65745)

_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_XLS = "application/vnd.ms-excel"
_ZIP = "application/zip"
#: Media types that are read, or recorded as not read with a reason; others are not workbooks at all.
WORKBOOK_TYPES = {_XLSX, _XLS, _ZIP}
UNREAD_TYPES = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "a Word document",
    "application/msword": "a Word document",
    "application/pdf": "a PDF",
    "application/vnd.rar": "a RAR archive",
    "application/x-7z-compressed": "a 7z archive",
}
#: What opening a damaged zip raises (a name not in the encoding its flag says is a ValueError).
_ZIP_ERRORS = (zipfile.BadZipFile, ValueError, NotImplementedError, OSError, EOFError)
#: The start of a compound file (an xls).
_OLE = bytes.fromhex("d0cf11e0a1b11ae1")
#: How the reason for a workbook that cannot be read begins.
DAMAGED = "not a readable workbook: "
#: Members of a zip read at most (a zip bomb of many members stops here, recorded).
MAX_MEMBERS = 200
#: Bytes of one zip member read at most, uncompressed.
MAX_MEMBER_BYTES = 50 * 1024 * 1024


def text(value: Any) -> str:
    """A cell as text: full-width ASCII and odd spaces made ASCII, whitespace runs one space, stripped."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        value = value.date() if value.time() == datetime.min.time() else value
    if isinstance(value, date):
        return value.isoformat()
    return _SPACES.sub(" ", str(value).translate(_WIDE)).strip()


def header_name(value: Any) -> str:
    """A header cell as it is matched: no spaces at all, ASCII punctuation, no ``*`` marks."""
    return text(value).replace(" ", "").replace("*", "").replace("（", "(").replace("）", ")")


def column_of(name: str) -> str | None:
    """The archive's column a header names, or None."""
    if name in _NAMES:
        return _NAMES[name]
    for known in sorted(_NAMES, key=len, reverse=True):
        if name.startswith(known):  # 生产日期(批号), 标称生产企业名称(标示): the longest known start
            return _NAMES[known]
    return None


def production_date(value: Any, serials: bool = True) -> str | None:
    """The ISO date a production date cell is, or None (a batch number, a blank). A number is an Excel
    serial date only with ``serials`` (a column whose header names a date: under 批号 alone it is a batch)."""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int | float) and not isinstance(value, bool):
        if not serials:
            return None
        if _SERIALS[0] <= value < _SERIALS[1] and float(value).is_integer():
            return (_EXCEL_EPOCH + timedelta(days=int(value))).isoformat()
        return None
    found = _DATE.search(text(value))
    if not found:
        return None
    try:
        return date(int(found["y"]), int(found["m"]), int(found["d"])).isoformat()
    except ValueError:
        return None


@dataclass
class Header:
    """Where a sheet's header is (its first row, and one or two rows), and which column of the archive
    each of its cells fills."""

    row: int
    #: (cell index, columns): one column, or several for a joined cell
    cells: list[tuple[int, list[str | None]]]
    #: rows the header takes: 2 when a group (不合格项目) is merged over the columns under it
    height: int = 1
    #: the header text each cell's columns were read from
    labels: dict[int, str] = field(default_factory=dict)

    @property
    def columns(self) -> set[str]:
        return {c for _, names in self.cells for c in names if c}


#: What a cell under a group header names by itself (项目名称 under 不合格项目): the group's column.
_SUB_LABELS = {"项目名称", "项目", "名称", "内容"}


def _cell_columns(name: str) -> list[str | None]:
    parts = JOINED.split(name) if JOINED.search(name) else [name]
    return [column_of(p) for p in parts]


def _header_at(rows: list[list[Any]], r: int, height: int) -> Header | None:
    """The header of ``height`` rows starting at row ``r``, or None. Under a group merged across its
    columns (filled into each), a second row names the columns themselves (检验结果, 标准值), or, for a
    plain label (项目名称), the group's; where the second row repeats the first (a cell merged down over
    both), the first names it. A second row counts only where it names at least two columns itself."""
    top = rows[r]
    below = rows[r + 1] if height == 2 else []
    cells: list[tuple[int, list[str | None]]] = []
    labels: dict[int, str] = {}
    named_below = named_above = 0
    for c in range(max(len(top), len(below))):
        upper = header_name(top[c]) if c < len(top) else ""
        lower = header_name(below[c]) if c < len(below) else ""
        named_above += any(_cell_columns(upper)) if upper else 0
        if lower and lower != upper:
            label = lower
            names = _cell_columns(lower)
            if any(names):
                named_below += 1
            elif lower in _SUB_LABELS and upper:
                label, names = upper, _cell_columns(upper)
                named_below += any(names)
            else:
                continue  # a value under a header row, not a header
        elif upper:
            label, names = upper, _cell_columns(upper)
        else:
            continue
        if any(names):
            cells.append((c, names))
            labels[c] = label
    # Two rows only under a group: the first names columns itself (a title above a header names none).
    if height == 2 and (named_below < 2 or named_above < 1):
        return None
    return Header(r, cells, height, labels)


def find_header(rows: list[list[Any]]) -> Header | None:
    """The header among the first rows: the one (of one row or two) naming the most known columns, at least
    three; of two that name as many, the one-row header."""
    best: Header | None = None
    for r in range(min(HEADER_ROWS, len(rows))):
        for height in (1, 2) if r + 1 < len(rows) else (1,):
            header = _header_at(rows, r, height)
            if (
                header is not None
                and len(header.columns) >= MIN_HEADER_COLUMNS
                and (best is None or len(header.columns) > len(best.columns))
            ):
                best = header
    return best


def fill_merged(rows: list[list[Any]], merged: list[tuple[tuple[int, int], tuple[int, int]]]) -> None:
    """Give each merged range's value (its top-left cell's) to every cell it covers, in place."""
    for (r0, c0), (r1, c1) in merged:
        if r0 >= len(rows) or c0 >= len(rows[r0]):
            continue
        value = rows[r0][c0]
        for r in range(r0, min(r1, len(rows) - 1) + 1):
            row = rows[r]
            if len(row) <= c1:
                row.extend([""] * (c1 + 1 - len(row)))
            for c in range(c0, c1 + 1):
                row[c] = value


def _outcome_of(label: str) -> str | None:
    """'failed' or 'passed' from a sheet's name or title, or None when it says neither, or both
    (合格及不合格产品信息: its rows say which)."""
    failed, passed = "不合格" in label, "合格" in label.replace("不合格", "")
    if failed != passed:
        return "failed" if failed else "passed"
    return None


def _conclusion(value: str) -> str | None:
    if "不合格" in value or "不符合" in value:
        return "failed"
    if "合格" in value or "符合" in value:
        return "passed"
    return None


#: Provincial-level divisions, as an address begins (the short name is a prefix of the full one).
PROVINCES = (
    "北京", "天津", "上海", "重庆", "河北", "山西", "辽宁", "吉林", "黑龙江", "江苏", "浙江", "安徽", "福建",
    "江西", "山东", "河南", "湖北", "湖南", "广东", "海南", "四川", "贵州", "云南", "陕西", "甘肃", "青海",
    "台湾", "内蒙古", "广西", "西藏", "宁夏", "新疆", "香港", "澳门",
)  # fmt: skip


_PREFECTURE = re.compile(r"[^省市区县]{0,4}自治州")


def province_of(address: str | None) -> str | None:
    """The province an address begins with (its short name), or None: an address that starts with a city
    names no province, and none is guessed for it."""
    if not address:
        return None
    for name in PROVINCES:
        # (海南藏族自治州 is in Qinghai: a prefecture named like a province is not that province)
        if address.startswith(name) and not _PREFECTURE.match(address, len(name)):
            return name
    return None


#: What a category's sheet or title adds to the category's name.
_CATEGORY_WORDS = re.compile(
    r"(?:食品安全)?(?:监督)?(?:抽检|抽样检验|抽查)?(?:合格(?:及|和|与))?(?:不合格|合格)?(?:产品|样品)?"
    r"(?:信息|情况|名单|汇总|结果)?(?:表)?$"
)
#: The publisher a title may begin with: a province (with its suffix) and a bureau.
_PUBLISHER = re.compile(
    "^(?:(?:" + "|".join(PROVINCES) + ")(?:省|市|壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区)?)?"
    "(?:市场监督管理局|市场监管局|食品药品监督管理局)?"
)
_HAN = re.compile(r"[\u4e00-\u9fff]")
#: A round's date or number in a title (2023年第12期, 2026年度, 第3批, 11月): not a category.
_ROUND = re.compile(
    r"\d{4}\s*年度?|第\s*[\d一二三四五六七八九十]+\s*[期批次号]|\d{1,2}\s*月份?|[（(]\s*[）)]"
)
#: Sheet names that say nothing of the category.
_GENERIC_SHEET = re.compile(r"^(?:sheet\d*|工作表\d*|不合格.*|合格.*|附件\d*|\d+)$", re.IGNORECASE)


def workbook_category(sheet: str, title: str, label: str) -> str | None:
    """The food category a sheet is of, from its name, else its title row, else the file's name."""
    for candidate in (sheet, title, label):
        candidate = re.sub(r"^附件\s*\d*\s*[:：.、]?\s*", "", text(candidate))
        if not candidate or _GENERIC_SHEET.match(candidate):
            continue
        category = _CATEGORY_WORDS.sub("", _ROUND.sub("", _PUBLISHER.sub("", candidate))).strip(" -_、()")
        if category and not _GENERIC_SHEET.match(category) and _HAN.search(category):
            return category
    return None


def read_sheet(name: str, rows: list[list[Any]], workbook_label: str = "") -> dict[str, Any]:
    """One sheet's failures and passed samples: ``{"sheet", "status", "reason", "failed", "passed_samples",
    "failed_samples"}``, ``failed`` a list of rows (the archive's columns, ``row`` the sheet's row number)."""
    header = find_header(rows)
    out: dict[str, Any] = {"sheet": name, "failed": [], "failed_samples": 0, "passed_samples": None}
    if header is None:
        return {**out, "status": "unread", "reason": "no header row naming the result columns"}
    # (a title merged across the columns is in every cell of its row once filled: each text once)
    title = " ".join(dict.fromkeys(text(v) for row in rows[: header.row] for v in row if text(v)))
    sheet_outcome = _outcome_of(name) or _outcome_of(title) or _outcome_of(workbook_label)
    columns = header.columns
    if sheet_outcome is None and not columns & {"conclusion", "failed_item"}:
        return {
            **out,
            "status": "unread",
            "reason": "neither its title nor a column says which samples failed",
        }
    heading = [header_name(v) for v in rows[header.row]]
    category = workbook_category(name, title, workbook_label)
    dated = any("日期" in header.labels[c] for c, names in header.cells if "production_date" in names)
    failed_samples: dict[str, None] = {}
    passed_samples: dict[str, None] = {}
    for r in range(header.row + header.height, len(rows)):
        raw = rows[r]
        first = header.cells[0][0]
        if (  # the header again (a new page): the first header cell's text, then all of them
            first < len(raw)
            and header_name(raw[first]) == heading[first]
            and [header_name(v) for v in raw[: len(heading)]] == heading
        ):
            continue
        values: dict[str, Any] = {}
        printed: dict[str, str] = {}
        for c, names in header.cells:
            cell = raw[c] if c < len(raw) else ""
            parts = JOINED.split(text(cell)) if len(names) > 1 else [cell]
            for column, part in zip(names, parts, strict=False):
                if column and column not in values:
                    shown = text(part)
                    given = shown not in NOT_GIVEN
                    values[column] = part if given else None
                    printed[column] = shown if given else ""
        if not any(printed.get(c) for c in ("sample_number", "product", "producer", "failed_item")):
            continue  # blank, a note under the table, a subtotal
        filled = [v for v in printed.values() if v]
        if len(filled) >= 3 and len(set(filled)) == 1:
            continue  # one text in every cell: a note merged across the table (注：以上信息仅指…)
        # The row's own conclusion first; the sheet's title or name where the row has none.
        outcome = _conclusion(printed.get("conclusion", "")) or sheet_outcome
        if outcome is None:
            outcome = "failed" if printed.get("failed_item") else "passed"
        # A sample is its number; without one, its product, producer, business and date together.
        sample = printed.get("sample_number") or "\t".join(
            printed.get(c, "") for c in ("product", "producer", "sampled_business", "production_date")
        )
        if outcome == "passed":
            passed_samples[sample] = None
            continue
        failed_samples[sample] = None
        row: dict[str, Any] = {
            column: printed.get(column) or None for column in COLUMNS if column != "conclusion"
        }
        row["production_date_raw"] = row.pop("production_date")
        row["production_date"] = production_date(values.get("production_date"), serials=dated)
        broad = row.pop("broad_category")
        if row["category"] or broad:
            row["category"], row["category_from"] = row["category"] or broad, "column"
        else:
            row["category"], row["category_from"] = category, "workbook" if category else None
        given = row.pop("sampled_province")
        if given:
            row["province"], row["province_from"] = province_of(given) or given, "column"
        else:
            row["province"] = province_of(row["sampled_address"])
            row["province_from"] = "address" if row["province"] else None
        row["row"] = r + 1
        out["failed"].append(row)
    out["failed_samples"] = len(failed_samples)
    if passed_samples or sheet_outcome == "passed":  # (a list of failures says nothing of the passed)
        out["passed_samples"] = len(passed_samples)
    return {**out, "status": "read", "reason": None}


def _calamine_sheets(data: bytes) -> Iterator[tuple[str, list[list[Any]]]]:
    from python_calamine import CalamineWorkbook

    workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
    for index, name in enumerate(workbook.sheet_names):
        sheet = workbook.get_sheet_by_index(index)
        merged = sheet.merged_cell_ranges or []
        # Filling costs the ranges' area: a few ranges over the whole grid would be billions of cells.
        area = sum((r1 - r0 + 1) * (c1 - c0 + 1) for (r0, c0), (r1, c1) in merged)
        if area > MAX_CELLS:
            raise TooLarge(f"its merged ranges cover {area:,} cells, over {MAX_CELLS:,}")
        rows = [list(row) for row in sheet.to_python(skip_empty_area=False)]
        fill_merged(rows, merged)
        yield name, rows


class TooLarge(Exception):
    """A workbook the reader could read, but at a cost out of proportion to any result workbook."""


#: Cells a sheet may span (from A1 to its last cell) to be read: the reader allocates the whole rectangle,
#: so one cell written at XFD1048576 would ask for hundreds of GB and abort the process. A real result
#: workbook spans a few thousand rows of twenty columns.
MAX_CELLS = 2_000_000
#: Bytes of a workbook's parts read at most, uncompressed (an xlsx is a zip: a small file can hold a lot,
#: and its shared strings are held in memory whole).
MAX_WORKBOOK_BYTES = 100 * 1024 * 1024
#: The ``r`` attribute of a cell (column letters and row) or of a row (its number alone), quoted either way.
_REF = re.compile(rb"""\sr\s*=\s*["']([A-Z]{0,3})([0-9]{1,7})["']""")


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def _cells(extents: list[tuple[int, int]]) -> str | None:
    """Why sheets of these (rows, columns) extents are too many cells, or None."""
    for rows, columns in extents:
        if rows * columns > MAX_CELLS:
            return f"a sheet spans {rows:,} rows of {columns:,} columns, over {MAX_CELLS:,} cells"
    sheets = [rows * columns for rows, columns in extents if rows * columns]
    if sum(sheets) > MAX_CELLS:
        return f"its {len(sheets)} sheets span {sum(sheets):,} cells, over {MAX_CELLS:,}"
    return None


def xlsx_too_large(data: bytes) -> str | None:
    """Why an xlsx is too large to read, or None: parts of more than `MAX_WORKBOOK_BYTES` uncompressed, or
    sheets spanning more than `MAX_CELLS` cells (one sheet or all together), from the sheets' cell
    references read as a stream, before the reader allocates anything."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except _ZIP_ERRORS:
        return None  # the reader says what is wrong with it
    extents = []
    with archive:
        declared = sum(member.file_size for member in archive.infolist())
        if declared > MAX_WORKBOOK_BYTES:
            return f"{declared:,} bytes uncompressed, over {MAX_WORKBOOK_BYTES:,}"
        for member in archive.infolist():
            if not re.fullmatch(r"xl/worksheets/[^/]+\.xml", member.filename):
                continue
            rows = columns = 0
            tail = b""
            try:
                with archive.open(member) as stream:  # (inflates no more than the size declared)
                    while chunk := stream.read(1 << 20):
                        window = tail + chunk
                        found = _REF.findall(window)
                        if found:
                            rows = max(rows, *(int(number) for _, number in found))
                            columns = max(columns, *(_column_number(letters) for letters, _ in found))
                        tail = window[-64:]
            except Exception:  # noqa: BLE001  (zlib, lzma and bz2 errors of a damaged member, and others)
                return None  # damaged: the reader says so
            extents.append((rows, columns))
    return _cells(extents)


#: BIFF8 records that place a cell (row and column in their first four bytes), and those spanning columns
#: (MULRK, MULBLANK: the last column in their last two bytes); DIMENSIONS gives a sheet's used range.
_BIFF_CELLS = {0x0006, 0x00D6, 0x00FD, 0x0201, 0x0203, 0x0204, 0x0205, 0x027E}
_BIFF_SPANS = {0x00BD, 0x00BE}
_BIFF_DIMENSIONS = 0x0200
_BIFF_BOF = 0x0809


def xls_too_large(data: bytes) -> str | None:
    """Why an xls is not to be read, or None: as `xlsx_too_large`, from the cell and DIMENSIONS records of
    the workbook stream (olefile opens the compound file; the records are read here, in one pass). A
    compound file olefile cannot open, and a DIMENSIONS record whose first row or column is past its last,
    are refused: the reader would allocate from them (555 GB and 2 TB, measured)."""
    import olefile

    try:
        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            name = next((n for n in ("Workbook", "Book") if ole.exists(n)), None)
            if name is None:
                return None  # the reader says what is wrong with it
            stream = ole.openstream(name).read(MAX_WORKBOOK_BYTES + 1)
    except Exception as exc:  # noqa: BLE001  (OleFileError, and others on a damaged file)
        # Not handed to the reader: it reads some damaged files olefile refuses, and allocated 555 GB from
        # one (a fuzzed copy of the replay's xls), which aborts the process.
        return f"{DAMAGED}a damaged compound file ({_one_line(exc)})"
    if len(stream) > MAX_WORKBOOK_BYTES:
        return f"a workbook stream of more than {MAX_WORKBOOK_BYTES:,} bytes"
    extents: list[tuple[int, int]] = []
    rows = columns = 0
    position, end = 0, len(stream)
    while position + 4 <= end:
        kind, length = struct.unpack_from("<HH", stream, position)
        body = position + 4
        if body + length > end:
            break
        if kind == _BIFF_BOF:  # a new substream (a sheet): its own rectangle
            extents.append((rows, columns))
            rows = columns = 0
        elif kind == _BIFF_DIMENSIONS and length >= 12:
            first_row, last_row, first_column, last_column = struct.unpack_from("<IIHH", stream, body)
            if first_row > last_row or first_column > last_column:
                return "its DIMENSIONS record starts past its end (a damaged file)"
            rows, columns = max(rows, last_row), max(columns, last_column)
        elif kind in _BIFF_CELLS and length >= 4:
            row, column = struct.unpack_from("<HH", stream, body)
            rows, columns = max(rows, row + 1), max(columns, column + 1)
        elif kind in _BIFF_SPANS and length >= 6:
            row = struct.unpack_from("<H", stream, body)[0]
            last = struct.unpack_from("<H", stream, body + length - 2)[0]
            rows, columns = max(rows, row + 1), max(columns, last + 1)
        position = body + length
    extents.append((rows, columns))
    return _cells(extents)


def read_workbook(data: bytes, name: str) -> list[dict[str, Any]]:
    """Each sheet of one xlsx or xls file, read (`read_sheet`), with ``workbook`` its name; a file that
    cannot be opened is one entry saying why."""
    label = re.sub(r"\.[A-Za-z]+$", "", name.rsplit("/", 1)[-1])
    if data[:4] == b"PK\x03\x04":
        refused = xlsx_too_large(data)
    elif data[:8] == _OLE:
        refused = xls_too_large(data)
    else:
        refused = None  # not a workbook the reader knows: it says so
    if refused:
        return [_unread(name, refused if refused.startswith(DAMAGED) else f"not read: {refused}")]
    try:
        sheets = [
            {**read_sheet(sheet, rows, label), "workbook": name} for sheet, rows in _calamine_sheets(data)
        ]
    except TooLarge as exc:
        return [_unread(name, f"not read: {exc}")]
    except Exception as exc:  # noqa: BLE001  (CalamineError, and ValueError or others on damaged parts)
        return [_unread(name, f"{DAMAGED}{_one_line(exc)}")]
    except BaseException as exc:  # a panic in the Rust reader reaches Python as a BaseException
        if type(exc).__name__ != "PanicException":
            raise
        return [_unread(name, f"{DAMAGED}the reader failed ({_one_line(exc)})")]
    if not sheets:
        return [_unread(name, "a workbook without sheets")]
    return sheets


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:200] or type(exc).__name__


def _unread(name: str, reason: str, transient: bool = False) -> dict[str, Any]:
    """A file not read, and why. ``transient``: for a reason of the crawl's, not the file's (the kept copy
    unreadable, the reader quarantined), so that the rows read from the same file before are kept."""
    entry: dict[str, Any] = {
        "workbook": name,
        "sheet": None,
        "status": "unread",
        "reason": reason,
        "failed": [],
        "failed_samples": 0,
        "passed_samples": None,
    }
    return {**entry, "transient": True} if transient else entry


def _kind(data: bytes, name: str) -> str | None:
    if data[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = archive.namelist()
        except _ZIP_ERRORS:
            # damaged (a name not in the encoding its flag says, too): what it was meant to be, its name says
            return _XLSX if name.lower().endswith(".xlsx") else _ZIP
        return _XLSX if "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names) else _ZIP
    if data[:8] == _OLE:
        return _XLS
    lowered = name.lower()
    for suffix, kind in ((".xlsx", _XLSX), (".xls", _XLS), (".zip", _ZIP), (".et", _XLS)):
        if lowered.endswith(suffix):
            return kind
    return None


def read_file(data: bytes, name: str, media_type: str | None = None) -> list[dict[str, Any]]:
    """What an attachment holds of sampling results: one entry per sheet read (or workbook not read, with
    the reason). A zip gives its workbooks' sheets, each named ``zip member``; an attachment that is not a
    workbook, a zip or a document that could hold one gives nothing."""
    if media_type in UNREAD_TYPES:
        return [_unread(name, f"{UNREAD_TYPES[media_type]}: its tables are not read")]
    kind = _kind(data, name) if media_type not in WORKBOOK_TYPES or media_type == _ZIP else media_type
    if kind == _ZIP:
        return _read_zip(data, name)
    if kind in (_XLSX, _XLS):
        return read_workbook(data, name)
    return []


def member_name(member: zipfile.ZipInfo) -> str:
    """A zip member's name as it was written: zips made on Chinese Windows name their members in GBK without
    saying so (no UTF-8 flag), which Python reads as CP437."""
    if member.flag_bits & 0x800:
        return member.filename
    raw = member.filename.encode("cp437", "replace")
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return member.filename


def _read_zip(data: bytes, name: str) -> list[dict[str, Any]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except _ZIP_ERRORS as exc:
        return [_unread(name, f"not a readable zip: {_one_line(exc)}")]
    out = []
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        for member in members[:MAX_MEMBERS]:
            label = f"{name}/{member_name(member)}"
            if member.file_size > MAX_MEMBER_BYTES:
                out.append(_unread(label, f"{member.file_size} bytes uncompressed, over {MAX_MEMBER_BYTES}"))
                continue
            try:  # (zipfile inflates no more than the size declared: a member lying about it fails its CRC)
                content = archive.read(member)
            except Exception as exc:  # noqa: BLE001
                # a damaged member (bad CRC, truncated, zlib, lzma or bz2 errors), an unsupported method, an
                # encrypted one, a name not in the encoding its flag says
                out.append(_unread(label, f"cannot be taken out of the zip: {_one_line(exc)}"))
                continue
            kind = _kind(content, member.filename)
            if kind in (_XLSX, _XLS):
                out.extend(read_workbook(content, label))
            elif member.filename.lower().endswith((".doc", ".docx", ".pdf")):
                out.append(_unread(label, "a document in the zip: its tables are not read"))
        if len(members) > MAX_MEMBERS:
            out.append(
                _unread(name, f"{len(members) - MAX_MEMBERS} more members not read (over {MAX_MEMBERS})")
            )
    return out


#: How a notice states its failures: 检出12批次样品不合格 in the text, 关于12批次食品抽检不合格情况的通告 in a
#: title (traditional 檢出 alike). The number is the notice's own; the workbooks' count is set beside it.
_STATED = re.compile(r"(?:[检檢]出|共)?\s*(\d{1,5})\s*批次(?:样品|樣品|食品|产品|產品)?(?:抽[检檢])?不合格")


def stated_failures(title: str | None, body: str | None) -> tuple[int, str] | None:
    """The number of failed batches a notice states, and the words it states it in: the title's, else the
    first in the text. None when it states none."""
    for text_ in (title or "", body or ""):
        found = _STATED.search(text_)
        if found:
            return int(found[1]), found[0].strip()
    return None


def read_attachments(item: Any, folder: Path, quarantine: Any = None) -> None:
    """Read each kept attachment of ``item`` (its file under ``folder``) into ``Attachment.workbooks``; a
    row whose province neither a column nor the address gives takes the publishing bureau's region.

    Under a ``quarantine`` (`crawler.quarantine`), a file the reader killed the crawl on twice (a native
    crash, memory exhausted) is not read again while its bytes are the same.
    """
    from crawler.sources import registry

    known = registry().get(item.source)
    region = known.region if known else None
    for attachment in item.attachments:
        if not attachment.path:
            continue
        name = attachment_name(attachment)
        try:
            data = (folder / attachment.path).read_bytes()
        except OSError as exc:
            reason = f"the kept file cannot be read: {exc.strerror or exc}"
            attachment.workbooks = [_unread(name, reason, transient=True)]
            continue
        try:
            if quarantine is None:
                attachment.workbooks = read_file(data, name, attachment.media_type)
            else:
                deaths, digest = quarantine.deaths(attachment.url, data)
                if deaths >= quarantine.limit:
                    reason = f"not read: {deaths} crawls died while reading this file"
                    attachment.workbooks = [_unread(name, reason, transient=True)]
                else:
                    with quarantine.parsing(attachment.url, digest, item.source):
                        attachment.workbooks = read_file(data, name, attachment.media_type)
        except Exception as exc:
            logger.exception("reading %s of %s failed", attachment.url, item.url)
            reason = f"not read: the reader failed: {type(exc).__name__}: {_one_line(exc)}"
            attachment.workbooks = [_unread(name, reason)]
        for sheet in attachment.workbooks:
            for row in sheet["failed"]:
                if row["province"] is None and region:
                    row["province"], row["province_from"] = region, "bureau"


class WorkbooksPipeline:
    """`read_attachments` for every article of the crawl, under its spider's quarantine.

    Stats: ``workbooks/read`` and ``workbooks/unread`` (sheets and files), ``workbooks/failed_rows``.
    """

    def __init__(self, folder: Path, crawler: Crawler):
        self.folder, self.crawler = folder, crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WorkbooksPipeline:
        from scrapy.exceptions import NotConfigured

        from crawler.files import files_folder

        if not crawler.settings.getbool("FOODNEWS_ATTACHMENTS", True):
            raise NotConfigured("FOODNEWS_ATTACHMENTS is off")
        return cls(Path(files_folder(crawler.settings)), crawler)

    def process_item(self, item: Any) -> Any:
        from crawler.items import Article

        if not isinstance(item, Article):
            return item
        read_attachments(item, self.folder, getattr(self.crawler.spider, "quarantine", None))
        stats = self.crawler.stats
        assert stats is not None
        for attachment in item.attachments:
            for sheet in attachment.workbooks:
                stats.inc_value(f"workbooks/{sheet['status']}")
                stats.inc_value("workbooks/failed_rows", len(sheet["failed"]))
        return item


def attachment_name(attachment: Any) -> str:
    """The name a workbook goes by: the last part of its URL's path (the link text is often a sentence)."""
    path = unquote(urlsplit(attachment.url).path).rstrip("/")
    return path.rsplit("/", 1)[-1] or attachment.url
