"""Article pages of the State Administration for Market Regulation (www.samr.gov.cn): notices and news.

The body container ``div.zt_xilan_07`` is from other crawlers' code (sites-cn.md §2); the headline and the
info line under it (``Three_xilan_01``/``_02``) are modelled on the JPAAS template family, neither checked
against a live page. The generic engine fills whatever they do not find, the government meta block
(ArticleTitle, PubDate, ContentSource) first.
"""

from __future__ import annotations

import re

from crawler.extract import SiteRules
from crawler.parsers import site_parser

SLUG = "samr"

RULES = SiteRules(
    title="div.Three_xilan_01 h1",
    published="div.Three_xilan_02 .pubtime",
    organization="div.Three_xilan_02 .source",
    body="div.zt_xilan_07",
)

#: Articles: JPAAS ``/art/YYYY/art_<32 hex>.html`` (notices and news since 2021), and the 2018–22 TRS
#: pages of gkml.samr.gov.cn (``t<YYYYMMDD>_<id>.html``).
ARTICLE_URL = re.compile(r"/art/\d{4}/art_[0-9a-f]{32}\.html$|/t\d{8}_\d+\.s?html$")


parse_article = site_parser(SLUG, RULES)
