"""The fsa_uk spider: alert records to items field by field (UTC and London dates), the API's paging and
``since``, news pages by the site rules, and a crawl through the real engine."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from conftest import REPLAY_ROOT, query, run_crawl
from scrapy.http import HtmlResponse, Request, TextResponse
from scrapy.utils.test import get_crawler

from crawler.demo.server import ReplayServer, demo_start_urls, replay_file
from crawler.items import Article, Reject
from crawler.parsers.fsa_uk import RULES, alert_from_record, london_day, parse_article, utc
from crawler.spiders.fsa_uk import FsaUkSpider

API = next(u for u in demo_start_urls("fsa_uk") if "data.food.gov.uk" in u)
NEWS_LIST = "https://www.food.gov.uk/news-alerts/search/news"


def _file(url: str) -> Path:
    return REPLAY_ROOT / replay_file(url)


def _records(url: str = API) -> list[dict[str, Any]]:
    return list(json.loads(_file(url).read_text("utf-8"))["items"])


def _spider(**arguments: Any) -> FsaUkSpider:
    return FsaUkSpider.from_crawler(get_crawler(FsaUkSpider), **arguments)


def test_an_allergy_alert_record_field_by_field() -> None:
    record = _records()[0]
    item = alert_from_record(record, API, "2026-12-03T12:00:00+00:00")
    assert isinstance(item, Article)
    assert item.url == item.canonical_url == "https://www.food.gov.uk/news-alerts/alert/fsa-aa-45-2026"
    assert item.title.startswith("Hillcrest Foods recalls Hillcrest Oat Crunch Bars")
    assert (item.language, item.source, item.organization) == ("en", "fsa_uk", "Food Standards Agency")
    # created is a date: the start of that day in London, in winter GMT.
    assert (item.published, item.published_precision, item.published_raw) == (
        "2026-11-28T00:00:00+00:00",
        "day",
        "2026-11-28",
    )
    alert = item.alert
    assert alert is not None
    assert (alert.notation, alert.alert_type, alert.status) == ("FSA-AA-45-2026", "AA", "Published")
    assert alert.allergens == ["Milk"] and alert.reporting_business == "Hillcrest Foods Ltd"
    assert alert.products == [
        {
            "name": "Hillcrest Oat Crunch Bars",
            "pack_size": "5 x 30g",
            "batch_codes": ["L2831A", "L2831B"],
            "best_before": ["31 May 2027", "7 June 2027"],
            "use_by": [],
        }
    ]
    assert alert.countries == ["England", "Wales"] and alert.modified == "2026-11-28T15:02:11+00:00"
    assert alert.api_url == "http://data.food.gov.uk/food-alerts/id/FSA-AA-45-2026"
    assert "batch code L2831A" in item.body and "Our advice to consumers:" in item.body


def test_summer_dates_are_bst_and_modified_times_are_utc() -> None:
    summer = next(r for r in _records(f"{API}&_offset=4") if r["notation"] == "FSA-PRIN-31-2026")
    item = alert_from_record(summer, API)
    assert isinstance(item, Article) and item.alert is not None
    assert item.published == "2026-07-02T00:00:00+01:00"
    assert item.alert.modified == "2026-07-02T15:12:00+00:00"  # 16:12 BST
    assert (
        item.alert.alert_type == "PRIN"
        and item.alert.allergens == []
        and item.alert.products[0]["use_by"] == ["16 July 2026"]
    )
    assert london_day("2026-10-25") == "2026-10-25T00:00:00+01:00"  # the clocks go back at 02:00 that day
    assert london_day("2026-10-26") == "2026-10-26T00:00:00+00:00"
    assert utc("2026-07-02T16:12:00") is None  # no offset: not guessed at
    assert london_day("yesterday") is None


def test_a_missing_date_stays_empty_with_a_note() -> None:
    record = {**_records()[1]}
    del record["created"]
    item = alert_from_record(record, API)
    assert isinstance(item, Article)
    assert item.published is None and item.published_precision is None
    assert "published: the record has no created date" in item.notes


@pytest.mark.parametrize(
    "change, reason",
    [
        ({"alertURL": None}, "fsa_uk alerts API: record FSA-AA-45-2026 has no alertURL"),
        ({"notation": "", "title": None}, "fsa_uk alerts API: a record has no notation, title"),
    ],
)
def test_a_bad_record_is_a_reject(change: dict[str, Any], reason: str) -> None:
    record = {**_records()[0], **change}
    out = alert_from_record(record, API)
    assert isinstance(out, Reject) and out.reason == reason and out.source == "fsa_uk"
    assert isinstance(alert_from_record(["not", "a", "record"], API), Reject)


def _api_response(url: str, body: bytes | None = None) -> TextResponse:
    data = body if body is not None else _file(url).read_bytes()
    return TextResponse(url=url, body=data, request=Request(url, meta={"source": "fsa_uk"}), encoding="utf-8")


def test_api_pages_follow_offset_while_a_page_is_full() -> None:
    first = list(_spider().parse(_api_response(API)))
    alerts = [r for r in first if r.callback.__name__ == "parse_alert_page"]
    following = [r for r in first if r.callback.__name__ == "parse"]
    assert [r.url for r in alerts] == [a["alertURL"] for a in _records()]
    assert all(r.cb_kwargs["item"].alert for r in alerts)
    assert [dict(parse_qsl(urlsplit(r.url).query)) for r in following] == [
        {"_limit": "4", "_sort": "-created", "_view": "full", "_offset": "4"}
    ]
    second = list(_spider().parse(_api_response(following[0].url), page=2))
    assert len(second) == 3 and all(
        r.callback.__name__ == "parse_alert_page" for r in second
    )  # not full: the end
    assert [r.callback.__name__ for r in _spider(max_pages=1).parse(_api_response(API))].count("parse") == 0
    (bad,) = list(_spider().parse(_api_response(API, b'{"error": "busy"}')))
    assert isinstance(bad, Reject) and bad.reason == "fsa_uk alerts API: the answer is not a page of items"


def test_since_asks_the_api_for_newer_alerts_only() -> None:
    starts = [url for url, _ in _spider(start_urls=API, since="2026-11-01").starts()]
    assert [dict(parse_qsl(urlsplit(u).query))["since"] for u in starts] == ["2026-11-01"]
    news = [url for url, _ in _spider(start_urls=NEWS_LIST, since="2026-11-01").starts()]
    assert news == [NEWS_LIST]  # only the API takes it
    FsaUkSpider.check_arguments({"since": "2026-11-01T08:00:00+00:00"})
    for bad in ("last week", "2026-13-01", "01/11/2026"):
        with pytest.raises(ValueError, match="since must be an ISO 8601 date or date-time"):
            FsaUkSpider.check_arguments({"since": bad})


@pytest.mark.parametrize(
    "slug", ["fsa-publishes-annual-report-on-food-crime", "new-guidance-on-precautionary-allergen-labelling"]
)
def test_news_pages_by_the_site_rules(slug: str) -> None:
    url = f"https://www.food.gov.uk/news-alerts/news/{slug}"
    item = parse_article(_file(url).read_bytes(), url)
    assert isinstance(item, Article), getattr(item, "reason", item)
    assert f"rules found: {', '.join(RULES.given())}" in item.notes  # emptying RULES fails this
    assert item.language == "en" and item.source == "fsa_uk"
    assert item.published in ("2026-11-24T09:00:00+00:00", "2026-07-09T10:30:00+01:00")
    assert item.organization is None  # the page prints none; "Published" is a label, not a publisher
    assert (
        item.body.startswith("The Food Standards Agency has today published")
        and "Accessibility" not in item.body
    )


def test_news_list_links() -> None:
    response = HtmlResponse(
        url=NEWS_LIST,
        body=_file(NEWS_LIST).read_bytes(),
        request=Request(NEWS_LIST, meta={"source": "fsa_uk"}),
    )
    assert [r.callback.__name__ for r in _spider().parse(response)] == ["parse_news", "parse_news"]


def test_crawl_stores_alerts_with_their_details(tmp_path: Path) -> None:
    db = tmp_path / "foodnews.db"
    with ReplayServer(REPLAY_ROOT) as server:
        run_crawl(db, server, spider="fsa_uk")
    assert query(db, "select source, status, error from crawl_runs") == [("fsa_uk", "finished", None)]
    alerts = query(
        db,
        "select a.url, l.notation, l.allergens, l.batch_codes, a.notes from alerts l join articles a on a.id = l.article_id",
    )
    assert len(alerts) == 7 and all(
        url.startswith("https://www.food.gov.uk/news-alerts/alert/") for url, *_ in alerts
    )
    by_notation = {n: (json.loads(al), json.loads(b), json.loads(notes)) for _, n, al, b, notes in alerts}
    assert by_notation["FSA-AA-29-2026"][:2] == (["Sesame", "Egg"], ["NF1806"])
    assert "body: the alert page" in by_notation["FSA-AA-45-2026"][2]  # the one page the replay holds
    assert (
        "alert page not fetched (HTTP 404): the body is the API record's" in by_notation["FSA-AA-44-2026"][2]
    )
    assert query(
        db, "select count(*) from articles where url like 'https://www.food.gov.uk/news-alerts/news/%'"
    ) == [(2,)]
    assert query(db, "select count(*) from rejects") == [(0,)]
