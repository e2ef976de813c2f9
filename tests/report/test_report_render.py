"""The editors' report: German, safe against hostile harvested text, in HTML, Markdown and CSV;
its history of verdict counts; its Prefect artifacts. (In a browser: test_report_browser.py.)"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import hashlib
import io
import json
import re
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from bs4 import BeautifulSoup
from record_factories import make_entry_verdict, make_link_row

from extractors.records import FAILING_HEALTH, EntryVerdict, Health, Hop, LinkRow, Verdict
from extractors.verdicts.entry_verdicts import VERDICT_PRIORITY
from flows.report.artifacts import publish_report_artifacts
from flows.report.assessment import assess_link
from flows.report.csv_report import render_csv
from flows.report.history import verdict_history_from
from flows.report.html_report import TEMPLATE_DIR, content_security_policy, render_html
from flows.report.markdown_report import render_markdown
from flows.report.render import write_report
from flows.report.view import OK_ROWS_MAX, ReportInput
from flows.report.wording import ReportSection, health_sentence, verdict_sentence

RUN_DATE = dt.date(2026, 11, 26)
GENERATED = dt.datetime(2026, 11, 26, 3, 12, tzinfo=dt.UTC)
LONG_TITLE = "Langer Titel " + "x" * 10_000
RTL_TEXT = "مساعدة اللاجئين \u202egnp.exe"


def link_row(
    entry_id: str, url: str | None, label: str = "Weitere Informationen", **changes: Any
) -> LinkRow:
    changes.setdefault("title", "Seitentitel")
    changes.setdefault("summary", "Zusammenfassung")
    return make_link_row(entry_id=entry_id, url=url, link_label=label, **changes)


def entry(
    entry_id: str, verdict: Verdict, reasons: tuple[str, ...] = (), **changes: Any
) -> EntryVerdict:
    return make_entry_verdict(entry_id=entry_id, verdict=verdict, reasons=reasons, **changes)


def report_input(
    entries: list[EntryVerdict],
    links: list[LinkRow],
    previous: dict[str, Verdict] | None = None,
    **changes: Any,
) -> ReportInput:
    fields: dict[str, Any] = {
        "run_date": RUN_DATE,
        "generated_at": GENERATED,
        "catalog_name": "KGSt Flüchtlinge – gute Beispiele",
        "inconclusive_reason": None,
        "entries": tuple(entries),
        "links": tuple(links),
        "previous_verdicts": previous or {},
    }
    fields.update(changes)
    return ReportInput(**fields)


def sample_report(previous: dict[str, Verdict] | None = None, **changes: Any) -> ReportInput:
    """One entry per verdict, hostile text spread over every field an attacker can reach."""
    entries = [
        entry(
            "kaputt",
            Verdict.BROKEN,
            (
                "Link „Weitere Informationen“ ist nicht erreichbar (nicht gefunden, HTTP 404), "
                "seit 03.11.2026.",
            ),
            title="<script>alert(1)</script>",
            links_ok=0,
            links_failing=1,
        ),
        entry(
            "umzug",
            Verdict.REVIEW,
            (
                "Link „Flyer“: Seite ist dauerhaft umgezogen nach https://neu.example.org/flyer "
                "– Link aktualisieren.",
            ),
            provider="<img src=x onerror=alert(1)>",
        ),
        entry(
            "alt",
            Verdict.STALE,
            (
                "Link „Weitere Informationen“: Inhalt zuletzt datiert 03.11.2015 "
                "(Quelle: Stand-Angabe im Text), älter als 730 Tage.",
            ),
            title=LONG_TITLE,
        ),
        entry(
            "ohne",
            Verdict.MISSING_URL,
            ('Für „Twitter "Köln hilft"“ ist kein Link-Ziel bekannt.',),
            title=RTL_TEXT,
        ),
        entry("gut", Verdict.OK, provider="Kreis Gut", title="Alles gut"),
        entry(
            "skript",
            Verdict.REVIEW,
            ("Link „javascript:alert(1)“ funktioniert nicht (ungültige Adresse).",),
        ),
    ]
    links = [
        link_row(
            "kaputt",
            "https://example.org/weg",
            health=Health.NOT_FOUND,
            http_status=404,
            confirmed_broken=True,
            failing_since=dt.date(2026, 11, 3),
            title='<script>alert("t")</script>',
            content_date=None,
            stale=None,
        ),
        link_row(
            "umzug",
            "http://example.org/flyer",
            label="Flyer",
            health=Health.MOVED,
            http_status=200,
            redirect_chain=(Hop("http://example.org/flyer", 301, "https://neu.example.org/flyer"),),
            final_url="https://neu.example.org/flyer",
            title="<a href=javascript:alert(2)>klick</a>",
        ),
        link_row(
            "alt",
            "https://example.org/alt",
            stale=True,
            content_date=dt.date(2015, 11, 3),
            date_source="visible_text",
            date_evidence="visible",
            age_days=4041,
            summary="S" * 10_000,
        ),
        link_row("ohne", None, label='Twitter "Köln hilft"'),
        link_row("gut", "https://example.org/gut"),
        link_row(
            "skript",
            "javascript:alert(1)",
            label="",
            health=Health.INVALID_URL,
            http_status=None,
            content_date=None,
        ),
    ]
    return report_input(entries, links, previous, **changes)


# ---------------------------------------------------------------------------------------------
# HTML

# ---------------------------------------------------------------------------------------------
# HTML


def parse(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def _sha256_source(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def test_html_has_no_foreign_script_handlers_or_unsafe_links() -> None:
    html = render_html(sample_report())
    soup = parse(html)
    # Exactly one script: our own file, byte for byte.
    scripts = soup.find_all("script")
    assert len(scripts) == 1
    assert scripts[0].string == (TEMPLATE_DIR / "report.js").read_text(encoding="utf-8")
    assert html.lower().count("<script") == 1
    assert "<img" not in html.lower()
    for element in soup.find_all(True):
        assert not [name for name in element.attrs if name.lower().startswith("on")], element
        assert "src" not in element.attrs and "style" not in element.attrs
    anchors = soup.find_all("a")
    assert anchors
    ids = {element["id"] for element in soup.find_all(id=True)}
    for anchor in anchors:
        href = anchor["href"]
        if href.startswith("#"):  # our own jump links
            assert href[1:] in ids, href
            continue
        assert href.startswith(("http://", "https://")), anchor
        assert set(anchor["rel"]) >= {"noopener", "noreferrer"}
    # The hostile strings are shown as text, not interpreted.
    text = soup.get_text()
    assert "<script>alert(1)</script>" in text
    assert "<img src=x onerror=alert(1)>" in text
    assert "javascript:alert(1)" in text
    assert not soup.find_all(href=re.compile("javascript", re.IGNORECASE))


def test_html_is_german_self_contained_and_under_a_strict_policy() -> None:
    soup = parse(render_html(sample_report()))
    assert soup.html["lang"] == "de"
    assert soup.find("meta", charset="utf-8") is not None
    policy = soup.find("meta", attrs={"http-equiv": "Content-Security-Policy"})["content"]
    assert policy == content_security_policy()
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'none'"
    # Only our own inline stylesheet and script apply, each by its exact hash.
    styles = soup.find_all("style")
    assert len(styles) == 1
    assert directives["style-src"] == _sha256_source(styles[0].string)
    assert directives["script-src"] == _sha256_source(soup.script.string)
    assert "unsafe" not in policy and "nonce" not in policy
    assert directives["base-uri"] == "'none'" and directives["form-action"] == "'none'"
    assert soup.find_all("link") == [] and soup.find_all("iframe") == []
    assert soup.find_all("form") == []  # the filter is no form: nothing to submit anywhere
    assert soup.title.string == "Linkpflege – Bericht vom 26.11.2026"
    assert soup.h1.get_text() == "Linkpflege – Bericht vom 26.11.2026"
    for header in soup.find_all("th"):
        assert header.get("scope") in {"col", "row"}, header
    # Without JavaScript the filter controls stay hidden; the tables are all there.
    assert soup.find(id="filter").has_attr("hidden")
    assert len(soup.select("table.links tbody tr")) == 6


def _section_headings(soup: BeautifulSoup) -> list[str]:
    return [section.h2.get_text() for section in soup.select("section.report-section")]


def test_html_sections_in_order_of_urgency_with_ok_collapsed() -> None:
    soup = parse(render_html(sample_report()))
    assert _section_headings(soup) == [
        "Defekt (1)",
        "Umgezogen (1)",
        "Veraltet (1)",
        "Prüfen (1)",
        "Ohne Link-Ziel (1)",
        "In Ordnung (1)",
    ]
    details = soup.select_one("section[data-section=in-ordnung] details")
    assert details is not None and not details.has_attr("open")
    assert "In Ordnung" in details.summary.get_text() and "Alles gut" in details.get_text()
    summary_rows = {
        row.th.get_text(): [cell.get_text() for cell in row.find_all("td")][:2]
        for row in soup.find("table", class_="summary").tbody.find_all("tr")
    }
    # Entries per verdict (the moved link's entry is "Prüfen"); no previous night: no change.
    assert summary_rows == {
        "Defekt": ["1", "–"],
        "Ohne Link-Ziel": ["1", "–"],
        "Prüfen": ["2", "–"],
        "Veraltet": ["1", "–"],
        "In Ordnung": ["1", "–"],
    }
    assert "Lauf vollständig." in soup.find(class_="run-state").get_text()
    jump = [a.get_text(" ", strip=True) for a in soup.select("ul.jump a")]
    assert jump[0] == "Defekt 1" and jump[1] == "Umgezogen 1"


def _row(soup: BeautifulSoup, title: str) -> Any:
    for header in soup.select("table.links tbody th[scope=row]"):
        if title in header.get_text():
            return header.find_parent("tr")
    raise AssertionError(title)


def test_html_rows_carry_sentence_since_evidence_and_action() -> None:
    soup = parse(render_html(sample_report()))
    broken = _row(soup, "<script>alert(1)</script>")
    assert broken["data-section"] == "defekt" and broken["data-provider"] == "Stadt kaputt"
    cells = broken.find_all(["td", "th"])
    assert [c.get_text(" ", strip=True) for c in cells[:2]] == [
        "Stadt kaputt Stadt",
        "<script>alert(1)</script>",
    ]
    text = broken.get_text(" ")
    assert "Weitere Informationen" in text
    assert "Die Seite gibt es unter dieser Adresse nicht mehr (HTTP 404 – nicht gefunden)." in text
    assert cells[4]["data-sort"] == "2026-11-03" and "03.11.2026" in cells[4].get_text()
    assert "HTTP-Status: 404" in cells[5].get_text()
    hrefs = [a["href"] for a in broken.find_all("a")]
    assert "https://example.org/weg" in hrefs
    assert "https://web.archive.org/web/*/https://example.org/weg" in hrefs

    moved = _row(soup, "Titel umzug")
    assert moved["data-section"] == "umgezogen"
    assert "dauerhaft an eine neue Adresse umgezogen (HTTP 301)" in moved.get_text()
    assert "Neue Adresse: https://neu.example.org/flyer" in moved.get_text(" ", strip=True)
    new_address = [a for a in moved.find_all("a") if a["href"] == "https://neu.example.org/flyer"]
    assert {a.get_text() for a in new_address} >= {
        "https://neu.example.org/flyer",
        "Link auf die neue Adresse ändern",
    }

    stale = _row(soup, "Langer Titel")
    assert stale["data-section"] == "veraltet"
    assert "Datum auf der Seite: 03.11.2015 – vor über 11 Jahren." in stale.get_text()
    assert "Inhaltsdatum: Datum auf der Seite: 03.11.2015" in stale.get_text(" ", strip=True)
    assert "linkpflege review alt" in stale.get_text()

    invalid = _row(soup, "Titel skript")
    assert invalid["data-section"] == "pruefen"
    assert "ungültig" in invalid.get_text() and not invalid.find_all("a")

    missing = _row(soup, "مساعدة")
    assert missing["data-section"] == "ohne-link-ziel"
    assert "Link-Ziel recherchieren" in missing.get_text()
    assert 'Twitter "Köln hilft"' in missing.get_text()
    assert "Seitentitel" not in missing.get_text()  # nothing was fetched


def test_html_caps_long_text_and_isolates_right_to_left_text() -> None:
    html = render_html(sample_report())
    assert "x" * 400 not in html and "S" * 400 not in html
    assert "x" * 250 + "…" in html or "x…" in html
    assert len(html) < 80_000
    soup = parse(html)
    assert "\u202e" not in html  # a bidi override could disguise the text around it
    rtl = [bdi for bdi in soup.find_all("bdi") if "مساعدة" in bdi.get_text()]
    assert rtl and "gnp.exe" in rtl[0].get_text()


def test_html_changes_since_yesterday_and_inconclusive_warning() -> None:
    first = parse(render_html(sample_report()))
    assert "Erster Lauf" in first.get_text()

    previous = {
        "kaputt": Verdict.REVIEW,
        "umzug": Verdict.REVIEW,
        "gut": Verdict.BROKEN,
        "alt": Verdict.OK,
    }
    soup = parse(render_html(sample_report(previous, inconclusive_reason="Kein Netz <b>")))
    captions = {
        caption.get_text(): caption.find_parent("table") for caption in soup.find_all("caption")
    }
    new = captions["Neu seit gestern: 4"].get_text(" ")
    assert "<script>alert(1)</script>" in new  # broken, was review
    assert "Langer Titel" in new  # stale, was ok
    assert "Titel umzug" not in new  # unchanged
    assert "neu im Katalog" in new
    fixed = captions["Behoben seit gestern: 1"].get_text(" ")
    assert "Alles gut" in fixed and "Defekt" in fixed
    warning = soup.find(class_="run-inconclusive")
    assert warning is not None and "Kein Netz <b>" in warning.get_text()
    assert "Lauf nicht aussagekräftig." in warning.get_text()
    # Yesterday's counts come from the verdicts when there is no history.
    changes = {
        row.th.get_text(): row.select_one("td.change").get_text()
        for row in soup.find("table", class_="summary").tbody.find_all("tr")
    }
    assert changes == {
        "Defekt": "±0",  # kaputt was review, gut was broken
        "Ohne Link-Ziel": "+1",
        "Prüfen": "±0",
        "Veraltet": "+1",
        "In Ordnung": "±0",
    }


def _history(*nights: tuple[int, dict[str, int]]) -> tuple[tuple[dt.date, dict[str, int]], ...]:
    return tuple((dt.date(2026, 11, day), counts) for day, counts in nights)


def test_html_trend_chart_and_change_since_the_previous_night() -> None:
    history = _history(
        (23, {"broken": 0, "review": 1, "stale": 1, "missing_url": 1, "ok": 3}),
        (24, {"broken": 3, "ok": 3}),
        (25, {"broken": 2, "review": 1, "missing_url": 1, "ok": 2}),
        (26, {"ok": 99}),  # tonight's own partition: tonight's entries win
    )
    soup = parse(render_html(sample_report({"gut": Verdict.OK}, verdict_history=history)))
    summary = soup.find("table", class_="summary")
    assert "zum 25.11.2026" in summary.thead.get_text()
    changes = {
        row.th.get_text(): row.select_one("td.change").get_text()
        for row in summary.tbody.find_all("tr")
    }
    assert changes == {
        "Defekt": "−1",
        "Ohne Link-Ziel": "±0",
        "Prüfen": "+1",
        "Veraltet": "+1",
        "In Ordnung": "−1",
    }
    chart = soup.find("svg", class_="trend-chart")
    assert chart["role"] == "img" and chart.find("title").get_text() == "Verlauf der Befunde"
    bars = chart.find_all("g")
    assert len(bars) == 4  # 23., 24., 25. and tonight
    tonight = [rect.title.get_text() for rect in bars[-1].find_all("rect")]
    assert tonight == [
        "26.11.2026: Defekt 1",
        "26.11.2026: Prüfen 2",
        "26.11.2026: Veraltet 1",
        "26.11.2026: Ohne Link-Ziel 1",
        "26.11.2026: In Ordnung 1",
    ]
    heights = [float(rect["height"]) for rect in bars[-1].find_all("rect")]
    assert heights[1] == pytest.approx(2 * heights[0], abs=0.05)
    assert "Nächten vom 23.11.2026 bis 26.11.2026" in chart.find("desc").get_text()
    # The same numbers as a table, for screen readers and for copying.
    table_rows = soup.select("details.trend-data tbody tr")
    assert [row.th.get_text() for row in table_rows] == [
        "23.11.2026",
        "24.11.2026",
        "25.11.2026",
        "26.11.2026",
    ]
    assert [td.get_text() for td in table_rows[1].find_all("td")] == ["3", "0", "0", "0", "3"]


def test_html_cuts_a_huge_ok_section_but_csv_keeps_every_link(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert OK_ROWS_MAX == 2000
    monkeypatch.setattr("flows.report.view.OK_ROWS_MAX", 20)  # the same, faster
    count = 20 + 5
    entries = [entry(f"e{i}", Verdict.OK) for i in range(count)]
    links = [link_row(f"e{i}", f"https://example.org/{i}") for i in range(count)]
    report = report_input(entries, links)
    soup = parse(render_html(report))
    ok_rows = soup.select("section[data-section=in-ordnung] tbody tr")
    assert len(ok_rows) == 20
    assert "… und 5 weitere Links; alle stehen in report.csv." in soup.get_text()
    assert soup.find(id="in-ordnung").get_text() == f"In Ordnung ({count})"
    assert len(read_csv(render_csv(report))) == count + 1


# ---------------------------------------------------------------------------------------------
# German sentences and sections


def test_every_health_value_has_its_own_german_sentence() -> None:
    sentences = {health: health_sentence(health) for health in Health}
    assert len(set(sentences.values())) == len(Health)
    for health, sentence in sentences.items():
        assert sentence[0].isupper() and sentence.endswith("."), (health, sentence)
        assert "{" not in sentence and "_" not in sentence, sentence
        assert not re.search(r"\b(the|not|error|found|page)\b", sentence, re.I), sentence
    assert health_sentence(Health.NOT_FOUND, 404).endswith("(HTTP 404 – nicht gefunden).")
    assert health_sentence(Health.NOT_FOUND, 410).endswith("(HTTP 410 – gelöscht).")
    assert health_sentence(Health.SERVER_ERROR, 503) == "Der Server meldet einen Fehler (HTTP 503)."
    assert "(HTTP 403 – verboten)" in health_sentence(Health.BLOCKED, 403)
    assert health_sentence(Health.TIMEOUT, 200) == health_sentence(Health.TIMEOUT)


def test_every_verdict_has_a_german_sentence_and_label() -> None:
    sentences = {verdict: verdict_sentence(verdict) for verdict in Verdict}
    assert len(set(sentences.values())) == len(Verdict)
    for sentence in sentences.values():
        assert sentence[0].isupper() and sentence.endswith(".")
    soup = parse(render_html(sample_report()))
    meanings = [row.find_all("td")[-1].get_text() for row in soup.select("table.summary tbody tr")]
    assert meanings == [verdict_sentence(v) for v in VERDICT_PRIORITY]


FAILING = sorted(FAILING_HEALTH - {Health.INVALID_URL})


@pytest.mark.parametrize(
    ("changes", "section", "sentence_start"),
    [
        ({"health": Health.OK}, ReportSection.OK, "Die Seite ist erreichbar."),
        ({"health": Health.REDIRECTED}, ReportSection.OK, "Die Seite ist erreichbar; die"),
        ({"health": Health.MOVED, "http_status": 308}, ReportSection.MOVED, "Die Seite ist dau"),
        ({"health": Health.BLOCKED, "http_status": 403}, ReportSection.REVIEW, "Der Server lässt"),
        ({"health": Health.TLS_ERROR}, ReportSection.REVIEW, "Das Sicherheitszertifikat"),
        ({"health": Health.INVALID_URL}, ReportSection.REVIEW, "Die Adresse im Katalog"),
        *[({"health": h}, ReportSection.REVIEW, health_sentence(h, 200)[:20]) for h in FAILING],
        *[
            ({"health": h, "confirmed_broken": True}, ReportSection.BROKEN, "")
            for h in sorted(FAILING_HEALTH)
        ],
        (
            {"stale": True},
            ReportSection.STALE,
            "Inhalt laut Seiten-Metadaten vom 10.01.2026 (auf der Seite nicht sichtbar)",
        ),
        ({"last_changed": dt.date(2026, 11, 20)}, ReportSection.REVIEW, "Der Text der Seite hat"),
        ({"url": None, "health": None}, ReportSection.MISSING_URL, "Im Katalog ist für"),
        ({"health": None}, ReportSection.OK, "Dieser Link wurde noch nicht geprüft."),
    ],
)
def test_each_link_lands_in_one_section_with_one_sentence(
    changes: dict[str, Any], section: ReportSection, sentence_start: str
) -> None:
    url = changes.pop("url", "https://example.org/x")
    link = link_row("e", url, **changes)
    found_section, sentence = assess_link(link)
    assert found_section is section
    assert sentence.startswith(sentence_start) and sentence.endswith(".")


def test_the_verdicts_own_reasons_decide_what_an_editor_has_accepted() -> None:
    old = link_row("e", "https://example.org/x", stale=True, last_changed=dt.date(2026, 11, 1))
    accepted = entry(
        "e",
        Verdict.OK,
        (
            "Link „Weitere Informationen“: Inhalt datiert 10.01.2026, am 20.11.2026 als "
            "weiterhin gültig bestätigt.",
        ),
    )
    assert assess_link(old, accepted)[0] is ReportSection.OK
    unreviewed = entry(
        "e",
        Verdict.REVIEW,
        (
            "Link „Weitere Informationen“: Inhalt geändert am 01.11.2026 – Text prüfen und "
            "danach als geprüft vermerken.",
            "Link „Weitere Informationen“: Inhalt zuletzt datiert 10.01.2026 (Quelle: "
            "Meta-Angabe im Seitenkopf), älter als 730 Tage.",
        ),
    )
    assert assess_link(old, unreviewed)[0] is ReportSection.STALE  # stale first, change noted
    changed_only = link_row("e", "https://example.org/x", last_changed=dt.date(2026, 11, 1))
    assert assess_link(changed_only, unreviewed)[0] is ReportSection.REVIEW
    # Reviewed after the change: the verdict gave no change reason, so the link is fine.
    assert assess_link(changed_only, entry("e", Verdict.OK))[0] is ReportSection.OK
    # Moved and old: the move is the more urgent news; the age is a note.
    moved_old = link_row(
        "e", "https://example.org/x", health=Health.MOVED, stale=True, final_url="https://n/"
    )
    report = report_input([entry("e", Verdict.REVIEW)], [moved_old])
    row = _row(parse(render_html(report)), "Titel e")
    assert row["data-section"] == "umgezogen"
    assert "Außerdem: Inhalt laut Seiten-Metadaten vom 10.01.2026" in row.get_text()


# ---------------------------------------------------------------------------------------------
# History of the verdict counts


def _write_entries_night(curated: Path, night: str, verdicts: list[str]) -> None:
    folder = curated / "entries_history" / f"run_date={night}"
    folder.mkdir(parents=True)
    table = pa.table({"entry_id": [f"e{i}" for i in range(len(verdicts))], "verdict": verdicts})
    pq.write_table(table, folder / "entries.parquet")


def test_verdict_history_reads_the_last_nights_and_skips_damage(tmp_path: Path) -> None:
    curated = tmp_path / "curated"
    assert verdict_history_from(curated) == ()
    _write_entries_night(curated, "2026-11-20", ["ok"])
    _write_entries_night(curated, "2026-11-24", ["ok", "broken", "broken"])
    _write_entries_night(curated, "2026-11-25", ["stale", "review", "missing_url", "ok"])
    damaged = curated / "entries_history" / "run_date=2026-11-23"
    damaged.mkdir()
    (damaged / "entries.parquet").write_bytes(b"PAR1 not really")
    (curated / "entries_history" / "run_date=2026-11-22").mkdir()  # no file
    (curated / "entries_history" / "run_date=kaputt").mkdir()
    (curated / "entries_history" / "notes.txt").write_text("x")

    history = verdict_history_from(curated, nights=30)
    assert history == (
        (dt.date(2026, 11, 20), {"ok": 1}),
        (dt.date(2026, 11, 24), {"ok": 1, "broken": 2}),
        (dt.date(2026, 11, 25), {"stale": 1, "review": 1, "missing_url": 1, "ok": 1}),
    )
    # The newest nights only (a damaged night still counts as one of them).
    assert [night for night, _ in verdict_history_from(curated, nights=3)] == [
        dt.date(2026, 11, 24),
        dt.date(2026, 11, 25),
    ]
    # It feeds the report as it is.
    html = render_html(sample_report(verdict_history=history))
    assert len(parse(html).select("svg.trend-chart g")) == 4


# ---------------------------------------------------------------------------------------------
# Markdown


def _cells(line: str) -> list[str]:
    """Splits a Markdown table row at unescaped pipes."""
    return re.split(r"(?<!\\)\|", line.strip())[1:-1]


def test_markdown_escapes_hostile_text() -> None:
    hostile = "a|b`c<d>[e](javascript:alert(1))\nnext * _x_ \\| &amp;"
    report = report_input(
        [
            entry(
                "h", Verdict.BROKEN, (hostile,), title=hostile, provider="<script>alert(1)</script>"
            )
        ],
        [
            link_row(
                "h",
                "https://example.org/x|y",
                label=hostile,
                health=Health.NOT_FOUND,
                confirmed_broken=True,
                error_detail=hostile,
            )
        ],
    )
    markdown = render_markdown(report)
    assert "<script" not in markdown and "<d>" not in markdown
    assert not re.search(r"(?<!\\)\]\(javascript", markdown)  # no live link syntax
    assert "[e]" not in markdown
    assert "&lt;script&gt;" in markdown
    assert "`" not in markdown.replace("\\`", "")
    table = [line for line in markdown.splitlines() if line.startswith("| &lt;script")]
    assert len(table) == 1, markdown  # the newline did not split the row
    assert len(_cells(table[0])) == 7
    # The link's own address is percent-encoded so it cannot end the cell either.
    assert "(https://example.org/x%7Cy)" in table[0]
    assert "https://web.archive.org/web/*/https://example.org/x%7Cy" in table[0]


def test_markdown_sections_and_safe_links() -> None:
    history = _history((25, {"broken": 2, "ok": 4}))
    markdown = render_markdown(sample_report({"gut": Verdict.STALE}, verdict_history=history))
    assert markdown.startswith("# Linkpflege – Bericht vom 26.11.2026\n")
    assert "Stand: vollständig" in markdown
    positions = [
        markdown.index(f"## {name} (")
        for name in ("Defekt", "Umgezogen", "Veraltet", "Prüfen", "Ohne Link-Ziel", "In Ordnung")
    ]
    assert positions == sorted(positions)
    assert "| Befund | Einträge | Veränderung zum 25.11.2026 |" in markdown
    assert "| Defekt | 1 | −1 |" in markdown
    assert "## Verlauf" in markdown and "| 25.11.2026 | 2 | 0 | 0 | 0 | 4 |" in markdown
    assert "## Behoben seit gestern (1)" in markdown
    targets = re.findall(r"\]\(([^)]*)\)", markdown)
    assert targets and all(t.startswith(("http://", "https://")) for t in targets)
    assert "javascript:alert(1)" in markdown  # shown, not linked
    assert "[Link auf die neue Adresse ändern](https://neu.example.org/flyer)" in markdown
    assert "Inhaltsdatum: Datum auf der Seite: 03.11.2015" in markdown
    assert "x" * 400 not in markdown


# ---------------------------------------------------------------------------------------------
# CSV


def read_csv(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


def test_csv_for_german_excel() -> None:
    text = render_csv(sample_report())
    assert text.startswith("\ufeffAbschnitt;Befund;Eintrag-ID;")
    assert not text.startswith("\ufeff\ufeff")
    rows = read_csv(text)
    header, body = rows[0], rows[1:]
    assert len(body) == 6  # one row per link
    assert all(len(row) == len(header) for row in body)
    records = [dict(zip(header, row, strict=True)) for row in body]
    assert [(r["Abschnitt"], r["Befund"]) for r in records] == [
        ("Defekt", "Defekt"),
        ("Umgezogen", "Prüfen"),
        ("Veraltet", "Veraltet"),
        ("Prüfen", "Prüfen"),
        ("Ohne Link-Ziel", "Ohne Link-Ziel"),
        ("In Ordnung", "In Ordnung"),
    ]
    stale = next(r for r in records if r["Eintrag-ID"] == "alt")
    assert stale["Inhaltsdatum"] == "03.11.2015"
    assert stale["Datumsquelle"] == "Datumsangabe im Seitentext"
    assert stale["Lauf vom"] == "26.11.2026"
    assert stale["Veraltet"] == "ja"
    assert stale["Seit"] == "03.11.2015"
    assert stale["Was ist los"].startswith("Datum auf der Seite: 03.11.2015 – vor über 11 Jahren")
    broken = next(r for r in records if r["Eintrag-ID"] == "kaputt")
    assert broken["Fehlerhaft seit"] == "03.11.2026"
    assert broken["Archivsuche"] == "https://web.archive.org/web/*/https://example.org/weg"
    moved = next(r for r in records if r["Eintrag-ID"] == "umzug")
    assert moved["Weitergeleitet zu"] == "https://neu.example.org/flyer"
    for record in records:
        for value in record.values():
            assert not re.search(r"\d{4}-\d{2}-\d{2}", value), value  # no ISO dates


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_csv_neutralises_formulas(start: str) -> None:
    formula = f'{start}HYPERLINK("http://evil.example";"klick")'
    report = report_input(
        [entry(f"{start}id", Verdict.OK, (formula,), title=formula, provider=formula)],
        [link_row(f"{start}id", "https://example.org/", label=formula, title=formula)],
    )
    header, row = read_csv(render_csv(report))
    record = dict(zip(header, row, strict=True))
    assert record["Eintrag-ID"] == f"'{start}id"
    for column in ("Anbieter", "Eintrag", "Gründe", "Linkbezeichnung", "Seitentitel"):
        value = record[column]
        assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), (column, value)
        assert "HYPERLINK" in value


# ---------------------------------------------------------------------------------------------
# Files


def test_write_report_writes_six_files_atomically(tmp_path: Path) -> None:
    report_dir = tmp_path / "curated" / "report"
    report = sample_report()
    files = write_report(report, report_dir)
    names = sorted(path.name for path in report_dir.iterdir())
    assert names == sorted(
        [
            "index.html",
            "report.md",
            "report.csv",
            "report-2026-11-26.html",
            "report-2026-11-26.md",
            "report-2026-11-26.csv",
        ]
    )
    assert {path.name for path in files.all()} == set(names)
    assert files.html.read_text(encoding="utf-8") == render_html(report)
    assert files.dated_markdown.read_text(encoding="utf-8") == render_markdown(report)
    raw_csv = files.csv.read_bytes()
    assert raw_csv.startswith(b"\xef\xbb\xbf") and not raw_csv.startswith(b"\xef\xbb\xbf" * 2)
    assert b"\r\r\n" not in raw_csv
    assert files.dated_csv.read_bytes() == raw_csv

    # A second night replaces the latest files, keeps the dated copies, leaves no temp files.
    later = sample_report(run_date=dt.date(2026, 11, 27))
    write_report(later, report_dir)
    assert len(list(report_dir.iterdir())) == 9
    assert "27.11.2026" in (report_dir / "index.html").read_text(encoding="utf-8")
    assert "26.11.2026" in (report_dir / "report-2026-11-26.html").read_text(encoding="utf-8")
    assert not list(report_dir.glob(".*"))


# ---------------------------------------------------------------------------------------------
# Prefect artifacts


def _artifacts_of(flow_run_id: Any) -> dict[str, Any]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id]))
        )
    return {artifact.key: artifact for artifact in artifacts}


def test_artifacts_are_published_inside_a_flow_run_only(
    tmp_path: Path, prefect_harness: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from prefect import flow
    from prefect.context import get_run_context

    report = sample_report()
    files = write_report(report, tmp_path / "report")
    # Outside a flow run: nothing, and no API is asked.
    monkeypatch.setattr(
        "prefect.artifacts.create_markdown_artifact",
        lambda **_: pytest.fail("no artifact outside a run"),
    )
    publish_report_artifacts(report, files)
    monkeypatch.undo()

    @flow(name="report-artifacts-test")
    def publishing() -> Any:
        publish_report_artifacts(report, files)
        return get_run_context().flow_run.id

    artifacts = _artifacts_of(publishing())
    assert set(artifacts) == {
        "linkpflege-report",
        "linkpflege-problem-links",
        "linkpflege-report-html",
    }
    markdown = artifacts["linkpflege-report"]
    assert markdown.type == "markdown"
    assert markdown.data == files.markdown.read_text(encoding="utf-8")
    table = artifacts["linkpflege-problem-links"]
    assert table.type == "table"
    rows = json.loads(table.data)
    assert [row["Abschnitt"] for row in rows] == [
        "Defekt",
        "Umgezogen",
        "Veraltet",
        "Prüfen",
        "Ohne Link-Ziel",
    ]
    assert rows[1]["Neue Adresse"] == "https://neu.example.org/flyer"
    link = artifacts["linkpflege-report-html"]
    assert link.type == "markdown"  # Prefect keeps link artifacts as Markdown
    assert f"]({files.html.resolve().as_uri()})" in link.data
    assert "Bericht vom 26.11.2026 (HTML)" in link.data


def test_a_failing_artifact_api_never_fails_the_run(
    tmp_path: Path, prefect_harness: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from prefect import flow
    from prefect.context import get_run_context

    report = sample_report()
    files = write_report(report, tmp_path / "report")

    def broken(**_: Any) -> None:
        raise RuntimeError("API weg")

    monkeypatch.setattr("prefect.artifacts.create_table_artifact", broken)

    @flow(name="report-artifacts-failing")
    def publishing() -> Any:
        publish_report_artifacts(report, files)
        return get_run_context().flow_run.id

    artifacts = _artifacts_of(publishing())
    # The table failed, the others are there, and the flow completed.
    assert set(artifacts) == {"linkpflege-report", "linkpflege-report-html"}
