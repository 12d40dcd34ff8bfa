"""Workbook readers side by side: the time to read a result workbook's cells and merged ranges.

A workbook of ``--rows`` failed rows (the 14 columns of SAMR's layout, a title row merged across, every
second sample merged down over two rows) is written as xlsx (the fixture writer's OOXML) and as xls (xlwt),
then read ``--passes`` times by each reader, as ``crawler.workbooks`` needs it: every cell's value and every
merged range. Printed: milliseconds a read and rows a second, per reader and format. Figures, not a verdict.

    .venv/bin/pip install -e '.[bench]' && .venv/bin/python bench/bench_workbooks.py
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _fixture_writer() -> Any:
    spec = importlib.util.spec_from_file_location(
        "make_site", ROOT / "tests" / "fixtures" / "samr" / "make_site.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def table(rows: int) -> tuple[list[list[Any]], list[tuple[int, int, int, int]]]:
    """The cells (a title row, the header, ``rows`` rows) and merged ranges (r0, r1, c0, c1; 0-based)."""
    writer = _fixture_writer()
    header = writer.HEADER
    cells: list[list[Any]] = [["饮料监督抽检不合格产品信息"] + [""] * (len(header) - 1), list(header)]
    merges = [(0, 0, 0, len(header) - 1)]
    for i in range(rows):
        first = i % 2 == 1 and i + 1 < rows
        cells.append(
            [i + 1, f"DC26{i:08d}", f"某某食品有限公司{i}", "河北省石家庄市工业路8号", f"某某超市{i}店",
             "河北省石家庄市某某路100号", f"饮料样品{i}", "500ml/瓶", "图形商标", 46300 + i % 300,
             "菌落总数║3.2×10⁵CFU/g║≤10⁵CFU/g", "某某省食品检验研究院", "饮料", ""]
        )  # fmt: skip
        if first:
            merges += [(len(cells) - 1, len(cells), c, c) for c in range(10)]
    return cells, merges


def xlsx(cells: list[list[Any]], merges: list[tuple[int, int, int, int]]) -> bytes:
    writer = _fixture_writer()
    refs = [f"{writer._column(c0)}{r0 + 1}:{writer._column(c1)}{r1 + 1}" for r0, r1, c0, c1 in merges]
    return bytes(writer._xlsx_book([("饮料", [[v for v in row] for row in cells], refs)]))


def xls(cells: list[list[Any]], merges: list[tuple[int, int, int, int]]) -> bytes:
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("饮料")
    covered = {(r, c) for r0, r1, c0, c1 in merges for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)}
    for r0, r1, c0, c1 in merges:
        sheet.write_merge(r0, r1, c0, c1, cells[r0][c0])
    for r, row in enumerate(cells):
        for c, value in enumerate(row):
            if (r, c) not in covered and value != "":
                sheet.write(r, c, value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def calamine(data: bytes) -> tuple[int, int]:
    from python_calamine import CalamineWorkbook

    sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0)
    rows = sheet.to_python(skip_empty_area=False)
    return len(rows), len(sheet.merged_cell_ranges or [])


def openpyxl_full(data: bytes) -> tuple[int, int]:
    import openpyxl

    sheet = openpyxl.load_workbook(io.BytesIO(data), data_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    return len(rows), len(sheet.merged_cells.ranges)


def openpyxl_read_only(data: bytes) -> tuple[int, int]:
    """openpyxl's fast mode: no merged ranges (a read-only sheet does not keep them)."""
    import openpyxl

    sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    return len(rows), 0


def xlrd_xls(data: bytes) -> tuple[int, int]:
    import xlrd

    sheet = xlrd.open_workbook(file_contents=data, formatting_info=True).sheet_by_index(0)
    rows = [sheet.row_values(r) for r in range(sheet.nrows)]
    return len(rows), len(sheet.merged_cells)


def whole_reading(data: bytes) -> tuple[int, int]:
    """``crawler.workbooks.read_file``: calamine, the merged ranges filled, headers, dates and rows read."""
    from crawler.workbooks import read_file

    (sheet,) = read_file(data, "饮料.xlsx" if data[:2] == b"PK" else "饮料.xls")
    return len(sheet["failed"]), 0


def measure(name: str, read: Callable[[bytes], tuple[int, int]], data: bytes, passes: int, rows: int) -> None:
    try:
        read(data)
    except ImportError as exc:
        print(f"{name:<28} not installed ({exc.name})")
        return
    times = []
    for _ in range(passes):
        start = time.perf_counter()
        found, merged = read(data)
        times.append(time.perf_counter() - start)
    best = min(times)
    print(
        f"{name:<28} {best * 1000:9.1f} ms  {rows / best:10,.0f} rows/s  ({found} rows, {merged} merged ranges)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--passes", type=int, default=5)
    args = parser.parse_args()
    cells, merges = table(args.rows)
    book_xlsx, book_xls = xlsx(cells, merges), xls(cells, merges)
    print(
        f"{args.rows:,} rows; xlsx {len(book_xlsx):,} bytes, xls {len(book_xls):,} bytes; best of {args.passes}"
    )
    measure("xlsx python-calamine", calamine, book_xlsx, args.passes, args.rows)
    measure("xlsx openpyxl", openpyxl_full, book_xlsx, args.passes, args.rows)
    measure("xlsx openpyxl read-only", openpyxl_read_only, book_xlsx, args.passes, args.rows)
    measure("xlsx crawler.workbooks (all)", whole_reading, book_xlsx, args.passes, args.rows)
    measure("xls python-calamine", calamine, book_xls, args.passes, args.rows)
    measure("xls crawler.workbooks (all)", whole_reading, book_xls, args.passes, args.rows)
    measure("xls xlrd (formatting_info)", xlrd_xls, book_xls, args.passes, args.rows)


if __name__ == "__main__":
    main()
