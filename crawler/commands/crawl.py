"""``scrapy crawl`` whose exit status says whether the run failed, as ``foodnews crawl``'s does.

Scrapy's own command exits 0 whenever the engine started, so a run that missed its source's expectations or
could not store its items would look like a success to cron, systemd or Scrapyd. This command runs the same
crawl, then judges its stats as ``foodnews crawl`` does: the failure in one ``foodnews: error:`` line on
standard error and exit status 1 (75 when another process was crawling the source).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.exceptions import UsageError

if TYPE_CHECKING:
    import argparse


class Command(ScrapyCrawl):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        from crawler.cli import CommandFailed, _check_run

        if len(args) != 1:
            raise UsageError("name one spider")
        assert self.crawler_process
        crawler = self._create_crawler(args[0])
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed:
            self.exitcode = 1
            return
        assert crawler.stats is not None
        try:
            self.exitcode = _check_run(crawler.stats.get_stats())
        except CommandFailed as exc:
            print(f"foodnews: error: {exc}", file=sys.stderr)
            self.exitcode = exc.status
