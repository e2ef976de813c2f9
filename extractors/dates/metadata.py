"""Dates from a page's metadata: the JSON-LD of its main entity and its <meta> tags
(article:*, DC/dcterms, name="date", itemprop …). Invisible to a reader, so graded lower.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator

import lxml.html

from extractors.dates.claims import (
    CONFIDENCE,
    MODIFIED,
    PUBLISHED,
    SOURCE_JSON_LD,
    SOURCE_META,
    make_claim,
)
from extractors.dates.grammar import (
    parse_machine_date,
)
from extractors.records import DateClaim
from extractors.text.html_tree import (
    has_noise_ancestor,
)

# ---------------------------------------------------------------------------------------------
# Heuristic 1: JSON-LD of the main entity

_ARTICLE_TYPES = frozenset(
    {
        "article",
        "newsarticle",
        "blogposting",
        "reportagenewsarticle",
        "analysisnewsarticle",
        "backgroundnewsarticle",
        "opinionnewsarticle",
        "reviewnewsarticle",
        "report",
        "scholarlyarticle",
        "techarticle",
        "socialmediaposting",
        "liveblogposting",
        "posting",
        "pressrelease",
        "digitaldocument",
    }
)
_PAGE_TYPES = frozenset(
    {
        "webpage",
        "itempage",
        "aboutpage",
        "faqpage",
        "qapage",
        "collectionpage",
        "contactpage",
        "medicalwebpage",
        "profilepage",
    }
)
_TRAILING_COMMA = re.compile(r",\s*([}\]])")
_RECOVER_PUBLISHED = re.compile(r'"datePublished"\s*:\s*"([^"]{4,40})"')
_RECOVER_MODIFIED = re.compile(r'"dateModified"\s*:\s*"([^"]{4,40})"')


def from_json_ld(
    root: lxml.html.HtmlElement, url: str, run_date: dt.date
) -> tuple[DateClaim | None, DateClaim | None, bool]:
    """(published, modified, whether the publication date is that of an Article-type entity)."""
    nodes: list[dict] = []
    broken: list[str] = []
    for script in root.iter("script"):
        if "ld+json" not in (script.get("type") or "").lower():
            continue
        raw = script.text or ""
        data = _load_json_lenient(raw)
        if data is None:
            broken.append(raw)
        else:
            nodes.extend(_main_nodes(data))

    ranked = sorted(
        (node for node in nodes if _node_rank(node) is not None),
        key=lambda node: (_node_rank(node), not _node_matches_url(node, url)),
    )
    published, source_node = _json_ld_claim(ranked, ("datePublished", "dateCreated"), run_date)
    modified, _ = _json_ld_claim(ranked, ("dateModified",), run_date)
    article = source_node is not None and _node_rank(source_node) == 0
    # Malformed JSON-LD (unescaped quotes are common): read just the two keys, trusted less.
    for raw in broken:
        published = published or _recovered_claim(_RECOVER_PUBLISHED, raw, run_date)
        modified = modified or _recovered_claim(_RECOVER_MODIFIED, raw, run_date)
    return published, modified, article


def _load_json_lenient(raw: str) -> object | None:
    text = raw.strip()
    for wrapper in ("<!--", "-->", "//<![CDATA[", "//]]>", "<![CDATA[", "]]>"):
        text = text.replace(wrapper, "")
    text = text.strip().rstrip(";,").strip()
    if not text:
        return None
    for candidate in (text, _TRAILING_COMMA.sub(r"\1", text)):
        try:
            return json.loads(candidate, strict=False)
        except (ValueError, RecursionError):
            continue
    return None


def _main_nodes(data: object) -> Iterator[dict]:
    """Top-level entities and @graph members, plus what they name as mainEntity.

    Deeper nodes (list items, hasPart, publisher …) describe other things.
    """
    pending = data if isinstance(data, list) else [data]
    for item in pending:
        if not isinstance(item, dict):
            continue
        graph = item.get("@graph")
        members = graph if isinstance(graph, list) else [item]
        for member in members:
            if not isinstance(member, dict):
                continue
            yield member
            for key in ("mainEntity", "mainEntityOfPage"):
                inner = member.get(key)
                if isinstance(inner, dict):
                    yield inner


def _node_types(node: dict) -> set[str]:
    raw = node.get("@type")
    values = raw if isinstance(raw, list) else [raw]
    return {str(v).rsplit("/", 1)[-1].rsplit(":", 1)[-1].lower() for v in values if v}


def _node_rank(node: dict) -> int | None:
    types = _node_types(node)
    if types & _ARTICLE_TYPES:
        return 0
    if types & _PAGE_TYPES:
        return 1
    return None


def _node_matches_url(node: dict, url: str) -> bool:
    wanted = url.split("#", 1)[0].rstrip("/")
    for key in ("url", "@id"):
        value = node.get(key)
        if isinstance(value, str) and value.split("#", 1)[0].rstrip("/") == wanted:
            return True
    return False


def _json_ld_claim(
    nodes: list[dict], keys: tuple[str, ...], run_date: dt.date
) -> tuple[DateClaim | None, dict | None]:
    """The first parseable date under `keys` in the ranked nodes, and the node holding it."""
    for node in nodes:
        for key in keys:
            value = node.get(key)
            if isinstance(value, list) and value:
                value = value[0]
            if isinstance(value, dict):
                value = value.get("@value")
            if not isinstance(value, str):
                continue
            parsed = parse_machine_date(value, run_date=run_date)
            if parsed:
                return make_claim(parsed, SOURCE_JSON_LD, CONFIDENCE["json_ld"]), node
    return None, None


def _recovered_claim(pattern: re.Pattern[str], raw: str, run_date: dt.date) -> DateClaim | None:
    match = pattern.search(raw)
    parsed = parse_machine_date(match.group(1), run_date=run_date) if match else None
    return make_claim(parsed, SOURCE_JSON_LD, CONFIDENCE["json_ld_recovered"]) if parsed else None


# ---------------------------------------------------------------------------------------------
# Heuristic 2: meta tags

_META_PUBLISHED_SPECIFIC = frozenset(
    {
        "article:published_time",
        "og:article:published_time",
        "og:published_time",
        "article:published",
        "published_time",
        "datepublished",
        "dc.date.issued",
        "dcterms.issued",
        "dc.date.created",
        "dcterms.created",
        "dc.created",
        "citation_publication_date",
        "citation_date",
        "publication_date",
        "publish_date",
        "publishdate",
        "pubdate",
        "parsely-pub-date",
        "sailthru.date",
        "datecreated",
        "creation_date",
        "release_date",
    }
)
_META_PUBLISHED_GENERIC = frozenset({"date", "dc.date", "dcterms.date", "created", "datum"})
_META_MODIFIED_SPECIFIC = frozenset(
    {
        "article:modified_time",
        "og:article:modified_time",
        "article:updated_time",
        "og:updated_time",
        "updated_time",
        "datemodified",
        "dc.date.modified",
        "dcterms.modified",
        "dc.modified",
        "date.modified",
    }
)
_META_MODIFIED_GENERIC = frozenset(
    {"last-modified", "lastmodified", "last_modified", "modified", "revised", "lastmod"}
)


def from_meta(
    root: lxml.html.HtmlElement, url: str, run_date: dt.date
) -> tuple[DateClaim | None, DateClaim | None]:
    best: dict[str, DateClaim] = {}
    head = root.find("head")
    metas = list(head.iter("meta")) if head is not None else []
    # Microdata <meta itemprop> in the body counts only outside chrome and teaser lists.
    metas += [
        m
        for m in root.iter("meta")
        if m.get("itemprop") and (head is None or head not in m.iterancestors())
        if not has_noise_ancestor(m) and not _inside_listing(m) and not in_other_item(m)
    ]
    for meta in metas:
        key = (
            meta.get("property")
            or meta.get("name")
            or meta.get("itemprop")
            or meta.get("http-equiv")
            or ""
        )
        key = key.strip().lower()
        content = meta.get("content") or meta.get("datetime") or ""
        for kind, specific, generic in (
            (PUBLISHED, _META_PUBLISHED_SPECIFIC, _META_PUBLISHED_GENERIC),
            (MODIFIED, _META_MODIFIED_SPECIFIC, _META_MODIFIED_GENERIC),
        ):
            if key not in specific and key not in generic:
                continue
            parsed = parse_machine_date(content, run_date=run_date)
            if parsed is None:
                continue
            # A generic date equal to "today" is usually the CMS stamping its render time.
            if key in generic and parsed.value >= run_date:
                continue
            trust = CONFIDENCE["meta_specific" if key in specific else "meta_generic"]
            claim = make_claim(parsed, SOURCE_META, trust)
            if kind not in best or claim.confidence > best[kind].confidence:
                best[kind] = claim
    return best.get(PUBLISHED), best.get(MODIFIED)


def _inside_listing(element: lxml.html.HtmlElement) -> bool:
    """Inside one of several sibling <article>s or an ItemList: a listing, not the page."""
    for ancestor in element.iterancestors():
        if "itemlist" in (ancestor.get("itemtype") or "").lower():
            return True
        if ancestor.tag == "article":
            parent = ancestor.getparent()
            if parent is not None and len(parent.findall("article")) > 1:
                return True
    return False


# Microdata item types that are a part of the page or something it mentions, not the page: a
# date inside one is that item's (a guest review's "datePublished", a comment's, an offer's
# validity, an event's start, an embedded video's upload).
_OTHER_ITEM_TYPES = frozenset(
    {
        "review",
        "comment",
        "usercomments",
        "answer",
        "rating",
        "aggregaterating",
        "offer",
        "aggregateoffer",
        "person",
        "organization",
        "listitem",
        "itemlist",
        "videoobject",
        "audioobject",
        "imageobject",
        "mediaobject",
    }
)


def in_other_item(element: lxml.html.HtmlElement) -> bool:
    """The nearest microdata item around `element` is a review,
    comment, offer, event … rather than the page or its article: an `itemprop` date there
    belongs to that item."""
    for candidate in element.iterancestors():
        if candidate.get("itemscope") is None and not candidate.get("itemtype"):
            continue
        types = {
            value.rstrip("/").rsplit("/", 1)[-1].lower()
            for value in (candidate.get("itemtype") or "").split()
        }
        return bool(types & _OTHER_ITEM_TYPES) or any(t.endswith("event") for t in types)
    return False
