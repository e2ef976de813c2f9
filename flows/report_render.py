"""The editors' report (German): one night's findings as HTML, Markdown and CSV.

Editors act on links, not on entries, so the report shows one row per catalogue link, sorted
into sections in order of urgency: Defekt, Umgezogen, Veraltet, Prüfen, Ohne Link-Ziel,
In Ordnung. Each row says in one German sentence what is wrong, since when, the evidence and
what to do. The top of the page counts the entries per verdict (with the change since the
previous night) and draws the last nights as a small inline SVG chart.

Everything harvested (titles, labels, URLs, error details) is hostile. All three formats are
built from one view model of cleaned, length-capped strings; each format then escapes for its
own syntax: Jinja2 autoescape for HTML (with a strict Content-Security-Policy on top that
admits only our own inline stylesheet and script, by hash), backslash and entity escapes for
Markdown, a leading apostrophe against formula injection for CSV. Only http(s) addresses ever
become links, always with rel="noopener noreferrer".
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import hashlib
import io
import os
import re
import secrets
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path
from types import MappingProxyType
from urllib.parse import urlsplit

import jinja2
from markupsafe import Markup

from extractors.entry_verdicts import (
    GERMAN_HEALTH_LABELS,
    GERMAN_VERDICT_LABELS,
    VERDICT_PRIORITY,
    german_date,
    german_date_source,
)
from extractors.records import (
    FAILING_HEALTH,
    GOOD_HEALTH,
    UNVERIFIABLE_HEALTH,
    EntryVerdict,
    Health,
    LinkRow,
    Verdict,
)

TEMPLATE_DIR = Path(__file__).parent / "templates"
WAYBACK_SEARCH = "https://web.archive.org/web/*/"

TEXT_MAX_CHARS = 300  # titles, labels, summaries, addresses as shown
REASON_MAX_CHARS = 500  # a reason may quote a long new address
CSV_CELL_MAX_CHARS = 32_000  # Excel refuses cells longer than 32,767 characters
TREND_NIGHTS = 30  # nights drawn in the trend chart
# "In Ordnung" rows beyond this are left to report.csv: a catalogue of a million good links
# must not make a page no browser can open. Problem sections are never cut.
OK_ROWS_MAX = 2000


class ReportSection(StrEnum):
    """Where a link row stands in the report, in order of urgency. Values are HTML ids."""

    BROKEN = "defekt"
    MOVED = "umgezogen"
    STALE = "veraltet"
    REVIEW = "pruefen"
    MISSING_URL = "ohne-link-ziel"
    OK = "in-ordnung"


SECTION_HEADINGS: Mapping[ReportSection, str] = MappingProxyType(
    {
        ReportSection.BROKEN: "Defekt",
        ReportSection.MOVED: "Umgezogen",
        ReportSection.STALE: "Veraltet",
        ReportSection.REVIEW: "Prüfen",
        ReportSection.MISSING_URL: "Ohne Link-Ziel",
        ReportSection.OK: "In Ordnung",
    }
)
SECTION_INTROS: Mapping[ReportSection, str] = MappingProxyType(
    {
        ReportSection.BROKEN: (
            "Diese Links sind in mehreren Nächten hintereinander gescheitert. Bitte ein neues "
            "Link-Ziel suchen, eine archivierte Kopie verlinken oder den Link entfernen."
        ),
        ReportSection.MOVED: (
            "Diese Seiten sind dauerhaft an eine neue Adresse umgezogen. Bitte den Link im "
            "Katalog auf die neue Adresse ändern."
        ),
        ReportSection.STALE: (
            "Diese Seiten sind erreichbar, ihr Inhalt ist aber älter als die eingestellte Frist. "
            "Bitte prüfen, ob der Text noch gilt."
        ),
        ReportSection.REVIEW: (
            "Hier ist etwas auffällig, aber nicht sicher defekt: ein erster Fehlschlag, eine "
            "Seite, die sich nicht automatisch prüfen lässt, oder ein geänderter Text."
        ),
        ReportSection.MISSING_URL: "Für diese Links ist im Katalog keine Adresse eingetragen.",
        ReportSection.OK: (
            "Diese Links sind erreichbar; ihr Inhalt ist aktuell, bestätigt oder trägt kein Datum."
        ),
    }
)
# An entry without any link row is shown in the section of its verdict.
_SECTION_OF_VERDICT: Mapping[Verdict, ReportSection] = MappingProxyType(
    {
        Verdict.BROKEN: ReportSection.BROKEN,
        Verdict.REVIEW: ReportSection.REVIEW,
        Verdict.STALE: ReportSection.STALE,
        Verdict.MISSING_URL: ReportSection.MISSING_URL,
        Verdict.OK: ReportSection.OK,
    }
)

# What a verdict means, in one sentence (the overview explains the counts with it).
VERDICT_SENTENCES: Mapping[Verdict, str] = MappingProxyType(
    {
        Verdict.BROKEN: "Mindestens ein Link ist in mehreren Nächten hintereinander gescheitert.",
        Verdict.MISSING_URL: "Für mindestens einen Link ist im Katalog keine Adresse eingetragen.",
        Verdict.REVIEW: (
            "Etwas ist auffällig – ein erster Fehlschlag, eine neue Adresse, eine nicht prüfbare "
            "Seite oder ein geänderter Text – und sollte angesehen werden."
        ),
        Verdict.STALE: "Die Seiten sind erreichbar, ihr Inhalt ist aber älter als die Frist.",
        Verdict.OK: "Alle Links sind erreichbar, der Inhalt ist aktuell oder trägt kein Datum.",
    }
)

# What is wrong with a link, by health value; "{status}" becomes " (HTTP 404)" or "".
_HEALTH_SENTENCES: Mapping[Health, str] = MappingProxyType(
    {
        Health.OK: "Die Seite ist erreichbar{status}.",
        Health.REDIRECTED: "Die Seite ist erreichbar; die Adresse leitet vorübergehend weiter.",
        Health.MOVED: "Die Seite ist dauerhaft an eine neue Adresse umgezogen{status}.",
        Health.SOFT_404: (
            "Statt des Inhalts kommt eine Fehler- oder Ersatzseite, obwohl der Server "
            "„in Ordnung“ meldet{status}."
        ),
        Health.NOT_FOUND: "Die Seite gibt es unter dieser Adresse nicht mehr{status}.",
        Health.SERVER_ERROR: "Der Server meldet einen Fehler{status}.",
        Health.TIMEOUT: "Der Server hat nicht rechtzeitig geantwortet.",
        Health.DNS_ERROR: "Den Namen der Domain gibt es nicht (mehr); der Server ist unauffindbar.",
        Health.CONNECTION_ERROR: "Der Server nimmt keine Verbindung an oder bricht sie ab.",
        Health.TLS_ERROR: (
            "Das Sicherheitszertifikat der Seite ist ungültig; Besucher sehen eine Warnung."
        ),
        Health.BLOCKED: "Der Server lässt die automatische Prüfung nicht zu{status}.",
        Health.TOO_MANY_REDIRECTS: (
            "Die Adresse leitet im Kreis oder über zu viele Stationen weiter."
        ),
        Health.INVALID_URL: (
            "Die Adresse im Katalog ist ungültig (kein vollständiger http- oder https-Link)."
        ),
    }
)
_STATUS_WORDS = {404: "nicht gefunden", 410: "gelöscht", 401: "Anmeldung nötig", 403: "verboten"}

_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
_CONTROL_CHARS = re.compile("[\x00-\x1f\x7f-\x9f]")
_WHITESPACE = re.compile(r"\s+")
_HTTP_URL = re.compile(r"https?://[^\s\x00-\x1f\x7f]+", re.IGNORECASE)
_MARKDOWN_ESCAPES = {
    "\\": "\\\\",
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
    "|": "\\|",
    "`": "\\`",
    "[": "\\[",
    "]": "\\]",
    "*": "\\*",
    "_": "\\_",
    "~": "\\~",
}
# Characters that would end a Markdown link destination or a table cell early.
_MARKDOWN_URL_ESCAPES = {
    " ": "%20",
    "<": "%3C",
    ">": "%3E",
    "(": "%28",
    ")": "%29",
    "[": "%5B",
    "]": "%5D",
    "|": "%7C",
    "`": "%60",
    "\\": "%5C",
}
_CSV_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Phrases of extractors.entry_verdicts that say an editor has accepted a link's state, or
# that a change is still unreviewed; the verdict's own words decide, so page and dataset agree.
_ACCEPTED_PHRASE = "als weiterhin gültig bestätigt"
_CHANGED_PHRASE = "Inhalt geändert am"


@dataclass(frozen=True, slots=True)
class ReportInput:
    """Everything one report shows.

    `previous_verdicts` is empty on the first night. `verdict_history` holds the entry counts
    per verdict of earlier nights (oldest first, see `flows.report_history`); it feeds the
    trend chart and the change since the previous night, and may be empty.
    """

    run_date: dt.date
    generated_at: dt.datetime  # UTC
    catalog_name: str
    inconclusive_reason: str | None
    entries: tuple[EntryVerdict, ...]
    links: tuple[LinkRow, ...]
    previous_verdicts: Mapping[str, Verdict]
    verdict_history: tuple[tuple[dt.date, Mapping[str, int]], ...] = ()


@dataclass(frozen=True, slots=True)
class ReportFiles:
    """Where `write_report` put the latest report and tonight's dated copies."""

    html: Path
    markdown: Path
    csv: Path
    dated_html: Path
    dated_markdown: Path
    dated_csv: Path

    def all(self) -> tuple[Path, ...]:
        return (
            self.html,
            self.markdown,
            self.csv,
            self.dated_html,
            self.dated_markdown,
            self.dated_csv,
        )


# ---------------------------------------------------------------------------------------------
# German sentences


def health_sentence(health: Health, http_status: int | None = None) -> str:
    """One German sentence saying what a health value means for the editors."""
    status = ""
    if http_status:
        words = _STATUS_WORDS.get(http_status)
        status = f" (HTTP {http_status} – {words})" if words else f" (HTTP {http_status})"
    return _HEALTH_SENTENCES[health].format(status=status)


def verdict_sentence(verdict: Verdict) -> str:
    """One German sentence saying what an entry verdict means."""
    return VERDICT_SENTENCES[verdict]


def _age_words(age_days: int | None) -> str:
    if age_days is None:
        return ""
    years = age_days // 365
    if years >= 2:
        return f" – vor über {years} Jahren"
    if years == 1:
        return " – vor über einem Jahr"
    return f" – vor {age_days} Tagen"


# ---------------------------------------------------------------------------------------------
# View model: cleaned, capped strings shared by the three formats.


@dataclass(frozen=True, slots=True)
class _Action:
    text: str
    href: str | None = None


@dataclass(frozen=True, slots=True)
class _Evidence:
    label: str
    text: str
    href: str | None = None


@dataclass(frozen=True, slots=True)
class _RowView:
    """One catalogue link as the editors see it."""

    section: ReportSection
    entry_id: str
    provider: str
    provider_type: str
    entry_title: str
    verdict_label: str
    reasons: tuple[str, ...]  # the entry's reasons (CSV)
    label: str
    url: str  # full address as in the data ("" when none); used in CSV
    url_text: str  # capped for display
    href: str | None  # only for http(s) addresses
    page_title: str
    summary: str
    health: str
    sentence: str
    notes: tuple[str, ...]
    since: str  # TT.MM.JJJJ or ""
    since_iso: str  # sort key
    since_what: str  # what the date means
    evidence: tuple[_Evidence, ...]
    actions: tuple[_Action, ...]
    http_status: str
    final_url: str
    content_date: str
    date_source: str
    age_days: str
    stale: str
    failing_since: str
    last_ok: str
    archive_href: str


@dataclass(frozen=True, slots=True)
class _SectionView:
    section: ReportSection
    heading: str
    intro: str
    rows: tuple[_RowView, ...]
    rows_total: int  # before the cap of the "In Ordnung" section
    collapsed: bool


@dataclass(frozen=True, slots=True)
class _CountView:
    verdict: Verdict
    label: str
    sentence: str
    count: int
    previous: int | None
    change: str  # "+1", "−2", "±0" or "" when there is nothing to compare with


@dataclass(frozen=True, slots=True)
class _ChangeView:
    provider: str
    title: str
    now_label: str
    before_label: str
    section: ReportSection


@dataclass(frozen=True, slots=True)
class _ChartSegment:
    css: str
    y: float
    height: float
    title: str


@dataclass(frozen=True, slots=True)
class _ChartBar:
    x: float
    width: float
    label: str  # TT.MM. under the bar, or "" when it would crowd the axis
    label_x: float
    segments: tuple[_ChartSegment, ...]


@dataclass(frozen=True, slots=True)
class _ChartView:
    width: int
    height: int
    plot_top: float
    plot_bottom: float
    plot_left: float
    plot_right: float
    max_count: int
    ticks: tuple[tuple[float, str], ...]  # (y, label)
    bars: tuple[_ChartBar, ...]
    nights: tuple[tuple[str, tuple[int, ...]], ...]  # for the table beside the chart
    description: str


@dataclass(frozen=True, slots=True)
class _ReportView:
    title: str
    run_date: str
    generated: str
    catalog_name: str
    inconclusive_reason: str
    counts: tuple[_CountView, ...]
    compared_with: str  # "25.11.2026" or ""
    entries_total: int
    links_total: int
    first_night: bool
    new_since_yesterday: tuple[_ChangeView, ...]
    fixed_since_yesterday: tuple[_ChangeView, ...]
    sections: tuple[_SectionView, ...]
    providers: tuple[str, ...]
    chart: _ChartView
    chart_verdicts: tuple[tuple[str, str], ...]  # (css class, label) for the legend
    all_rows: tuple[_RowView, ...]  # every link, also those the page leaves out (CSV)


def _shown(text: str | None, limit: int = TEXT_MAX_CHARS) -> str:
    """Harvested text made safe to lay out: one line, no control or bidi-override characters,
    at most `limit` characters (a cut ends with „…“)."""
    if not text:
        return ""
    text = _BIDI_CONTROLS.sub("", text)
    text = _CONTROL_CHARS.sub(" ", text)
    text = _WHITESPACE.sub(" ", text).strip()
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def _http_href(url: str | None) -> str | None:
    """The address as a link target if it is a plain http(s) URL, else None (shown as text)."""
    candidate = (url or "").strip()
    if not _HTTP_URL.fullmatch(candidate):
        return None
    try:
        parts = urlsplit(candidate)
    except ValueError:  # e.g. a broken IPv6 literal
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    scheme, rest = candidate.split(":", 1)
    return scheme.lower() + ":" + rest


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _date_text(day: dt.date | None) -> str:
    return german_date(day) if day else ""


def _reason_ref(link: LinkRow) -> str:
    """How extractors.entry_verdicts names a link at the start of its reasons."""
    name = _WHITESPACE.sub(" ", link.link_label).strip()
    if not name:
        url = (link.url or "").strip()
        name = url if len(url) <= 80 else url[:79] + "…"
    return f"Link „{name}“"


@dataclass(frozen=True, slots=True)
class _Assessment:
    section: ReportSection
    sentence: str
    notes: tuple[str, ...]
    since: dt.date | None
    since_what: str


def assess_link(link: LinkRow, entry: EntryVerdict | None = None) -> tuple[ReportSection, str]:
    """The section a link belongs in and the German sentence saying what is wrong with it.

    `entry` (the link's entry verdict) decides whether an editor already accepted an old or
    changed page; without it every old page counts as stale and a change as unreviewed.
    """
    assessment = _assess(link, entry)
    return assessment.section, assessment.sentence


def _assess(link: LinkRow, entry: EntryVerdict | None) -> _Assessment:
    url = (link.url or "").strip()
    health = link.health
    if not url:
        return _Assessment(
            ReportSection.MISSING_URL,
            "Im Katalog ist für diesen Link keine Adresse eingetragen.",
            (),
            link.first_seen,
            "im Katalog seit",
        )
    if health is None:
        return _Assessment(ReportSection.OK, "Dieser Link wurde noch nicht geprüft.", (), None, "")

    ref = _reason_ref(link)
    own_reasons = [r for r in (entry.reasons if entry else ()) if r.startswith(ref)]
    accepted = [r for r in own_reasons if _ACCEPTED_PHRASE in r]
    stale = bool(link.stale) and not accepted
    good = health in GOOD_HEALTH
    if entry is None:
        changed = good and link.last_changed is not None
    else:
        changed = good and any(_CHANGED_PHRASE in r for r in own_reasons)

    stale_sentence = (
        f"Der Inhalt ist zuletzt auf den {german_date(link.content_date)} datiert"
        f"{_age_words(link.age_days)}."
        if link.content_date
        else "Der Inhalt ist älter als die eingestellte Frist."
    )
    changed_sentence = (
        f"Der Text der Seite hat sich am {german_date(link.last_changed)} geändert."
        if link.last_changed
        else ""
    )
    notes: list[str] = []

    if link.confirmed_broken:
        runs = link.consecutive_failures
        if runs > 1:
            notes.append(f"{runs} Prüfungen hintereinander gescheitert.")
        return _Assessment(
            ReportSection.BROKEN,
            health_sentence(health, link.http_status),
            tuple(notes),
            link.failing_since,
            "gescheitert seit",
        )
    if health in FAILING_HEALTH:
        notes.append(
            "Noch nicht bestätigt: scheitert auch die nächste Prüfung, gilt der Link als defekt."
        )
        return _Assessment(
            ReportSection.REVIEW,
            health_sentence(health, link.http_status),
            tuple(notes),
            link.failing_since,
            "gescheitert seit",
        )
    if health in UNVERIFIABLE_HEALTH:
        return _Assessment(
            ReportSection.REVIEW, health_sentence(health, link.http_status), (), None, ""
        )
    if health is Health.MOVED:
        # The final answer is the new page's 200; the news is the permanent redirect.
        permanent = [hop.status for hop in link.redirect_chain if hop.status in (301, 308)]
        if stale:
            notes.append("Außerdem: " + stale_sentence)
        if changed:
            notes.append("Außerdem: " + changed_sentence)
        return _Assessment(
            ReportSection.MOVED,
            health_sentence(health, permanent[0] if permanent else None),
            tuple(notes),
            None,
            "",
        )
    if stale:
        if changed:
            notes.append("Außerdem: " + changed_sentence)
        return _Assessment(
            ReportSection.STALE, stale_sentence, tuple(notes), link.content_date, "Inhalt vom"
        )
    if changed:
        return _Assessment(
            ReportSection.REVIEW,
            changed_sentence,
            ("Bitte lesen, ob der Eintrag noch zur Seite passt.",),
            link.last_changed,
            "geändert am",
        )
    # Good and nothing to do; say what an editor may still want to know.
    sentence = health_sentence(health, None)
    notes.extend(_shown(r, REASON_MAX_CHARS) for r in accepted)
    if link.content_date is None:
        notes.append("Auf der Seite wurde kein Datum gefunden.")
    return _Assessment(ReportSection.OK, sentence, tuple(notes), None, "")


def _link_actions(
    link: LinkRow, section: ReportSection, href: str | None, entry_id: str
) -> tuple[_Action, ...]:
    """What an editor should do about one link, most useful first."""
    archive = _Action("Archivierte Kopie suchen (Wayback Machine)", WAYBACK_SEARCH + (href or ""))
    health = link.health
    if section is ReportSection.MISSING_URL:
        return (_Action("Link-Ziel recherchieren und im Katalog eintragen"),)
    if health is None:
        return (_Action("Nächsten Lauf abwarten"),)
    if health is Health.INVALID_URL:
        return (_Action("Adresse im Katalog korrigieren"),)
    review = _Action(f"Nach der Prüfung vermerken: linkpflege review {_shown(entry_id)}")
    if section is ReportSection.BROKEN:
        actions = [_Action("Neues Link-Ziel suchen oder Link entfernen")]
        return tuple([*actions, archive] if href else actions)
    if section is ReportSection.REVIEW and health in FAILING_HEALTH:
        actions = [_Action("Im Browser ansehen; nächste Nacht abwarten")]
        return tuple([*actions, archive] if href else actions)
    if section is ReportSection.MOVED:
        return (_Action("Link auf die neue Adresse ändern", _http_href(link.final_url)),)
    if section is ReportSection.REVIEW and health in UNVERIFIABLE_HEALTH:
        return (_Action("Im Browser ansehen", href),)
    if section is ReportSection.STALE:
        return (_Action("Text prüfen und beim Anbieter nachfragen"), review)
    if section is ReportSection.REVIEW:
        return (_Action("Geänderten Text lesen", href), review)
    return ()


def _evidence(link: LinkRow, section: ReportSection) -> tuple[_Evidence, ...]:
    items: list[_Evidence] = []
    if section is ReportSection.MISSING_URL:
        return ()  # nothing was fetched: whatever else the row holds is not evidence
    if link.http_status:
        items.append(_Evidence("HTTP-Status", str(link.http_status)))
    url = (link.url or "").strip()
    final_url = (link.final_url or "").strip()
    if final_url and final_url != url:
        label = "Neue Adresse" if link.health is Health.MOVED else "Angekommen bei"
        items.append(_Evidence(label, _shown(final_url), _http_href(final_url)))
    hops = len(link.redirect_chain)
    if hops:
        items.append(_Evidence("Weiterleitungen", str(hops)))
    if link.content_date:
        source = german_date_source(link.date_source)
        items.append(
            _Evidence("Inhaltsdatum", f"{german_date(link.content_date)} ({_shown(source)})")
        )
    detail = _shown(link.error_detail)
    # A detail that only repeats the status or the new address says nothing new.
    repeats = link.health is Health.MOVED or (
        link.http_status is not None and detail.startswith(f"HTTP {link.http_status}")
    )
    if detail and section is not ReportSection.OK and not repeats:
        items.append(_Evidence("Meldung", detail))
    if link.last_ok and link.health in FAILING_HEALTH:
        items.append(_Evidence("Zuletzt erreichbar", german_date(link.last_ok)))
    return tuple(items)


def _row_view(link: LinkRow, entry: EntryVerdict | None, fallback: _EntryFacts) -> _RowView:
    url = (link.url or "").strip()
    href = _http_href(url)
    assessment = _assess(link, entry)
    health = link.health
    if health is None:
        health_text = "ohne Link-Ziel" if not url else "noch nicht geprüft"
    else:
        health_text = GERMAN_HEALTH_LABELS[health]
        if link.confirmed_broken:
            health_text += " (bestätigt)"
    final_url = (link.final_url or "").strip()
    if final_url == url:
        final_url = ""  # only shown when it differs
    entry_id = entry.entry_id if entry else link.entry_id
    actions = _link_actions(link, assessment.section, href, entry_id)
    archive = next((a.href for a in actions if a.href and a.href.startswith(WAYBACK_SEARCH)), "")
    return _RowView(
        section=assessment.section,
        entry_id=entry_id,
        provider=fallback.provider,
        provider_type=fallback.provider_type,
        entry_title=fallback.title,
        verdict_label=fallback.verdict_label,
        reasons=fallback.reasons,
        label=_shown(link.link_label),
        url=url,
        url_text=_shown(url),
        href=href,
        page_title=_shown(link.title) if url else "",
        summary=_shown(link.summary) if url else "",
        health=_capitalised(health_text),
        sentence=_shown(assessment.sentence, REASON_MAX_CHARS),
        notes=assessment.notes,
        since=_date_text(assessment.since),
        since_iso=assessment.since.isoformat() if assessment.since else "",
        since_what=assessment.since_what if assessment.since else "",
        evidence=_evidence(link, assessment.section),
        actions=actions,
        http_status=str(link.http_status) if link.http_status else "",
        final_url=final_url,
        content_date=_date_text(link.content_date),
        date_source=_shown(german_date_source(link.date_source)) if link.content_date else "",
        age_days=str(link.age_days) if link.age_days is not None else "",
        stale={True: "ja", False: "nein", None: ""}[link.stale],
        failing_since=_date_text(link.failing_since),
        last_ok=_date_text(link.last_ok),
        archive_href=archive or "",
    )


@dataclass(frozen=True, slots=True)
class _EntryFacts:
    provider: str
    provider_type: str
    title: str
    verdict_label: str
    reasons: tuple[str, ...]


def _entry_facts(entry: EntryVerdict | None, entry_id: str) -> _EntryFacts:
    if entry is None:
        return _EntryFacts("", "", _shown(entry_id), "", ())
    return _EntryFacts(
        provider=_shown(entry.provider),
        provider_type=_shown(entry.provider_type),
        title=_shown(entry.title),
        verdict_label=GERMAN_VERDICT_LABELS[entry.verdict],
        reasons=tuple(_shown(reason, REASON_MAX_CHARS) for reason in entry.reasons),
    )


def _entry_only_row(entry: EntryVerdict, facts: _EntryFacts) -> _RowView:
    """An entry without link rows (hand-made input): one row in its verdict's section."""
    sentence = facts.reasons[0] if facts.reasons else verdict_sentence(entry.verdict)
    return _RowView(
        section=_SECTION_OF_VERDICT[entry.verdict],
        entry_id=entry.entry_id,
        provider=facts.provider,
        provider_type=facts.provider_type,
        entry_title=facts.title,
        verdict_label=facts.verdict_label,
        reasons=facts.reasons,
        label="",
        url="",
        url_text="",
        href=None,
        page_title="",
        summary="",
        health="",
        sentence=sentence,
        notes=facts.reasons[1:],
        since="",
        since_iso="",
        since_what="",
        evidence=(),
        actions=(),
        http_status="",
        final_url="",
        content_date="",
        date_source="",
        age_days="",
        stale="",
        failing_since="",
        last_ok="",
        archive_href="",
    )


def _rows(report: ReportInput) -> list[_RowView]:
    entries = {entry.entry_id: entry for entry in report.entries}
    facts = {entry_id: _entry_facts(entry, entry_id) for entry_id, entry in entries.items()}
    rows: list[_RowView] = []
    with_links: set[str] = set()
    for link in report.links:
        entry = entries.get(link.entry_id)
        fallback = facts.get(link.entry_id) or _entry_facts(None, link.entry_id)
        rows.append(_row_view(link, entry, fallback))
        with_links.add(link.entry_id)
    for entry in report.entries:
        if entry.entry_id not in with_links:
            rows.append(_entry_only_row(entry, facts[entry.entry_id]))
    return rows


def _verdict_counts(entries: Iterable[EntryVerdict]) -> dict[str, int]:
    counts = Counter(entry.verdict.value for entry in entries)
    return {verdict.value: counts.get(verdict.value, 0) for verdict in VERDICT_PRIORITY}


def _normalised_counts(counts: Mapping[str, int]) -> dict[str, int]:
    return {str(verdict): int(number) for verdict, number in counts.items()}


def _previous_counts(report: ReportInput) -> tuple[dt.date | None, dict[str, int] | None]:
    """The counts of the night before this one: from the history, else from yesterday's
    verdicts (then without a date)."""
    earlier = [(day, counts) for day, counts in report.verdict_history if day < report.run_date]
    if earlier:
        day, counts = max(earlier, key=lambda item: item[0])
        return day, _normalised_counts(counts)
    if report.previous_verdicts:
        return None, dict(Counter(str(v) for v in report.previous_verdicts.values()))
    return None, None


def _change_text(now: int, before: int | None) -> str:
    if before is None:
        return ""
    difference = now - before
    if difference > 0:
        return f"+{difference}"
    if difference < 0:
        return f"−{-difference}"  # a real minus sign
    return "±0"


# Bottom to top: the most urgent verdicts sit on the axis, where they are easy to compare.
_CHART_ORDER: tuple[Verdict, ...] = (
    Verdict.BROKEN,
    Verdict.REVIEW,
    Verdict.STALE,
    Verdict.MISSING_URL,
    Verdict.OK,
)


def _verdict_css(verdict: Verdict) -> str:
    return "v-" + verdict.value.replace("_", "-")


def _chart(report: ReportInput, tonight: Mapping[str, int]) -> _ChartView:
    nights: dict[dt.date, dict[str, int]] = {
        day: _normalised_counts(counts)
        for day, counts in report.verdict_history
        if day < report.run_date
    }
    nights[report.run_date] = dict(tonight)
    series = sorted(nights.items())[-TREND_NIGHTS:]

    width, height = 640, 200
    left, right, top, bottom = 36.0, 632.0, 10.0, 170.0
    totals = [sum(counts.get(v.value, 0) for v in _CHART_ORDER) for _, counts in series]
    max_count = max([*totals, 1])
    step = (right - left) / max(len(series), 1)
    bar_width = max(2.0, min(40.0, step * 0.7))
    label_every = max(1, -(-len(series) // 8))  # at most ~8 dates under the axis
    bars: list[_ChartBar] = []
    for index, (day, counts) in enumerate(series):
        x = left + index * step + (step - bar_width) / 2
        y = bottom
        segments: list[_ChartSegment] = []
        for verdict in _CHART_ORDER:
            number = counts.get(verdict.value, 0)
            if not number:
                continue
            size = (bottom - top) * number / max_count
            y -= size
            segments.append(
                _ChartSegment(
                    css=_verdict_css(verdict),
                    y=round(y, 2),
                    height=round(size, 2),
                    title=f"{german_date(day)}: {GERMAN_VERDICT_LABELS[verdict]} {number}",
                )
            )
        last = index == len(series) - 1
        show_label = last or (index % label_every == 0 and len(series) - 1 - index >= label_every)
        bars.append(
            _ChartBar(
                x=round(x, 2),
                width=round(bar_width, 2),
                label=f"{day.day:02d}.{day.month:02d}." if show_label else "",
                label_x=round(x + bar_width / 2, 2),
                segments=tuple(segments),
            )
        )
    middle = max_count // 2
    ticks = [(bottom, "0"), (top, str(max_count))]
    if 0 < middle < max_count:
        ticks.append((round(bottom - (bottom - top) * middle / max_count, 2), str(middle)))
    first, last_day = series[0][0], series[-1][0]
    if len(series) == 1:
        description = f"Einträge nach Befund am {german_date(first)}."
    else:
        description = (
            f"Einträge nach Befund in den {len(series)} Nächten vom {german_date(first)} "
            f"bis {german_date(last_day)}."
        )
    table = tuple(
        (german_date(day), tuple(counts.get(v.value, 0) for v in VERDICT_PRIORITY))
        for day, counts in series
    )
    return _ChartView(
        width=width,
        height=height,
        plot_top=top,
        plot_bottom=bottom,
        plot_left=left,
        plot_right=right,
        max_count=max_count,
        ticks=tuple(ticks),
        bars=tuple(bars),
        nights=table,
        description=description,
    )


def _build_view(report: ReportInput) -> _ReportView:
    rows = _rows(report)
    sections: list[_SectionView] = []
    for section in ReportSection:
        section_rows = [row for row in rows if row.section is section]
        total = len(section_rows)
        if section is ReportSection.OK:
            section_rows = section_rows[:OK_ROWS_MAX]
        sections.append(
            _SectionView(
                section=section,
                heading=SECTION_HEADINGS[section],
                intro=SECTION_INTROS[section],
                rows=tuple(section_rows),
                rows_total=total,
                collapsed=section is ReportSection.OK,
            )
        )

    tonight = _verdict_counts(report.entries)
    before_day, before = _previous_counts(report)
    counts = tuple(
        _CountView(
            verdict=verdict,
            label=GERMAN_VERDICT_LABELS[verdict],
            sentence=verdict_sentence(verdict),
            count=tonight[verdict.value],
            previous=None if before is None else before.get(verdict.value, 0),
            change=_change_text(
                tonight[verdict.value], None if before is None else before.get(verdict.value, 0)
            ),
        )
        for verdict in VERDICT_PRIORITY
    )
    new, fixed = _changes_since_yesterday(report.entries, report.previous_verdicts)
    generated = report.generated_at
    if generated.tzinfo is not None:
        generated = generated.astimezone(dt.UTC)
    providers = sorted({row.provider for row in rows if row.provider}, key=str.casefold)
    return _ReportView(
        title=f"Linkpflege – Bericht vom {german_date(report.run_date)}",
        run_date=german_date(report.run_date),
        generated=f"{german_date(generated.date())}, {generated:%H:%M} Uhr (UTC)",
        catalog_name=_shown(report.catalog_name),
        inconclusive_reason=_shown(report.inconclusive_reason, REASON_MAX_CHARS),
        counts=counts,
        compared_with=german_date(before_day) if before_day else ("Vortag" if before else ""),
        entries_total=len(report.entries),
        links_total=len(report.links),
        first_night=not report.previous_verdicts,
        new_since_yesterday=new,
        fixed_since_yesterday=fixed,
        sections=tuple(sections),
        providers=tuple(providers),
        chart=_chart(report, tonight),
        chart_verdicts=tuple((_verdict_css(v), GERMAN_VERDICT_LABELS[v]) for v in _CHART_ORDER),
        all_rows=tuple(rows),
    )


def _changes_since_yesterday(
    entries: Iterable[EntryVerdict], previous: Mapping[str, Verdict]
) -> tuple[tuple[_ChangeView, ...], tuple[_ChangeView, ...]]:
    """New problems (worse than yesterday, or new in the catalogue) and fixed entries."""
    if not previous:
        return (), ()
    rank = {verdict: index for index, verdict in enumerate(VERDICT_PRIORITY)}
    new: list[_ChangeView] = []
    fixed: list[_ChangeView] = []
    for entry in entries:
        before = previous.get(entry.entry_id)
        before_label = GERMAN_VERDICT_LABELS[before] if before else "– (neu im Katalog)"
        change = _ChangeView(
            provider=_shown(entry.provider),
            title=_shown(entry.title),
            now_label=GERMAN_VERDICT_LABELS[entry.verdict],
            before_label=before_label,
            section=_SECTION_OF_VERDICT[entry.verdict],
        )
        if entry.verdict is Verdict.OK:
            if before is not None and before is not Verdict.OK:
                fixed.append(change)
        elif before is None or rank[entry.verdict] < rank[before]:
            new.append(change)
    return tuple(new), tuple(fixed)


def problem_rows(report: ReportInput) -> list[dict[str, str]]:
    """The links that need an editor (every section but „In Ordnung“), as plain strings:
    for a table artifact or any other tabular view."""
    view = _build_view(report)
    table: list[dict[str, str]] = []
    for section in view.sections:
        if section.section is ReportSection.OK:
            continue
        for row in section.rows:
            table.append(
                {
                    "Abschnitt": section.heading,
                    "Anbieter": row.provider,
                    "Eintrag": row.entry_title,
                    "Link": row.label,
                    "Adresse": row.url_text,
                    "Was ist los": row.sentence,
                    "Seit": row.since,
                    "HTTP": row.http_status,
                    "Neue Adresse": row.final_url if row.section is ReportSection.MOVED else "",
                    "Maßnahme": "; ".join(action.text for action in row.actions),
                }
            )
    return table


# ---------------------------------------------------------------------------------------------
# HTML


@cache
def _environment() -> jinja2.Environment:
    # autoescape=True, not select_autoescape(): "report.html.j2" does not end in ".html".
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _csp_hash(text: str) -> str:
    digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")
    return f"'sha256-{digest}'"


@cache
def _stylesheet() -> tuple[str, str]:
    """The report's CSS and its CSP source expression (a hash, so no other style may apply)."""
    css = (TEMPLATE_DIR / "report.css").read_text(encoding="utf-8")
    return css, _csp_hash(css)


@cache
def _script() -> tuple[str, str]:
    """The report's own script (filter, search, sorting) and its CSP hash."""
    script = (TEMPLATE_DIR / "report.js").read_text(encoding="utf-8")
    return script, _csp_hash(script)


def content_security_policy() -> str:
    """The policy the HTML report carries: nothing may load; only our own inline stylesheet
    and script, named by their sha256, may apply or run."""
    _, style_source = _stylesheet()
    _, script_source = _script()
    return (
        "default-src 'none'; "
        f"script-src {script_source}; "
        f"style-src {style_source}; "
        "img-src 'none'; "
        "connect-src 'none'; "
        "base-uri 'none'; "
        "form-action 'none'"
    )


def render_html(report: ReportInput) -> str:
    """A self-contained HTML page (inline CSS and script, no external resources)."""
    return _render_html(_build_view(report))


def _render_html(view: _ReportView) -> str:
    css, _ = _stylesheet()
    script, _ = _script()
    template = _environment().get_template("report.html.j2")
    return template.render(
        report=view,
        # Our own files, not data: their hashes are in the CSP, so not a byte may change.
        css=Markup(css),
        script=Markup(script),
        csp=content_security_policy(),
        ok_rows_max=OK_ROWS_MAX,
    )


# ---------------------------------------------------------------------------------------------
# Markdown


def _md(text: str) -> str:
    """Harvested text for a Markdown table cell: cannot end the cell, add markup, HTML or links."""
    return "".join(_MARKDOWN_ESCAPES.get(char, char) for char in _shown(text, REASON_MAX_CHARS))


def _md_link(text: str, href: str | None) -> str:
    if not href:
        return _md(text)
    destination = "".join(_MARKDOWN_URL_ESCAPES.get(char, char) for char in href)
    return f"[{_md(text)}]({destination})"


def _md_table(headers: tuple[str, ...], rows: Iterable[tuple[str, ...]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines.extend("| " + " | ".join(cell or " " for cell in row) + " |" for row in rows)
    return lines


def _md_actions(actions: tuple[_Action, ...]) -> str:
    return "; ".join(_md_link(action.text, action.href) for action in actions) or "–"


def _md_link_cell(row: _RowView) -> str:
    label = _md(row.label) if row.label else ""
    if row.href:
        target = _md_link(row.url_text, row.href)
    else:
        target = _md(row.url_text) if row.url_text else "kein Link-Ziel"
    title = f" – Seitentitel: {_md(row.page_title)}" if row.page_title else ""
    return f"{label}: {target}{title}" if label else f"{target}{title}"


def _md_evidence(row: _RowView) -> str:
    return (
        "; ".join(f"{item.label}: {_md_link(item.text, item.href)}" for item in row.evidence) or "–"
    )


def render_markdown(report: ReportInput) -> str:
    """The report as Markdown tables (GitHub-flavoured), same sections as the HTML page."""
    return _render_markdown(_build_view(report))


def _render_markdown(view: _ReportView) -> str:
    lines = [f"# {view.title}", ""]
    lines.append(f"Lauf vom {view.run_date}, erstellt am {view.generated}.  ")
    lines.append(f"Katalog: {_md(view.catalog_name)}  ")
    lines.append(
        "Stand: " + ("**nicht aussagekräftig**" if view.inconclusive_reason else "vollständig")
    )
    lines.append("")
    if view.inconclusive_reason:
        lines.append(
            f"> **Achtung: Dieser Lauf war nicht aussagekräftig.** {_md(view.inconclusive_reason)} "
            "Es wurde kein Link herabgestuft."
        )
        lines.append("")

    lines += ["## Übersicht", ""]
    compared = f"Veränderung zum {view.compared_with}" if view.compared_with else "Veränderung"
    lines += _md_table(
        ("Befund", "Einträge", compared),
        [(count.label, str(count.count), count.change or "–") for count in view.counts]
        + [("**Gesamt**", f"**{view.entries_total}** ({view.links_total} Links)", "")],
    )
    lines.append("")
    lines.append(
        "Links nach Abschnitt: "
        + " · ".join(f"{section.heading} {section.rows_total}" for section in view.sections)
    )
    lines.append("")

    if len(view.chart.nights) > 1:
        recent = view.chart.nights[-7:]
        lines += ["## Verlauf", ""]
        lines += _md_table(
            ("Nacht", *(GERMAN_VERDICT_LABELS[v] for v in VERDICT_PRIORITY)),
            [(night, *(str(n) for n in numbers)) for night, numbers in recent],
        )
        lines.append("")

    lines += _md_changes(view)

    for section in view.sections:
        lines += [f"## {section.heading} ({section.rows_total})", "", section.intro, ""]
        if not section.rows:
            lines += ["Keine Links.", ""]
            continue
        rows = [
            (
                _md(row.provider),
                _md(row.entry_title),
                _md_link_cell(row),
                " ".join(_md(text) for text in (row.sentence, *row.notes)),
                f"{row.since} ({row.since_what})" if row.since else "–",
                _md_evidence(row),
                _md_actions(row.actions),
            )
            for row in section.rows
        ]
        lines += _md_table(
            ("Anbieter", "Eintrag", "Link", "Was ist los", "Seit", "Belege", "Maßnahme"), rows
        )
        if section.rows_total > len(section.rows):
            lines.append("")
            lines.append(
                f"… und {section.rows_total - len(section.rows)} weitere (siehe report.csv)."
            )
        lines.append("")
    return "\n".join(lines)


def _md_changes(view: _ReportView) -> list[str]:
    if view.first_night:
        return ["Erster Lauf: noch kein Vergleich mit dem Vortag möglich.", ""]
    lines = [f"## Neu seit gestern ({len(view.new_since_yesterday)})", ""]
    if view.new_since_yesterday:
        new_rows = [
            (_md(change.provider), _md(change.title), change.now_label, change.before_label)
            for change in view.new_since_yesterday
        ]
        lines += _md_table(("Anbieter", "Eintrag", "Heute", "Gestern"), new_rows)
    else:
        lines.append("Keine.")
    lines += ["", f"## Behoben seit gestern ({len(view.fixed_since_yesterday)})", ""]
    if view.fixed_since_yesterday:
        fixed_rows = [
            (_md(change.provider), _md(change.title), change.before_label)
            for change in view.fixed_since_yesterday
        ]
        lines += _md_table(("Anbieter", "Eintrag", "Gestern"), fixed_rows)
    else:
        lines.append("Keine.")
    lines.append("")
    return lines


# ---------------------------------------------------------------------------------------------
# CSV


_CSV_HEADERS = (
    "Abschnitt",
    "Befund",
    "Eintrag-ID",
    "Anbieter",
    "Anbietertyp",
    "Eintrag",
    "Gründe",
    "Linkbezeichnung",
    "URL",
    "Linkstatus",
    "Was ist los",
    "Seit",
    "HTTP-Status",
    "Weitergeleitet zu",
    "Inhaltsdatum",
    "Datumsquelle",
    "Alter in Tagen",
    "Veraltet",
    "Fehlerhaft seit",
    "Zuletzt erreichbar",
    "Seitentitel",
    "Zusammenfassung",
    "Maßnahme",
    "Archivsuche",
    "Lauf vom",
)


def _csv_cell(value: str) -> str:
    """Neutralise formula injection: a leading =, +, -, @, tab or CR becomes text."""
    value = value[:CSV_CELL_MAX_CHARS]
    return "'" + value if value.startswith(_CSV_FORMULA_STARTS) else value


def render_csv(report: ReportInput) -> str:
    """One row per link, for German Excel: UTF-8 with BOM, `;`, dates TT.MM.JJJJ."""
    return _render_csv(_build_view(report))


def _render_csv(view: _ReportView) -> str:
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=";", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(_CSV_HEADERS)
    # Every link, also the "In Ordnung" rows the page leaves out of a very large catalogue.
    for section in ReportSection:
        for row in view.all_rows:
            if row.section is not section:
                continue
            cells = [
                SECTION_HEADINGS[section],
                row.verdict_label,
                row.entry_id,
                row.provider,
                row.provider_type,
                row.entry_title,
                " | ".join(row.reasons),
                row.label,
                row.url,
                row.health,
                " ".join((row.sentence, *row.notes)),
                row.since,
                row.http_status,
                row.final_url,
                row.content_date,
                row.date_source,
                row.age_days,
                row.stale,
                row.failing_since,
                row.last_ok,
                row.page_title,
                row.summary,
                "; ".join(action.text for action in row.actions),
                row.archive_href,
                view.run_date,
            ]
            writer.writerow([_csv_cell(cell) for cell in cells])
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------
# Files


def write_report(report: ReportInput, report_dir: Path) -> ReportFiles:
    """Writes index.html, report.md, report.csv and dated copies, each atomically."""
    report_dir.mkdir(parents=True, exist_ok=True)
    day = report.run_date.isoformat()
    files = ReportFiles(
        html=report_dir / "index.html",
        markdown=report_dir / "report.md",
        csv=report_dir / "report.csv",
        dated_html=report_dir / f"report-{day}.html",
        dated_markdown=report_dir / f"report-{day}.md",
        dated_csv=report_dir / f"report-{day}.csv",
    )
    view = _build_view(report)
    html = _render_html(view).encode("utf-8")
    markdown = _render_markdown(view).encode("utf-8")
    table = _render_csv(view).encode("utf-8")  # the BOM is part of the text
    for path, payload in (
        (files.dated_html, html),
        (files.dated_markdown, markdown),
        (files.dated_csv, table),
        (files.html, html),
        (files.markdown, markdown),
        (files.csv, table),
    ):
        _write_atomically(path, payload)
    return files


def _write_atomically(path: Path, payload: bytes) -> None:
    """Readers see the old file or the new one, never half of it."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    # 0o644 (less the umask), unlike mkstemp's 0o600: the report is meant to be served and read.
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
