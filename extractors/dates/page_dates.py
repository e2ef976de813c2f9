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

The heuristics live beside this module, one concept each: `metadata` (JSON-LD, <meta>),
`content_dates` (<time>, date classes, cues in the content region), `byline` (dates next to
the headline, datelines), `url_dates` (URL path, HTTP header), `cues` (cue phrases and the
words that give a date another meaning); `claims` holds sources, trust and `make_claim`.

Never taken as a date: copyright lines, cookie/consent banners, navigation, page
header/footer, sidebars, teaser and news lists, event listings, the <time> of an embedded
social media post, a microdata date of a review, comment, offer or event item, a day under a
label naming another date ("Effective Date"), a day followed by a schedule's clock times,
a date after "vom" that only htmldate finds ("Satzung vom 03.11.2015": the
bylaw's date), anything after the run date or before 1995, a bare date in running text. Every
claim carries its source and a confidence (0..1): more when heuristics agree or the day is
shown, less when it is not.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
from dataclasses import dataclass

import htmldate
import lxml.html

from extractors.dates.byline import from_byline, in_sentence
from extractors.dates.claims import (
    CONFIDENCE,
    SOURCE_VISIBLE_TEXT,
    PageDates,
    SeenText,
    date_evidence,
    make_claim,
)
from extractors.dates.content_dates import as_of_in_frame, from_content
from extractors.dates.cues import (
    OTHER_MEANING_VETO,
    SCHEDULE_SPAN,
    has_modified_cue,
    has_published_cue,
    mentions_as_of,
)
from extractors.dates.grammar import (
    MIN_PLAUSIBLE_YEAR,
    parse_machine_date,
    written_spans,
)
from extractors.dates.metadata import from_json_ld, from_meta
from extractors.dates.url_dates import claim_from_http_header, claim_from_url
from extractors.records import DateClaim, DateEvidence
from extractors.text.html_tree import (
    content_region,
    parse_html,
    visible_text,
)

# htmldate logs its search at DEBUG/INFO and parse trouble at WARNING; none of it is news here.
logging.getLogger("htmldate").setLevel(logging.CRITICAL)


# ---------------------------------------------------------------------------------------------
# Public entry points


def find_dates(html: str, *, url: str, last_modified: str | None, run_date: dt.date) -> PageDates:
    """The date claims of an HTML page; each is None when nothing credible."""
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
) -> PageDates:
    """Like `find_dates`, on an already parsed tree (None: only URL and header are used).
    `region`: `content_region(root)` when the caller has it already."""
    url_claim = claim_from_url(url, run_date)
    header_claim = claim_from_http_header(last_modified, run_date)
    if root is None:
        return PageDates(*reconcile(url_claim, header_claim))

    json_published, json_modified, json_article = from_json_ld(root, url, run_date)
    meta_published, meta_modified = from_meta(root, url, run_date)
    content_published, content_modified, region_text = from_content(
        root, url, run_date, region or content_region(root)
    )
    seen = SeenText(visible_text(root), region_text)
    votes = [
        _Vote(json_published, "json_ld", shown=False),
        _Vote(meta_published, "meta", shown=False),
        _Vote(content_published, "content", shown=True),
        _Vote(from_byline(root, seen, run_date), "byline", shown=True),
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
    shown_modified = content_modified
    if shown_modified is None and mentions_as_of(seen.page):
        shown_modified = as_of_in_frame(root, run_date)
    if shown_modified or (published and date_evidence(published) is not DateEvidence.METADATA):
        # What the page shows decides; a CMS record that disagrees (a re-save, a render-time
        # stamp) must not make an old page look fresh.
        return PageDates(*reconcile(published, shown_modified))
    recorded = _recorded(json_modified, run_date) or _recorded(meta_modified, run_date)
    published, modified = reconcile(published, recorded or header_claim)
    metadata_date = None
    if published is None and modified is None:
        metadata_date = _recorded(json_published, run_date) or _recorded(meta_published, run_date)
    return PageDates(published, modified, metadata_date)


def _recorded(claim: DateClaim | None, run_date: dt.date) -> DateClaim | None:
    """A metadata date, unless it is the crawl day: far more often the CMS's render time
    than a change made that day."""
    return claim if claim is not None and claim.value < run_date else None


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


# Share of letters outside the Latin script above which a page's dates are in forms we cannot
# read (Arabic, Persian, Japanese, Hebrew …): there agreement of two heuristics must do.
_UNREADABLE_SCRIPT_SHARE = 0.5
_SCRIPT_SAMPLE_CHARS = 5000


def _elect_published(votes: list[_Vote], seen: SeenText) -> DateClaim | None:
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


def _evidenced(day: dt.date, supporters: list[_Vote], position: int | None, seen: SeenText) -> bool:
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
    labels = [
        start for start, end in written_spans(seen.page, day) if _is_label(seen.page, start, end)
    ]
    if not labels:
        return False
    in_region = [
        in_sentence(seen.region, start, end) for start, end in written_spans(seen.region, day)
    ]
    if in_region and all(in_region):
        return False
    return labels[0] <= _HTMLDATE_ONLY_MAX_POSITION * len(seen.page) or bool(in_region)


def _is_label(text: str, start: int, end: int) -> bool:
    """Not after a modification cue ("Stand:" in a consent banner) or a word giving the date
    another meaning (Termin, bis, Veranstaltung …), not followed by a schedule's hours."""
    if SCHEDULE_SPAN.match(text[end : end + _SCHEDULE_WINDOW].lstrip(" ,–-")):
        return False  # "30. März 2020, 13:15 Uhr - 19:00 Uhr": when an event takes place
    before = text[max(0, start - 30) : start]
    if _REFERENCE_VOM.search(before) and not has_published_cue(before):
        return False  # "Satzung vom 03.11.2015", "Datensatz vom …": another document's date
    # A modification cue may stand a few words before ("Stand der Datenschutzerklärung: …").
    cue_window = text[max(0, start - _CUE_LABEL_WINDOW) : start]
    return not (OTHER_MEANING_VETO.search(before) or has_modified_cue(cue_window))


_CUE_LABEL_WINDOW = 45
# Characters after a written day searched for a schedule's hours.
_SCHEDULE_WINDOW = 40


# A date right after "vom" names the document or record before it, unless that is the page
# itself ("Pressemitteilung vom", "Meldung vom" … are publication cues).
_REFERENCE_VOM = re.compile(r"\bvom\s*$", re.IGNORECASE)


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
    return dataclasses.replace(published, confidence=round(confidence, 2))


def _confirmed_article_date(
    published: DateClaim | None, article: bool, htmldate_claim: DateClaim | None
) -> DateClaim | None:
    """Last resort: the datePublished of an Article-type JSON-LD entity (a news item, a blog
    post — not the WebPage stamp every CMS page carries) that htmldate's independent search
    of the whole page also arrives at."""
    if not (article and published and htmldate_claim) or published.value != htmldate_claim.value:
        return None
    return dataclasses.replace(
        published, confidence=round(CONFIDENCE["json_ld"] - _UNSEEN_PENALTY, 2)
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
    # Its grade is what a reader can check it by, whichever source is named.
    shown = {vote.heuristic for vote in supporters if vote.shown}
    if written or shown - {"url"}:
        evidence = DateEvidence.VISIBLE
    elif shown:
        evidence = DateEvidence.URL
    else:
        evidence = date_evidence(lead)
    return DateClaim(lead.value, lead.source, round(min(0.95, confidence), 2), evidence)


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
