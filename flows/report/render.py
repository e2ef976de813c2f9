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

The pieces: `report_view` (the view model), `report_assessment` (one link assessed),
`report_wording` (German sections and sentences), `report_text` (hostile text made safe),
`report_html`, `report_markdown`, `report_csv` (the formats). This module writes the files.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from flows.report.csv_report import render_csv_view
from flows.report.html_report import render_html_view
from flows.report.markdown_report import render_markdown_view
from flows.report.view import ReportInput, build_view


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
    view = build_view(report)
    html = render_html_view(view).encode("utf-8")
    markdown = render_markdown_view(view).encode("utf-8")
    table = render_csv_view(view).encode("utf-8")  # the BOM is part of the text
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
