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

Writing is bounded in memory however many links there are: each format is rendered in pieces
straight into a temporary file, one format after the other, and its dated copy is copied on
disk from that file. Only when all six temporary files are complete and synced do they replace
the old ones, so readers see the old report or the new one, never half a file.
"""

from __future__ import annotations

import os
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from flows.report.csv_report import stream_csv_view
from flows.report.html_report import stream_html_view
from flows.report.markdown_report import stream_markdown_view
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
    staged: list[tuple[Path, Path]] = []  # (temporary file, its final name)
    try:
        # The generators render only while written: one format's pieces at a time.
        for path, copy_path, pieces in (
            (files.dated_html, files.html, stream_html_view(view)),
            (files.dated_markdown, files.markdown, stream_markdown_view(view)),
            (files.dated_csv, files.csv, stream_csv_view(view)),  # the BOM is part of the text
        ):
            written = _stage(path, staged)
            # newline="": the CSV's \r\n and the pages' \n go to disk exactly as rendered.
            with _new_file(written, "w", encoding="utf-8", newline="") as handle:
                handle.writelines(pieces)
                _sync(handle)
            copied = _stage(copy_path, staged)
            with written.open("rb") as original, _new_file(copied, "wb") as copy:
                shutil.copyfileobj(original, copy)
                _sync(copy)
        for temporary, final in staged:
            os.replace(temporary, final)
    except BaseException:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)
        raise
    return files


def _stage(path: Path, staged: list[tuple[Path, Path]]) -> Path:
    """A fresh temporary name beside `path`, recorded so a failure can remove it."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    staged.append((temporary, path))
    return temporary


def _new_file(temporary: Path, mode: str, **options: Any) -> IO[Any]:
    # 0o644 (less the umask), unlike mkstemp's 0o600: the report is meant to be served and read.
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        return os.fdopen(fd, mode, **options)
    except BaseException:
        os.close(fd)
        raise


def _sync(handle: IO[Any]) -> None:
    """On disk before it replaces the old file: after a crash, the old file or the new one."""
    handle.flush()
    os.fsync(handle.fileno())
