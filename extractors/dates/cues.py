"""Cue phrases in text: "Stand: 03.11.2015", "zuletzt geändert am …", "Veröffentlicht am …",
"Diese Seite wurde zuletzt am … geändert", and the words that give a date another meaning
(Termin, bis, Frist, copyright …). Used on a page's own content, its frame and PDFs.
"""

from __future__ import annotations

import datetime as dt
import re

from extractors.dates.claims import CONFIDENCE, MODIFIED, PUBLISHED, SOURCE_VISIBLE_TEXT, make_claim
from extractors.dates.grammar import (
    MONTH_PATTERN,
    ParsedDate,
    find_full_date,
    parse_date_text,
)
from extractors.records import DateClaim


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
        line_start = text.rfind("\n", 0, match.start()) + 1
        if COPYRIGHT.search(
            text[max(line_start, match.start() - _COPYRIGHT_WINDOW) : match.start()]
        ):
            continue  # "© 2026 Kreis Beispielland, Stand 2026": the copyright line
        if OTHER_MEANING_VETO.search(_word_before(text, line_start, match.start())):
            continue  # "Effective Date", "Release Date", "Event Date": another date's label
        if kind == MODIFIED and cites_law(text, match.start()):
            continue  # "AsylbLG (Stand: 01.03.2020)": the law's version, not the page's
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


def has_modified_cue(text: str) -> bool:
    return any(match.group("modified") for match in _CUE.finditer(text))


def has_published_cue(text: str) -> bool:
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
OTHER_MEANING_VETO = re.compile(_OTHER_MEANING, re.IGNORECASE)
_GAP_VETO = re.compile(
    _OTHER_MEANING + r"|(?-i:[.!?]\s+[A-ZÄÖÜ])",  # a new sentence: the cue was another's
    re.IGNORECASE,
)
# A span of clock times ("13:15 Uhr - 19:00 Uhr", "10.00 bis 12.00"): an event's schedule. A
# publication stamp is a point in time.
SCHEDULE_SPAN = re.compile(
    r"\d{1,2}[:.]\d{2}\s*(?:Uhr|h|am|pm)?\s*(?:[-–—]|bis\b|to\b|until\b)\s*\d{1,2}[:.]\d{2}",
    re.IGNORECASE,
)
COPYRIGHT = re.compile(r"©|\(c\)|copyright", re.IGNORECASE)
# A law or regulation cited just before an as-of cue, or "zuletzt geändert durch" (an amending
# act): the date is the cited text's version, not the page's.
_LAW_CITATION = re.compile(
    r"gesetz|verordnung|satzung|richtlinie|erlass|bgbl|fassung|§|\bart\.|\bartikel\b"
    r"|\b(?:SGB|BGB|GG|AufenthG|AsylG|AsylbLG|AsylVfG|BAföG|WoGG|BauGB|VwVfG|IfSG)\b",
    re.IGNORECASE,
)
_LAW_WINDOW = 40
# The copyright sign or word this far before a cue on the same line makes it the copyright's.
_COPYRIGHT_WINDOW = 60


def _word_before(text: str, line_start: int, cue_start: int) -> str:
    """The word right before a cue on its line ("" at the line's start)."""
    words = text[max(line_start, cue_start - 30) : cue_start].split()
    return words[-1] if words else ""


def mentions_as_of(text: str) -> bool:
    """Some as-of phrase stands in the text ("Stand", "zuletzt am … geändert" …): a cheap test
    before looking for one in the page's frame."""
    return has_modified_cue(text) or bool(_DATE_THEN_CUE.search(text))


def cites_law(text: str, cue_start: int) -> bool:
    """The same line, right before the cue at `cue_start`, cites a law, regulation or bylaw."""
    before = text[max(0, cue_start - _LAW_WINDOW) : cue_start].rsplit("\n", 1)[-1]
    return bool(_LAW_CITATION.search(before))


def _date_after_cue(text: str, position: int, run_date: dt.date) -> ParsedDate | None:
    window = text[position : position + 110]
    gap = _CUE_GAP.match(window)
    if gap is None:
        return None
    between = gap.group(0)
    if _GAP_VETO.search(between) or _LAW_CITATION.search(between) or len(between.split()) > 4:
        return None
    return parse_date_text(window[gap.end() :], run_date=run_date)
