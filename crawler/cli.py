"""The ``foodnews`` command: crawl, extract saved pages, import items, serve the archive, run the demo.

Bad input gets a one-line message on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

DEFAULT_DB = "data/foodnews.db"
DEMO_DB = "data/demo/foodnews.db"


class UserError(Exception):
    """A problem with what the user asked for: reported in one line, exit status 2."""


# --- crawl ------------------------------------------------------------------------------------------------


def _settings(db: str, overrides: dict[str, Any] | None = None) -> Any:
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    settings.set("FOODNEWS_DB", db, priority="cmdline")
    for key, value in (overrides or {}).items():
        settings.set(key, value, priority="cmdline")
    return settings


def run_crawl(
    spider: str, db: str, overrides: dict[str, Any] | None = None, arguments: dict[str, str] | None = None
) -> dict[str, Any]:
    """Run one spider (with its spider ``arguments``) through the Scrapy engine into the archive at ``db``;
    returns the crawl's stats."""
    return run_crawls({spider: arguments or {}}, db, overrides)[spider]


def run_crawls(
    spiders: dict[str, dict[str, str]], db: str, overrides: dict[str, Any] | None = None
) -> dict[str, dict[str, Any]]:
    """Run spiders (each with its spider arguments) side by side through one Scrapy engine process into the
    archive at ``db``; returns each crawl's stats.

    The archive is opened first, so that one that cannot be written (read-only, full, locked, not an
    archive) is reported before anything is fetched.
    """
    from scrapy.crawler import CrawlerProcess
    from scrapy.spiderloader import SpiderLoader

    from archive.store import Archive, ArchiveError

    settings = _settings(db, overrides)
    loader = SpiderLoader.from_settings(settings)
    known = loader.list()
    for spider, arguments in spiders.items():
        if spider not in known:
            raise UserError(f"unknown spider {spider!r}; known: {', '.join(known)}")
        check = getattr(loader.load(spider), "check_arguments", None)
        if check:
            try:
                check(arguments)
            except ValueError as exc:
                raise UserError(f"-a: {exc}") from None
    if db:
        try:
            Archive(db, timeout=settings.getfloat("FOODNEWS_DB_TIMEOUT")).close()
        except ArchiveError as exc:
            raise CommandFailed(
                f"not crawling: {exc}; nothing was fetched, and no run could be recorded"
            ) from None
    process = CrawlerProcess(settings)
    crawlers = {}
    for spider, arguments in spiders.items():
        crawlers[spider] = process.create_crawler(spider)
        process.crawl(crawlers[spider], **arguments)
    process.start()
    out = {}
    for spider, crawler in crawlers.items():
        assert crawler.stats is not None
        out[spider] = dict(crawler.stats.get_stats())
    return out


#: Exit status of a crawl refused because another process is crawling the same source into the archive
#: (sysexits' EX_TEMPFAIL: try again later).
EXIT_BUSY = 75


class CommandFailed(Exception):
    """A command that could not do its work (a crawl that lost items, an archive that cannot be written):
    reported in one line, exit status 1 (or ``EXIT_BUSY``)."""

    def __init__(self, message: str, status: int = 1):
        super().__init__(message)
        self.status = status


def _print_run(stats: dict[str, Any], db: str, spider: str | None = None) -> None:
    print(
        "crawl {reason}: {spider}{pages} pages fetched, {new} new, {changed} changed, {unchanged} unchanged, "
        "{skipped} held and not due, {removed} withdrawn, {rejected} rejected{lost} -> {db}".format(
            reason="failed"
            if stats.get("health/failed") or stats.get("warc/failed")
            else stats.get("finish_reason", "?"),
            spider=f"{spider}: " if spider else "",
            pages=stats.get("response_received_count", 0),
            new=stats.get("archive/new", 0),
            changed=stats.get("archive/changed", 0),
            unchanged=stats.get("archive/unchanged", 0),
            skipped=sum(v for k, v in stats.items() if k.startswith("incremental/skipped/")),
            removed=stats.get("archive/removed", 0),
            rejected=stats.get("archive/rejected", 0),
            lost=f", {stats['archive/lost']} not stored" if stats.get("archive/lost") else "",
            db=db,
        ),
        flush=True,
    )


def _check_run(stats: dict[str, Any]) -> int:
    """Exit status of a crawl: 0 when it finished with every item stored; raises `CommandFailed` otherwise."""
    error = stats.get("archive/error")
    if error:
        unrecorded = stats.get("archive/unrecorded")
        if stats.get("archive/cause") == "busy":
            raise CommandFailed(f"not crawling: {error}", EXIT_BUSY)
        if not stats.get("archive/runs"):
            unclosed = stats.get("archive/unclosed_run")
            raise CommandFailed(
                f"not crawling: {error}; nothing was fetched, and "
                + (
                    f"run {unclosed} could not be closed: it stays running until the next crawl marks it "
                    "interrupted"
                    if unclosed
                    else "no run could be recorded"
                )
            )
        lost = stats.get("archive/lost", 0)
        raise CommandFailed(
            f"crawl failed: {error}; {lost} item{'s' if lost != 1 else ''} not stored; "
            + (
                f"the run could not be recorded ({unrecorded})"
                if unrecorded
                else "the run is recorded as failed in crawl_runs"
            )
        )
    if stats.get("archive/unrecorded"):
        raise CommandFailed(f"the end of the run could not be recorded: {stats['archive/unrecorded']}")
    if stats.get("warc/failed"):
        raise CommandFailed(
            f"crawl failed: {stats['warc/failed']} responses could not be kept as WARC records: "
            f"{stats.get('warc/error')}; the run is recorded as failed in crawl_runs"
        )
    if stats.get("health/failed"):
        raise CommandFailed(f"crawl failed, a source missed its expectations: {stats['health/failed']}")
    return 0 if stats.get("finish_reason") == "finished" else 1


def _pairs(option: str, pairs: list[str] | None) -> dict[str, str]:
    out = {}
    for pair in pairs or []:
        if "=" not in pair:
            raise UserError(f"{option} takes NAME=VALUE, got {pair!r}")
        key, value = pair.split("=", 1)
        out[key] = value
    return out


def _progress(overrides: dict[str, Any]) -> dict[str, Any]:
    """The settings with the live progress display on when standard error is a terminal (unless set)."""
    return {"FOODNEWS_PROGRESS": sys.stderr.isatty(), **overrides}


def cmd_crawl(args: argparse.Namespace) -> int:
    if bool(args.spider) == bool(args.all):
        raise UserError("name one spider, or --all for every spider (foodnews sources lists them)")
    arguments = _pairs("-a", args.arg)
    overrides = _progress(_pairs("-s", args.set))
    if args.all:
        if set(arguments) - {"max_pages"}:
            raise UserError("with --all, -a takes only max_pages=N (start URLs belong to one spider)")
        from scrapy.spiderloader import SpiderLoader

        spiders = SpiderLoader.from_settings(_settings(args.db)).list()
        return _report(run_crawls({s: dict(arguments) for s in spiders}, args.db, overrides), args.db)
    return _report({args.spider: run_crawl(args.spider, args.db, overrides, arguments)}, args.db, named=False)


def _report(all_stats: dict[str, dict[str, Any]], db: str, named: bool = True) -> int:
    """Each spider's summary line, the table of the runs, and the exit status: the last failure raised
    (the others printed), 0 when every run finished with every item stored."""
    for spider, stats in all_stats.items():
        if stats.get("archive/runs") or not stats.get("archive/error"):  # refused at start: no summary
            _print_run(stats, db, spider if named else None)
    runs = [run for stats in all_stats.values() for run in stats.get("archive/run_ids") or []]
    if len(runs) > 1:
        _print_table(db, runs)
    failures = []
    status = 0
    for stats in all_stats.values():
        try:
            status = max(status, _check_run(stats))
        except CommandFailed as exc:
            failures.append(exc)
    if failures:
        for failure in failures[:-1]:
            print(f"foodnews: error: {failure}", file=sys.stderr)
        raise failures[-1]
    return status


#: The summary table's columns: (heading, crawl_runs column).
_TABLE = (
    ("source", "source"),
    ("status", "status"),
    ("fetched", "pages_fetched"),
    ("new", "items_new"),
    ("changed", "items_changed"),
    ("unchanged", "items_unchanged"),
    ("held", "items_skipped"),
    ("removed", "items_removed"),
    ("rejected", "items_rejected"),
    ("seconds", "seconds"),
)


def _print_table(db: str, runs: list[int]) -> None:
    """One row per source run of this crawl, as ``crawl_runs`` records it."""
    import sqlite3

    try:
        conn = sqlite3.connect(f"file:{Path(db).resolve()}?mode=ro", uri=True, timeout=10)
        try:
            marks = ",".join("?" * len(runs))
            rows = conn.execute(
                f"select {', '.join(c for _, c in _TABLE)} from crawl_runs where id in ({marks}) order by id",
                runs,
            ).fetchall()
        finally:
            conn.close()
    except sqlite3.Error as exc:
        print(f"foodnews: the runs' table cannot be read: {exc}", file=sys.stderr)
        return
    cells = [[h for h, _ in _TABLE]] + [["" if v is None else str(v) for v in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(_TABLE))]
    for row in cells:
        print(
            "  ".join(
                v.ljust(w) if i < 2 else v.rjust(w) for i, (v, w) in enumerate(zip(row, widths, strict=True))
            )
        )


# --- extract ----------------------------------------------------------------------------------------------


def _url_map(path: str) -> dict[str, str]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UserError(f"cannot read URL map {path}: {exc}") from None
    if not isinstance(data, dict):
        raise UserError(f"URL map {path} must be a JSON object of file name -> URL")
    return {str(k): str(v) for k, v in data.items()}


def _url_for(path: Path, url: str | None, urls: dict[str, str]) -> str:
    if url:
        return url
    for key in (path.name, path.stem, str(path)):
        if key in urls:
            return urls[key]
    return path.resolve().as_uri()


def cmd_extract(args: argparse.Namespace) -> int:
    from crawler.extract import extract
    from crawler.parsers import route

    if args.url and len(args.files) > 1:
        raise UserError("--url names one page: give one FILE, or use --urls MAP.json for several")
    urls = _url_map(args.urls) if args.urls else {}
    paths = [Path(f) for f in args.files]
    for path in paths:
        if not path.is_file():
            raise UserError(f"no such file: {path}")
    out = sys.stdout
    for path in paths:
        url = _url_for(path, args.url, urls)
        parser = route(url)
        data = path.read_bytes()
        item = parser(data, url) if parser else extract(data, url)
        out.write(
            json.dumps(item.to_dict() if hasattr(item, "to_dict") else _reject_dict(item), ensure_ascii=False)
            + "\n"
        )
    return 0


def _reject_dict(item: Any) -> dict[str, Any]:
    import dataclasses

    return {"rejected": True, **dataclasses.asdict(item)}


# --- import -----------------------------------------------------------------------------------------------


def cmd_import(args: argparse.Namespace) -> int:
    """Store every good line; name every bad one (stored as a reject when it names a usable URL)."""
    from archive.store import Archive, ArchiveError
    from crawler.extract import binary_kind
    from crawler.jsonlines import read_items

    path = Path(args.file)
    if not path.is_file():
        raise UserError(f"no such file: {path}")
    with path.open("rb") as stream:
        kind = binary_kind(stream.read(8192))
    if kind:
        raise UserError(f"{path} is not JSON Lines: it is {kind} (foodnews extract reads pages)")
    counts = {"new": 0, "changed": 0, "unchanged": 0, "rejected": 0, "bad": 0}
    try:
        archive = Archive(args.db)
    except ArchiveError as exc:
        raise CommandFailed(f"cannot import into the archive: {exc}") from None
    failure = None
    with archive, path.open("rb") as stream:
        for line in read_items(stream):
            if line.problem:
                counts["bad"] += 1
                print(f"foodnews: {path}:{line.number}: {line.problem}", file=sys.stderr)
            try:
                if line.item is not None:
                    outcome = archive.store(line.item)
                    if not line.problem:
                        counts[outcome] += 1
            except ArchiveError as exc:
                if exc.fatal:
                    failure = f"import stopped at line {line.number}: {exc}"
                    break
                if not line.problem:
                    counts["bad"] += 1
                print(f"foodnews: {path}:{line.number}: cannot store: {exc}", file=sys.stderr)
            if line.problem and args.strict:
                failure = f"import stopped at line {line.number} (--strict)"
                break
    print(
        "imported {new} new, {changed} changed, {unchanged} unchanged, {rejected} rejected; {bad} bad "
        "line{s} -> {db}".format(db=args.db, s="" if counts["bad"] == 1 else "s", **counts),
        flush=True,
    )
    if failure:
        raise CommandFailed(failure)
    return 1 if counts["bad"] else 0


# --- evidence: warc and reparse ---------------------------------------------------------------------------


def _open_archive(db: str) -> Any:
    from archive.store import Archive, ArchiveError

    if not Path(db).is_file():
        raise UserError(f"no archive at {db}")
    try:
        return Archive(db)
    except ArchiveError as exc:
        raise CommandFailed(f"cannot open the archive: {exc}") from None


def _warc_folder(db: str) -> Path:
    from crawler.warc import warc_folder

    folder = warc_folder({"FOODNEWS_WARC": os.environ.get("FOODNEWS_WARC", ""), "FOODNEWS_DB": db})
    assert folder is not None
    return folder


def cmd_warc(args: argparse.Namespace) -> int:
    """Write the response an article (or one of its revisions) was stored from, as the server sent it."""
    from crawler.warc import read_record

    with _open_archive(args.db) as archive:
        found = archive.db.execute(
            "select id, url from articles where id = ? or url = ? or canonical_url = ? limit 1",
            [args.article] * 3,
        ).fetchone()
        if found is None:
            raise UserError(f"no article {args.article!r} in {args.db} (give its id, URL or canonical URL)")
        aid, url = found
        if args.revision is None:
            where = archive.db.execute(
                "select warc_file, warc_offset from articles where id = ?", [aid]
            ).fetchone()
        else:
            where = archive.db.execute(
                "select warc_file, warc_offset from revisions where article_id = ? and revision = ?",
                [aid, args.revision],
            ).fetchone()
            if where is None:
                raise UserError(f"{url} has no revision {args.revision}")
    if where[0] is None:
        raise CommandFailed(
            f"{url} has no WARC record (stored before responses were kept, or imported from JSON Lines)"
        )
    try:
        record = read_record(_warc_folder(args.db), where[0], where[1])
    except (OSError, ValueError) as exc:
        raise CommandFailed(f"cannot read the WARC record {where[0]}:{where[1]}: {exc}") from None
    data = record.body if args.body else record.raw
    if args.output:
        try:
            Path(args.output).write_bytes(data)
        except OSError as exc:
            raise CommandFailed(f"cannot write {args.output}: {exc.strerror or exc}") from None
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    return 0


def cmd_reparse(args: argparse.Namespace) -> int:
    """Extract every stored article again from its WARC record, through the store."""
    from collections import Counter

    from archive.store import ArchiveError
    from crawler.files import files_folder
    from crawler.reparse import reparse, summary

    if args.source and args.source not in _known_sources():
        raise UserError(f"unknown source {args.source!r} (foodnews sources lists them)")
    outcomes: Counter[str] = Counter()
    with _open_archive(args.db) as archive:
        try:
            files = Path(files_folder(_settings(args.db)))
            for url, outcome, why in reparse(archive, _warc_folder(args.db), args.source, files):
                outcomes[outcome] += 1
                if outcome in ("rejected", "unreadable"):
                    print(f"foodnews: {url}: {outcome}: {why}", file=sys.stderr)
                elif outcome != "unchanged" and args.verbose:
                    print(f"{outcome}: {url}")
        except ArchiveError as exc:
            print(f"reparsed {summary(outcomes)} -> {args.db}", flush=True)
            raise CommandFailed(f"reparse stopped: {exc}") from None
    print(f"reparsed {summary(outcomes)} -> {args.db}", flush=True)
    return 1 if outcomes["unreadable"] else 0


def _known_sources() -> set[str]:
    from crawler.sources import registry

    return set(registry())


# --- serve and demo ---------------------------------------------------------------------------------------


def cmd_serve(args: argparse.Namespace) -> int:
    from archive.serve import serve
    from archive.store import ArchiveError

    if not Path(args.db).is_file():
        raise UserError(
            f"no archive at {args.db}: crawl first (foodnews crawl cfsn --db {args.db}) or run the demo"
        )
    _check_address(args.host, args.port)
    try:
        serve(args.db, host=args.host, port=args.port, live=args.live)
    except ArchiveError as exc:
        raise UserError(f"cannot serve {args.db}: {exc}") from None
    return 0


def _port(value: str) -> int:
    """A TCP port number, for argparse."""
    if not value.isdigit() or not 1 <= int(value) <= 65535:
        raise argparse.ArgumentTypeError(f"a port is a number from 1 to 65535, not {value!r}")
    return int(value)


def _check_address(host: str, port: int) -> None:
    """Fail in one line, before anything is printed as served, when ``host:port`` cannot be listened on."""
    import socket

    try:
        with socket.create_server((host, port)):
            pass
    except OSError as exc:
        raise UserError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def cmd_sources(args: argparse.Namespace) -> int:
    """One line per source: slug, spider, level and region, name, home page."""
    from crawler.sources import registry

    for source in registry().values():
        where = " ".join(p for p in (source.level, source.region) if p)
        print("\t".join([source.slug, source.spider, where or "-", source.name, source.homepage]))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from crawler.demo.server import ReplayServer, demo_spiders

    if not args.no_serve:
        _check_address(args.host, args.port)
    site = Path(args.replay_site) if args.replay_site else None
    if site is not None and not site.is_dir():
        raise UserError(f"--replay-site: {site} is not a folder")
    try:
        replay = ReplayServer(site, port=args.replay_port)
    except OSError as exc:
        raise UserError(
            f"cannot serve the replay site on 127.0.0.1:{args.replay_port}: {exc.strerror}; "
            "choose another --replay-port"
        ) from None
    # The crawl asks the replay for the real sites' URLs (crawler/replay.py) and stores those: a run on any
    # port finds the same articles.
    spiders = demo_spiders()
    with replay:
        print(f"replay of the sources' sites at {replay.base_url}/ ({', '.join(spiders)})")
        all_stats = run_crawls(
            {spider: {"start_urls": ",".join(replay.start_urls(spider))} for spider in spiders},
            args.db,
            _progress(
                {
                    "FOODNEWS_REPLAY": replay.base_url,
                    "DOWNLOAD_DELAY": 0,
                    "AUTOTHROTTLE_ENABLED": False,
                    "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
                    "LOG_LEVEL": os.environ.get("FOODNEWS_LOG_LEVEL", "WARNING"),
                }
            ),
        )
        _report(all_stats, args.db)
        if args.no_serve:
            return 0
        from archive.serve import serve

        serve(args.db, host=args.host, port=args.port)
    return 0


# --- main -------------------------------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line, like every other error of the command."""

    def error(self, message: str) -> Any:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="foodnews",
        description="foodnews: crawl food-safety news, extract saved pages, import items, serve the archive.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("crawl", help="crawl a source into the archive")
    p.add_argument(
        "spider",
        nargs="?",
        help="the spider: cfsn, samr, govcn or fsa_uk (foodnews sources lists their sources)",
    )
    p.add_argument("--all", action="store_true", help="every spider, side by side in one process")
    p.add_argument("--db", default=os.environ.get("FOODNEWS_DB", DEFAULT_DB), help="archive file")
    p.add_argument(
        "-a",
        "--arg",
        action="append",
        metavar="NAME=VALUE",
        help="a spider argument: start_urls=URL,URL or max_pages=N",
    )
    p.add_argument("-s", "--set", action="append", metavar="NAME=VALUE", help="a Scrapy setting")
    p.set_defaults(func=cmd_crawl)

    p = sub.add_parser("sources", help="list the sources, one line each")
    p.set_defaults(func=cmd_sources)

    p = sub.add_parser("extract", help="parse saved pages and print one JSON object per file")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--url", help="the page's original URL (routes to the source's parser)")
    group.add_argument(
        "--urls", metavar="MAP.json", help="JSON object: file name (with or without extension) -> URL"
    )
    p.add_argument("files", nargs="+", metavar="FILE")
    p.set_defaults(func=cmd_extract)

    p = sub.add_parser("import", help="load items (JSON Lines) into the archive")
    p.add_argument("file", metavar="FILE.jsonl")
    p.add_argument("--strict", action="store_true", help="stop at the first bad line")
    p.add_argument("--db", default=os.environ.get("FOODNEWS_DB", DEFAULT_DB), help="archive file")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("warc", help="write the response an article was stored from, as the server sent it")
    p.add_argument("article", help="the article's id, URL or canonical URL")
    p.add_argument("--db", default=os.environ.get("FOODNEWS_DB", DEFAULT_DB), help="archive file")
    p.add_argument("--revision", type=int, metavar="N", help="the response revision N was stored from")
    p.add_argument("--body", action="store_true", help="only the body, decoded (Content-Encoding undone)")
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of standard output")
    p.set_defaults(func=cmd_warc)

    p = sub.add_parser("reparse", help="extract the stored articles again from their WARC records")
    p.add_argument("--db", default=os.environ.get("FOODNEWS_DB", DEFAULT_DB), help="archive file")
    p.add_argument("--source", metavar="SLUG", help="only this source's articles")
    p.add_argument("-v", "--verbose", action="store_true", help="name each article that changed")
    p.set_defaults(func=cmd_reparse)

    for name, default_db, func, helptext in (
        ("serve", os.environ.get("FOODNEWS_DB", DEFAULT_DB), cmd_serve, "serve the archive with Datasette"),
        ("demo", DEMO_DB, cmd_demo, "crawl the built-in offline replay site, then serve the archive"),
    ):
        p = sub.add_parser(name, help=helptext)
        p.add_argument(
            "--db", default=default_db, help="archive file (its name is the database's name in URLs)"
        )
        p.add_argument("--host", default="127.0.0.1")
        p.add_argument("--port", type=_port, default=8001)
        if name == "serve":
            p.add_argument(
                "--live",
                action="store_true",
                help="serve an archive that a crawl is writing to (read-only, but not immutable)",
            )
        if name == "demo":
            p.add_argument(
                "--no-serve", action="store_true", help="crawl and write the archive, do not serve"
            )
            p.add_argument("--replay-port", type=_port, default=8780, help="port of the local replay site")
            p.add_argument(
                "--replay-site",
                metavar="DIR",
                help="serve this copy of crawler/demo/site instead (to see what a changed template does)",
            )
        p.set_defaults(func=func)
    return parser


def _check_db_folder(args: argparse.Namespace) -> None:
    """A ``--db`` in a folder that does not exist is a mistake (a typo, an unmounted disk), not a folder to
    create; only the built-in default paths (``data/...``) are created when missing."""
    db = getattr(args, "db", None)
    if not db or db in (DEFAULT_DB, DEMO_DB):
        return
    folder = Path(db).parent
    if not folder.is_dir():
        raise UserError(f"--db {db}: the folder {folder} does not exist (create it, or give another path)")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``foodnews`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        _check_db_folder(args)
        return int(args.func(args) or 0)
    except UserError as exc:
        print(f"foodnews: error: {exc}", file=sys.stderr)
        return 2
    except CommandFailed as exc:
        print(f"foodnews: error: {exc}", file=sys.stderr)
        return exc.status
    except KeyboardInterrupt:
        print("foodnews: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
