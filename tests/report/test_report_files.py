"""The report's files: each format is rendered in pieces straight into its file, the dated copy
is copied on disk, and what lands on disk is byte for byte the rendered string, even for
hostile text; a failed night leaves last night's files as they were."""

from __future__ import annotations

import datetime as dt
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from record_factories import RUN_DATE, make_entry_verdict, make_link_row

from extractors.records import Health, Hop, Verdict
from flows.report.csv_report import render_csv_view, stream_csv_view
from flows.report.html_report import render_html_view, stream_html_view
from flows.report.markdown_report import render_markdown_view, stream_markdown_view
from flows.report.render import write_report
from flows.report.view import ReportInput, build_view

# Line breaks of every kind, quotes and `;` for the CSV, a character beyond the BMP, NUL,
# markup, a formula and right-to-left text with a bidi override.
HOSTILE = (
    'Zeile\r\nzwei\rdrei\n\u2028vier; "fünf" 🙂 \x00 <script>alert(1)</script> | `x` '
    "=1+1 مساعدة \u202egnp.exe"
)


def hostile_report(**changes: Any) -> ReportInput:
    """A link in every section and every optional part of the page shown, all hostile."""
    entries = [
        make_entry_verdict(
            entry_id="kaputt", verdict=Verdict.BROKEN, reasons=(HOSTILE,), title=HOSTILE
        ),
        make_entry_verdict(entry_id="umzug", verdict=Verdict.REVIEW, provider=HOSTILE),
        make_entry_verdict(entry_id="alt", verdict=Verdict.STALE, reasons=(HOSTILE,)),
        make_entry_verdict(entry_id="ohne", verdict=Verdict.MISSING_URL, title=HOSTILE),
        *(
            make_entry_verdict(entry_id=f"gut{i}", title=f"{HOSTILE} {i}", provider=HOSTILE)
            for i in range(5)
        ),
    ]
    links = [
        make_link_row(
            entry_id="kaputt",
            url='https://example.org/weg?a=1;b="2"',
            link_label=HOSTILE,
            health=Health.NOT_FOUND,
            http_status=404,
            error_detail=HOSTILE,
            confirmed_broken=True,
            failing_since=dt.date(2026, 11, 3),
            archived_url="javascript:alert(1)",
            archive_note=HOSTILE,
        ),
        make_link_row(
            entry_id="umzug",
            url="http://example.org/flyer",
            health=Health.MOVED,
            http_status=200,
            redirect_chain=(Hop("http://example.org/flyer", 301, "https://neu.example.org/"),),
            final_url="JaVaScRiPt:alert(2)",
            title=HOSTILE,
        ),
        make_link_row(
            entry_id="alt",
            url="https://example.org/alt",
            stale=True,
            content_date=dt.date(2015, 11, 3),
            age_days=4041,
            summary=HOSTILE * 50,
        ),
        make_link_row(entry_id="ohne", url=None, link_label=HOSTILE),
        *(
            make_link_row(entry_id=f"gut{i}", url=f"https://example.org/{i}", summary=HOSTILE)
            for i in range(5)
        ),
    ]
    fields: dict[str, Any] = {
        "run_date": RUN_DATE,
        "generated_at": dt.datetime(2026, 11, 26, 3, 12, tzinfo=dt.UTC),
        "catalog_name": HOSTILE,
        "inconclusive_reason": HOSTILE,
        "entries": tuple(entries),
        "links": tuple(links),
        "previous_verdicts": {"kaputt": Verdict.OK, "gut0": Verdict.BROKEN},
        "verdict_history": tuple(
            (RUN_DATE - dt.timedelta(days=n), {"broken": n, "ok": 5}) for n in range(3, 0, -1)
        ),
        "delivery_failure": HOSTILE,
        **changes,
    }
    return ReportInput(**fields)


def test_written_files_are_byte_for_byte_the_rendered_strings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("flows.report.view.OK_ROWS_MAX", 3)  # the cut shows in every format
    report = hostile_report()
    files = write_report(report, tmp_path)
    view = build_view(report)
    rendered = {
        files.html: render_html_view(view),
        files.markdown: render_markdown_view(view),
        files.csv: render_csv_view(view),
    }
    assert "2 weitere" in rendered[files.html] and "2 weitere" in rendered[files.markdown]
    assert "🙂" in rendered[files.csv] and rendered[files.csv].startswith("\ufeff")
    for latest, dated in (
        (files.html, files.dated_html),
        (files.markdown, files.dated_markdown),
        (files.csv, files.dated_csv),
    ):
        assert latest.read_bytes() == rendered[latest].encode("utf-8")
        assert dated.read_bytes() == latest.read_bytes()
    umask = os.umask(0)
    os.umask(umask)
    for path in files.all():
        assert stat.S_IMODE(path.stat().st_mode) == 0o644 & ~umask
    assert not list(tmp_path.glob(".*"))  # no temporary file left


def test_each_format_is_rendered_in_pieces_that_join_to_the_string() -> None:
    view = build_view(hostile_report())
    for stream, render in (
        (stream_html_view, render_html_view),
        (stream_markdown_view, render_markdown_view),
        (stream_csv_view, render_csv_view),
    ):
        pieces = list(stream(view))
        assert len(pieces) > view.links_total  # a row at a time, never the whole at once
        assert "".join(pieces) == render(view)


def test_a_failed_night_keeps_last_nights_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = write_report(hostile_report(), tmp_path)
    before = {path: path.read_bytes() for path in files.all()}

    def failing_csv(view: object) -> Iterator[str]:
        yield "\ufeffAbschnitt;"
        raise OSError("disk full")

    monkeypatch.setattr("flows.report.render.stream_csv_view", failing_csv)
    with pytest.raises(OSError, match="disk full"):
        write_report(hostile_report(inconclusive_reason=None), tmp_path)
    # The new HTML and Markdown were complete, but none of the six files was replaced.
    assert {path: path.read_bytes() for path in files.all()} == before
    assert not list(tmp_path.glob(".*"))
