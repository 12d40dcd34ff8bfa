"""Articles saved as plain text (one paragraph a line), such as the seed item: no markup to lean on."""

from __future__ import annotations

from crawler.extract import dates
from crawler.extract.html import Extracted
from crawler.extract.text import (
    STAFF_LINE,
    clean_pinyin,
    editor_of,
    looks_like_caption,
    normalize_space,
    split_caption,
    split_dateline,
)


def extract_text(text: str, url: str) -> Extracted:
    """Paragraphs, dateline lead, captions and a yearless date from a plain-text article."""
    out = Extracted(url=url)
    lines = [normalize_space(clean_pinyin(line)) for line in (text or "").splitlines()]
    lines = [line for line in lines if line]
    if not lines:
        out.reject = "empty text"
        return out
    first_dateline, _ = split_dateline(lines[0])
    # A short first line that is not itself the lead paragraph is the headline.
    if (
        first_dateline is None
        and len(lines) > 1
        and len(lines[0]) <= 60
        and not lines[0].endswith(("。", "."))
    ):
        out.title = lines.pop(0)
    else:
        out.notes.append("title: the text has no headline line")
    paragraphs: list[str] = []
    for line in lines:
        if STAFF_LINE.match(line):
            out.editor = out.editor or editor_of(line)
        elif looks_like_caption(line):
            caption, credit = split_caption(line)
            out.images.append({"url": None, "caption": caption, "credit": credit})
        else:
            paragraphs.append(line)
    # The dateline lead stays in the text (it is part of what was published); its names are read out.
    dateline, _ = split_dateline(paragraphs[0]) if paragraphs else (None, "")
    if dateline:
        out.organization = dateline.organization
        out.authors = dateline.authors
        out.notes.append(f"dateline: {dateline.text}")
    out.paragraphs = [p for p in paragraphs if p]
    head = " ".join(out.paragraphs[:1])
    found = dates.parse_date(head)
    if found is None:
        year = dates.date_from_url(url)
        year_value = int(year.value[:4]) if year else dates.year_in_text(" ".join(out.paragraphs[:3]))
        if year_value:
            found = dates.parse_yearless(head, year_value)
            if found:
                out.notes.append(f"published: yearless date in text, year {year_value} from the page")
    if found:
        out.published = found
    else:
        out.notes.append("published: no date in the text")
    if not out.paragraphs:
        out.reject = "no body text found"
    return out
