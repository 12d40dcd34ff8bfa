"""The registry of sources: source files, what reads them (scrapy list, foodnews sources, extract routing),
spider arguments, and the replay download handler's mapping of real URLs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO_ROOT, crawl_env

from crawler import sources
from crawler.cli import main
from crawler.parsers import cfsn as cfsn_parser
from crawler.parsers import route
from crawler.replay import replay_url
from crawler.spiders.cfsn import CfsnSpider


def test_every_spider_has_its_sources_and_every_source_its_spider() -> None:
    listed = subprocess.run(
        [sys.executable, "-m", "scrapy", "list"],
        cwd=REPO_ROOT,
        env=crawl_env(),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert "cfsn" in listed
    spiders = {s.spider for s in sources.registry().values()}
    assert spiders == set(listed)
    for spider in listed:
        assert sources.of_spider(spider)


def test_foodnews_sources_lists_the_registry(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sources"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("\t")[0] for line in lines] == list(sources.registry())
    cfsn = next(line.split("\t") for line in lines if line.startswith("cfsn\t"))
    assert cfsn[1] == "cfsn" and cfsn[3] == "中国食品安全网" and cfsn[4] == "https://www.cfsn.cn/"


def test_urls_route_to_their_source_s_parser() -> None:
    assert sources.for_url("https://www.cfsn.cn/news/detail/22/1.html").slug == "cfsn"  # type: ignore[union-attr]
    assert sources.for_url("http://paper.cfsn.cn/content/2026-08/01/content_1.htm").slug == "cfsn"  # type: ignore[union-attr]
    assert sources.for_url("https://notcfsn.cn/a.html") is None
    assert route("https://www.cfsn.cn/news/detail/22/1.html") is cfsn_parser.parse_article
    assert route("https://example.org/a.html") is None


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("slug: x\n", "missing"),
        ("- a\n- b\n", "mapping"),
        (
            "slug: Bad Slug\nname: n\npublisher: p\ncountry: CN\nlanguage: zh\ntimezone: Asia/Shanghai\n"
            "homepage: https://x.cn/\nstart_urls: [https://x.cn/]\n",
            "not a slug",
        ),
        (
            "slug: x\nname: n\npublisher: p\ncountry: CN\nlanguage: zh\ntimezone: Asia/Shanghai\n"
            "homepage: https://x.cn/\nstart_urls: [https://x.cn/]\ncolour: red\n",
            "unknown keys",
        ),
    ],
)
def test_a_bad_source_file_is_refused_with_its_reason(tmp_path: Path, text: str, words: str) -> None:
    path = tmp_path / "x.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(sources.SourceError, match=words):
        sources.read_file(path, "x")


def test_a_family_file_gives_each_entry_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "fam.yaml"
    path.write_text(
        "defaults: {publisher: 市场监督管理局, country: CN, language: zh-Hans, timezone: Asia/Shanghai, max_pages: 2}\n"
        "sources:\n"
        "  - {slug: a, name: 甲, homepage: 'https://a.gov.cn/', start_urls: ['https://a.gov.cn/l/'], level: city}\n"
        "  - {slug: b, name: 乙, homepage: 'https://b.gov.cn/', start_urls: ['https://b.gov.cn/l/'], max_pages: 5}\n",
        encoding="utf-8",
    )
    a, b = sources.read_file(path, "fam")
    assert (a.spider, a.max_pages, a.level, a.hosts) == ("fam", 2, "city", ("a.gov.cn",))
    assert (b.max_pages, b.publisher) == (5, "市场监督管理局")


@pytest.mark.parametrize(
    ("argument", "words"),
    [
        ("max_pages=0", "at least 1"),
        ("max_pages=x", "whole number"),
        ("start_urls=ftp://x/", "not an http(s) URL"),
        ("colour=red", "takes the arguments"),
        ("noequals", "NAME=VALUE"),
    ],
)
def test_bad_spider_arguments_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argument: str, words: str
) -> None:
    assert main(["crawl", "cfsn", "--db", str(tmp_path / "a.db"), "-a", argument]) == 2
    err = capsys.readouterr().err
    assert err.startswith("foodnews: error: ") and err.count("\n") == 1 and words in err
    assert not (tmp_path / "a.db").exists()


def test_spider_arguments_choose_start_urls_and_depth() -> None:
    from scrapy.utils.test import get_crawler

    spider = CfsnSpider.from_crawler(
        get_crawler(CfsnSpider), start_urls="https://www.cfsn.cn/news/9.html", max_pages="7"
    )
    ((url, source),) = spider.starts()
    assert (url, source.slug, spider.page_limit(source)) == ("https://www.cfsn.cn/news/9.html", "cfsn", 7)
    default = CfsnSpider.from_crawler(get_crawler(CfsnSpider))
    (cfsn,) = CfsnSpider.sources()
    assert [u for u, _ in default.starts()] == list(cfsn.start_urls)
    assert default.page_limit(cfsn) == cfsn.max_pages


def test_the_replay_is_asked_for_the_real_url_under_its_host() -> None:
    assert replay_url("http://127.0.0.1:8780", "https://www.cfsn.cn/news/22.html?page=2") == (
        "http://127.0.0.1:8780/www.cfsn.cn/news/22.html?page=2"
    )
    assert (
        replay_url("http://127.0.0.1:1/", "https://www.samr.gov.cn") == "http://127.0.0.1:1/www.samr.gov.cn/"
    )
