"""Archived copies in the editors' report: the checked copy as a link with its note, as the
action instead of the bare archive search, in HTML, Markdown and CSV; hostile or non-http
addresses never become links."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from typing import Any

from bs4 import BeautifulSoup
from record_factories import RUN_DATE, make_entry_verdict, make_link_row

from extractors.records import Health, Hop, LinkRow, Verdict
from flows.report.assessment import COPY_ACTION, link_actions, link_assessment, link_evidence
from flows.report.csv_report import render_csv
from flows.report.html_report import render_html
from flows.report.markdown_report import render_markdown
from flows.report.view import ReportInput, problem_rows
from flows.report.wording import ReportSection

URL = "https://www.stadt-beispiel.de/integration/lotsen.html"
COPY = "https://web.archive.org/web/20190304120000/" + URL
CAPTURED = dt.datetime(2019, 3, 4, 12, 0, tzinfo=dt.UTC)
NOTE = "Archivkopie vom 04.03.2019, Titel stimmt überein"
SEARCH = "https://web.archive.org/web/*/" + URL


def broken_row(**changes: Any) -> LinkRow:
    fields: dict[str, Any] = {
        "entry_id": "lotsen",
        "url": URL,
        "health": Health.NOT_FOUND,
        "http_status": 404,
        "title": None,
        "confirmed_broken": True,
        "consecutive_failures": 2,
        "failing_since": dt.date(2026, 11, 25),
        "last_ok": dt.date(2026, 11, 24),
        "archived_url": COPY,
        "archived_at": CAPTURED,
        "archive_note": NOTE,
    }
    fields.update(changes)
    return make_link_row(**fields)


def report_of(*links: LinkRow) -> ReportInput:
    entries = {
        link.entry_id: make_entry_verdict(entry_id=link.entry_id, verdict=Verdict.BROKEN)
        for link in links
    }
    return ReportInput(
        run_date=RUN_DATE,
        generated_at=dt.datetime(2026, 11, 26, 3, 0, tzinfo=dt.UTC),
        catalog_name="Katalog",
        inconclusive_reason=None,
        entries=tuple(entries.values()),
        links=links,
        previous_verdicts={},
    )


def html_row(html: str, entry_id: str) -> Any:
    soup = BeautifulSoup(html, "html.parser")
    for row in soup.select("table.links tbody tr"):
        if f"Titel {entry_id}" in row.get_text():
            return row
    raise AssertionError(entry_id)


def test_a_checked_copy_replaces_the_archive_search_as_the_action() -> None:
    link = broken_row()
    section = link_assessment(link, None).section
    assert section is ReportSection.BROKEN
    actions = link_actions(link, section, URL, "lotsen")
    assert [(a.text, a.href) for a in actions] == [
        ("Neues Link-Ziel suchen oder Link entfernen", None),
        (COPY_ACTION, COPY),
    ]
    evidence = {item.label: item for item in link_evidence(link, section)}
    assert (evidence["Vorschlag"].text, evidence["Vorschlag"].href) == (NOTE, COPY)


def test_without_a_checked_copy_the_search_stays_and_the_note_says_why() -> None:
    note = "Keine Archivkopie vor dem 24.11.2026 im Webarchiv"
    link = broken_row(archived_url=None, archived_at=None, archive_note=note)
    actions = link_actions(link, ReportSection.BROKEN, URL, "lotsen")
    assert actions[-1].href == SEARCH and COPY_ACTION not in [a.text for a in actions]
    evidence = {item.label: item for item in link_evidence(link, ReportSection.BROKEN)}
    assert (evidence["Webarchiv"].text, evidence["Webarchiv"].href) == (note, None)


def test_html_shows_the_copy_as_a_link_with_its_note_in_defekt() -> None:
    row = html_row(render_html(report_of(broken_row())), "lotsen")
    assert row["data-section"] == "defekt"
    assert [a.get_text() for a in row.find_all("a") if a["href"] == COPY] == [NOTE, COPY_ACTION]
    assert SEARCH not in [a["href"] for a in row.find_all("a")]  # the bare search is gone
    assert f"Vorschlag: {NOTE}" in row.get_text(" ", strip=True)


def test_soft_404_in_pruefen_and_moved_rows_show_their_copy() -> None:
    soft = broken_row(
        entry_id="weich",
        health=Health.SOFT_404,
        http_status=200,
        confirmed_broken=False,
        consecutive_failures=1,
    )
    moved = broken_row(
        entry_id="umzug",
        health=Health.MOVED,
        http_status=200,
        confirmed_broken=False,
        consecutive_failures=0,
        failing_since=None,
        last_ok=RUN_DATE,
        final_url="https://www.stadt-beispiel.de/neu.html",
        redirect_chain=(Hop(URL, 301, "/neu.html"),),
        suggested_url="https://www.stadt-beispiel.de/neu.html",
        suggestion_source="redirect",
        suggestion_score=1.0,
    )
    html = render_html(report_of(soft, moved))
    soft_row = html_row(html, "weich")
    assert soft_row["data-section"] == "pruefen"
    soft_links = [(a["href"], a.get_text()) for a in soft_row.find_all("a")]
    assert (COPY, COPY_ACTION) in soft_links and (COPY, NOTE) in soft_links
    moved_row = html_row(html, "umzug")
    assert moved_row["data-section"] == "umgezogen"
    text = moved_row.get_text(" ", strip=True)
    assert "Neue Adresse: https://www.stadt-beispiel.de/neu.html" in text
    assert f"Alte Seite im Archiv: {NOTE}" in text
    actions = [a.get_text() for a in moved_row.select("ul.actions a")]
    assert actions == ["Link auf die neue Adresse ändern"]  # the new address is the proposal


def test_hostile_note_is_escaped_and_javascript_copy_is_never_clickable() -> None:
    hostile_note = "Archivkopie vom 04.03.2019, Titel weicht ab („<script>alert(1)</script>“)"
    link = broken_row(archived_url="javascript:alert(1)", archive_note=hostile_note)
    report = report_of(link)
    html = render_html(report)
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    soup = BeautifulSoup(html, "html.parser")
    assert all(not a["href"].lower().startswith("javascript") for a in soup.find_all("a"))
    row = html_row(html, "lotsen")
    assert SEARCH in [a["href"] for a in row.find_all("a")]  # no usable copy: search stays
    assert COPY_ACTION not in row.get_text()

    markdown = render_markdown(report)
    assert not re.search(r"\]\(javascript", markdown, re.IGNORECASE)
    assert "<script" not in markdown and "&lt;script&gt;" in markdown

    header, record = list(csv.reader(io.StringIO(render_csv(report)[1:]), delimiter=";"))
    cells = dict(zip(header, record, strict=True))
    assert cells["Archivkopie"] == ""  # not an http(s) address: no copy to offer
    assert cells["Archivhinweis"].startswith("Archivkopie vom 04.03.2019, Titel weicht ab")


def test_markdown_and_csv_carry_the_copy() -> None:
    report = report_of(broken_row())
    markdown = render_markdown(report)
    assert f"Vorschlag: [{NOTE}]({COPY})" in markdown
    assert f"[{COPY_ACTION}]({COPY})" in markdown
    assert SEARCH not in markdown

    header, record = list(csv.reader(io.StringIO(render_csv(report)[1:]), delimiter=";"))
    cells = dict(zip(header, record, strict=True))
    assert (cells["Archivkopie"], cells["Archivkopie vom"]) == (COPY, "04.03.2019")
    assert cells["Archivhinweis"] == NOTE
    assert cells["Archivsuche"] == ""
    assert COPY_ACTION in cells["Maßnahme"]
    assert problem_rows(report)[0]["Archivkopie"] == COPY
