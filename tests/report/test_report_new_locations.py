"""New addresses found on the provider's own site in the editors' report: Defekt, Prüfen
(soft 404) and Ohne Link-Ziel rows show the proposal with its evidence as a link and the
action to enter it; HTML, Markdown and CSV agree; hostile or non-http addresses never
become links; a moved link's redirect suggestion stays as it was."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from bs4 import BeautifulSoup
from record_factories import RUN_DATE, make_entry_verdict, make_link_row

from extractors.records import Health, Hop, LinkRow, SuggestionRow, Verdict
from flows.report.assessment import (
    NEW_ADDRESS_ACTION,
    NEW_ADDRESS_LABEL,
    link_actions,
    link_assessment,
    link_evidence,
)
from flows.report.csv_report import render_csv
from flows.report.html_report import render_html
from flows.report.markdown_report import render_markdown
from flows.report.view import ReportInput
from flows.report.wording import ReportSection

URL = "https://www.stadt-beispiel.de/integration/sprachkurse.html"
NEW = "https://www.stadt-beispiel.de/themen/sprachkurse"
EVIDENCE = "Titel stimmt überein; Text nahezu gleich; Adresse mit gleichem Namen"


def lost_row(**changes: Any) -> LinkRow:
    fields: dict[str, Any] = {
        "entry_id": "kurse",
        "url": URL,
        "health": Health.NOT_FOUND,
        "http_status": 404,
        "title": None,
        "confirmed_broken": True,
        "consecutive_failures": 2,
        "failing_since": dt.date(2026, 11, 25),
        "last_ok": dt.date(2026, 11, 24),
        "suggested_url": NEW,
        "suggestion_source": "sitemap",
        "suggestion_score": 0.93,
    }
    fields.update(changes)
    return make_link_row(**fields)


def considered(link: LinkRow, evidence: str = EVIDENCE) -> SuggestionRow:
    return SuggestionRow(
        entry_id=link.entry_id,
        link_label=link.link_label,
        url=link.url,
        run_date=RUN_DATE,
        rank=1,
        candidate_url=link.suggested_url or "",
        source="sitemap",
        score=0.93,
        evidence=evidence,
        health="ok",
    )


def report_of(*links: LinkRow, suggestions: tuple[SuggestionRow, ...] = ()) -> ReportInput:
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
        suggestions=suggestions,
    )


def html_row(html: str, entry_id: str) -> Any:
    for row in BeautifulSoup(html, "html.parser").select("table.links tbody tr"):
        if f"Titel {entry_id}" in row.get_text():
            return row
    raise AssertionError(entry_id)


def test_a_broken_link_shows_the_found_address_first_with_its_evidence() -> None:
    link = lost_row()
    section = link_assessment(link, None).section
    assert section is ReportSection.BROKEN
    actions = link_actions(link, section, URL, "kurse")
    assert (actions[0].text, actions[0].href) == (NEW_ADDRESS_ACTION, NEW)
    assert actions[1].text == "Neues Link-Ziel suchen oder Link entfernen"
    found = link_evidence(link, section, EVIDENCE)[0]
    assert (found.label, found.text, found.href) == (
        NEW_ADDRESS_LABEL,
        f"{NEW} ({EVIDENCE})",
        NEW,
    )


def test_without_tonights_evidence_the_score_stands_in() -> None:
    found = link_evidence(lost_row(), ReportSection.BROKEN)[0]
    assert found.text == f"{NEW} (Wert 0,93)"


def test_html_shows_soft_404_and_missing_url_proposals_as_links() -> None:
    soft = lost_row(
        entry_id="weich",
        health=Health.SOFT_404,
        http_status=200,
        confirmed_broken=False,
        consecutive_failures=1,
    )
    missing = lost_row(
        entry_id="ohne",
        url=None,
        health=None,
        http_status=None,
        final_url=None,
        confirmed_broken=False,
        consecutive_failures=0,
        failing_since=None,
        last_ok=None,
    )
    html = render_html(report_of(soft, missing, suggestions=(considered(soft),)))
    soft_row = html_row(html, "weich")
    assert soft_row["data-section"] == "pruefen"
    assert [a.get_text() for a in soft_row.find_all("a") if a["href"] == NEW] == [
        f"{NEW} ({EVIDENCE})",
        NEW_ADDRESS_ACTION,
    ]
    missing_row = html_row(html, "ohne")
    assert missing_row["data-section"] == "ohne-link-ziel"
    assert f"{NEW_ADDRESS_LABEL}: {NEW} (Wert 0,93)" in missing_row.get_text(" ", strip=True)
    assert [li.get_text() for li in missing_row.select("ul.actions li")] == [
        NEW_ADDRESS_ACTION,
        "Link-Ziel recherchieren und im Katalog eintragen",
    ]


def test_a_moved_link_keeps_its_redirect_and_shows_no_found_address() -> None:
    moved = lost_row(
        health=Health.MOVED,
        http_status=200,
        confirmed_broken=False,
        consecutive_failures=0,
        failing_since=None,
        final_url=NEW,
        redirect_chain=(Hop(URL, 301, NEW),),
        suggestion_source="redirect",
        suggestion_score=1.0,
    )
    section = link_assessment(moved, None).section
    assert section is ReportSection.MOVED
    assert NEW_ADDRESS_ACTION not in [a.text for a in link_actions(moved, section, URL, "k")]
    assert NEW_ADDRESS_LABEL not in [e.label for e in link_evidence(moved, section)]


def test_markdown_and_csv_carry_the_same_proposal() -> None:
    link = lost_row()
    report = report_of(link, suggestions=(considered(link),))
    markdown = render_markdown(report)
    assert f"{NEW_ADDRESS_LABEL}: [" in markdown
    assert f"]({NEW})" in markdown and f"[{NEW_ADDRESS_ACTION}]({NEW})" in markdown
    rows = list(csv.DictReader(io.StringIO(render_csv(report).lstrip("\ufeff")), delimiter=";"))
    cells = rows[0]
    assert cells["Vorgeschlagene Adresse"] == NEW
    assert (cells["Vorschlag-Quelle"], cells["Vorschlag-Wert"]) == ("Sitemap", "0,93")
    assert cells["Maßnahme"].startswith(NEW_ADDRESS_ACTION)


def test_hostile_evidence_is_escaped_and_javascript_address_is_never_clickable() -> None:
    link = lost_row(suggested_url="javascript:alert(1)")
    hostile = "Titel „<script>alert(1)</script>“"
    html = render_html(report_of(link, suggestions=(considered(link, hostile),)))
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    soup = BeautifulSoup(html, "html.parser")
    assert all(not a["href"].lower().startswith("javascript") for a in soup.find_all("a"))
    row = html_row(html, "kurse")
    assert f"{NEW_ADDRESS_LABEL}: javascript:alert(1)" in row.get_text(" ", strip=True)
