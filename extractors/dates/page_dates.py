"""When was a page published, and when was it last changed?

Published: a vote among heuristics, each naming the day it reads as the publication date:

    json_ld        datePublished of the page's main entity (not an Organization or WebSite)
    meta           article:published_time, DC.date.issued, date …
    content        <time>, a "Veröffentlicht am"-style cue or a class="date" element inside
                   the page's own content (chrome, teaser and event lists excluded)
    byline         a date on its own short line just below the page's <h1> (or opening the
                   line right above it)
    url            /2015/11/03/, /20151103/, /03-11-2015, /03112015- in the URL path
    htmldate       htmldate on the whole page (extensive search, original date) — asked only
                   when the others elect nothing

Votes on the same day add up, a day also *written* in the page's visible text ("3. November
2015", "03.11.2015", "Nov 3, 2015" …) gains most, and a day our own heuristics back beats one
only htmldate backs. The winner must be evidenced, i.e. something a reader can see: a <time>,
cue or byline in the content, the URL, or the day written in the text. A date living only in
invisible metadata (Yoast/TYPO3 `WebPage` JSON-LD, `DC.date`, `article:published_time`) is
not claimed as a publication date; a date only htmldate finds counts when it is written as a
label (not after "Stand:", "Termin", "bis" …, not only inside sentences) in the upper half of
the page or inside the content region. Last resorts: an Article-type JSON-LD entity with an
update after its publication, an Article-type entity's datePublished that htmldate also
arrives at (htmldate reads the same JSON-LD, so this is a consistency check, not independent
evidence: +9 correct, +4 dates on undated pages on the gold sets), and a month in the URL
path (/2015/11/). A day in the URL path overrules an elected day more than a year later
(metadata and <time> stamps move when a CMS re-saves or migrates a page; the path does not).

Why: on the shared gold sets (benchmarks/eval_extraction.py) annotators judged 123 pages
undated that htmldate dates 121 of; most of those dates are CMS metadata or chrome. Trusting
invisible metadata would add about as many wrong dates as right ones there.

Modified: a cascade ordered by trust (JSON-LD dateModified → meta → <time>/"Stand:" in the
content → HTTP Last-Modified). A modification date may come from metadata alone: the CMS's
record of the last change is exactly what a staleness check needs, and it claims nothing
about publication.

Never taken as a date: copyright lines, cookie/consent banners, navigation, page
header/footer, sidebars, teaser and news lists, event listings, the <time> of an embedded
social media post, a date after "vom" that only htmldate finds ("Satzung vom 03.11.2015": the
bylaw's date), anything after the run date or before 1995, a bare date in running text. Every
claim carries its source and a confidence (0..1): more when heuristics agree or the day is
shown, less when it is not.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import htmldate
import lxml.html

from extractors.dates.grammar import (
    MIN_PLAUSIBLE_YEAR,
    MONTH_PATTERN,
    ParsedDate,
    find_full_date,
    first_written_position,
    is_plausible,
    parse_date_text,
    parse_machine_date,
    plausible_date,
    written_spans,
)
from extractors.records import DateClaim
from extractors.text.html_tree import (
    class_names,
    content_region,
    has_noise_ancestor,
    join_blocks,
    parse_html,
    readable_text,
    visible_text,
    walk_content,
)

# Re-exported: older callers import the tree and grammar helpers from here.
__all__ = [
    "CONFIDENCE",
    "MIN_PLAUSIBLE_YEAR",
    "SOURCE_HTTP_HEADER",
    "SOURCE_JSON_LD",
    "SOURCE_META",
    "SOURCE_TIME_ELEMENT",
    "SOURCE_URL",
    "SOURCE_VISIBLE_TEXT",
    "ParsedDate",
    "claim_from_http_header",
    "claim_from_url",
    "content_region",
    "find_dates",
    "find_dates_in_tree",
    "find_text_dates",
    "is_plausible",
    "make_claim",
    "parse_date_text",
    "parse_html",
    "parse_machine_date",
    "readable_text",
    "reconcile",
]

SOURCE_JSON_LD = "json_ld"
SOURCE_META = "meta"
SOURCE_TIME_ELEMENT = "time_element"
SOURCE_VISIBLE_TEXT = "visible_text"
SOURCE_URL = "url"
SOURCE_HTTP_HEADER = "http_header"

# htmldate logs its search at DEBUG/INFO and parse trouble at WARNING; none of it is news here.
logging.getLogger("htmldate").setLevel(logging.CRITICAL)

# How much each source is trusted (0..1). A month-only or year-only date costs extra.
CONFIDENCE = {
    "json_ld": 0.9,
    "json_ld_recovered": 0.7,  # regex over JSON-LD that did not parse
    "meta_specific": 0.85,  # article:published_time, DC.date.issued …
    "meta_generic": 0.6,  # name="date", name="last-modified" …
    "time_itemprop": 0.75,
    "time_element": 0.65,
    "visible_cue": 0.6,
    "visible_date_class": 0.45,
    "visible_byline": 0.55,  # a date on its own line just below the page's <h1>
    "url": 0.5,
    "htmldate_page": 0.4,  # htmldate (extensive search) over the whole page
    "http_header": 0.2,
}
_PRECISION_PENALTY = {"day": 0.0, "month": 0.1, "year": 0.25}

PUBLISHED = "published"
MODIFIED = "modified"


# ---------------------------------------------------------------------------------------------
# Public entry points


def find_dates(
    html: str, *, url: str, last_modified: str | None, run_date: dt.date
) -> tuple[DateClaim | None, DateClaim | None]:
    """(published, modified) claims for an HTML page; either is None when nothing credible."""
    return find_dates_in_tree(
        parse_html(html), url=url, last_modified=last_modified, run_date=run_date
    )


def find_dates_in_tree(
    root: lxml.html.HtmlElement | None,
    *,
    url: str,
    last_modified: str | None,
    run_date: dt.date,
    region: tuple[lxml.html.HtmlElement, bool] | None = None,
) -> tuple[DateClaim | None, DateClaim | None]:
    """Like `find_dates`, on an already parsed tree (None: only URL and header are used).
    `region`: `content_region(root)` when the caller has it already."""
    url_claim = claim_from_url(url, run_date)
    header_claim = claim_from_http_header(last_modified, run_date)
    if root is None:
        return reconcile(url_claim, header_claim)

    json_published, json_modified, json_article = _from_json_ld(root, url, run_date)
    meta_published, meta_modified = _from_meta(root, url, run_date)
    content_published, content_modified, region_text = _from_content(
        root, url, run_date, region or content_region(root)
    )
    seen = _SeenText(visible_text(root), region_text)
    votes = [
        _Vote(json_published, "json_ld", shown=False),
        _Vote(meta_published, "meta", shown=False),
        _Vote(content_published, "content", shown=True),
        _Vote(_from_byline(root, seen, run_date), "byline", shown=True),
        _Vote(url_claim, "url", shown=True),
    ]
    published = _elect_published(votes, seen)
    if published is None:
        # htmldate only where our own heuristics find nothing a reader can see: it is the
        # costliest heuristic, and asking it on every page gained nothing on the gold sets.
        htmldate_claim = _from_htmldate_on_page(root, url, run_date)
        votes.append(_Vote(htmldate_claim, "htmldate_page", False))
        published = (
            _elect_published(votes, seen)
            or _declared_article_date(json_published, json_modified, json_article)
            or _confirmed_article_date(json_published, json_article, htmldate_claim)
            or _month_fallback(votes)
        )
    published = _url_day_over_later_date(published, url_claim)
    modified = json_modified or meta_modified or content_modified or header_claim
    return reconcile(published, modified)


def reconcile(
    published: DateClaim | None, modified: DateClaim | None
) -> tuple[DateClaim | None, DateClaim | None]:
    """A page cannot change before it appears: on conflict keep the more trusted claim."""
    if published and modified and published.value > modified.value:
        if (published.value - modified.value).days <= 1:
            # A day apart: one stamp in UTC, the other local ("2019-01-01" on the page,
            # "2018-12-31T23:30Z" in the metadata); the page shows the published day.
            return published, None
        if modified.confidence > published.confidence:
            return None, modified
        return published, None
    return published, modified


def find_text_dates(
    text: str, *, run_date: dt.date, confidence: float = CONFIDENCE["visible_cue"]
) -> tuple[DateClaim | None, DateClaim | None]:
    """(published, modified) from cue phrases in plain text ("Stand: 03.11.2015" …).

    Used on an HTML page's own content and on the first page of a PDF.
    """
    published: DateClaim | None = None
    modified: DateClaim | None = None
    for match in _CUE.finditer(text):
        kind = MODIFIED if match.group("modified") else PUBLISHED
        if (kind == MODIFIED and modified) or (kind == PUBLISHED and published):
            continue
        if _COPYRIGHT.search(text[max(0, match.start() - 20) : match.start()]):
            continue
        parsed = _date_after_cue(text, match.end(), run_date)
        if parsed is None:
            continue
        claim = make_claim(parsed, SOURCE_VISIBLE_TEXT, confidence)
        if kind == MODIFIED:
            modified = claim
        else:
            published = claim
        if published and modified:
            break
    if published is None or modified is None:
        late_published, late_modified = _dates_before_cue(text, run_date, confidence)
        published = published or late_published
        modified = modified or late_modified
    return published, modified


# The cue after the date, as German and English sentences put it: "Dieser Artikel wurde am
# 14. Dezember 2015 um 14:48 von Heiner geschrieben", "Diese Seite wurde zuletzt am 29. Januar
# 2020 um 13:22 Uhr geändert", "This page was last edited on 10 November 2019".
_DATE_THEN_CUE = re.compile(
    r"\b(?:wurde|was|has\s+been)\s+(?P<last>zuletzt\s+|last\s+)?"
    r"(?:(?P<verb>edited|modified|updated|published|posted)\s+)?(?:am|on)\s+",
    re.IGNORECASE,
)
_PARTICIPLE = re.compile(
    r"\b(?:(?P<modified>geändert|aktualisiert|bearbeitet|überarbeitet)"
    r"|(?P<published>veröffentlicht|geschrieben|erstellt|publiziert|verfasst|eingestellt))\b",
    re.IGNORECASE,
)
_PARTICIPLE_WINDOW = 80


def _dates_before_cue(
    text: str, run_date: dt.date, confidence: float
) -> tuple[DateClaim | None, DateClaim | None]:
    published: DateClaim | None = None
    modified: DateClaim | None = None
    for match in _DATE_THEN_CUE.finditer(text):
        found = find_full_date(text[match.end() : match.end() + 40], run_date=run_date)
        if found is None or found[0] != 0:
            continue
        _, end, parsed = found
        rest = text[match.end() + end : match.end() + end + _PARTICIPLE_WINDOW]
        rest = re.split(r"[.!?\n]", rest, maxsplit=1)[0]
        verb = (match.group("verb") or "").lower()
        participle = _PARTICIPLE.search(rest)
        if match.group("last") or verb in {"edited", "modified", "updated"}:
            kind = MODIFIED
        elif verb:
            kind = PUBLISHED
        elif participle:
            kind = MODIFIED if participle.group("modified") else PUBLISHED
        else:
            continue  # "wurde am 03.11.2015 eröffnet": an event
        claim = make_claim(parsed, SOURCE_VISIBLE_TEXT, confidence)
        if kind == MODIFIED:
            modified = modified or claim
        else:
            published = published or claim
    return published, modified


# ---------------------------------------------------------------------------------------------
# The publication-date vote

# Weight of each heuristic's vote, and of the day being written in the visible text. Set on
# the even half of the htmldate gold set (stable hash of the URL) and checked on the odd half
# and on the trafilatura set: htmldate on the whole page is the strongest single voter, a
# day written on the page the strongest corroboration, the URL path (day precision) a strong
# independent one.
_VOTE_WEIGHT = {
    "json_ld": 1.0,
    "meta": 1.0,
    "content": 1.0,
    "byline": 1.0,
    "url": 1.5,
    "htmldate_page": 2.0,
}
_WRITTEN_WEIGHT = 2.0
# A day only htmldate finds must be written in this leading share of the visible text (or
# inside the content region).
_HTMLDATE_ONLY_MAX_POSITION = 0.5
# A publication date nobody can see on the page is trusted less.
_UNSEEN_PENALTY = 0.3
# Reported source when several heuristics agree: the most specific one.
_SOURCE_ORDER = ("json_ld", "meta", "content", "byline", "url", "htmldate_page")


@dataclass(frozen=True, slots=True)
class _Vote:
    """One heuristic's publication date. `shown`: read from what a reader sees."""

    claim: DateClaim | None
    heuristic: str
    shown: bool


@dataclass(frozen=True, slots=True)
class _SeenText:
    """What a reader sees: all visible text of the page, and that of its content region.

    Where a day is written is remembered: the vote asks again once htmldate has voted, and
    each search is a long regular expression over the whole text.
    """

    page: str
    region: str
    _positions: dict[dt.date, int | None] = field(default_factory=dict, compare=False, repr=False)

    def first_position(self, day: dt.date) -> int | None:
        """`first_written_position(self.page, day)`."""
        if day not in self._positions:
            self._positions[day] = first_written_position(self.page, day)
        return self._positions[day]


# Share of letters outside the Latin script above which a page's dates are in forms we cannot
# read (Arabic, Persian, Japanese, Hebrew …): there agreement of two heuristics must do.
_UNREADABLE_SCRIPT_SHARE = 0.5
_SCRIPT_SAMPLE_CHARS = 5000


def _elect_published(votes: list[_Vote], seen: _SeenText) -> DateClaim | None:
    """The best-supported publication day a reader could see, or None."""
    by_day: dict[dt.date, list[_Vote]] = {}
    for vote in votes:
        # A claim guessed from a month (/2015/11/) is no day to vote for.
        if vote.claim is not None and not _is_month_precision(vote):
            by_day.setdefault(vote.claim.value, []).append(vote)

    best: tuple[tuple[int, float, int], dt.date, bool] | None = None
    for day, supporters in by_day.items():
        heuristics = {vote.heuristic for vote in supporters}
        position = seen.first_position(day)
        written = position is not None
        if not _evidenced(day, supporters, position, seen):
            continue
        ours = bool(heuristics - {"htmldate_page"})
        score = sum(_VOTE_WEIGHT[h] for h in heuristics) + (_WRITTEN_WEIGHT if written else 0.0)
        # A day our own heuristics back beats one only htmldate backs; then the score; ties
        # go to the earlier day (a date too late makes a stale page look fresh).
        key = (int(ours), score, -day.toordinal())
        if best is None or key > best[0]:
            best = (key, day, written)
    if best is None:
        return None
    _, day, written = best
    return _merged_claim(by_day[day], written=written)


def _evidenced(
    day: dt.date, supporters: list[_Vote], position: int | None, seen: _SeenText
) -> bool:
    """Could a reader see this day as the page's date?"""
    heuristics = {vote.heuristic for vote in supporters}
    if any(vote.shown for vote in supporters):
        return True  # a <time> or cue in the content, the byline, the URL path
    if position is None:
        # Invisible metadata or a guess — unless the page's script defeats our reading and
        # two heuristics agree.
        return len(heuristics) >= 2 and _mostly_unreadable_script(seen.page)
    if heuristics - {"htmldate_page"}:
        return True  # metadata confirmed by the visible text
    # htmldate alone: written as a label, not after a modification cue or a word giving it
    # another meaning, not only inside sentences of the content ("wurde am 03.11.2015
    # eröffnet" is an event), and high up or inside the content region (lower down are
    # comments, "related" lists and footers).
    labels = [start for start, end in written_spans(seen.page, day) if _is_label(seen.page, start)]
    if not labels:
        return False
    in_region = [
        _in_sentence(seen.region, start, end) for start, end in written_spans(seen.region, day)
    ]
    if in_region and all(in_region):
        return False
    return labels[0] <= _HTMLDATE_ONLY_MAX_POSITION * len(seen.page) or bool(in_region)


def _is_label(text: str, start: int) -> bool:
    """Not after a modification cue ("Stand:" in a consent banner) or a word giving the date
    another meaning (Termin, bis, Veranstaltung …)."""
    before = text[max(0, start - 30) : start]
    if _REFERENCE_VOM.search(before) and not _has_published_cue(before):
        return False  # "Satzung vom 03.11.2015", "Datensatz vom …": another document's date
    return not (_OTHER_MEANING_VETO.search(before) or _has_modified_cue(before))


# A date right after "vom" names the document or record before it, unless that is the page
# itself ("Pressemitteilung vom", "Meldung vom" … are publication cues).
_REFERENCE_VOM = re.compile(r"\bvom\s*$", re.IGNORECASE)


def _in_sentence(text: str, start: int, end: int) -> bool:
    """The date at text[start:end] stands in a sentence, not as a dateline opening one
    ("27.1.2022 - Bei der Erinnerung an …")."""
    line_start = text.rfind("\n", 0, start) + 1
    line_stop = text.find("\n", end)
    line = text[line_start : line_stop if line_stop >= 0 else len(text)]
    if _is_dateline(line, start - line_start, end - line_start):
        return False
    return _continues_sentence(text, end)


def _continues_sentence(text: str, end: int) -> bool:
    """The date ending at `end` stands in a sentence: its line ends like one and has prose
    words ("Die Anlage wurde am 03.11.2015 eröffnet."), unlike a byline ("Donnerstag,
    15.2.2018, 19:51 > da]v[ax", "Geschrieben von Cooper am 25.08.2015 22:30")."""
    start = text.rfind("\n", 0, end) + 1
    stop = text.find("\n", end)
    line = text[start : stop if stop >= 0 else len(text)].rstrip()
    if not line.endswith((".", "!", "?")):
        return False
    words = _FIRST_WORD.findall(_TIME_WORDS.sub(" ", line))
    prose = [w for w in words if len(w) > 1 and w[0].islower() and w not in _BYLINE_WORDS]
    return len(prose) >= 2


# Letters beyond Latin Extended-B (U+024F), and the Latin ones (ASCII and accented).
_NON_LATIN_LETTERS = re.compile(r"[^\W\d_\u0000-\u024f]")
_LATIN_LETTERS = re.compile(r"[a-zA-Z\u00c0-\u024f]")


def _mostly_unreadable_script(text: str) -> bool:
    sample = text[:_SCRIPT_SAMPLE_CHARS]
    foreign = len(_NON_LATIN_LETTERS.findall(sample))
    latin = len(_LATIN_LETTERS.findall(sample))
    return foreign > _UNREADABLE_SCRIPT_SHARE * (foreign + latin) if foreign else False


def _is_month_precision(vote: _Vote) -> bool:
    """A first-of-month URL claim whose confidence carries the month penalty."""
    claim = vote.claim
    if claim is None or vote.heuristic != "url":
        return False
    return claim.value.day == 1 and claim.confidence < CONFIDENCE["url"]


def _declared_article_date(
    published: DateClaim | None, modified: DateClaim | None, article: bool
) -> DateClaim | None:
    """Last resort: an Article-type JSON-LD entity that records an update after its
    publication ("datePublished" 2015, "dateModified" 2025) declares a publication history,
    unlike the single date CMS templates stamp on every page (for those, publication and
    modification date coincide or the latter is missing)."""
    if not (article and published and modified) or modified.value <= published.value:
        return None
    confidence = CONFIDENCE["json_ld"] - _UNSEEN_PENALTY
    return DateClaim(published.value, published.source, round(confidence, 2))


def _confirmed_article_date(
    published: DateClaim | None, article: bool, htmldate_claim: DateClaim | None
) -> DateClaim | None:
    """Last resort: the datePublished of an Article-type JSON-LD entity (a news item, a blog
    post — not the WebPage stamp every CMS page carries) that htmldate's independent search
    of the whole page also arrives at."""
    if not (article and published and htmldate_claim) or published.value != htmldate_claim.value:
        return None
    return DateClaim(
        published.value, published.source, round(CONFIDENCE["json_ld"] - _UNSEEN_PENALTY, 2)
    )


# More than this between the URL path's day and a later elected day: the page was re-dated.
_URL_DAY_MAX_LAG_DAYS = 365


def _url_day_over_later_date(
    published: DateClaim | None, url_claim: DateClaim | None
) -> DateClaim | None:
    """A day in the URL path (/2017/7/12/) is fixed when the page first appears; metadata and
    <time> stamps move with CMS migrations and re-saves. An elected day more than a year
    later than the URL's day is such a re-stamp: the URL's day is the publication date."""
    # A month-only URL claim (/2015/11/) carries the month penalty: no day to insist on.
    if published is None or url_claim is None or url_claim.confidence < CONFIDENCE["url"]:
        return published
    if (published.value - url_claim.value).days > _URL_DAY_MAX_LAG_DAYS:
        return url_claim
    return published


def _month_fallback(votes: list[_Vote]) -> DateClaim | None:
    """/2015/11/ in the URL, when nothing gives the day: the month is better than nothing."""
    return next((vote.claim for vote in votes if _is_month_precision(vote)), None)


def _merged_claim(supporters: list[_Vote], *, written: bool) -> DateClaim:
    """One claim for the elected day: the most specific source, confidence raised by
    agreement (+0.05 per further heuristic, +0.05 when written on the page)."""
    ranked = sorted(supporters, key=lambda vote: _SOURCE_ORDER.index(vote.heuristic))
    lead = ranked[0].claim
    assert lead is not None
    confidence = max(vote.claim.confidence for vote in supporters if vote.claim is not None)
    confidence += 0.05 * (len({vote.heuristic for vote in supporters}) - 1)
    confidence += 0.05 if written else 0.0
    return DateClaim(lead.value, lead.source, round(min(0.95, confidence), 2))


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


def _from_json_ld(
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


def _from_meta(
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
        if not has_noise_ancestor(m) and not _inside_listing(m)
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


# ---------------------------------------------------------------------------------------------
# Heuristics 3 and 4: <time> and visible text in the page's own content (one walk)

_DATE_CLASS = re.compile(
    r"date|datum|published|pubdate|publish|created|modified|updated|timestamp|posted|erstellt"
    r"|aktualisiert|veroeffentlicht|veröffentlicht"
)
_MODIFIED_HINT = re.compile(r"modif|update|aktualis|geaendert|geändert|stand")


# More distinct dates than this among a region's <time> elements make it a listing
# (comments, schedules, archives), where the first date is not necessarily the page's.
_MAX_TIME_DATES = 3


def _from_content(
    root: lxml.html.HtmlElement,
    url: str,
    run_date: dt.date,
    found: tuple[lxml.html.HtmlElement, bool],
) -> tuple[DateClaim | None, DateClaim | None, str]:
    """(published, modified, chrome-free text of the content region) from one walk."""
    region, explicit = found
    timed: list[tuple[DateClaim, str, bool]] = []  # claim, kind, has itemprop
    hinted: list[DateClaim] = []
    parts: list[str] = []
    for element in walk_content(region, explicit, parts):
        if element.tag == "time" or element.get("itemprop") in {"datePublished", "dateModified"}:
            if _in_embedded_post(element):
                continue
            claim, kind = _time_claim(element, run_date)
            if claim:
                timed.append((claim, kind, bool(element.get("itemprop"))))
        elif _DATE_CLASS.search(class_names(element)):
            claim = _class_hinted_claim(element, run_date)
            if claim:
                hinted.append(claim)

    time_published, time_modified = _pick_time_claims(timed)
    region_text = join_blocks(parts)
    text_published, text_modified = find_text_dates(region_text, run_date=run_date)
    # <span class="date"> counts only when it is the one date so marked (not a list of them).
    class_hinted = hinted[0] if len({c.value for c in hinted}) == 1 else None
    published = time_published or text_published or class_hinted
    return published, time_modified or text_modified, region_text


# Embedded social media posts (Instagram, Twitter/X, TikTok, Facebook) carry the <time> of the
# post quoted, not of the page quoting it.
_EMBEDDED_POST_CLASS = re.compile(r"instagram|twitter|tweet|tiktok|fb-post|facebook", re.IGNORECASE)


def _in_embedded_post(element: lxml.html.HtmlElement) -> bool:
    return any(
        _EMBEDDED_POST_CLASS.search(ancestor.get("class") or "")
        for ancestor in element.iterancestors("blockquote", "div")
    )


def _pick_time_claims(
    timed: list[tuple[DateClaim, str, bool]],
) -> tuple[DateClaim | None, DateClaim | None]:
    """The first <time> of each kind; in a listing only those marked up with itemprop."""
    if len({claim.value for claim, _, _ in timed}) > _MAX_TIME_DATES:
        timed = [entry for entry in timed if entry[2]]
    published = next((claim for claim, kind, _ in timed if kind == PUBLISHED), None)
    modified = next((claim for claim, kind, _ in timed if kind == MODIFIED), None)
    return published, modified


def _time_claim(element: lxml.html.HtmlElement, run_date: dt.date) -> tuple[DateClaim | None, str]:
    itemprop = element.get("itemprop") or ""
    hints = f"{itemprop} {class_names(element)}".lower()
    kind = MODIFIED if _MODIFIED_HINT.search(hints) else PUBLISHED
    value = element.get("datetime") or element.get("content")
    if value:
        parsed = parse_machine_date(value, run_date=run_date)
    else:
        parsed = parse_date_text(element.text_content(), run_date=run_date)
    if parsed is None:
        return None, kind
    trust = CONFIDENCE["time_itemprop" if itemprop else "time_element"]
    return make_claim(parsed, SOURCE_TIME_ELEMENT, trust), kind


def _class_hinted_claim(element: lxml.html.HtmlElement, run_date: dt.date) -> DateClaim | None:
    """<span class="date">03.11.2015</span>: a short element that is nothing but a date."""
    text = " ".join(element.text_content().split())
    if not text or len(text) > 40:
        return None
    parsed = parse_date_text(text, run_date=run_date)
    if parsed is None or parsed.precision != "day":
        return None
    return make_claim(parsed, SOURCE_VISIBLE_TEXT, CONFIDENCE["visible_date_class"])


# ---------------------------------------------------------------------------------------------
# Byline: a date on its own short line just below the page's heading
#
# News and press pages print their date next to the headline ("21.01.2022 – 13:30",
# "Von Max Muster | 3. November 2015"), often in markup with no cue or telling class name.
# Read from the content region's text (chrome, cookie banners, teaser lists already gone):
# the first full date in the few short lines after the <h1>, unless the line is prose ("Er
# stand am 03.11.2015 vor dem Rathaus"), announces something else (Termin, Anmeldung bis …)
# or is a modification date ("Stand:", "aktualisiert").

_BYLINE_LINES = 8
_MAX_BYLINE_CHARS = 120
# Without lines (heading above the content region): this much page text after the heading.
_PAGE_BYLINE_WINDOW = 300
_MIN_HEADING_CHARS = 5
_HEADING_TAIL_CHARS = 4
# After the date: times and time words, then the first word; a lower-case one is prose.
_TIME_WORDS = re.compile(
    r"\d{1,2}[:.]\d{2}(?::\d{2})?|\b(?:uhr|um|am|pm|h|mez|mesz|cet|cest|gmt|utc)\b", re.I
)
_FIRST_WORD = re.compile(r"[^\W\d_]+")
# Lower-case words that follow a date in a byline rather than in a sentence.
_BYLINE_WORDS = frozenset({"von", "by", "in", "par", "por", "de", "di", "door", "av", "from"})


def _from_byline(
    root: lxml.html.HtmlElement, seen: _SeenText, run_date: dt.date
) -> DateClaim | None:
    """The date inside the page's <h1> (a byline the CMS puts there), else below the heading:
    the <h1> the <title> repeats, else the first one; without an <h1> the page's part of the
    <title>. Failing that, a date opening the line right above an <h1>."""
    h1s = _page_headings(root)
    for heading_text in dict.fromkeys(h1s):
        claim = _date_inside_heading(heading_text, run_date)
        if claim:
            return claim
    for heading_text in dict.fromkeys(h1s or [_title_heading(root)]):
        if heading_text:
            claim = _date_below_heading(heading_text, seen, run_date)
            if claim:
                return claim
    for heading_text in dict.fromkeys(h1s):
        claim = _date_above_heading(heading_text, seen, run_date)
        if claim:
            return claim
    return None


# The byline inside the <h1> itself ("Zuschauer kehren zurück 02.02.2022 • Presse"): after a
# title of its own, a date that ends the heading or is followed by a byline separator; not
# one the title announces ("Sitzung vom 03.11.2015", "Fest am …") or a range's end.
_HEADING_BYLINE_END = re.compile(r"^[\s,]*(?:$|[•|·/–—-]\s)")
_HEADING_DATE_ANNOUNCED = re.compile(r"\b(?:am|vom|on|from)\s*$", re.IGNORECASE)


def _date_inside_heading(heading_text: str, run_date: dt.date) -> DateClaim | None:
    found = find_full_date(heading_text, run_date=run_date)
    if found is None:
        return None
    begin, end, parsed = found
    title = heading_text[:begin]
    if len(title.strip()) < _MIN_TITLE_HEADING_CHARS:
        return None
    if not _HEADING_BYLINE_END.match(_TIME_WORDS.sub(" ", heading_text[end:])):
        return None
    if (
        _OTHER_MEANING_VETO.search(title)
        or _has_modified_cue(title)
        or _HEADING_DATE_ANNOUNCED.search(title)
    ):
        return None
    return make_claim(parsed, SOURCE_VISIBLE_TEXT, CONFIDENCE["visible_byline"])


def _date_above_heading(heading_text: str, seen: _SeenText, run_date: dt.date) -> DateClaim | None:
    """A short line opening with a date right above the heading: many news CMSs print the
    date over the headline ("05.02.2020 - Redaktion: Max Muster" / "Faire Lieferketten")."""
    lines = seen.region.split("\n")
    start = next((i for i, line in enumerate(lines) if line.strip() == heading_text), None)
    if not start:
        return None
    line = lines[start - 1]
    found = find_full_date(line, run_date=run_date) if len(line) <= _MAX_BYLINE_CHARS else None
    if found is None or found[0] != 0:
        return None
    _, _, parsed = found
    if _OTHER_MEANING_VETO.search(line) or _COPYRIGHT.search(line) or _has_modified_cue(line):
        return None
    return make_claim(parsed, SOURCE_VISIBLE_TEXT, CONFIDENCE["visible_byline"])


def _date_below_heading(heading_text: str, seen: _SeenText, run_date: dt.date) -> DateClaim | None:
    lines = seen.region.split("\n")
    start = next((i for i, line in enumerate(lines) if heading_text in line), None)
    if start is None:
        start = _headline_line(lines, heading_text)
    if start is not None:
        candidates = lines[start + 1 : start + 1 + _BYLINE_LINES]
    else:
        # The heading stands above the content region (in a page header): the text right
        # after it on the page, which has no lines, as one.
        position = seen.page.find(heading_text)
        if position < 0:
            return None
        # From the heading's last characters: "Wochenbericht 14. – 20. Januar 2022" is a range.
        position += len(heading_text) - _HEADING_TAIL_CHARS
        candidates = [seen.page[position : position + _PAGE_BYLINE_WINDOW]]
    prose = False
    for line in candidates:
        if len(line) > _PAGE_BYLINE_WINDOW or (start is not None and len(line) > _MAX_BYLINE_CHARS):
            prose = True  # the prose has begun: only a dateline may follow (after a lead)
        found = find_full_date(line, run_date=run_date)
        if found is None:
            continue
        begin, end, parsed = found
        if prose and not _is_dateline(line, begin, end):
            return None
        if _OTHER_MEANING_VETO.search(line[:begin]) or _COPYRIGHT.search(line):
            return None
        if _has_modified_cue(line[:begin]):
            return None  # "Aktualisiert: …" below the heading is the modification date
        if not _is_dateline(line, begin, end) and _continues_sentence(line, end):
            return None  # "… am 03.11.2015 vor dem Rathaus": a date in a sentence
        return make_claim(parsed, SOURCE_VISIBLE_TEXT, CONFIDENCE["visible_byline"])
    return None


def _headline_line(lines: list[str], heading_text: str) -> int | None:
    """The line holding the headline part of a "Kicker: Headline" title: the page prints the
    kicker ("Die Arbeitswelt von morgen") and the headline ("Sieben Berufe, die Zukunft
    haben") on lines of their own, the <title> joins them."""
    for i, line in enumerate(lines):
        text = line.strip()
        if len(text) >= _MIN_TITLE_HEADING_CHARS and heading_text.endswith(text):
            return i
    return None


# A news dateline opens the body text: "29.11.2022 – Mehrfach hatte …", "(21. November 2022)
# Energieverbraucher erhalten …", "Karlsruhe, 12.11.2021 - Die …", "Karlsruhe, (12.11.2021).
# Traditionell …".
_DATELINE_BEFORE = re.compile(r"^\(?(?:[A-ZÄÖÜ][\w.\- ]{1,30},\s*\(?)?$")
_DATELINE_AFTER = re.compile(r"^\)?\s*(?:[-–—|]\s|\)\.?\s+[A-ZÄÖÜ])")


def _is_dateline(line: str, begin: int, end: int) -> bool:
    after = _TIME_WORDS.sub(" ", line[end : end + 30]).lstrip(" ,")
    return bool(_DATELINE_BEFORE.match(line[:begin]) and _DATELINE_AFTER.match(after))


# A <title> split into the page's own part and the site's ("Meldung - Stadt Ulm").
_TITLE_SEPARATOR = re.compile(r"\s+[|–—:»-]\s+")
_MIN_TITLE_HEADING_CHARS = 15
_MIN_TITLE_HEADING_WORDS = 3


def _title_heading(root: lxml.html.HtmlElement) -> str | None:
    """Without an <h1>: the longest part of the <title>, when it names the page, not just
    the site."""
    title = " ".join((root.findtext(".//title") or "").split())
    parts = [part for part in _TITLE_SEPARATOR.split(title) if part]
    best = max(parts, key=len, default="")
    if len(best) < _MIN_TITLE_HEADING_CHARS or len(best.split()) < _MIN_TITLE_HEADING_WORDS:
        return None  # a site name ("energieverbraucher.de"), not the page's title
    return best


def _page_headings(root: lxml.html.HtmlElement) -> list[str]:
    """The page's own <h1> outside chrome — the one the <title> repeats first — and the
    first <h1> of the page."""
    title = " ".join((root.findtext(".//title") or "").split()).lower()
    headings = [
        text
        for h in root.iter("h1")
        if not has_noise_ancestor(h)
        for text in [" ".join(h.text_content().split())]
        if len(text) >= _MIN_HEADING_CHARS
    ]
    if not headings:
        return []
    return [next((text for text in headings if text.lower() in title), headings[0]), headings[0]]


# ---------------------------------------------------------------------------------------------
# htmldate as a voter
#
# htmldate finds a date on almost every page, often from chrome (copyright years, sidebars,
# "today" widgets) — so it only ever votes. On the whole page (extensive search, original
# date) it is the best single voter. (A second run in fast mode on a chrome-free copy of the
# content region added 0.2 points of accuracy for 2 ms a page: dropped.)


def _from_htmldate_on_page(
    root: lxml.html.HtmlElement, url: str, run_date: dt.date
) -> DateClaim | None:
    # Given our tree, htmldate copies it before pruning: the tree stays ours, unchanged.
    try:
        found = htmldate.find_date(
            root,
            url=url or None,
            extensive_search=True,
            original_date=True,
            min_date=f"{MIN_PLAUSIBLE_YEAR}-01-01",
            max_date=run_date.isoformat(),
        )
    except Exception:  # a third-party heuristic must not cost us the page
        return None
    parsed = parse_machine_date(found, run_date=run_date) if found else None
    if parsed is None:
        return None
    return make_claim(parsed, SOURCE_VISIBLE_TEXT, CONFIDENCE["htmldate_page"])


# ---------------------------------------------------------------------------------------------
# URL path and HTTP Last-Modified

_URL_DAY = re.compile(r"(?<!\d)((?:19|20)\d{2})([/_-])(\d{1,2})\2(\d{1,2})(?!\d)")
# /20200428/, /news/20220124-foerderung: year, month and day run together (a path segment or
# slug part of its own, not inside a longer ID).
_URL_COMPACT_DAY = re.compile(r"(?<![\dA-Za-z])((?:19|20)\d{2})(\d{2})(\d{2})(?![\dA-Za-z])")
# German order, as municipal and association CMSs write it: /meldungen/29-10-2021,
# /detail/~02-01-2022-land-zahlte, /aktuelles/08112021-online-fachtag.
_URL_GERMAN_DAY = re.compile(
    r"(?<![\dA-Za-z])(\d{1,2})([-_.]?)(\d{1,2})\2((?:19|20)\d{2})(?![\dA-Za-z])"
)
_URL_MONTH = re.compile(r"/((?:19|20)\d{2})/(\d{1,2})/")


def claim_from_url(url: str, run_date: dt.date) -> DateClaim | None:
    try:
        path = urlsplit(url).path
    except ValueError:
        return None
    day_forms = (
        (_URL_DAY, lambda m: (m.group(1), m.group(3), m.group(4))),
        (_URL_COMPACT_DAY, lambda m: (m.group(1), m.group(2), m.group(3))),
        (_URL_GERMAN_DAY, lambda m: (m.group(4), m.group(3), m.group(1))),
    )
    for pattern, year_month_day in day_forms:
        for match in pattern.finditer(path):
            if pattern is _URL_GERMAN_DAY and not match.group(2) and len(match.group(0)) != 8:
                continue  # run together, only as DDMMYYYY: 1122021 is no day
            year, month, day = year_month_day(match)
            parsed = plausible_date(year, month, day, precision="day", run_date=run_date)
            if parsed:
                return make_claim(parsed, SOURCE_URL, CONFIDENCE["url"])
    for match in _URL_MONTH.finditer(path):
        parsed = plausible_date(
            match.group(1), match.group(2), "1", precision="month", run_date=run_date
        )
        if parsed:
            return make_claim(parsed, SOURCE_URL, CONFIDENCE["url"])
    return None


def claim_from_http_header(last_modified: str | None, run_date: dt.date) -> DateClaim | None:
    """Weak: dynamic servers send "now", so a Last-Modified of the run day is ignored."""
    if not last_modified:
        return None
    parsed = parse_machine_date(last_modified, run_date=run_date)
    if parsed is None or parsed.value >= run_date:
        return None
    return make_claim(parsed, SOURCE_HTTP_HEADER, CONFIDENCE["http_header"])


# ---------------------------------------------------------------------------------------------
# Cue phrases in text

# What a date's meaning is announced by. "Stand"/"Datum"/"Date" only capitalised ("stand"
# is also a verb); everything else case-insensitive.
_CUE = re.compile(
    r"\b(?:(?P<modified>(?-i:Stand|STAND)|zuletzt\s+(?:aktualisiert|geändert|bearbeitet)"
    r"|letzte\s+(?:Änderung|Aktualisierung|Bearbeitung)|aktualisiert|geändert\s+am"
    r"|überarbeitet|Änderungsdatum|Aktualisierungsdatum|last\s+(?:updated|modified|update"
    r"|changed)|updated|revised|modified)"
    r"|(?P<published>veröffentlicht|Veröffentlichungsdatum|Erstellungsdatum|Erstelldatum"
    r"|erstellt|publiziert|erschienen|Erscheinungsdatum|(?-i:Datum|DATUM|Date|DATE)"
    r"|(?:Presse)?mitteilung\s+vom|Meldung\s+vom|Artikel\s+vom|Beitrag\s+vom|Nachricht\s+vom"
    r"|published|posted))\b",
    re.IGNORECASE,
)


def _has_modified_cue(text: str) -> bool:
    return any(match.group("modified") for match in _CUE.finditer(text))


def _has_published_cue(text: str) -> bool:
    return any(match.group("published") for match in _CUE.finditer(text))


# Between cue and date: a few words at most ("Stand der Informationen:", "am", "on").
_CUE_GAP = re.compile(
    r"[^\d\n]{0,40}?\n?[^\d\n]{0,25}?(?=\d|\b" + MONTH_PATTERN + ")", re.IGNORECASE
)
# Words that give a date another meaning than "published" or "changed".
_OTHER_MEANING = (
    # "Ende" the word, not nouns ending in -ende ("Alleinerziehende", "Studierende")
    r"veranstalt|termin|sitzung|frist|beginn|\bende\b|öffnung|gültig|\bbis\b|\bab\b|anmeld"
    r"|geburt|ablauf|abgabe|stichtag|event|deadline|until|\bfrom\b|copyright|©"
    # a source cited ("abgerufen am"), a comment or review ("sagt:", "Bewertung vom"), a
    # software version, the end of a range ("9.–23. Februar 2017")
    r"|abgerufen|zugegriffen|accessed|retrieved|\bsagt\b|\bsays\b|\bschrieb\b|\bwrote\b"
    r"|bewertung|\breview|\bversion\b|effective|\d\.?\s*[-–]\s*$"
    # a forum member's registration, a product's release
    r"|registriert|registered|mitglied\s+seit|member\s+since|joined|release"
)
_OTHER_MEANING_VETO = re.compile(_OTHER_MEANING, re.IGNORECASE)
_GAP_VETO = re.compile(
    _OTHER_MEANING + r"|(?-i:[.!?]\s+[A-ZÄÖÜ])",  # a new sentence: the cue was another's
    re.IGNORECASE,
)
_COPYRIGHT = re.compile(r"©|\(c\)|copyright", re.IGNORECASE)


def _date_after_cue(text: str, position: int, run_date: dt.date) -> ParsedDate | None:
    window = text[position : position + 110]
    gap = _CUE_GAP.match(window)
    if gap is None:
        return None
    between = gap.group(0)
    if _GAP_VETO.search(between) or len(between.split()) > 4:
        return None
    return parse_date_text(window[gap.end() :], run_date=run_date)


def make_claim(parsed: ParsedDate, source: str, trust: float) -> DateClaim:
    """A DateClaim whose confidence is the source's trust minus a penalty for vagueness."""
    confidence = round(max(0.05, trust - _PRECISION_PENALTY[parsed.precision]), 2)
    return DateClaim(value=parsed.value, source=source, confidence=confidence)
