"""Items read back from JSON Lines (what ``foodnews extract`` and ``scrapy crawl -O`` write), a line at a time.

Lines are split on ``\\n`` only: JSON text may hold U+2028, U+2029 or U+0085 unescaped, which
``str.splitlines()`` would take for line ends. Every line is read on its own, so one bad line costs only
itself: :func:`read_items` names it with its number and the reason, and goes on.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from crawler.items import Article, Reject
from crawler.pipelines import malformed, reject_problem, validate

#: Longest line read (bytes): a longer one is reported, not loaded.
MAX_LINE_BYTES = 64 * 1024 * 1024


@dataclass
class Line:
    """One line of the file: the item it holds (an article, or a reject to store), and what was wrong.

    ``problem`` is set for a bad line; ``item`` may then still be a `Reject` worth storing (the line named
    a usable URL), or None.
    """

    number: int
    item: Article | Reject | None
    problem: str | None = None


def _raw_lines(stream: IO[bytes]) -> Iterator[bytes | None]:
    """The lines of a binary stream split on b"\\n" alone; None for a line over ``MAX_LINE_BYTES``."""
    while True:
        line = stream.readline(MAX_LINE_BYTES + 1)
        if not line:
            return
        if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
            while line and not line.endswith(b"\n"):  # skip the rest of it without holding it
                line = stream.readline(MAX_LINE_BYTES)
            yield None
        else:
            yield line


def _reject_for(data: dict[str, Any], problem: str) -> Reject | None:
    """A reject recording a bad line whose URL is usable, so that the page can be fetched again."""
    reject = Reject(
        url=data.get("url"),  # type: ignore[arg-type]
        reason=f"bad import line: {problem}"[:500],
        source=data.get("source") or "import",
    )
    if reject_problem(reject):
        reject.source = "import"
    return None if reject_problem(reject) else reject


def parse_line(number: int, raw: bytes | None) -> Line | None:
    """The item of one line, None for a blank line."""
    if raw is None:
        return Line(number, None, f"line longer than {MAX_LINE_BYTES} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Line(number, None, f"not UTF-8: {exc.reason} at byte {exc.start}")
    if not text.strip():
        return None
    try:
        data = json.loads(text)
    except ValueError as exc:
        return Line(number, None, f"not JSON: {exc}")
    except RecursionError:
        return Line(number, None, "not an item: JSON nested too deeply")
    if not isinstance(data, dict):
        return Line(number, None, "expected a JSON object")
    if data.get("rejected") or ("reason" in data and "title" not in data):
        reject = Reject(
            url=data.get("url"),  # type: ignore[arg-type]
            reason=data.get("reason"),  # type: ignore[arg-type]
            source=data.get("source") or "import",
            http_status=data.get("http_status"),
        )
        problem = reject_problem(reject)
        return Line(number, _reject_for(data, problem) if problem else reject, problem)
    try:
        item = Article.from_dict({**data, "source": data.get("source") or "import"})
    except (TypeError, ValueError) as exc:
        return Line(number, _reject_for(data, f"not an article item: {exc}"), f"not an article item: {exc}")
    problem = malformed(item)
    if problem:
        return Line(number, _reject_for(data, problem), problem)
    reason = validate(item)
    if reason:  # a well-formed item that is no article (no title, a short body): a reject, as in a crawl
        return Line(number, Reject(url=item.url, reason=f"invalid item: {reason}", source=item.source))
    return Line(number, item)


def read_items(stream: IO[bytes]) -> Iterator[Line]:
    """Every non-blank line of a JSON Lines stream, good or bad, in order."""
    for number, raw in enumerate(_raw_lines(stream), 1):
        try:
            line = parse_line(number, raw)
        except (
            RecursionError,
            MemoryError,
            ValueError,
            TypeError,
        ) as exc:  # one line's problem, not the file's
            line = Line(number, None, f"cannot read the line: {type(exc).__name__}: {exc}"[:300])
        if line is not None:
            yield line
