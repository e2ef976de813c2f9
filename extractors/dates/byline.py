"""Bylines and datelines: a date printed next to the page's headline, and whether a date in a
line stands in a sentence or opens it as a dateline.
"""

from __future__ import annotations

import datetime as dt
import re

import lxml.html

from extractors.dates.claims import CONFIDENCE, SOURCE_VISIBLE_TEXT, SeenText, make_claim
from extractors.dates.cues import COPYRIGHT, OTHER_MEANING_VETO, SCHEDULE_SPAN, has_modified_cue
from extractors.dates.grammar import (
    find_full_date,
)
from extractors.records import DateClaim
from extractors.text.html_tree import (
    has_noise_ancestor,
)

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
# A line this short before a date line is its label (a table's or definition list's).
_MAX_LABEL_CHARS = 30
# A label that names a date field ("Effective Date", "Termin", "Gültig bis"); "Online-Version"
# over the publication day names none.
_DATE_FIELD = re.compile(
    r"date|datum|termin|frist|zeitraum|deadline|beginn|\bende\b|\bbis\b|\bab\b|until|from",
    re.IGNORECASE,
)
# After the date: times and time words, then the first word; a lower-case one is prose.
_TIME_WORDS = re.compile(
    r"\d{1,2}[:.]\d{2}(?::\d{2})?|\b(?:uhr|um|am|pm|h|mez|mesz|cet|cest|gmt|utc)\b", re.I
)
_FIRST_WORD = re.compile(r"[^\W\d_]+")
# Lower-case words that follow a date in a byline rather than in a sentence.
_BYLINE_WORDS = frozenset({"von", "by", "in", "par", "por", "de", "di", "door", "av", "from"})


def from_byline(root: lxml.html.HtmlElement, seen: SeenText, run_date: dt.date) -> DateClaim | None:
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
        OTHER_MEANING_VETO.search(title)
        or has_modified_cue(title)
        or _HEADING_DATE_ANNOUNCED.search(title)
    ):
        return None
    return make_claim(parsed, SOURCE_VISIBLE_TEXT, CONFIDENCE["visible_byline"])


def _date_above_heading(heading_text: str, seen: SeenText, run_date: dt.date) -> DateClaim | None:
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
    _, end, parsed = found
    if OTHER_MEANING_VETO.search(line) or COPYRIGHT.search(line) or has_modified_cue(line):
        return None
    if _is_schedule(line, end):
        return None
    return make_claim(parsed, SOURCE_VISIBLE_TEXT, CONFIDENCE["visible_byline"])


def _date_below_heading(heading_text: str, seen: SeenText, run_date: dt.date) -> DateClaim | None:
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
    label = ""  # the line before: a table or list label ("Effective Date") names the value
    for line in candidates:
        previous, label = label, line
        if len(line) > _PAGE_BYLINE_WINDOW or (start is not None and len(line) > _MAX_BYLINE_CHARS):
            prose = True  # the prose has begun: only a dateline may follow (after a lead)
        found = find_full_date(line, run_date=run_date)
        if found is None:
            continue
        begin, end, parsed = found
        if prose and not is_dateline(line, begin, end):
            return None
        if OTHER_MEANING_VETO.search(line[:begin]) or COPYRIGHT.search(line):
            return None
        if _is_schedule(line, end):
            return None
        if (
            len(line[:begin].split()) <= 1  # nothing but a weekday before the date
            and len(previous) <= _MAX_LABEL_CHARS
            and OTHER_MEANING_VETO.search(previous)
            and _DATE_FIELD.search(previous)
        ):
            return None  # "Effective Date" / "Saturday, July 25, 2020": a record's field
        if has_modified_cue(line[:begin]):
            return None  # "Aktualisiert: …" below the heading is the modification date
        if not is_dateline(line, begin, end) and continues_sentence(line, end):
            return None  # "… am 03.11.2015 vor dem Rathaus": a date in a sentence
        return make_claim(parsed, SOURCE_VISIBLE_TEXT, CONFIDENCE["visible_byline"])
    return None


def _is_schedule(line: str, end: int) -> bool:
    """Clock times spanning a stretch after the day ("30. März 2020, 13:15 Uhr - 19:00 Uhr"):
    when an event takes place, not when the page appeared."""
    return bool(SCHEDULE_SPAN.match(line[end : end + _SCHEDULE_CHARS].lstrip(" ,–-")))


# Characters after a day searched for a schedule's clock times.
_SCHEDULE_CHARS = 40


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


def is_dateline(line: str, begin: int, end: int) -> bool:
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


def in_sentence(text: str, start: int, end: int) -> bool:
    """The date at text[start:end] stands in a sentence, not as a dateline opening one
    ("27.1.2022 - Bei der Erinnerung an …")."""
    line_start = text.rfind("\n", 0, start) + 1
    line_stop = text.find("\n", end)
    line = text[line_start : line_stop if line_stop >= 0 else len(text)]
    if is_dateline(line, start - line_start, end - line_start):
        return False
    return continues_sentence(text, end)


def continues_sentence(text: str, end: int) -> bool:
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
