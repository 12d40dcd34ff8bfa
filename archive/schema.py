"""The archive's schema, created and evolved only by migrations (sqlite-utils ``Migrations``).

Never edit an applied migration: add a new one. ``docs/schema.md`` is the data dictionary.
"""

from __future__ import annotations

from sqlite_utils import Database, Migrations

from archive import search

migrations = Migrations("foodnews")


@migrations()
def m001_initial(db: Database) -> None:
    """Sources, articles with revisions, images, attachments, crawl runs, rejects and full-text search."""
    db.table("sources").create(
        {"slug": str, "name": str, "publisher": str, "homepage": str, "country": str, "language": str},
        pk="slug",
    )
    db.table("articles").create(
        {
            "id": str,
            "canonical_url": str,
            "url": str,
            "source": str,
            "title": str,
            "authors": str,
            "editor": str,
            "organization": str,
            "published": str,
            "published_precision": str,
            "published_raw": str,
            "published_month": str,
            "body": str,
            "body_html": str,
            "language": str,
            "first_seen": str,
            "last_seen": str,
            "fetched_at": str,
            "page_sha256": str,
            "content_sha256": str,
            "revision": int,
            "notes": str,
        },
        pk="id",
        not_null={"canonical_url", "url", "source", "title", "body"},
        foreign_keys=[("source", "sources", "slug")],
    )
    db.table("articles").create_index(["canonical_url"], unique=True)
    db.table("articles").create_index(["published"])
    db.table("articles").create_index(["source", "published"])
    db.table("articles").create_index(["organization"])
    db.table("articles").create_index(["published_month"])
    db.table("revisions").create(
        {
            "id": int,
            "article_id": str,
            "revision": int,
            "fetched_at": str,
            "changed": str,
            "title": str,
            "body": str,
            "body_html": str,
            "content_sha256": str,
            "page_sha256": str,
        },
        pk="id",
        foreign_keys=[("article_id", "articles", "id")],
    )
    db.table("revisions").create_index(["article_id", "revision"], unique=True)
    db.table("images").create(
        {"article_id": str, "position": int, "url": str, "caption": str, "credit": str},
        pk=("article_id", "position"),
        foreign_keys=[("article_id", "articles", "id")],
    )
    db.table("attachments").create(
        {"article_id": str, "position": int, "url": str, "title": str},
        pk=("article_id", "position"),
        foreign_keys=[("article_id", "articles", "id")],
    )
    db.table("crawl_runs").create(
        {
            "id": int,
            "spider": str,
            "started": str,
            "finished": str,
            "status": str,
            "pages_fetched": int,
            "items_new": int,
            "items_changed": int,
            "items_unchanged": int,
            "items_rejected": int,
        },
        pk="id",
    )
    db.table("rejects").create(
        {
            "spider": str,
            "url": str,
            "reason": str,
            "http_status": int,
            "at": str,
            "first_seen": str,
            "times": int,
            "run_id": int,
        },
        pk=("spider", "url"),
        foreign_keys=[("run_id", "crawl_runs", "id")],
    )
    db.table("articles").enable_fts(["title", "body"], create_triggers=True)


@migrations()
def m002_cjk_search(db: Database) -> None:
    """Search that finds Chinese words: a bigram index of normalised text replaces m001's ``articles_fts``.

    m001's unicode61 index treats a run of Han characters as one token, so it finds no word inside running
    Chinese text. The new ``articles_search`` (see ``archive/search.py`` and ``docs/search.md``) is
    contentless and written from Python; this migration fills it from the articles already stored.
    """
    db.table("articles").disable_fts()
    for sql in search.create_index_sql():
        db.execute(sql)
    db.table("_search_index").create({"name": str, "fingerprint": str, "built_at": str}, pk="name")
    search.rebuild(db.conn)
    # The language facet runs on every articles page: without an index it reads the whole table.
    db.table("articles").create_index(["language"])


@migrations()
def m003_quadgram_search(db: Database) -> None:
    """A quadgram index beside the bigram one, for Chinese terms of four characters or more.

    Such a term is a phrase of three or more bigrams, which FTS5 checks position by position in every
    article holding all of them; as one quadgram token it is a single doclist (``docs/search.md``).
    """
    for sql in search.create_index_sql(search.TABLE4):
        db.execute(sql)
    search.rebuild(db.conn, search.TABLE4)


@migrations()
def m004_run_outcomes(db: Database) -> None:
    """What a run's end needs to be told: why it failed, how many items it lost, and which process ran it.

    ``host`` and ``pid`` let the next run tell a run whose process is gone (killed, crashed) from one that
    is still going: the former is marked ``interrupted``, the latter keeps its source to itself.
    """
    runs = db.table("crawl_runs")
    runs.add_column("error", str)
    runs.add_column("items_lost", int)
    runs.add_column("host", str)
    runs.add_column("pid", int)
    runs.create_index(["status"])


@migrations()
def m005_source_registry(db: Database) -> None:
    """The sources table as the registry describes a source (``crawler/sources.py``): the spider that crawls
    it (a family spider crawls many), its time zone, region and level, and whether its selectors were
    checked against the live site."""
    sources = db.table("sources")
    for column, kind in (
        ("spider", str),
        ("timezone", str),
        ("region", str),
        ("level", str),
        ("verified", int),
    ):
        sources.add_column(column, kind)


@migrations()
def m006_run_per_source(db: Database) -> None:
    """A run per source: a family spider's crawl is one run for each of its bureaus, each with its own
    counts, expectations and status. ``source`` is empty in runs recorded before (their source is their spider)."""
    db.table("crawl_runs").add_column("source", str)
    db.table("crawl_runs").create_index(["source", "started"])


#: Each source's last run beside what the archive holds of it: the page an operator opens to see which
#: source broke. A run's source is ``crawl_runs.source``, or its spider for runs recorded before m006.
SOURCE_HEALTH_M007 = """
create view source_health as
select
    s.slug as source,
    s.name,
    s.spider,
    s.level,
    s.region,
    r.status as last_status,
    r.error as last_error,
    r.started as last_started,
    r.finished as last_finished,
    r.pages_fetched,
    r.items_new,
    r.items_changed,
    r.items_unchanged,
    r.items_rejected,
    r.items_lost,
    (select max(ok.started) from crawl_runs ok
        where coalesce(ok.source, ok.spider) = s.slug and ok.status = 'finished') as last_finished_run,
    (select count(*) from articles a where a.source = s.slug) as articles,
    (select count(*) from rejects j where j.source = s.slug) as rejects,
    r.id as last_run
from sources s
left join crawl_runs r on r.id = (
    select max(x.id) from crawl_runs x where coalesce(x.source, x.spider) = s.slug
)
"""


@migrations()
def m007_evidence_alerts_health(db: Database) -> None:
    """Attachments kept as evidence (the file's SHA-256, size, media type and path in the archive's files
    folder, or why it could not be downloaded), food alerts' structured fields, the ``source_health``
    view, and ``rejects.spider`` named for what it holds: the source (a bureau of a family spider)."""
    db.execute("alter table rejects rename column spider to source")
    attachments = db.table("attachments")
    for column, kind in (("sha256", str), ("size", int), ("media_type", str), ("path", str), ("error", str)):
        attachments.add_column(column, kind)
    attachments.create_index(["sha256"])
    db.table("alerts").create(
        {
            "article_id": str,
            "notation": str,
            "alert_type": str,
            "status": str,
            "allergens": str,
            "products": str,
            "batch_codes": str,
            "reporting_business": str,
            "countries": str,
            "risk_statement": str,
            "created": str,
            "modified": str,
            "api_url": str,
        },
        pk="article_id",
        foreign_keys=[("article_id", "articles", "id")],
    )
    db.table("alerts").create_index(["notation"])
    db.execute(SOURCE_HEALTH_M007)


@migrations()
def m008_organization_groups(db: Database) -> None:
    """``articles.organization_group``: the organisation as one facet value whatever its script or a trailing
    site word (``search.organization_group``); ``organization`` keeps the text as printed."""
    articles = db.table("articles")
    articles.add_column("organization_group", str)
    names = [
        r[0] for r in db.execute("select distinct organization from articles where organization is not null")
    ]
    for name in names:
        db.execute(
            "update articles set organization_group = ? where organization = ?",
            [search.organization_group(name), name],
        )
    articles.create_index(["organization_group"])


@migrations()
def m009_incremental(db: Database) -> None:
    """Incremental crawls (``crawler/incremental.py``): each article's HTTP validators (ETag,
    Last-Modified) for conditional re-checks, and ``removed_at`` for an article its publisher withdrew
    (404/410 on a re-check: the content is kept); each run's count of held articles it did not fetch
    again and of articles found withdrawn."""
    articles = db.table("articles")
    for column in ("etag", "last_modified", "removed_at"):
        articles.add_column(column, str)
    runs = db.table("crawl_runs")
    runs.add_column("items_skipped", int)
    runs.add_column("items_removed", int)


@migrations()
def m010_warc(db: Database) -> None:
    """Evidence (``crawler/warc.py``): the WARC record (file in the warc folder, byte offset) of the response
    each article, revision and attachment came from."""
    for table in ("articles", "revisions", "attachments"):
        db.table(table).add_column("warc_file", str)
        db.table(table).add_column("warc_offset", int)


@migrations()
def m011_run_seconds(db: Database) -> None:
    """How long each run took (``finished`` − ``started``, in seconds), for the summary and for Datasette."""
    db.table("crawl_runs").add_column("seconds", float)


#: The view of m007 with the incremental counts (m009) and the run's duration (m011).
SOURCE_HEALTH = SOURCE_HEALTH_M007.replace(
    "    r.items_lost,\n",
    "    r.items_lost,\n    r.items_skipped,\n    r.items_removed,\n    r.seconds as last_seconds,\n",
)


@migrations()
def m012_health_run_summary(db: Database) -> None:
    """``source_health`` shows every column of the last run's summary (held, withdrawn, seconds)."""
    db.execute("drop view if exists source_health")
    db.execute(SOURCE_HEALTH)


#: The columns of a failed row, as ``crawler.workbooks`` reads them, in the table's order.
INSPECTION_COLUMNS: dict[str, type] = {
    "sample_number": str,
    "product": str,
    "brand": str,
    "specification": str,
    "production_date": str,
    "production_date_raw": str,
    "producer": str,
    "producer_address": str,
    "sampled_business": str,
    "sampled_address": str,
    "province": str,
    "province_from": str,
    "failed_item": str,
    "result": str,
    "standard": str,
    "testing_institution": str,
    "category": str,
    "category_from": str,
    "remarks": str,
}
#: Where a row comes from: the notice, its attachment (the file kept in the files folder), sheet and row.
INSPECTION_ORIGIN: dict[str, type] = {
    "article_id": str,
    "attachment_url": str,
    "attachment_sha256": str,
    "attachment_path": str,
    "workbook": str,
    "sheet": str,
    "row": int,
}


@migrations()
def m013_inspections(db: Database) -> None:
    """Sampling results as data (``crawler/workbooks.py``): ``inspection_results``, one row per failed item
    of a sample in a notice's result workbooks; ``inspection_workbooks``, each sheet or file read (or not,
    with the reason) and its sample counts; ``inspection_results_replaced``, the rows of a workbook that
    changed, as they were; ``inspection_results_search``, the rows' names in the bigram form of
    ``archive.search`` (Chinese words in either script)."""
    db.table("inspection_results").create(
        {"id": int, **INSPECTION_ORIGIN, **INSPECTION_COLUMNS},
        pk="id",
        foreign_keys=[("article_id", "articles", "id")],
    )
    results = db.table("inspection_results")
    for columns in (["article_id"], ["failed_item"], ["category"], ["province"], ["producer"]):
        results.create_index(columns)
    db.table("inspection_results_replaced").create(
        {"id": int, **INSPECTION_ORIGIN, **INSPECTION_COLUMNS, "replaced_at": str, "notice_revision": int},
        pk="id",
        foreign_keys=[("article_id", "articles", "id")],
    )
    db.table("inspection_results_replaced").create_index(["article_id"])
    db.table("inspection_workbooks").create(
        {
            "article_id": str,
            "attachment_url": str,
            "attachment_sha256": str,
            "workbook": str,
            "sheet": str,
            "status": str,
            "reason": str,
            "failed_samples": int,
            "failed_rows": int,
            "passed_samples": int,
        },
        foreign_keys=[("article_id", "articles", "id")],
    )
    db.table("inspection_workbooks").create_index(["article_id"])
    db.execute(
        f"create virtual table inspection_results_search using fts5(names, tokenize='{search.TOKENIZE}')"
    )
    db.execute(INSPECTION_SAMPLES)


#: Each notice's samples, summed over its workbooks: what the notice's text says in one sentence, counted.
INSPECTION_SAMPLES = """
create view inspection_samples as
select
    w.article_id,
    a.title,
    a.published,
    a.source,
    sum(w.failed_samples) as failed_samples,
    sum(w.failed_rows) as failed_rows,
    sum(w.passed_samples) as passed_samples,
    sum(w.status = 'read') as sheets_read,
    sum(w.status = 'unread') as files_unread
from inspection_workbooks w
join articles a on a.id = w.article_id
group by w.article_id
"""


#: The order a reader of ``inspection_results`` wants: who made what, what failed, where; then the rest, and
#: where the row was read from last.
INSPECTION_ORDER = [
    "id",
    "article_id",
    "product",
    "producer",
    "failed_item",
    "result",
    "standard",
    "sampled_business",
    "province",
    "category",
    "production_date",
    "brand",
    "specification",
    "sample_number",
    "production_date_raw",
    "producer_address",
    "sampled_address",
    "testing_institution",
    "remarks",
    "province_from",
    "category_from",
    "workbook",
    "sheet",
    "row",
    "attachment_url",
    "attachment_sha256",
    "attachment_path",
]


@migrations()
def m014_inspection_column_order(db: Database) -> None:
    """``inspection_results`` and its replaced rows with the columns a reader looks at first (Datasette shows
    a table's columns in their order): product, producer, failed item, result and standard before the
    workbook's URL and hash. The rows' ids, and so the search index's rowids, are kept."""
    for table in ("inspection_results", "inspection_results_replaced"):
        db.table(table).transform(column_order=INSPECTION_ORDER)


@migrations()
def m015_stated_failures(db: Database) -> None:
    """What a notice's own words say failed (检出12批次样品不合格), beside what its workbooks list:
    ``inspection_notices``, and ``inspection_samples`` with both and whether they agree."""
    db.table("inspection_notices").create(
        {"article_id": str, "stated_failed_samples": int, "stated_as": str},
        pk="article_id",
        foreign_keys=[("article_id", "articles", "id")],
    )
    db.execute("drop view if exists inspection_samples")
    db.execute(INSPECTION_SAMPLES_M015)


#: m013's view with the notice's stated count (m015): a notice whose workbooks list fewer failures than it
#: states is missing a workbook, or one could not be read; one listing more states a number of batches
#: that is not its samples'.
INSPECTION_SAMPLES_M015 = INSPECTION_SAMPLES.replace(
    "    sum(w.status = 'unread') as files_unread\n",
    "    sum(w.status = 'unread') as files_unread,\n"
    "    n.stated_failed_samples,\n"
    "    n.stated_as,\n"
    "    n.stated_failed_samples = sum(w.failed_samples) as agrees\n",
).replace(
    "join articles a on a.id = w.article_id\n",
    "join articles a on a.id = w.article_id\nleft join inspection_notices n on n.article_id = w.article_id\n",
)


@migrations()
def m016_replaced_rows_own_ids(db: Database) -> None:
    """A replaced row has an id of its own and names the row it was (``result_id``): SQLite gives a deleted
    row's id to the next one inserted, so a workbook replaced twice would have collided with its own past."""
    db.table("inspection_results_replaced").add_column("result_id", int)
    db.execute("update inspection_results_replaced set result_id = id")


def migrate(db: Database) -> None:
    """Bring a database (new or old) up to the current schema, and its search index up to date.

    The search index is rebuilt when it was written by another normaliser (another OpenCC table or index
    format, see ``search.normaliser_fingerprint``): a contentless index can only be kept in step by code
    that produces the same tokens.
    """
    migrations.apply(db)
    for table in search.INDEXES:
        if not search.is_current(db.conn, table):
            with db.atomic():
                search.rebuild(db.conn, table)
