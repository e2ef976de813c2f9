"""The report's view model: link rows, entry verdicts and the history of earlier nights
turned into what the editors see, as cleaned, length-capped strings shared by the HTML,
Markdown and CSV formats: sections of link rows, counts per verdict with the change since
the previous night, what is new and fixed since yesterday, and the trend chart.

Why one module: the view model is one mapping, `build_view`, from the night's rows to the
frozen `ReportView` that the HTML, Markdown and CSV renderers all read; its dataclasses and
the functions that fill them change together, and the cleaning and capping happen here once.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from extractors.records import EntryVerdict, LinkRow, SuggestionRow, Verdict
from extractors.verdicts.entry_verdicts import (
    GERMAN_HEALTH_LABELS,
    GERMAN_VERDICT_LABELS,
    VERDICT_PRIORITY,
    german_date,
    german_date_source,
)
from flows.report.assessment import (
    WAYBACK_SEARCH,
    Action,
    Evidence,
    archived_copy_href,
    link_actions,
    link_assessment,
    link_evidence,
)
from flows.report.safe_text import REASON_MAX_CHARS, TEXT_MAX_CHARS, http_href, shown_text
from flows.report.wording import (
    SECTION_HEADINGS,
    SECTION_INTROS,
    SECTION_OF_VERDICT,
    ReportSection,
    verdict_sentence,
)

TREND_NIGHTS = 30  # nights drawn in the trend chart
# "In Ordnung" rows beyond this are left to report.csv: a catalogue of a million good links
# must not make a page no browser can open. Problem sections are never cut.
OK_ROWS_MAX = 2000


@dataclass(frozen=True, slots=True)
class ReportInput:
    """Everything one report shows.

    `previous_verdicts` is empty on the first night. `verdict_history` holds the entry counts
    per verdict of earlier nights (oldest first, see `flows.report.history`); it feeds the
    trend chart and the change since the previous night, and may be empty.
    """

    run_date: dt.date
    generated_at: dt.datetime  # UTC
    catalog_name: str
    inconclusive_reason: str | None
    entries: tuple[EntryVerdict, ...]
    links: Sequence[LinkRow]  # walked once; a long night's come from its table as read
    previous_verdicts: Mapping[str, Verdict]
    verdict_history: tuple[tuple[dt.date, Mapping[str, int]], ...] = ()
    # Every candidate new address considered tonight (suggestions.parquet): the evidence of
    # a row's proposal comes from here.
    suggestions: tuple[SuggestionRow, ...] = ()
    # „Die Morgennachricht … konnte nicht zugestellt werden …“ when the last delivery failed.
    delivery_failure: str = ""


@dataclass(frozen=True, slots=True)
class RowView:
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
    evidence: tuple[Evidence, ...]
    actions: tuple[Action, ...]
    http_status: str
    final_url: str
    content_date: str
    date_source: str
    age_days: str
    stale: str
    failing_since: str
    last_ok: str
    archive_href: str  # the search in the Wayback Machine ("" when a checked copy is known)
    archived_url: str  # the checked archived copy (only an http(s) address, else "")
    archived_at: str  # its capture day, TT.MM.JJJJ
    archive_note: str  # „Archivkopie vom 04.03.2019, Titel stimmt überein“ or why none
    suggested_url: str = ""  # a proposed replacement address (any source), as stored
    suggestion_source: str = ""  # where it comes from, in German („Sitemap“, „Weiterleitung“)
    suggestion_score: str = ""  # 0–1 with a decimal comma („0,92“)


@dataclass(frozen=True, slots=True)
class _SectionView:
    section: ReportSection
    heading: str
    intro: str
    rows: tuple[RowView, ...]
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
class ReportView:
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
    all_rows: AllRows  # every link, also those the page leaves out (CSV)
    delivery_failure: str = ""  # the last morning message was not delivered

    def rows_of(self, section: _SectionView) -> Iterable[RowView]:
        """Every row of a section, also those the page leaves out (made again if so)."""
        if len(section.rows) == section.rows_total:
            return section.rows
        return (row for row in self.all_rows if row.section is section.section)


class AllRows(Iterable[RowView]):
    """Every link's row, made again from the night's links each time it is walked: a long
    night's "In Ordnung" rows are not held (about 1 KB a link), only written (CSV)."""

    def __init__(self, report: ReportInput) -> None:
        self._report = report

    def __iter__(self) -> Iterator[RowView]:
        return _rows(self._report)


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


# The view holds a row per catalogue link, so what repeats across rows (dates, statuses, the
# same sentence) is interned, and harvested text that needed no cleaning stays the input's own
# string: a copy per row would cost ~100 MB at 50,000 links.
def _date_text(day: dt.date | None) -> str:
    return sys.intern(german_date(day)) if day else ""


def _shown(text: str | None, limit: int = TEXT_MAX_CHARS) -> str:
    """`shown_text`, but the harvested string itself when cleaning left it unchanged (never a
    str subclass such as markupsafe.Markup, which autoescaping would pass through)."""
    shown = shown_text(text, limit)
    return text if type(text) is str and text == shown else shown


# suggestion_source values as the CSV names them.
SUGGESTION_SOURCE_LABELS = {
    "redirect": "Weiterleitung",
    "sitemap": "Sitemap",
    "url_pattern": "Adressmuster",
    "archive_index": "Archivindex",
}


def _row_view(
    link: LinkRow,
    entry: EntryVerdict | None,
    fallback: _EntryFacts,
    suggestion_evidence: str | None,
    evidence_seen: dict[tuple[Evidence, ...], tuple[Evidence, ...]],
) -> RowView:
    url = (link.url or "").strip()
    href = http_href(url)
    if href == url:
        href = url  # the same text: hold it once
    assessment = link_assessment(link, entry)
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
    actions = link_actions(link, assessment.section, href, entry_id)
    archive = next((a.href for a in actions if a.href and a.href.startswith(WAYBACK_SEARCH)), "")
    evidence = link_evidence(link, assessment.section, suggestion_evidence)
    return RowView(
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
        health=sys.intern(_capitalised(health_text)),
        sentence=sys.intern(shown_text(assessment.sentence, REASON_MAX_CHARS)),
        notes=assessment.notes,
        since=_date_text(assessment.since),
        since_iso=sys.intern(assessment.since.isoformat()) if assessment.since else "",
        since_what=assessment.since_what if assessment.since else "",
        evidence=evidence_seen.setdefault(evidence, evidence),
        actions=actions,
        http_status=sys.intern(str(link.http_status)) if link.http_status else "",
        final_url=final_url,
        content_date=_date_text(link.content_date),
        date_source=(
            sys.intern(shown_text(german_date_source(link.date_source)))
            if link.content_date
            else ""
        ),
        age_days=sys.intern(str(link.age_days)) if link.age_days is not None else "",
        stale={True: "ja", False: "nein", None: ""}[link.stale],
        failing_since=_date_text(link.failing_since),
        last_ok=_date_text(link.last_ok),
        archive_href=archive or "",
        archived_url=archived_copy_href(link) or "",
        archived_at=_date_text(link.archived_at.date()) if link.archived_at else "",
        archive_note=shown_text(link.archive_note, REASON_MAX_CHARS),
        suggested_url=shown_text(link.suggested_url),
        suggestion_source=SUGGESTION_SOURCE_LABELS.get(
            link.suggestion_source or "", shown_text(link.suggestion_source)
        ),
        suggestion_score=(
            f"{link.suggestion_score:.2f}".replace(".", ",")
            if link.suggestion_score is not None
            else ""
        ),
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
        provider=sys.intern(_shown(entry.provider)),
        provider_type=sys.intern(_shown(entry.provider_type)),
        title=_shown(entry.title),
        verdict_label=GERMAN_VERDICT_LABELS[entry.verdict],
        reasons=tuple(shown_text(reason, REASON_MAX_CHARS) for reason in entry.reasons),
    )


def _entry_only_row(entry: EntryVerdict, facts: _EntryFacts) -> RowView:
    """An entry without link rows (hand-made input): one row in its verdict's section."""
    sentence = facts.reasons[0] if facts.reasons else verdict_sentence(entry.verdict)
    return RowView(
        section=SECTION_OF_VERDICT[entry.verdict],
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
        archived_url="",
        archived_at="",
        archive_note="",
    )


def _rows(report: ReportInput) -> Iterator[RowView]:
    entries = {entry.entry_id: entry for entry in report.entries}
    facts = {entry_id: _entry_facts(entry, entry_id) for entry_id, entry in entries.items()}
    evidence = {
        (s.entry_id, s.link_label, s.url, s.candidate_url): s.evidence for s in report.suggestions
    }
    with_links: set[str] = set()
    # Most healthy links show the same evidence (status 200, a content date): held once.
    evidence_seen: dict[tuple[Evidence, ...], tuple[Evidence, ...]] = {}
    for link in report.links:
        entry = entries.get(link.entry_id)
        fallback = facts.get(link.entry_id) or _entry_facts(None, link.entry_id)
        found = evidence.get((link.entry_id, link.link_label, link.url, link.suggested_url))
        yield _row_view(link, entry, fallback, found, evidence_seen)
        with_links.add(link.entry_id)
    for entry in report.entries:
        if entry.entry_id not in with_links:
            yield _entry_only_row(entry, facts[entry.entry_id])


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


def build_view(report: ReportInput) -> ReportView:
    # One walk over the links; of the "In Ordnung" rows only those the page shows are kept.
    shown: dict[ReportSection, list[RowView]] = {section: [] for section in ReportSection}
    totals: Counter[ReportSection] = Counter()
    providers: set[str] = set()
    for row in _rows(report):
        totals[row.section] += 1
        if row.section is not ReportSection.OK or len(shown[row.section]) < OK_ROWS_MAX:
            shown[row.section].append(row)
        if row.provider:
            providers.add(row.provider)
    sections = [
        _SectionView(
            section=section,
            heading=SECTION_HEADINGS[section],
            intro=SECTION_INTROS[section],
            rows=tuple(shown[section]),
            rows_total=totals[section],
            collapsed=section is ReportSection.OK,
        )
        for section in ReportSection
    ]

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
    return ReportView(
        title=f"Linkpflege – Bericht vom {german_date(report.run_date)}",
        run_date=german_date(report.run_date),
        generated=f"{german_date(generated.date())}, {generated:%H:%M} Uhr (UTC)",
        catalog_name=shown_text(report.catalog_name),
        inconclusive_reason=shown_text(report.inconclusive_reason, REASON_MAX_CHARS),
        counts=counts,
        compared_with=german_date(before_day) if before_day else ("Vortag" if before else ""),
        entries_total=len(report.entries),
        links_total=len(report.links),
        first_night=not report.previous_verdicts,
        new_since_yesterday=new,
        fixed_since_yesterday=fixed,
        sections=tuple(sections),
        providers=tuple(sorted(providers, key=str.casefold)),
        chart=_chart(report, tonight),
        chart_verdicts=tuple((_verdict_css(v), GERMAN_VERDICT_LABELS[v]) for v in _CHART_ORDER),
        all_rows=AllRows(report),
        delivery_failure=shown_text(report.delivery_failure, REASON_MAX_CHARS),
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
            section=SECTION_OF_VERDICT[entry.verdict],
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
    view = build_view(report)
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
                    "Archivkopie": row.archived_url,
                    "Maßnahme": "; ".join(action.text for action in row.actions),
                }
            )
    return table
