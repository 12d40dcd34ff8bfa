"""Article pages of China Food Safety Network (www.cfsn.cn), current and pre-2021 templates.

The selectors follow the structure notes in the project's research (``/news/detail/<col>/<id>.html`` and
``/front/web/site.newshow?...``); the generic engine fills whatever they do not find.
"""

from __future__ import annotations

import re

from crawler.extract import SiteRules
from crawler.parsers import site_parser

SLUG = "cfsn"

RULES = SiteRules(
    title="h1.detail-title, div.newShow h2.title",
    published="div.detail-info .time, div.newShow div.msg > div",
    organization="div.detail-info .source, div.newShow div.msg span",
    authors="div.detail-info .author",
    editor="div.detail-editor",
    body="div.detail-content, div.newShow div.content",
)

ARTICLE_URL = re.compile(r"/news/detail/\d+/\d+\.html|/front/web/site\.(?:newshow|shengnewshow)\?")
LIST_URL = re.compile(r"/news/\d+\.html|/front/web/site\.(?:hangye|tjbwlist)\?")


parse_article = site_parser(SLUG, RULES)
