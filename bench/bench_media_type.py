"""Media type of an attachment from its first bytes: filetype (our choice) beside puremagic and python-magic
(libmagic), on the files regulators attach: workbooks, documents, zips of workbooks, old OLE2 Excel files,
PDFs, and the HTML "not found" page a server answers with 200.

    python bench/bench_media_type.py        (puremagic and python-magic are measured when installed)

Prints, per library, how many files it names right and the time per file; then what `crawler.files.media_type`
(filetype plus the file's suffix for OLE2) says of each.
"""

from __future__ import annotations

import io
import re
import sys
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import contextlib

from crawler.files import media_type


def _zip(names: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in names.items():
            archive.writestr(name, data)
    return out.getvalue()


TYPES = b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'
WORKBOOK = _zip(
    {"[Content_Types].xml": TYPES, "xl/workbook.xml": b"<workbook/>", "xl/worksheets/sheet1.xml": b"<s/>"}
)
CASES: dict[str, tuple[bytes, str, str]] = {
    # name: (bytes, file name, what the right answer matches)
    "xlsx": (WORKBOOK, "r.xlsx", "spreadsheetml"),
    "xlsx, parts in another order": (
        _zip({"docProps/app.xml": b"<x/>", "[Content_Types].xml": TYPES, "xl/workbook.xml": b"<w/>"}),
        "r.xlsx",
        "spreadsheetml",
    ),
    "docx": (
        _zip({"[Content_Types].xml": TYPES, "word/document.xml": b"<w/>"}),
        "n.docx",
        "wordprocessingml",
    ),
    "zip of two workbooks": (_zip({"a.xlsx": WORKBOOK, "b.xlsx": WORKBOOK}), "r.zip", "^application/zip$"),
    "xls (OLE2)": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 1000, "r.xls", "ms-excel|ole"),
    "pdf": (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj" + b" " * 100, "n.pdf", "pdf"),
    "HTML page for a file": (b"<!DOCTYPE html><html><body>404</body></html>", "r.xlsx", "html|^None$"),
}


def libraries() -> dict[str, Callable[[bytes], str | None]]:
    import filetype

    found: dict[str, Callable[[bytes], str | None]] = {"filetype": filetype.guess_mime}
    try:
        import puremagic

        found["puremagic"] = lambda data: puremagic.from_string(data, mime=True)
    except ImportError:
        pass
    try:
        import magic

        found["python-magic (libmagic)"] = lambda data: magic.from_buffer(data, mime=True)
    except ImportError:
        pass
    return found


def main() -> None:
    rounds = 200
    for name, guess in libraries().items():
        answers = {}
        for case, (data, _, _) in CASES.items():
            try:
                answers[case] = guess(data)
            except Exception as exc:
                answers[case] = f"error {type(exc).__name__}"
        started = time.perf_counter()
        for _ in range(rounds):
            for data, _, _ in CASES.values():
                with contextlib.suppress(Exception):
                    guess(data)
        per_file = (time.perf_counter() - started) / (rounds * len(CASES)) * 1e6
        right = [c for c, (_, _, want) in CASES.items() if re.search(want, str(answers[c]))]
        print(f"{name}: {len(right)}/{len(CASES)} right, {per_file:.0f} µs per file")
        for case in CASES:
            print(f"    {'ok ' if case in right else 'BAD'} {case}: {answers[case]}")
    print("crawler.files.media_type:")
    for case, (data, file_name, _) in CASES.items():
        print(f"    {case}: {media_type(data, 'https://www.samr.gov.cn/files/' + file_name)}")


if __name__ == "__main__":
    main()
