"""Decoding benchmark: pages whose declared charset is missing or wrong, decoded by `decode_html`.

Each Chinese page of ../shared/corpus (or, without it, the replay site's pages) is re-encoded as GB18030,
Big5 (converted to traditional script first, less characters Big5 lacks) and UTF-8, and its declaration replaced by a wrong one or
removed. A decode counts as right when it gives back the page's text exactly. Also times charset-normalizer's
detection alone, the fallback `decode_html` uses when no declaration fits the bytes.
"""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crawler.extract.decode import _detect, decode_html
from crawler.extract.text import _converter

s2t = _converter("s2t").convert

DECLARATION = re.compile(r"<meta[^>]+charset[^>]*>", re.IGNORECASE)


def pages() -> list[str]:
    corpus = ROOT.parent / "shared" / "corpus"
    texts = []
    if corpus.is_dir():
        for folder in ("zh-news", "zh-gne"):
            for path in sorted((corpus / folder).glob("*.html")):
                texts.append(decode_html(path.read_bytes())[0])
    else:
        site = ROOT / "crawler" / "demo" / "site" / "www.cfsn.cn"
        texts = [
            decode_html(p.read_bytes())[0]
            for p in sorted(site.rglob("*"))
            if p.is_file() and p.suffix not in (".jpg", ".xlsx", ".txt")
        ]
    return [DECLARATION.sub("", t) for t in texts]


CASES = [
    # (encoding of the bytes, declaration put in the page, what the case is)
    ("gb18030", None, "GB18030, no declaration"),
    ("gb18030", "utf-8", "GB18030 declared utf-8"),
    ("utf-8", "gbk", "UTF-8 declared gbk"),
    ("utf-8", None, "UTF-8, no declaration"),
    ("big5hkscs", None, "Big5, no declaration"),
    ("big5hkscs", "gbk", "Big5 declared gbk"),
]


def scripts(texts: list[str]) -> None:
    """OpenCC round trip (simplified → traditional → simplified) and script detection on the same pages."""
    from crawler.extract.html import extract_html
    from crawler.extract.text import detect_language, to_simplified

    bodies = [" ".join(extract_html(t, "http://example.cn/").paragraphs) for t in texts]
    bodies = [b for b in bodies if len(b) >= 200]
    han = same = 0
    hans = hant = 0
    start = time.perf_counter()
    for body in bodies:
        traditional = s2t(body)
        back = to_simplified(traditional)
        for a, b in zip(body, back, strict=False):
            if "\u4e00" <= a <= "\u9fff":
                han += 1
                same += a == b
        hans += detect_language(body) == "zh-Hans"
        hant += detect_language(traditional) == "zh-Hant"
    seconds = time.perf_counter() - start
    print(
        f"script: {len(bodies)} bodies, round trip s2t->t2s keeps {same}/{han} Han characters "
        f"({100 * same / max(han, 1):.2f} %); detected zh-Hans {hans}/{len(bodies)}, "
        f"zh-Hant {hant}/{len(bodies)} after s2t; {seconds:.2f} s"
    )


def main() -> int:
    texts = pages()
    print(f"{len(texts)} pages")
    print("%-28s %8s %8s %10s" % ("case", "pages", "right", "ms/page"))
    for encoding, declared, name in CASES:
        right = total = 0
        seconds = 0.0
        for text in texts:
            if encoding == "big5hkscs":
                # Big5 holds traditional script: the page as a Hong Kong or Taiwan site would print it, less the
                # few characters (emoji, rare forms) Big5 lacks.
                text = s2t(text).encode("big5hkscs", errors="ignore").decode("big5hkscs")
            try:
                data = text.encode(encoding)
            except UnicodeEncodeError:
                continue  # Big5 lacks simplified forms: only pages it can hold
            if declared:
                data = f'<meta charset="{declared}">'.encode("ascii") + data
                expected = f'<meta charset="{declared}">' + text
            else:
                expected = text
            start = time.perf_counter()
            decoded, _ = decode_html(data)
            seconds += time.perf_counter() - start
            total += 1
            right += decoded == expected
        if total:
            print("%-28s %8d %8d %10.2f" % (name, total, right, 1000 * seconds / total))
    scripts(texts)
    sample = [t.encode("gb18030") for t in texts[:50]]
    start = time.perf_counter()
    guesses = [_detect(data) for data in sample]
    seconds = time.perf_counter() - start
    print(
        json.dumps(
            {
                "charset_normalizer_ms_per_page": round(1000 * seconds / len(sample), 2),
                "detected_gb18030": sum(g == "gb18030" for g in guesses),
                "of": len(sample),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
