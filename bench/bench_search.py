"""Search benchmark: a synthetic archive of N articles, queried through Datasette's JSON API.

    python bench/bench_search.py --articles 1000000 --db data/bench/search-1000000.db

1. **Build** (skipped when ``--db`` already holds ``--articles`` articles): synthetic articles, 80%
   simplified Chinese, 10% traditional (OpenCC s2t of generated simplified text), 10% English, written
   with ``Archive.store`` (the crawl's own write path, search index included) in transactions of
   ``--batch`` articles. Chinese text is food-safety news sentences from templates (places, agencies,
   products, contaminants) and filler words drawn from jieba's dictionary by frequency; query terms are
   planted at fixed rates (奶粉 5%, 召回 3%, 邯郸 0.5%, 三聚氰胺 1%, ...). Generation runs in a second
   process. Reports build time and bytes per article (whole file, and the search index alone).
2. **Queries** (1-, 2-, 4-character Chinese, traditional-script, English, two-word) through the JSON API
   of an immutable Datasette configured by ``archive/`` (in process, ``ds.client``), each once to warm
   up and then ``--repeat`` times, in three shapes:
   - ``rows+count``: ``/foodnews/articles.json?_search=q&_nofacet=1``, the first page (50 rows, newest
     first) and the exact number of matches;
   - ``page``: ``/foodnews/articles.json?_search=q``, as the HTML page: rows, count and the four facets;
   - ``rows``: ``?_shape=array``, the first page only.
3. **LIKE scan** for comparison: the same count and first page with ``title like '%q%' or body like
   '%q%'`` instead of the index (what Datasette's "contains" filter does), straight in SQLite, since
   Datasette's 2-second time limit stops it.

Writes a JSON report next to the database and prints a table. Needs the ``bench`` extra (jieba).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import multiprocessing
import os
import random
import sqlite3
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from archive import search
from archive.store import Archive
from crawler.items import Article, Attachment, Image

SEED = 20261125
QUERIES: dict[str, list[str]] = {
    "1-char": ["奶", "菌", "检"],
    "2-char": ["奶粉", "召回", "邯郸", "抽检", "菌落", "食品"],
    "4-char": ["三聚氰胺", "沙门氏菌", "食品安全", "农药残留", "大肠菌群"],
    "traditional": ["邯鄲", "沙門氏菌", "檢測"],
    "English": ["melamine", "salmonella", "recall"],
    "two words": ["邯郸 奶粉", "三聚氰胺 召回"],
}
SHAPES = {
    "rows+count": {"_nofacet": "1"},
    "page": {},
    "rows": {"_shape": "array"},
}

# --- the synthetic corpus -----------------------------------------------------------------------------

# Query terms are kept out of these lists: they enter the text through PLANTS (and jieba's filler) only,
# at known rates. 食品 and 抽检 stay in the templates, so they are in most articles, as in real news.
PLACES = [
    "北京市",
    "上海市",
    "广州市",
    "深圳市",
    "保定市",
    "石家庄市",
    "郑州市",
    "武汉市",
    "成都市",
    "西安市",
    "杭州市",
    "南京市",
    "济南市",
    "长沙市",
    "昆明市",
    "哈尔滨市",
    "沈阳市",
    "福州市",
    "南宁市",
    "兰州市",
]
AGENCIES = ["市场监督管理局", "卫生健康委员会", "农业农村局", "海关", "食品药品检验所", "疾病预防控制中心"]
PRODUCTS = [
    "婴幼儿配方乳粉",
    "液态乳",
    "乳饮料",
    "猪肉",
    "牛肉",
    "鸡蛋",
    "大米",
    "面粉",
    "食用油",
    "蔬菜",
    "水果",
    "茶叶",
    "白酒",
    "饮料",
    "糕点",
    "方便面",
    "调味品",
    "水产品",
    "豆制品",
    "冷冻食品",
]
CONTAMINANTS = [
    "黄曲霉毒素",
    "瘦肉精",
    "苏丹红",
    "重金属",
    "亚硝酸盐",
    "防腐剂",
    "甜蜜素",
    "铅",
    "镉",
    "二氧化硫",
    "兽药残留",
    "霉菌",
    "酸价",
    "过氧化值",
    "苯甲酸",
]
TEMPLATES = [
    "{place}{agency}发布{product}抽检结果，共抽检样品{n}批次，其中{m}批次不合格。",
    "本次监督抽检依据《中华人民共和国食品安全法》及其实施条例等规定开展。",
    "检验项目包括{contaminant}、{contaminant2}等指标，不合格产品已责令下架。",
    "{place}{agency}对辖区内{product}生产企业开展专项检查，发现{contaminant}超标问题。",
    "企业已按要求对不合格{product}进行下架处理，并查明原因、制定整改措施。",
    "消费者如发现相关产品，可拨打12315投诉举报电话反映。",
    "据了解，{contaminant}是食品安全国家标准中的重点监测项目。",
    "{place}召开市场监管工作会议，部署{product}质量安全专项整治。",
    "经{agency}检验，标称某公司生产的{product}{contaminant}项目不符合国家标准规定。",
    "下一步，{agency}将加大对{product}的抽检力度，依法查处违法违规行为。",
]
PLANTS = [  # (rate per article, sentence)
    (0.05, "某企业生产的奶粉被检出问题。"),
    (0.03, "相关企业已主动召回问题产品。"),
    (0.005, "邯郸市监管部门通报了此事。"),
    (0.01, "部分样品检出三聚氰胺。"),
    (0.008, "抽检发现沙门氏菌超标。"),
    (0.02, "国家市场监管总局部署专项行动。"),
    (0.01, "菌落总数和大肠菌群两项不合格。"),
    (0.01, "蔬菜农药残留问题值得关注。"),
]
ENGLISH_TEMPLATES = [
    "The {agency} announced a recall of {product} after {contaminant} was detected in routine sampling.",
    "Retailers are recalling {product} because it may contain {contaminant}.",
    "Inspectors tested {n} samples of {product}; {m} failed the limit for {contaminant}.",
    "Consumers who bought the affected {product} should return it for a full refund.",
    "The company said it had recalled all batches and was cooperating with the {agency}.",
    "Food safety officials urged the public not to eat {product} from the affected lot.",
]
EN_AGENCIES = ["Food Standards Agency", "Centre for Food Safety", "FDA", "food safety authority"]
EN_PRODUCTS = ["infant formula", "powdered milk", "frozen chicken", "peanut butter", "spinach", "sausages"]
EN_CONTAMINANTS = ["salmonella", "melamine", "listeria", "undeclared milk", "lead", "E. coli"]
SOURCES = ["cfsn", "samr", "cfs-hk", "fsa-uk", "fda-us"]
ORGS = [p + a for p in PLACES[:8] for a in AGENCIES[:3]] + ["国家市场监督管理总局", "Food Standards Agency"]


class Generator:
    """Deterministic synthetic articles: article ``n`` is the same on every run."""

    def __init__(self) -> None:
        import jieba
        import opencc

        words, weights = [], []
        dictionary = Path(jieba.__file__).parent / "dict.txt"
        for line in dictionary.read_text(encoding="utf-8").splitlines():
            word, freq, *_ = line.split(" ")
            if int(freq) >= 20 and all("\u4e00" <= c <= "\u9fff" for c in word):
                words.append(word)
                weights.append(int(freq) ** 0.75)
        self.words = words
        self.cum_weights = list(_accumulate(weights))
        self.s2t = opencc.OpenCC("s2t")

    def _sentence(self, rnd: random.Random) -> str:
        if rnd.random() < 0.2:
            template = rnd.choice(TEMPLATES)
            return template.format(
                place=rnd.choice(PLACES),
                agency=rnd.choice(AGENCIES),
                product=rnd.choice(PRODUCTS),
                contaminant=rnd.choice(CONTAMINANTS),
                contaminant2=rnd.choice(CONTAMINANTS),
                n=rnd.randint(10, 300),
                m=rnd.randint(0, 9),
            )
        filler = rnd.choices(self.words, cum_weights=self.cum_weights, k=rnd.randint(4, 14))
        cut = rnd.randint(1, len(filler))
        return "".join(filler[:cut]) + "，" + "".join(filler[cut:]) + rnd.choice("。。。！；")

    def _chinese(self, rnd: random.Random) -> tuple[str, list[str]]:
        target = int(math.exp(rnd.uniform(math.log(300), math.log(2000))))
        sentences: list[str] = []
        length = 0
        while length < target:
            sentence = self._sentence(rnd)
            sentences.append(sentence)
            length += len(sentence)
        for rate, plant in PLANTS:
            if rnd.random() < rate:
                sentences.insert(rnd.randrange(len(sentences) + 1), plant)
        title = (
            rnd.choice(PLACES)
            + rnd.choice(AGENCIES)
            + rnd.choice(["通报", "发布", "公布"])
            + rnd.choice(PRODUCTS)
            + rnd.choice(["抽检结果", "召回信息", "监督检查情况", "风险提示"])
        )
        paragraphs, current = [], ""
        for sentence in sentences:
            current += sentence
            if rnd.random() < 0.25:
                paragraphs.append(current)
                current = ""
        if current:
            paragraphs.append(current)
        return title, paragraphs

    def _english(self, rnd: random.Random) -> tuple[str, list[str]]:
        target = int(math.exp(rnd.uniform(math.log(600), math.log(4000))))
        paragraphs, length = [], 0
        while length < target:
            paragraph = " ".join(
                t.format(
                    agency=rnd.choice(EN_AGENCIES),
                    product=rnd.choice(EN_PRODUCTS),
                    contaminant=rnd.choice(EN_CONTAMINANTS),
                    n=rnd.randint(10, 300),
                    m=rnd.randint(0, 9),
                )
                for t in rnd.choices(ENGLISH_TEMPLATES, k=rnd.randint(2, 5))
            )
            paragraphs.append(paragraph)
            length += len(paragraph)
        title = (
            f"{rnd.choice(EN_AGENCIES)}: {rnd.choice(['recall of', 'warning on', 'tests of'])} "
            f"{rnd.choice(EN_PRODUCTS)}"
        )
        return title, paragraphs

    def article(self, n: int) -> Article:
        rnd = random.Random(SEED * 1_000_003 + n)
        kind = rnd.random()
        if kind < 0.1:
            title, paragraphs = self._english(rnd)
            language = "en"
        else:
            title, paragraphs = self._chinese(rnd)
            language = "zh-Hans"
            if kind > 0.9:
                title, paragraphs = self.s2t.convert(title), [self.s2t.convert(p) for p in paragraphs]
                language = "zh-Hant"
        year, month, day = rnd.randint(2012, 2026), rnd.randint(1, 12), rnd.randint(1, 28)
        published = f"{year}-{month:02d}-{day:02d}T{rnd.randint(7, 20):02d}:{rnd.randint(0, 59):02d}:00+08:00"
        source = rnd.choice(SOURCES)
        url = f"https://{source}.example/news/{n}.html"
        images = (
            [
                Image(
                    url=f"https://{source}.example/upload/{n}.jpg",
                    caption="现场图片",
                    credit=rnd.choice(ORGS),
                )
            ]
            if rnd.random() < 0.1
            else []
        )
        attachments = (
            [Attachment(url=f"https://{source}.example/upload/{n}.xlsx", title="抽检结果.xlsx")]
            if rnd.random() < 0.05
            else []
        )
        return Article(
            url=url,
            source=source,
            title=title,
            body="\n\n".join(paragraphs),
            body_html="".join(f"<p>{p}</p>\n" for p in paragraphs),
            language=language,
            organization=rnd.choice(ORGS),
            authors=[rnd.choice(["张伟", "王芳", "李娜", "刘洋", "陈静"])],
            published=published,
            published_precision="minute",
            published_raw=published[:16].replace("T", " "),
            fetched_at="2026-11-25T00:00:00+00:00",
            page_sha256=f"{n:064x}",
            images=images,
            attachments=attachments,
        )


def _accumulate(values: list[float]) -> list[float]:
    total, out = 0.0, []
    for v in values:
        total += v
        out.append(total)
    return out


_GENERATOR: Generator | None = None


def _generate(n: int) -> Article:
    global _GENERATOR
    if _GENERATOR is None:
        _GENERATOR = Generator()
    return _GENERATOR.article(n)


def build(db: Path, count: int, batch: int) -> dict[str, Any]:
    """Write ``count`` synthetic articles with Archive.store; returns timings and sizes."""
    db.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    started = time.perf_counter()
    cpu = time.process_time()
    archive = Archive(db)
    with multiprocessing.get_context("fork").Pool(1) as pool:
        items = pool.imap(_generate, range(count), chunksize=256)
        done = 0
        while done < count:
            with archive.db.atomic():
                for _ in range(min(batch, count - done)):
                    archive.store(next(items))
                    done += 1
            if done % (batch * 20) == 0 or done == count:
                rate = done / (time.perf_counter() - started)
                print(f"  {done:,} articles, {rate:,.0f}/s", flush=True)
    optimise_started = time.perf_counter()
    for table in search.INDEXES:
        archive.db.execute(f"insert into [{table}]([{table}]) values ('optimize')")
        archive.db.conn.commit()
    archive.db.execute("analyze")
    archive.db.conn.commit()
    optimise = time.perf_counter() - optimise_started
    archive.close()
    seconds = time.perf_counter() - started
    return {
        "articles": count,
        "build_seconds": round(seconds, 1),
        "optimize_seconds": round(optimise, 1),
        "writer_cpu_seconds": round(time.process_time() - cpu, 1),
        "articles_per_second": round(count / seconds),
    }


def sizes(db: Path, count: int) -> dict[str, Any]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        by_table = dict(
            conn.execute(
                "select case when name like ? then ? when name like ? then ? else name end as t, sum(pgsize) "
                "from dbstat group by t",
                [f"{search.TABLE4}%", search.TABLE4, f"{search.TABLE}%", search.TABLE],
            ).fetchall()
        )
        text = conn.execute(
            "select sum(length(cast(title as blob)) + length(cast(body as blob))) from articles"
        ).fetchone()[0]
    finally:
        conn.close()
    total = db.stat().st_size
    return {
        "file_bytes": total,
        "bytes_per_article": round(total / count),
        "index_bytes_per_article": round(sum(by_table.get(t, 0) for t in search.INDEXES) / count),
        "index_over_text": round(sum(by_table.get(t, 0) for t in search.INDEXES) / text, 2),
        "bigram_index_bytes_per_article": round(by_table.get(search.TABLE, 0) / count),
        "quadgram_index_bytes_per_article": round(by_table.get(search.TABLE4, 0) / count),
        "text_bytes_per_article": round(text / count),
        "tables_bytes": {k: v for k, v in sorted(by_table.items(), key=lambda kv: -kv[1])[:8]},
    }


# --- latency ------------------------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


async def query_latency(db: Path, repeat: int) -> dict[str, Any]:
    from archive.serve import make_datasette

    ds = make_datasette(db, immutable=True)
    await ds.invoke_startup()
    name = db.stem
    results: dict[str, Any] = {}
    for shape, extra in SHAPES.items():
        per_class: dict[str, Any] = {}
        for cls, queries in QUERIES.items():
            timings: list[float] = []
            per_query = {}
            for query in queries:
                params = {"_search": query, **extra}
                response = await ds.client.get(f"/{name}/articles.json", params=params)  # warm-up
                assert response.status_code == 200, (query, response.text[:300])
                data = response.json()
                hits = data.get("filtered_table_rows_count") if isinstance(data, dict) else None
                own = []
                for _ in range(repeat):
                    start = time.perf_counter()
                    response = await ds.client.get(f"/{name}/articles.json", params=params)
                    own.append((time.perf_counter() - start) * 1000)
                    assert response.status_code == 200
                timings += own
                per_query[query] = {
                    "hits": hits,
                    "median_ms": round(statistics.median(own), 1),
                    "max_ms": round(max(own), 1),
                }
            per_class[cls] = {
                "p50_ms": round(percentile(timings, 0.5), 1),
                "p95_ms": round(percentile(timings, 0.95), 1),
                "queries": per_query,
            }
        results[shape] = per_class
        print(
            f"  {shape}: " + ", ".join(f"{c} p95 {v['p95_ms']} ms" for c, v in per_class.items()), flush=True
        )
    return results


def like_scan(db: Path, queries: list[str]) -> dict[str, Any]:
    """Count and first page with LIKE on title and body: what a search costs without the index."""
    conn = sqlite3.connect(f"file:{db}?immutable=1", uri=True)
    conn.execute(f"pragma cache_size = -{200_000}")
    out = {}
    try:
        for query in queries:
            where = "(title like :p or body like :p)"
            params = {"p": f"%{query}%"}
            start = time.perf_counter()
            count = conn.execute(f"select count(*) from articles where {where}", params).fetchone()[0]
            conn.execute(
                f"select * from articles where {where} order by published desc limit 51", params
            ).fetchall()
            out[query] = {"ms": round((time.perf_counter() - start) * 1000, 1), "hits": count}
            print(f"  LIKE {query}: {out[query]['ms']:,.0f} ms, {count:,} rows", flush=True)
    finally:
        conn.close()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1_000_000, help="size of the synthetic archive")
    parser.add_argument(
        "--db", type=Path, default=None, help="archive file (built when absent or of another size)"
    )
    parser.add_argument("--batch", type=int, default=2000, help="articles per transaction while building")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each query (after one warm-up)")
    parser.add_argument("--rebuild", action="store_true", help="build even if the file has the right size")
    parser.add_argument(
        "--like-queries",
        default="奶粉,三聚氰胺,邯郸,食品安全",
        help="comma-separated queries timed as a LIKE scan",
    )
    args = parser.parse_args(argv)
    db = args.db or ROOT / "data" / "bench" / f"search-{args.articles}.db"
    report: dict[str, Any] = {
        "articles": args.articles,
        "db": str(db),
        "sqlite": sqlite3.sqlite_version,
        "cpus": os.cpu_count(),
    }
    existing = None
    if db.exists() and not args.rebuild:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            existing = conn.execute("select count(*) from articles").fetchone()[0]
        except sqlite3.Error:
            existing = None
        conn.close()
    if existing == args.articles:
        print(f"using the existing {db} ({existing:,} articles)")
        previous = db.with_suffix(".json")
        if previous.exists():
            report["build"] = json.loads(previous.read_text()).get("build")
        from archive.serve import needs_upgrade

        if needs_upgrade(db):
            # An archive of an older schema (such as one without the quadgram index): the same migration
            # a user's archive goes through, timed.
            print("upgrading it (migrations, search indexes) ...", flush=True)
            started = time.perf_counter()
            Archive(db).close()
            report["build"] = {
                **(report.get("build") or {}),
                "upgrade_seconds": round(time.perf_counter() - started, 1),
            }
            print(f"  upgraded in {report['build']['upgrade_seconds']:,} s", flush=True)
    else:
        print(f"building {db} with {args.articles:,} articles ...", flush=True)
        report["build"] = build(db, args.articles, args.batch)
        print(f"  built in {report['build']['build_seconds']:,} s", flush=True)
    report["size"] = sizes(db, args.articles)
    print("latency through Datasette's JSON API ...", flush=True)
    report["latency"] = asyncio.run(query_latency(db, args.repeat))
    print("LIKE scan ...", flush=True)
    report["like"] = like_scan(db, [q for q in args.like_queries.split(",") if q])
    like_ms = statistics.median(v["ms"] for v in report["like"].values())
    search_ms = {
        q: v["median_ms"]
        for c in ("2-char", "4-char")
        for q, v in report["latency"]["rows+count"][c]["queries"].items()
    }
    report["like_vs_search"] = {
        q: round(report["like"][q]["ms"] / search_ms[q], 1) for q in report["like"] if q in search_ms
    }
    db.with_suffix(".json").write_text(json.dumps(report, ensure_ascii=False, indent=2))
    print_report(report, like_ms)
    return 0


def print_report(report: dict[str, Any], like_ms: float) -> None:
    build = report.get("build") or {}
    size = report["size"]
    print()
    print(f"archive: {report['articles']:,} articles, SQLite {report['sqlite']}, {report['cpus']} CPUs")
    if build.get("build_seconds"):
        print(
            f"build: {build['build_seconds']:,} s ({build['articles_per_second']:,} articles/s, "
            f"optimize {build['optimize_seconds']} s)"
        )
    if build.get("upgrade_seconds"):
        print(f"upgrade of an existing archive (migrations, search indexes): {build['upgrade_seconds']:,} s")
    print(
        f"size: {size['bytes_per_article']:,} bytes/article in all; search indexes "
        f"{size['index_bytes_per_article']:,} bytes/article = {size['index_over_text']}× the title+body text "
        f"(bigrams {size.get('bigram_index_bytes_per_article', '?'):,}, "
        f"quadgrams {size.get('quadgram_index_bytes_per_article', '?'):,})"
    )
    print()
    print(f"{'shape':<11} {'class':<12} {'p50 ms':>8} {'p95 ms':>8}   per query (median ms, hits)")
    for shape, classes in report["latency"].items():
        for cls, v in classes.items():
            queries = ", ".join(
                f"{q} {d['median_ms']} ({d['hits'] if d['hits'] is not None else '-'})"
                for q, d in v["queries"].items()
            )
            print(f"{shape:<11} {cls:<12} {v['p50_ms']:>8} {v['p95_ms']:>8}   {queries}")
    print()
    print(
        f"LIKE scan (count + first page): median {like_ms:,.0f} ms; "
        + ", ".join(f"{q} {v['ms']:,.0f} ms" for q, v in report["like"].items())
    )
    print(
        "LIKE ÷ search (rows+count): " + ", ".join(f"{q} {x}×" for q, x in report["like_vs_search"].items())
    )


if __name__ == "__main__":
    sys.exit(main())
