"""The editors' report: German, safe against hostile harvested text, in HTML, Markdown and CSV."""

from __future__ import annotations

import base64
import csv
import datetime as dt
import hashlib
import io
import re
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup

from extractors.records import EntryVerdict, Health, LinkRow, Verdict
from flows.report_render import (
    ReportInput,
    render_csv,
    render_html,
    render_markdown,
    write_report,
)

RUN_DATE = dt.date(2026, 11, 26)
GENERATED = dt.datetime(2026, 11, 26, 3, 12, tzinfo=dt.UTC)
LONG_TITLE = "Langer Titel " + "x" * 10_000
RTL_TEXT = "مساعدة اللاجئين \u202egnp.exe"


def link_row(
    entry_id: str, url: str | None, label: str = "Weitere Informationen", **changes: Any
) -> LinkRow:
    fields: dict[str, Any] = {
        "entry_id": entry_id,
        "link_label": label,
        "url": url,
        "run_date": RUN_DATE,
        "checked_at": dt.datetime(2026, 11, 26, 2, 0, tzinfo=dt.UTC),
        "health": Health.OK if url else None,
        "http_status": 200 if url else None,
        "final_url": url,
        "redirect_chain": (),
        "error_detail": None,
        "content_type": "text/html",
        "title": "Seitentitel",
        "summary": "Zusammenfassung",
        "language": "de",
        "published": None,
        "modified": dt.date(2026, 1, 10),
        "date_source": "meta",
        "content_date": dt.date(2026, 1, 10),
        "age_days": 320,
        "stale": False,
        "content_hash": None,
        "first_seen": dt.date(2025, 1, 1),
        "last_ok": RUN_DATE,
        "last_changed": None,
        "failing_since": None,
        "consecutive_failures": 0,
        "confirmed_broken": False,
    }
    fields.update(changes)
    return LinkRow(**fields)


def entry(
    entry_id: str, verdict: Verdict, reasons: tuple[str, ...] = (), **changes: Any
) -> EntryVerdict:
    fields: dict[str, Any] = {
        "entry_id": entry_id,
        "provider": f"Stadt {entry_id}",
        "provider_type": "Stadt",
        "title": f"Titel {entry_id}",
        "description": "",
        "run_date": RUN_DATE,
        "verdict": verdict,
        "reasons": reasons,
        "links_total": 1,
        "links_ok": 1,
        "links_failing": 0,
        "links_missing_url": 0,
        "newest_content_date": None,
    }
    fields.update(changes)
    return EntryVerdict(**fields)


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
            http_status=301,
            final_url="https://neu.example.org/flyer",
            title="<a href=javascript:alert(2)>klick</a>",
        ),
        link_row(
            "alt",
            "https://example.org/alt",
            stale=True,
            content_date=dt.date(2015, 11, 3),
            date_source="visible_text",
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


def parse(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def test_html_has_no_script_handlers_or_unsafe_links() -> None:
    html = render_html(sample_report())
    soup = parse(html)
    assert soup.find_all("script") == []
    assert "<script" not in html.lower()
    assert "<img" not in html.lower()
    for element in soup.find_all(True):
        assert not [name for name in element.attrs if name.lower().startswith("on")], element
        assert "src" not in element.attrs
    anchors = soup.find_all("a")
    assert anchors
    for anchor in anchors:
        assert anchor["href"].startswith(("http://", "https://")), anchor
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
    assert "default-src 'none'" in policy
    assert "script-src" not in policy and "unsafe-eval" not in policy
    # The one inline stylesheet is allowed by its hash, so an injected one could not apply.
    styles = soup.find_all("style")
    assert len(styles) == 1
    digest = base64.b64encode(hashlib.sha256(styles[0].string.encode()).digest()).decode()
    assert f"style-src 'sha256-{digest}'" in policy
    assert soup.find_all("link") == [] and soup.find_all("iframe") == []
    assert soup.title.string == "Linkpflege – Bericht vom 26.11.2026"
    assert soup.h1.get_text() == "Linkpflege – Bericht vom 26.11.2026"
    for header in soup.find_all("th"):
        assert header.get("scope") in {"col", "row", "rowgroup"}, header


def test_html_sections_in_order_of_urgency_with_ok_collapsed() -> None:
    soup = parse(render_html(sample_report()))
    headings = [h2.get_text() for h2 in soup.find_all("h2")]
    sections = [
        h
        for h in headings
        if h.split(" (")[0] in {"Defekt", "Prüfen", "Veraltet", "Ohne Link-Ziel", "In Ordnung"}
    ]
    assert sections == [
        "Defekt (1)",
        "Prüfen (2)",
        "Veraltet (1)",
        "Ohne Link-Ziel (1)",
        "In Ordnung (1)",
    ]
    details = soup.find("details")
    assert details is not None and "In Ordnung" in details.summary.get_text()
    assert "Alles gut" in details.get_text()
    summary_rows = {
        row.th.get_text(): row.td.get_text()
        for row in soup.find("table", class_="summary").tbody.find_all("tr")
    }
    assert summary_rows == {
        "Defekt": "1",
        "Prüfen": "2",
        "Veraltet": "1",
        "Ohne Link-Ziel": "1",
        "In Ordnung": "1",
    }


def _entry_block(soup: BeautifulSoup, title: str) -> Any:
    for header in soup.find_all("th", scope="rowgroup"):
        if title in header.get_text():
            return header.find_parent("tbody")
    raise AssertionError(title)


def test_html_rows_carry_the_facts_and_the_suggested_action() -> None:
    soup = parse(render_html(sample_report()))
    broken = _entry_block(soup, "<script>alert(1)</script>")
    text = broken.get_text(" ")
    assert "Stadt kaputt" in text and "Weitere Informationen" in text
    assert "nicht erreichbar (nicht gefunden, HTTP 404), seit 03.11.2026" in text
    assert "404" in text and "Nicht gefunden (bestätigt)" in text
    hrefs = [a["href"] for a in broken.find_all("a")]
    assert "https://example.org/weg" in hrefs
    assert "https://web.archive.org/web/*/https://example.org/weg" in hrefs

    moved = _entry_block(soup, "Titel umzug")
    hrefs = [a["href"] for a in moved.find_all("a")]
    assert "https://neu.example.org/flyer" in hrefs
    assert "Link aktualisieren" in moved.get_text()

    stale = _entry_block(soup, "Langer Titel")
    assert "03.11.2015" in stale.get_text() and "Stand-Angabe im Text" in stale.get_text()
    assert "Text prüfen" in stale.get_text()

    missing = _entry_block(soup, "مساعدة")
    assert "Link-Ziel recherchieren" in missing.get_text()
    assert 'Twitter "Köln hilft"' in missing.get_text()


def test_html_caps_long_text_and_isolates_right_to_left_text() -> None:
    html = render_html(sample_report())
    assert "x" * 400 not in html and "S" * 400 not in html
    assert "x" * 250 + "…" in html or "x…" in html
    assert len(html) < 60_000
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
    warning = soup.find(class_="warning")
    assert warning is not None and "Kein Netz <b>" in warning.get_text()


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
            )
        ],
    )
    markdown = render_markdown(report)
    assert "<script" not in markdown and "<d>" not in markdown
    assert not re.search(r"(?<!\\)\]\(javascript", markdown)  # no live link syntax
    assert "[e]" not in markdown
    assert "&lt;script&gt;" in markdown
    assert "`" not in markdown.replace("\\`", "")
    table = [
        line
        for line in markdown.splitlines()
        if line.startswith("| Stadt") or line.startswith("| &lt;")
    ]
    assert len(table) == 1, markdown  # the newline did not split the row
    assert len(_cells(table[0])) == 9
    # The link's own address is percent-encoded so it cannot end the cell either.
    assert "(https://example.org/x%7Cy)" in table[0]
    assert "https://web.archive.org/web/*/https://example.org/x%7Cy" in table[0]


def test_markdown_sections_and_safe_links() -> None:
    markdown = render_markdown(sample_report({"gut": Verdict.STALE}))
    assert markdown.startswith("# Linkpflege – Bericht vom 26.11.2026\n")
    positions = [
        markdown.index(f"## {name} (")
        for name in ("Defekt", "Prüfen", "Veraltet", "Ohne Link-Ziel", "In Ordnung")
    ]
    assert positions == sorted(positions)
    assert "## Behoben seit gestern (1)" in markdown
    targets = re.findall(r"\]\(([^)]*)\)", markdown)
    assert targets and all(t.startswith(("http://", "https://")) for t in targets)
    assert "javascript:alert(1)" in markdown  # shown, not linked
    assert "[Link aktualisieren](https://neu.example.org/flyer)" in markdown
    assert "03.11.2015 (Stand-Angabe im Text)" in markdown
    assert "x" * 400 not in markdown


# ---------------------------------------------------------------------------------------------
# CSV


def read_csv(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


def test_csv_for_german_excel() -> None:
    text = render_csv(sample_report())
    assert text.startswith("\ufeffBefund;Eintrag-ID;")
    assert not text.startswith("\ufeff\ufeff")
    rows = read_csv(text)
    header, body = rows[0], rows[1:]
    assert len(body) == 6  # one row per link
    assert all(len(row) == len(header) for row in body)
    records = [dict(zip(header, row, strict=True)) for row in body]
    assert [r["Befund"] for r in records] == [
        "Defekt",
        "Prüfen",
        "Prüfen",
        "Veraltet",
        "Ohne Link-Ziel",
        "In Ordnung",
    ]
    stale = next(r for r in records if r["Eintrag-ID"] == "alt")
    assert stale["Inhaltsdatum"] == "03.11.2015"
    assert stale["Datumsquelle"] == "Stand-Angabe im Text"
    assert stale["Lauf vom"] == "26.11.2026"
    assert stale["Veraltet"] == "ja"
    broken = next(r for r in records if r["Eintrag-ID"] == "kaputt")
    assert broken["Fehlerhaft seit"] == "03.11.2026"
    assert broken["Archivsuche"] == "https://web.archive.org/web/*/https://example.org/weg"
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
