"""Chinese-aware full-text search: what goes into the index, and what a search box query becomes.

SQLite's tokenizers cannot find Chinese words inside running text (``unicode61`` makes a whole clause one
token; ``trigram`` cannot match two characters). So the archive indexes a *transformed* text instead
(design and measurements: ``docs/search.md``):

1. **Normalise**: NFKC (full-width letters and digits to ASCII, compatibility ideographs to unified ones),
   then traditional characters to simplified, one character at a time with OpenCC's t2s table, so that 檢測
   and 检测 are the same text. Per character, not per phrase: the same function applied to a query and to a
   text gives the same characters for every substring.
2. **Bigrams**: every run of CJK characters ``c1 c2 … cn`` becomes the tokens ``c1c2 c2c3 … c(n-1)cn cn``,
   overlapping bigrams plus the run's last character. Everything else is left to the FTS5 tokenizer
   (``porter unicode61``: words, case folding, English stemming).

A query term is rewritten the same way into an FTS5 phrase of consecutive bigrams, so a phrase match is
exactly "the normalised term is a substring of the normalised text" for Chinese, and a stemmed word match for
English. A single character becomes a prefix query (``"奶"*``), which finds it at every position because
each character of a run starts a bigram or is the run's final unigram.

The index is the contentless FTS5 table ``articles_search`` (rowid = ``articles.rowid``), written from
Python by :mod:`archive.store`; nothing in it needs a custom function to be read, so a stock ``sqlite3``
can search it with the bigram phrase written out (``docs/search.md`` shows how).

A second contentless table, ``articles_search4``, holds the *quadgrams* of the same runs (overlapping
four-character tokens, each run closed by its last three characters). A Chinese term of four characters or
more is looked up there: one token instead of a phrase of three bigrams, which is what keeps a word such as
食品安全, in two thirds of a million articles, countable in milliseconds (measurements: ``docs/search.md``).
"""

from __future__ import annotations

import hashlib
import html
import operator
import re
import sqlite3
import unicodedata
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import Any

#: Bump when :func:`index_text` or the tokenizer changes: a stored index of another format is rebuilt.
FORMAT = 1
TABLE = "articles_search"
#: The quadgram index: Chinese terms of four or more characters.
TABLE4 = "articles_search4"
#: Quadgram lookups start at this many characters; shorter terms use the bigram index.
QUAD = 4
TOKENIZE = "porter unicode61 remove_diacritics 2"
#: Column weights for bm25 ranking: a match in the title counts five times one in the body.
RANK = "bm25(5.0, 1.0)"

# Characters bigrammed: CJK ideographs (BMP, compatibility, extensions B-H), 〇 and 々, kana and hangul.
# Every one of them is a token character for unicode61, so a bigram is always exactly one FTS token.
_CJK = (
    "\u3005\u3007\u3041-\u3096\u30a1-\u30fa\u30fc\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7a3\uf900-\ufaff"
    "\U00020000-\U0002ebef\U00030000-\U0003134f"
)
_RUN = re.compile(f"[{_CJK}]+")
# How Datasette's escape_fts() splits a search: on whitespace, keeping "quoted phrases" whole.
_TERMS = re.compile(r'\s+|(".*?")')
# Han ranges whose characters are converted one by one with OpenCC's t2s table.
_T2S_RANGES = (
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xF900, 0xFAFF),
    (0x20000, 0x2A6DF),
    (0x2A700, 0x2EBEF),
    (0x30000, 0x3134F),
)


@lru_cache(maxsize=1)
def _t2s_table() -> dict[int, str]:
    """Traditional → simplified, character by character, from native OpenCC's t2s conversion."""
    import opencc

    chars = [chr(c) for lo, hi in _T2S_RANGES for c in range(lo, hi + 1)]
    # One call: newlines keep OpenCC's phrase matching from joining neighbours.
    converted = opencc.OpenCC("t2s").convert("\n".join(chars)).split("\n")
    assert len(converted) == len(chars), "OpenCC changed the number of lines"
    return {ord(c): s for c, s in zip(chars, converted, strict=True) if s != c and len(s) == 1}


def normaliser_fingerprint(index: str = TABLE) -> str:
    """Identifies everything that decides an index's tokens; a stored index with another one is rebuilt."""
    table = _t2s_table()
    layout = f"{FORMAT}" if index == TABLE else f"{FORMAT}|{index}|{QUAD}"
    digest = hashlib.sha256(f"{layout}|{TOKENIZE}|{unicodedata.unidata_version}|".encode())
    digest.update("".join(f"{k:x}={v}," for k, v in sorted(table.items())).encode())
    return f"{FORMAT}:{digest.hexdigest()[:16]}"


def normalise(text: str) -> str:
    """NFKC, then traditional to simplified character by character."""
    if not text:
        return ""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text).translate(_t2s_table())
    return text


#: What a site appends to its own name (河北省市场监督管理局网站, 新华网客户端): not part of who published it.
_SITE_SUFFIX = re.compile(r"(?:门户网站|官方网站|官网|网站|客户端|微信公众号)$")


def organization_group(name: str | None) -> str | None:
    """The facet value of an organisation as printed: its simplified-script form without spaces or a
    trailing site word, so that 中國食品安全網 and 中国食品安全网 are one value (the printed name is kept)."""
    if not name:
        return None
    # Spaces go where they touch Chinese (中国 食品安全网); between words of other scripts one stays.
    grouped = " ".join(normalise(name).split())
    grouped = re.sub(r"(?<=[\u2e80-\u9fff]) | (?=[\u2e80-\u9fff])", "", grouped)
    grouped = _SITE_SUFFIX.sub("", grouped) or grouped
    return grouped or None


def _bigrams(run: str) -> str:
    if len(run) == 1:
        return run
    return " ".join(map(operator.add, run, run[1:])) + " " + run[-1]


def _expand(match: re.Match[str]) -> str:
    return " " + _bigrams(match.group()) + " "


def index_text(text: str | None) -> str:
    """The text as the search index stores it: normalised, CJK runs as overlapping bigrams."""
    if not text:
        return ""
    text = normalise(text)
    return _RUN.sub(_expand, text) if not text.isascii() else text


def _quads(run: str) -> str:
    # Overlapping quadgrams, then the run's last three characters: a token that is never a quadgram, so
    # the quadgrams of two runs are never adjacent and a phrase of quadgrams cannot match across runs.
    return " ".join(run[i : i + QUAD] for i in range(len(run) - QUAD + 1)) + " " + run[-(QUAD - 1) :]


def index_text4(text: str | None) -> str:
    """The text as the quadgram index stores it: the quadgrams of each normalised CJK run of 4 or more."""
    if not text or text.isascii():
        return ""
    return " ".join(_quads(run) for run in _RUN.findall(normalise(text)) if len(run) >= QUAD)


#: Every index table and what it stores of a text.
INDEXES = {TABLE: index_text, TABLE4: index_text4}


def _has_token_after(text: str) -> bool:
    return any(c.isalnum() for c in text)


def _phrase(term: str) -> str | None:
    """One search term as an FTS5 phrase over the bigram index, or None when it has nothing to search."""
    text = normalise(term.replace('"', " "))
    parts: list[str] = []
    prefix = False
    position = 0
    for m in _RUN.finditer(text):
        parts.append(text[position : m.start()])
        run = m.group()
        position = m.end()
        if _has_token_after(text[position:]):
            # Something follows within the phrase, so the text's run must end here too: its final unigram.
            parts.append(_bigrams(run))
        elif len(run) == 1:
            parts.append(run)
            prefix = True
        else:
            parts.append(" ".join(map(operator.add, run, run[1:])))
    parts.append(text[position:])
    phrase = " ".join(p.strip() for p in parts if p.strip())
    if not _has_token_after(phrase) and not _RUN.search(phrase):
        return None
    return f'"{phrase}"' + ("*" if prefix else "")


def _phrase4(term: str) -> str | None:
    """A term that is one CJK run of 4 or more characters as a phrase of quadgrams; otherwise None."""
    text = normalise(term.replace('"', " ")).strip()
    if len(text) < QUAD or not _RUN.fullmatch(text):
        return None
    return '"' + " ".join(text[i : i + QUAD] for i in range(len(text) - QUAD + 1)) + '"'


def check_query(query: str | None) -> None:
    """Raise ValueError for a query longer than :data:`MAX_QUERY_CHARS`."""
    if query and len(query) > MAX_QUERY_CHARS:
        raise ValueError(f"search longer than {MAX_QUERY_CHARS} characters")


def split_terms(query: str) -> list[str]:
    """A search box query split the way Datasette's escape_fts() splits it (quoted phrases kept whole)."""
    if query.count('"') % 2:
        query += '"'
    return [b.strip('"') for b in _TERMS.split(query) if b and b != '""']


def match_expression(query: str | None) -> str:
    """The FTS5 MATCH expression for a search box query: every term (or "quoted phrase") must match.

    Drop-in replacement for Datasette's ``escape_fts()``, which the search plugin overrides with it.
    A query with nothing searchable matches no row (``""``) rather than raising a syntax error; one
    longer than :data:`MAX_QUERY_CHARS` raises ValueError.
    """
    check_query(query)
    phrases = [p for p in (_phrase(t) for t in split_terms(query or "")) if p]
    return " ".join(phrases) if phrases else '""'


def match_expressions(query: str | None) -> tuple[str, str]:
    """A search box query as (index table, MATCH expression): the quadgram index when it can answer.

    When every term is a Chinese run of :data:`QUAD` or more characters, the quadgram index, where each is
    one token or a short phrase; otherwise the bigram index, which holds every term (one table, so FTS5
    merges the terms' lists itself instead of SQLite intersecting two tables' matches). Same rows either way.
    """
    check_query(query)
    terms = split_terms(query or "")
    quads = [_phrase4(term) for term in terms]
    if quads and all(quads):
        return TABLE4, " ".join(q for q in quads if q)
    return TABLE, match_expression(query)


# --- the index table -------------------------------------------------------------------------------------


def create_index_sql(table: str = TABLE) -> list[str]:
    """Statements creating the contentless FTS5 index and its ranking function."""
    return [
        f"create virtual table [{table}] using fts5(title, body, content='', tokenize='{TOKENIZE}')",
        f"insert into [{table}]([{table}], rank) values ('rank', '{RANK}')",
    ]


def index_row(conn: Any, rowid: int, title: str | None, body: str | None) -> None:
    """Add one article's title and body to every index under ``rowid`` (the articles row's rowid)."""
    for table, text in INDEXES.items():
        conn.execute(
            f"insert into [{table}](rowid, title, body) values (?, ?, ?)", [rowid, text(title), text(body)]
        )


def unindex_row(conn: Any, rowid: int, title: str | None, body: str | None) -> None:
    """Remove what :func:`index_row` added for these values (a contentless table needs the old values)."""
    for table, text in INDEXES.items():
        conn.execute(
            f"insert into [{table}]([{table}], rowid, title, body) values ('delete', ?, ?, ?)",
            [rowid, text(title), text(body)],
        )


def index_rows(conn: Any, rows: Iterable[tuple[int, str | None, str | None]], table: str = TABLE) -> int:
    """Index many (rowid, title, body) rows into one index table; returns how many."""
    count = 0
    text = INDEXES[table]

    def generate() -> Iterator[tuple[int, str, str]]:
        nonlocal count
        for rowid, title, body in rows:
            count += 1
            yield rowid, text(title), text(body)

    conn.executemany(f"insert into [{table}](rowid, title, body) values (?, ?, ?)", generate())
    return count


def rebuild(conn: Any, table: str = TABLE) -> int:
    """Empty the index and index every article again, then record the normaliser that wrote it.

    Runs inside the caller's transaction. Returns the number of articles indexed.
    """
    from datetime import UTC, datetime

    conn.execute(f"insert into [{table}]([{table}]) values ('delete-all')")
    rows = conn.execute("select rowid, title, body from articles order by rowid")
    count = index_rows(conn, rows, table)
    conn.execute(f"insert into [{table}]([{table}]) values ('optimize')")
    conn.execute(
        "insert or replace into _search_index(name, fingerprint, built_at) values (?, ?, ?)",
        [table, normaliser_fingerprint(table), datetime.now(UTC).replace(microsecond=0).isoformat()],
    )
    return count


def is_current(conn: Any, table: str = TABLE) -> bool:
    """Whether the stored index was written with this normaliser (see :func:`normaliser_fingerprint`)."""
    try:
        row = conn.execute("select fingerprint from _search_index where name = ?", [table]).fetchone()
    except sqlite3.OperationalError:  # no such table: a database older than the index
        return False
    return bool(row) and row[0] == normaliser_fingerprint(table)


# --- highlighting ----------------------------------------------------------------------------------------

MARK_START, MARK_END = "\x02", "\x03"
#: Characters of a text that a snippet or a highlight looks at (about 3 ms of work). SQLite cannot
#: interrupt a function it calls, and Datasette renders a page's cells in its one event loop, so this
#: bounds what one call can cost whatever is stored. Most bodies are far shorter; in a longer one, a
#: match further in is not marked (the snippet then shows the body's opening).
SCAN_CHARS = 20_000
#: Longest search query, in characters: a longer one is refused (as an SQL function, an error).
MAX_QUERY_CHARS = 1000
_WORD = re.compile(r"\w+")
_SUFFIX = re.compile(r"(?:ing|edly|ed|es|s|ly|e)$")


def _needles(query: str) -> tuple[list[str], list[re.Pattern[str]]]:
    """What to highlight: normalised CJK runs, and patterns for the (roughly stemmed) other words."""
    runs: list[str] = []
    words: list[re.Pattern[str]] = []
    for term in split_terms(query[:MAX_QUERY_CHARS]):
        text = normalise(term)
        runs.extend(_RUN.findall(text))
        for word in _WORD.findall(_RUN.sub(" ", text)):
            stem = word.lower()
            if len(stem) > 4:
                stem = _SUFFIX.sub("", stem)
            words.append(re.compile(rf"(?<!\w){re.escape(stem)}\w*", re.IGNORECASE))
    return runs, words


@lru_cache(maxsize=1)
def _char_table() -> dict[int, str]:
    """What :func:`normalise` makes of each character on its own, where that is one other character.

    Every character outside these planes is its own NFKC form; a character whose NFKC form is several
    characters (㈱ → (株)) is left as it is, so that positions in the text stay those of the original.
    """
    t2s = _t2s_table()
    table: dict[int, str] = {}
    for code in range(0x80, 0x40000):
        if 0xD800 <= code < 0xE000:
            continue
        n = unicodedata.normalize("NFKC", chr(code))
        if len(n) == 1:
            n = n.translate(t2s)
            if n != chr(code):
                table[code] = n
    return table


def _normalised_by_char(text: str) -> str:
    """The text normalised character by character, so that positions stay those of the original."""
    return text.translate(_char_table())


def match_spans(text: str, query: str) -> list[tuple[int, int]]:
    """Where a search query matches in ``text`` (start, end), sorted and merged, for highlighting."""
    if not text or not query:
        return []
    runs, words = _needles(query)
    norm = _normalised_by_char(text)
    spans = []
    for run in runs:
        start = norm.find(run)
        while start != -1:
            spans.append((start, start + len(run)))
            start = norm.find(run, start + 1)
    for pattern in words:
        spans.extend(m.span() for m in pattern.finditer(norm))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def snippet(text: str | None, query: str | None, width: int = 120) -> str:
    """About ``width`` characters of ``text`` around its first match, matches between \\x02 and \\x03.

    Plain text (control characters \\x02 and \\x03 mark the matches and are removed from the input), so it is
    safe in JSON and CSV; :func:`marked_to_html` turns it into escaped HTML with ``<mark>``. Only the first
    :data:`SCAN_CHARS` characters are looked at.
    """
    text = text or ""
    cut = len(text) > SCAN_CHARS
    text = re.sub(r"\s+", " ", text[:SCAN_CHARS].replace(MARK_START, "").replace(MARK_END, "")).strip()
    spans = match_spans(text, query or "")
    if not spans:
        return text[:width] + ("…" if len(text) > width or cut else "")
    first = spans[0][0]
    start = max(0, first - width // 4)
    end = min(len(text), start + width)
    pieces = ["…" if start > 0 else ""]
    position = start
    for s, e in spans:
        if e <= start or s >= end:
            continue
        s, e = max(s, start), min(e, end)
        pieces += [text[position:s], MARK_START, text[s:e], MARK_END]
        position = e
    pieces.append(text[position:end])
    pieces.append("…" if end < len(text) or cut else "")
    return "".join(pieces)


def highlight(text: str | None, query: str | None) -> str:
    """The whole ``text`` with its matches between \\x02 and \\x03 (see :func:`snippet`), marked in its
    first :data:`SCAN_CHARS` characters."""
    text = (text or "").replace(MARK_START, "").replace(MARK_END, "")
    pieces, position = [], 0
    for s, e in match_spans(text[:SCAN_CHARS], query or ""):
        pieces += [text[position:s], MARK_START, text[s:e], MARK_END]
        position = e
    pieces.append(text[position:])
    return "".join(pieces)


def marked_to_html(marked: str) -> str:
    """Text with \\x02/\\x03 match marks as HTML: everything escaped, the marks as ``<mark>`` elements."""
    escaped = html.escape(marked, quote=True)
    return escaped.replace(MARK_START, "<mark>").replace(MARK_END, "</mark>")
