"""Article pages of the market-supervision bureaus: the common government CMS templates, or a bureau's own.

The bureaus' sites are built on a few CMS families (sites-cn.md §3, seen on saved pages of other government
sites, not on these bureaus' own): Hanweb 大汉 JCMS (``/art/YYYY/M/D/art_<col>_<id>.html``, headline
``p.con-title``, body ``div#zoom``), TRS WCM (``/<col>/YYYYMM/t<YYYYMMDD>_<id>.html``, body
``div.TRS_Editor``) and JPAAS (``/art/YYYY/art_<32 hex>.html``, as SAMR's). A page is read with the rules
of its family, known by its URL, or with its bureau's own rules (``options.rules`` in ``govcn.yaml``); the
generic engine fills what they do not find (the standard meta block, the 发布日期/信息来源 line).
"""

from __future__ import annotations

import re

from crawler import sources
from crawler.extract import SiteRules, extract
from crawler.items import Article, Reject

#: The CMS families, by the URL pattern of their article pages, with the rules of their templates.
TEMPLATES: dict[str, tuple[re.Pattern[str], SiteRules]] = {
    "hanweb": (
        re.compile(r"/art/\d{4}/\d{1,2}/\d{1,2}/art_\d+_\d+\.html$"),
        SiteRules(title="p.con-title, div.con-title", body="div#zoom"),
    ),
    "trs": (
        re.compile(r"/t\d{8}_\d+\.s?html$"),
        SiteRules(
            title="div.detail-article-title h2, div.article-title h1",
            body="div.TRS_Editor, div.TRS_UEDITOR",
        ),
    ),
    "jpaas": (
        re.compile(r"/art/\d{4}/art_[0-9a-f]{32}\.html$"),
        SiteRules(title="div.Three_xilan_01 h1", body="div.zt_xilan_07, div#zoom"),
    ),
    "content": (re.compile(r"/content/(?:[\w-]+/)*[\w-]+\.s?html$"), SiteRules()),
}


def template_of(url: str) -> str | None:
    """The CMS family an article URL belongs to, or None."""
    return next((name for name, (pattern, _) in TEMPLATES.items() if pattern.search(url)), None)


def rules_for(url: str, source: sources.Source | None) -> SiteRules:
    """The bureau's own rules, else its page's CMS family's, else none (the engine alone)."""
    own = (source.options.get("rules") if source else None) or None
    if own:
        return SiteRules(**own)
    family = template_of(url)
    return TEMPLATES[family][1] if family else SiteRules()


def parse_article(
    body: bytes | str,
    url: str,
    *,
    content_type: str | None = None,
    fetched_at: str | None = None,
    http_status: int | None = None,
    source: str | None = None,
) -> Article | Reject:
    """One bureau's article page → an `Article` whose source is the bureau (``source``, else the bureau
    whose host the URL is on), or a `Reject` with the reason."""
    bureau = sources.source(source) if source else sources.for_url(url)
    return extract(
        body,
        url,
        source=bureau.slug if bureau else "govcn",
        content_type=content_type,
        rules=rules_for(url, bureau),
        fetched_at=fetched_at,
        http_status=http_status,
    )
