"""Dates inside the page's own content: <time> elements, date-classed elements and cue
phrases in the content region's text (chrome, teaser and event lists excluded), in one walk;
and an as-of statement in the page's frame (its footer, the "last updated" line under the
content) when the content states none.
"""

from __future__ import annotations

import datetime as dt
import re

import lxml.html

from extractors.dates.claims import (
    CONFIDENCE,
    MODIFIED,
    PUBLISHED,
    SOURCE_FOOTER_TEXT,
    SOURCE_TIME_ELEMENT,
    SOURCE_VISIBLE_TEXT,
    make_claim,
)
from extractors.dates.cues import SCHEDULE_SPAN, find_text_dates
from extractors.dates.grammar import (
    parse_date_text,
    parse_machine_date,
)
from extractors.dates.metadata import in_other_item
from extractors.records import DateClaim, DateEvidence
from extractors.text.html_tree import (
    class_names,
    frame_text,
    join_blocks,
    walk_content,
)

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


def from_content(
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
            if _in_embedded_post(element) or in_other_item(element):
                continue  # a quoted post's, a review's or a comment's date
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


def as_of_in_frame(root: lxml.html.HtmlElement, run_date: dt.date) -> DateClaim | None:
    """An as-of statement ("Stand: 03.11.2015", "Seite zuletzt geändert am …") anywhere in the
    page's own frame: the content region and what surrounds it — the page footer, the "last
    updated" line a CMS template puts under the content.

    Page header, navigation, sidebars, cookie and consent banners, teaser, news and event lists
    stay out (`html_tree.frame_text`), and the cue rules drop law citations, events and
    copyright lines (`cues`).
    """
    _, modified = find_text_dates(
        frame_text(root), run_date=run_date, confidence=CONFIDENCE["footer_cue"]
    )
    if modified is None:
        return None
    return DateClaim(modified.value, SOURCE_FOOTER_TEXT, modified.confidence, DateEvidence.VISIBLE)


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
    if not text or len(text) > 40 or SCHEDULE_SPAN.search(text):
        return None
    parsed = parse_date_text(text, run_date=run_date)
    if parsed is None or parsed.precision != "day":
        return None
    return make_claim(parsed, SOURCE_VISIBLE_TEXT, CONFIDENCE["visible_date_class"])
