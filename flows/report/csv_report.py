"""The report as CSV for German Excel: one row per link, UTF-8 with BOM, `;`, dates TT.MM.JJJJ,
and a leading apostrophe against formula injection. Rows are formatted one at a time
(`stream_csv_view`), so the table of a large catalogue need never be one string.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator

from flows.report.view import ReportInput, ReportView, build_view

CSV_CELL_MAX_CHARS = 32_000  # Excel refuses cells longer than 32,767 characters
_CSV_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
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
    "Archivkopie",
    "Archivkopie vom",
    "Archivhinweis",
    "Vorgeschlagene Adresse",
    "Vorschlag-Quelle",
    "Vorschlag-Wert",
    "Lauf vom",
)


def _csv_cell(value: str) -> str:
    """Neutralise formula injection: a leading =, +, -, @, tab or CR becomes text."""
    value = value[:CSV_CELL_MAX_CHARS]
    return "'" + value if value.startswith(_CSV_FORMULA_STARTS) else value


def render_csv(report: ReportInput) -> str:
    """One row per link, for German Excel: UTF-8 with BOM, `;`, dates TT.MM.JJJJ."""
    return render_csv_view(build_view(report))


class _Line:
    """A stand-in file for `csv.writer`: `writerow` returns what `write` returns, so each
    formatted row comes back as a string instead of piling up in a buffer."""

    def write(self, line: str) -> str:
        return line


def render_csv_view(view: ReportView) -> str:
    return "".join(stream_csv_view(view))


def stream_csv_view(view: ReportView) -> Iterator[str]:
    """`render_csv_view` row by row (the BOM first), formatted as they are consumed."""
    writer = csv.writer(_Line(), delimiter=";", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    yield "\ufeff"
    yield writer.writerow(_CSV_HEADERS)
    # Every link, also the "In Ordnung" rows the page leaves out of a very large catalogue.
    for section_view in view.sections:
        for row in view.rows_of(section_view):
            cells = [
                section_view.heading,
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
                row.archived_url,
                row.archived_at,
                row.archive_note,
                row.suggested_url,
                row.suggestion_source,
                row.suggestion_score,
                view.run_date,
            ]
            yield writer.writerow([_csv_cell(cell) for cell in cells])
