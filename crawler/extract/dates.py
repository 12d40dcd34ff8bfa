"""Publication dates in the forms Chinese (and English) news pages print them.

A date is returned as ISO 8601 with an offset at the precision the page gives: minutes or seconds when a
time is printed, otherwise the start of the day in the source's time zone with precision ``day``. Nothing
is ever filled from the clock: a yearless date needs a reference year from the page itself.
"""

from __future__ import annotations

import email.utils
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo

SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")

_CN_DIGITS = {
    "〇": 0,
    "○": 0,
    "零": 0,
    "Ｏ": 0,
    "O": 0,
    "一": 1,
    "二": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
    "十": 10,
}

_SEP = r"\s*[-/.年]\s*"
_TIME = r"(?:\s*(?:T|\s|日)?\s*(?:(上午|下午|晚上|早上|凌晨|中午)\s*)?(\d{1,2})\s*[:：时時点]\s*(\d{1,2})(?:\s*[:：分]\s*(\d{1,2}))?)?"
_FULL = re.compile(
    r"(?<!\d)((?:19|20)\d{2})"
    + _SEP
    + r"(\d{1,2})"
    + r"\s*[-/.月]\s*"
    + r"(\d{1,2})(?!\d)\s*日?"
    + _TIME
    + r"(?:\s*(Z|[+-]\d{2}:?\d{2}))?"
)
_COMPACT = re.compile(r"(?<!\d)((?:19|20)\d{2})(\d{2})(\d{2})(?!\d)")
_CN_NUMERAL = re.compile(
    r"([〇○零一二三四五六七八九]{4})年([一二三四五六七八九十]{1,3})月([一二三四五六七八九十]{1,3})日"
)
_YEARLESS = re.compile(r"(?<![\d年/.-])(\d{1,2})月(\d{1,2})[日号](?:\s*(上午|下午|晚上|早上|凌晨|中午))?")
_YEAR_IN_TEXT = re.compile(r"(?<!\d)((?:19|20)\d{2})年")
_URL_DATES = (
    re.compile(r"/((?:19|20)\d{2})-?(\d{2})/(\d{2})/"),  # /2021-09/01/ and /202109/01/
    re.compile(r"[/_]t((?:19|20)\d{2})(\d{2})(\d{2})_"),  # TRS: t20210901_123.html
    re.compile(r"/art/((?:19|20)\d{2})/(\d{1,2})/(\d{1,2})/"),  # Hanweb: /art/2021/9/1/
    re.compile(r"/((?:19|20)\d{2})(\d{2})(\d{2})/"),  # /20210901/
    re.compile(r"/((?:19|20)\d{2})/(\d{2})(\d{2})/"),  # /2021/0901/
    re.compile(r"/((?:19|20)\d{2})/(\d{1,2})/(\d{1,2})/"),  # /2021/9/1/
)


@dataclass
class ParsedDate:
    """A normalised date: ``value`` is ISO 8601; ``precision`` is 'day', 'minute' or 'second'."""

    value: str
    precision: str
    raw: str


def _cn_number(text: str) -> int:
    if len(text) == 4 and all(c in _CN_DIGITS for c in text):
        return int("".join(str(_CN_DIGITS[c]) for c in text))
    if text == "十":
        return 10
    if text.startswith("十"):
        return 10 + _CN_DIGITS[text[1]]
    if text.endswith("十"):
        return _CN_DIGITS[text[0]] * 10
    if "十" in text:
        return _CN_DIGITS[text[0]] * 10 + _CN_DIGITS[text[2]]
    return _CN_DIGITS[text]


def _build(
    y: int, mo: int, d: int, hh: int | None, mm: int | None, ss: int | None, tz: tzinfo | None, raw: str
) -> ParsedDate | None:
    """The date at the precision printed; None when it is no date, or when no time zone is known (a date
    is stored with its offset: one the page does not state and the source does not give is not guessed)."""
    if tz is None:
        return None
    try:
        day = date(y, mo, d)
    except ValueError:
        return None
    if hh is None or mm is None or hh > 23 or mm > 59 or (ss is not None and ss > 59):
        value = datetime(day.year, day.month, day.day, tzinfo=tz).isoformat()
        return ParsedDate(value, "day", raw)
    moment = datetime(day.year, day.month, day.day, hh, mm, ss or 0, tzinfo=tz)
    return ParsedDate(moment.isoformat(), "second" if ss is not None else "minute", raw)


def _meridiem(hour: int, word: str | None) -> int:
    if word in ("下午", "晚上") and hour < 12:
        return hour + 12
    return hour


def _zone(text: str | None, default: tzinfo | None) -> tzinfo | None:
    if not text:
        return default
    if text == "Z":
        return UTC
    sign = 1 if text[0] == "+" else -1
    digits = text[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))


_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sept", "sep"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_MONTH = r"(?P<mon>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_EN_TIME = (
    r"(?:,?\s*(?:at\s+)?(?P<h>\d{1,2})[:.](?P<mi>\d{2})(?::(?P<s>\d{2}))?\s*(?P<ampm>[ap]\.?\s?m\.?)?"
    r"(?:\s*(?P<zone>GMT|UTC|Z|[+-]\d{2}:?\d{2}))?)?"
)
# November 18, 2024 · Nov. 18, 2024 5:30 p.m. · 18 November 2024 · 18th Nov 2024, 10:20 (English forms)
_EN_MDY = re.compile(
    r"(?<![A-Za-z])"
    + _MONTH
    + r"\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y>(?:19|20)\d{2})(?!\d)"
    + _EN_TIME,
    re.IGNORECASE,
)
_EN_DMY = re.compile(
    r"(?<!\d)(?P<d>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?"
    + _MONTH
    + r",?\s+(?P<y>(?:19|20)\d{2})(?!\d)"
    + _EN_TIME,
    re.IGNORECASE,
)
# 18.11.2024 or 11/18/2024: which number is the day is the source's convention (``day_first``), unless one
# of them cannot be a month.
_NUMERIC_DMY = re.compile(r"(?<![\d.])(\d{1,2})([./])(\d{1,2})\2((?:19|20)\d{2})(?![\d.])")
# RFC 822 / 2822 (feeds, HTTP headers): Mon, 18 Nov 2024 10:20:00 GMT
_RFC822 = re.compile(
    r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun),\s+\d{1,2}\s+[A-Za-z]{3}\s+\d{4}\s+\d{2}:\d{2}(?::\d{2})?\s+(?:[A-Z]{1,5}|[+-]\d{4})"
)


def _english(m: re.Match[str], tz: tzinfo | None) -> ParsedDate | None:
    hour = int(m["h"]) if m["h"] else None
    if hour is not None and m["ampm"]:
        pm = m["ampm"].lower().startswith("p")
        if hour > 12:
            return None
        hour = (hour % 12) + (12 if pm else 0)
    zone = m["zone"]
    where = UTC if zone and zone.upper() in ("GMT", "UTC") else _zone(zone, tz)
    return _build(
        int(m["y"]),
        _MONTHS[m["mon"].lower()],
        int(m["d"]),
        hour,
        int(m["mi"]) if m["mi"] else None,
        int(m["s"]) if m["s"] else None,
        where,
        m.group(0).strip(),
    )


def _numeric(m: re.Match[str], tz: tzinfo | None, day_first: bool) -> ParsedDate | None:
    a, b, y = int(m[1]), int(m[3]), int(m[4])
    if a > 12 and b <= 12:
        day, month = a, b
    elif b > 12 and a <= 12:
        day, month = b, a
    else:
        day, month = (a, b) if day_first else (b, a)
    return _build(y, month, day, None, None, None, tz, m.group(0))


def parse_date(text: str | None, tz: tzinfo | None = SHANGHAI, day_first: bool = True) -> ParsedDate | None:
    """The first full date (with its time, if printed) in ``text``; None when there is none.

    ``tz``: the source's time zone, for a date printed without an offset (None: such a date is not
    taken); ``day_first``: whether ``01.02.2024`` is the 1st of February (Europe, China's few numeric
    forms) or January 2nd (the United States)."""
    if not text:
        return None
    m = _RFC822.search(text)
    if m:
        try:
            moment = email.utils.parsedate_to_datetime(m.group(0))
        except (TypeError, ValueError):
            moment = None
        if moment is not None and moment.tzinfo is not None:
            return ParsedDate(moment.isoformat(), "second", m.group(0))
    m = _FULL.search(text)
    if m:
        y, mo, d, meridiem, hh, mm, ss, zone = m.groups()
        hour = _meridiem(int(hh), meridiem) if hh else None
        return _build(
            int(y),
            int(mo),
            int(d),
            hour,
            int(mm) if mm else None,
            int(ss) if ss else None,
            _zone(zone, tz),
            m.group(0).strip(),
        )
    m = _CN_NUMERAL.search(text)
    if m:
        try:
            y, mo, d = (_cn_number(g) for g in m.groups())
        except (KeyError, IndexError):
            return None
        return _build(y, mo, d, None, None, None, tz, m.group(0))
    m = _COMPACT.search(text)
    if m and re.fullmatch(r"\s*\d{8}\s*", text):
        return _build(int(m[1]), int(m[2]), int(m[3]), None, None, None, tz, m.group(0))
    if not text.isascii() and not re.search(r"[A-Za-z]{3}", text):
        return None  # Chinese text without a Latin word: no English or day-month-year form is tried
    m = _EN_MDY.search(text) or _EN_DMY.search(text)
    if m:
        return _english(m, tz)
    m = _NUMERIC_DMY.search(text)
    return _numeric(m, tz, day_first) if m else None


def parse_yearless(text: str | None, year: int, tz: tzinfo | None = SHANGHAI) -> ParsedDate | None:
    """A date printed without its year (``9月1日上午``), placed in ``year``, which the caller takes from
    the page (its own date or a year printed in the text), never from the clock."""
    if not text:
        return None
    m = _YEARLESS.search(text)
    if not m:
        return None
    return _build(year, int(m[1]), int(m[2]), None, None, None, tz, m.group(0))


def year_in_text(text: str) -> int | None:
    """The first year printed as ``2021年`` in ``text``."""
    m = _YEAR_IN_TEXT.search(text or "")
    return int(m[1]) if m else None


def date_from_url(url: str, tz: tzinfo | None = SHANGHAI) -> ParsedDate | None:
    """A date encoded in a URL path (``/2021-09/01/``, ``t20210901_``, ``/art/2021/9/1/``)."""
    for pattern in _URL_DATES:
        m = pattern.search(url or "")
        if m:
            found = _build(int(m[1]), int(m[2]), int(m[3]), None, None, None, tz, m.group(0))
            if found:
                return found
    return None


_SHORT_YEAR = re.compile(r"(?<![\d-])(\d{2})-(\d{1,2})-(\d{1,2})\s*(\d{1,2}):(\d{2})(?!\d)")
_YEARLESS_TIME = re.compile(r"(?<![\d-])(\d{1,2})-(\d{1,2})\s*(\d{1,2}):(\d{2})(?![\d:])")
_SPLIT_YEAR = re.compile(
    r"(?<!\d)((?:19|20)\d{2})\s+(\d{1,2})\s*[/-]\s*(\d{1,2})(?:\s+(\d{1,2}):(\d{2}))?(?!\d)"
)
# Both are matched at the start of a word only (see `_at_word_start`): a leading \b would keep the regex engine
# from skipping ahead to the names, over up to a megabyte of a page's scripts.
_EPOCH_VAR = re.compile(r"""(?:ct|create_time|publish_time|pubtime|pub_time)\s*[=:]\s*["']?(1\d{9})["']?""")
_DATE_VAR = re.compile(
    r"""(?:pubtime|pubTime|publish_time|publishTime|pubDate|datePublished|publishDate)["']?\s*[=:]\s*"""
    r"""["']((?:19|20)\d{2}[^"']{4,24})["']"""
)


def _at_word_start(pattern: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
    """``pattern.finditer(text)`` as if the pattern began with ``\\b``: matches that start a word."""
    pos = 0
    while m := pattern.search(text, pos):
        start = m.start()
        if start and (text[start - 1].isalnum() or text[start - 1] == "_"):
            pos = start + 1
            continue
        yield m
        pos = m.end()


def parse_short(text: str | None, year: int | None = None, tz: tzinfo | None = SHANGHAI) -> ParsedDate | None:
    """Compact info-line forms: ``18-03-08 23:16`` (two-digit year), ``2019 09/07 19:02`` (year apart) and,
    when the page gives a reference ``year``, the yearless ``10-08 12:00``."""
    if not text:
        return None
    m = _SHORT_YEAR.search(text)
    if m:
        y = 2000 + int(m[1])
        if year is None or abs(y - year) <= 1:
            return _build(y, int(m[2]), int(m[3]), int(m[4]), int(m[5]), None, tz, m.group(0))
    m = _SPLIT_YEAR.search(text)
    if m:
        return _build(
            int(m[1]),
            int(m[2]),
            int(m[3]),
            int(m[4]) if m[4] else None,
            int(m[5]) if m[5] else None,
            None,
            tz,
            m.group(0),
        )
    if year is not None:
        m = _YEARLESS_TIME.search(text)
        if m:
            return _build(year, int(m[1]), int(m[2]), int(m[3]), int(m[4]), None, tz, m.group(0))
    return None


def from_epoch(seconds: int, tz: tzinfo | None = SHANGHAI, raw: str = "") -> ParsedDate | None:
    """A Unix time stamp as a date in ``tz``."""
    try:
        moment = datetime.fromtimestamp(seconds, tz or UTC)
    except (OverflowError, OSError, ValueError):
        return None
    return ParsedDate(moment.isoformat(), "second", raw or str(seconds))


def date_from_script(script: str | None, tz: tzinfo | None = SHANGHAI) -> ParsedDate | None:
    """A publication time set by the page's own inline JavaScript: ``var ct = "1659274471"``
    (epoch seconds) or ``pubtime: "2024-05-13 06:16:25"``-style variables."""
    if not script:
        return None
    # A variable set to different days on one page belongs to a list of items (references, related
    # articles, comments), each dated: none of them is the page's own date.
    found_dates = [d for d in (parse_date(m[1], tz) for m in _at_word_start(_DATE_VAR, script)) if d]
    if found_dates:
        return found_dates[0] if len({d.value[:10] for d in found_dates}) == 1 else None
    found_dates = [
        d for d in (from_epoch(int(m[1]), tz, m.group(0)) for m in _at_word_start(_EPOCH_VAR, script)) if d
    ]
    if found_dates and len({d.value[:10] for d in found_dates}) == 1:
        return found_dates[0]
    return None


DATE_ONLY = re.compile(r"^[\s\d年月日时分秒:：/\-.]+$")


def find_date(text: str | None) -> tuple[int, int] | None:
    """Where the first date (full, Chinese-numeral or compact info-line form) is printed in ``text``."""
    if not text:
        return None
    spans = [m.span() for m in (p.search(text) for p in (_FULL, _CN_NUMERAL, _SHORT_YEAR, _SPLIT_YEAR)) if m]
    return min(spans) if spans else None


_RELATIVE = re.compile(
    r"(?P<just>刚刚|剛剛|just now)"
    r"|(?P<n>\d{1,3})\s*(?P<unit>分钟|分鐘|小时|小時|天|minutes?|mins?|hours?|hrs?|days?)\s*(?:前|ago)"
    r"|(?P<day>今天|今日|昨天|昨日|前天|today|yesterday)\s*(?P<h>\d{1,2})?(?:[:：](?P<m>\d{2}))?",
    re.IGNORECASE,
)
_DAYS_BACK = {"今天": 0, "今日": 0, "today": 0, "昨天": 1, "昨日": 1, "yesterday": 1, "前天": 2}


def parse_relative(
    text: str | None, reference: datetime | None, tz: tzinfo | None = SHANGHAI
) -> ParsedDate | None:
    """``3小时前``, ``昨天 10:20``, ``2 days ago`` resolved against ``reference``: the time the page was
    fetched, which is what the page's "ago" counts from. Without a reference nothing is resolved."""
    if not text or reference is None:
        return None
    m = _RELATIVE.search(text)
    if not m:
        return None
    now = reference.astimezone(tz)
    if m["just"]:
        moment, precision = now, "minute"
    elif m["n"]:
        n, unit = int(m["n"]), m["unit"].lower()
        if unit.startswith(("分", "min")):
            moment, precision = now - timedelta(minutes=n), "minute"
        elif unit.startswith(("小", "h")):
            moment, precision = now - timedelta(hours=n), "minute"
        else:
            day = (now - timedelta(days=n)).date()
            return ParsedDate(
                datetime(day.year, day.month, day.day, tzinfo=tz).isoformat(), "day", m.group(0)
            )
    else:
        day = (now - timedelta(days=_DAYS_BACK[m["day"].lower()])).date()
        if m["h"] is not None and m["m"] is not None and int(m["h"]) < 24 and int(m["m"]) < 60:
            moment, precision = (
                datetime(day.year, day.month, day.day, int(m["h"]), int(m["m"]), tzinfo=tz),
                "minute",
            )
        else:
            return ParsedDate(
                datetime(day.year, day.month, day.day, tzinfo=tz).isoformat(), "day", m.group(0)
            )
    moment = moment.replace(second=0, microsecond=0)
    return ParsedDate(moment.isoformat(), precision, m.group(0))


def mentions_relative(text: str | None) -> bool:
    """Whether ``text`` prints a relative date (``3小时前``, ``yesterday``)."""
    return bool(_RELATIVE.search(text or ""))
