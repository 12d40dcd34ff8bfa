"""The archive's schema, created and evolved only by migrations (sqlite-utils ``Migrations``).

Never edit an applied migration: add a new one. ``docs/schema.md`` is the data dictionary.
"""

from __future__ import annotations

from sqlite_utils import Database, Migrations

migrations = Migrations("foodnews")


@migrations()
def m001_initial(db: Database) -> None:
    """Sources, articles with revisions, images, attachments, crawl runs, rejects and full-text search."""
    db["sources"].create(
        {"slug": str, "name": str, "publisher": str, "homepage": str, "country": str, "language": str},
        pk="slug",
    )
    db["articles"].create(
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
    db["articles"].create_index(["canonical_url"], unique=True)
    db["articles"].create_index(["published"])
    db["articles"].create_index(["source", "published"])
    db["articles"].create_index(["organization"])
    db["articles"].create_index(["published_month"])
    db["revisions"].create(
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
    db["revisions"].create_index(["article_id", "revision"], unique=True)
    db["images"].create(
        {"article_id": str, "position": int, "url": str, "caption": str, "credit": str},
        pk=("article_id", "position"),
        foreign_keys=[("article_id", "articles", "id")],
    )
    db["attachments"].create(
        {"article_id": str, "position": int, "url": str, "title": str},
        pk=("article_id", "position"),
        foreign_keys=[("article_id", "articles", "id")],
    )
    db["crawl_runs"].create(
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
    db["rejects"].create(
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
    db["articles"].enable_fts(["title", "body"], create_triggers=True)


def migrate(db: Database) -> None:
    """Bring a database (new or old) up to the current schema."""
    migrations.apply(db)
