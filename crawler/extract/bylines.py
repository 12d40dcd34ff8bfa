"""Press bylines and datelines of the Chinese-speaking press: who wrote a story, and for whom.

Mainland, Hong Kong and Taiwanese papers print the credit as one short line, bracketed or not, of parts
separated by slashes (``／``, ``╱``, ``/``): the paper, the reporter (``記者``/``记者`` and a name), a newsroom
desk (``政治中心``), and where it was filed (``台北報導``, ``綜合報導``); a news agency writes it as one
run (``（中央社記者姜遠珍仁川富平29日專電）``). The forms, and why each reading holds:

- ``【丁牧群╱台北報導】``, ``記者王鼎鈞／台北報導``: a name beside a filing place is the reporter;
- ``【聯合報╱本報記者古硯偉】``: a part that names a paper, agency or station is the organisation;
- ``〔本報訊〕``, ``本報記者``, or a staff reporter with no paper named: the story is the publishing site's
  own (``own_staff``); the caller names the site, from what the page says it is;
- ``政治中心／綜合報導``: a desk is neither a person nor a publisher;
- ``（記者林調遜／攝影）``: a photo credit names a photographer, not an author.

Pure functions on one line of text; nothing here knows a site.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from crawler.extract.text import COMPOUND_SURNAMES, HAN

# The slash forms seen in credit lines: ASCII, full-width and the box-drawing diagonal (U+2571).
SLASHES = "/／╱"
_OPEN, _CLOSE = "【〔（(［[「", "】〕）)］]」"
_O, _C = re.escape(_OPEN), re.escape(_CLOSE)
_BRACKETED = re.compile(rf"^\s*[{_O}]\s*(?P<inner>[^{_O}{_C}]{{2,60}}?)\s*[{_C}]")
_PARTS = re.compile(rf"\s*[{SLASHES}]\s*")
# Where a story was filed: a place (or 綜合, 外電: compiled from several sources) and 報導/报道.
_FILED = re.compile(rf"^[{HAN}]{{0,8}}(?:報導|报道|報道|报导)$")
_OWN_NEWS = re.compile(r"^(?:本[報报][讯訊]|本[网網站][讯訊]|本台[讯訊])$")
_REPORTER = re.compile(
    rf"^(?P<org>[{HAN}A-Za-z]{{0,12}}?)(?:本[報报台网網])?(?:特派|駐[{HAN}]{{1,4}}|实习|實習|见习|見習|特約|特约)?"
    rf"(?:記者|记者|特派員|特派员|通訊員|通讯员)\s*(?P<names>[{HAN}·、\s]{{2,30}})$"
)
_DESK = re.compile(rf"^[{HAN}]{{1,8}}(?:中心|組|组|部|室)$")
_PHOTO = re.compile(r"(?:攝影|摄影|攝|摄|圖|图)$")
# A news agency's dateline, one run: [org]記者 name place [day 日] 電/專電.
_AGENCY = re.compile(
    rf"^(?P<org>[{HAN}]{{2,8}}?)?(?:記者|记者)(?P<rest>[{HAN}、]{{3,24}}?)(?:\d{{1,2}}日)?(?:專電|专电|電|电)$"
)
_PERSON = re.compile(rf"^[{HAN}]{{2,4}}$|^[{HAN}]{{1,6}}·[{HAN}·]{{1,10}}$")
# A publisher's name ends in what it is: a paper, an agency, a station, a news site.
_PUBLISHER = re.compile(
    r"(?:報|报|社|台|臺|新聞|新闻|新聞網|新闻网|電子報|电子报|週刊|周刊|雜誌|杂志|電視|电视|廣播|广播|網|网)$"
)


@dataclass
class PressByline:
    """What a credit line says: its text, the reporters, the organisation it names, and whether it says
    the story is the publishing site's own (本報, a staff reporter with no paper named)."""

    text: str
    authors: list[str] = field(default_factory=list)
    organization: str | None = None
    own_staff: bool = False


def _names(value: str) -> list[str]:
    return [n for n in re.split(r"[、\s]+", value) if _PERSON.match(n)]


def _agency_names(rest: str) -> list[str]:
    """The reporters at the head of an agency dateline's run, the filing place after them
    (``姜遠珍仁川富平``): names separated by 、, the last run straight into the place. A name run into a
    place name is read as three characters (a one-character surname and a two-character given name, the
    commonest form), four after a compound surname."""
    *listed, last = rest.split("、")
    size = 4 if last[:2] in COMPOUND_SURNAMES else 3
    names = [n for n in listed if _PERSON.match(n)]
    if len(last) > size:
        names.append(last[:size])
    elif _PERSON.match(last):
        names.append(last)
    return names


def read_byline(text: str) -> PressByline | None:
    """The press byline a line is or opens with, or None. Only short credit forms are read: a sentence
    that mentions a reporter is not a byline."""
    text = (text or "").strip()
    if not text:
        return None
    m = _BRACKETED.match(text)
    if m:
        inner, whole = m.group("inner"), m.group(0).strip()
    elif len(text) <= 40 and any(s in text for s in SLASHES):
        inner, whole = text, text
    else:
        return None
    if _OWN_NEWS.match(inner.strip()):
        return PressByline(whole, own_staff=True)
    agency = _AGENCY.match(inner.replace(" ", ""))
    if agency:
        org = agency.group("org")
        names = _agency_names(agency.group("rest"))
        if names:
            return PressByline(whole, names, org, own_staff=org is None)
    parts = [p for p in _PARTS.split(inner) if p]
    if len(parts) < 2:
        return None
    authors: list[str] = []
    organization = None
    own = False
    filed = False
    persons_waiting: list[str] = []
    for part in parts:
        if _PHOTO.search(part):
            return None  # a photo credit: 記者某某／攝影
        if _OWN_NEWS.match(part):
            filed = own = True
            continue
        if _FILED.match(part):
            filed = True
            continue
        reporter = _REPORTER.match(part)
        if reporter:
            found = _names(reporter.group("names"))
            if not found:
                return None
            authors.extend(n for n in found if n not in authors)
            org = reporter.group("org")
            if org and _PUBLISHER.search(org):
                organization = organization or org
            continue
        if _DESK.match(part):
            continue
        if _PUBLISHER.search(part) and len(part) <= 12:
            organization = organization or part
            continue
        if _PERSON.match(part):
            persons_waiting.append(part)
            continue
        return None  # a part that is none of these: not a credit line
    if persons_waiting and filed:
        authors.extend(n for n in persons_waiting if n not in authors)
    elif persons_waiting:
        return None  # ``張三／李四``: names alone, with nothing saying they are the story's reporters
    if not (authors or organization or own or filed):
        return None
    if authors and organization is None:
        own = True  # a reporter credited without a paper is the publishing site's own
    return PressByline(whole, authors, organization, own)


def publisher_name(candidates: list[str]) -> str | None:
    """The first of the names a page gives itself (``og:site_name``, the site part of ``<title>``) that reads
    as a publisher: a paper, agency, station or news site (``蘋果日報``, ``NOWnews 今日新聞``), or a Latin
    brand of one word or two; a channel name (``國際``, ``仁川亞運``) is not one."""
    for name in candidates:
        name = " ".join(name.split())
        if 2 <= len(name) <= 20 and (
            _PUBLISHER.search(name) or re.fullmatch(r"[A-Za-z][A-Za-z0-9.&-]*(?: [A-Za-z0-9.&-]+)?", name)
        ):
            return name
    return None
