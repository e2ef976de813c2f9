"""`linkpflege demo`: two nights of the real flow against the bundled sample web, offline."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from bs4 import BeautifulSoup

from flows import cli
from flows.demo.run import DemoError, run_demo
from flows.demo.web import VANISHED_PDF, DemoSite, DemoWeb

SECOND_NIGHT = dt.date(2026, 11, 26)


def test_the_sample_web_changes_between_the_nights() -> None:
    site = DemoSite(SECOND_NIGHT)
    first = {path: site.answer(path) for path in ("/beispielstadt/ehrenamt/termine", VANISHED_PDF)}
    assert site.answer("/kreis/integration/sprachkurse").status == 301
    assert site.answer("/gemeinde/patenschaften").status == 200
    assert site.answer("/musterkreis/gesundheitskarte").status == 404
    flyer = site.answer("/stadt/flyer-ausbildung-2015.pdf")
    assert flyer.content_type == "application/pdf" and flyer.body.startswith(b"%PDF-1.4")
    site.night = 1
    assert site.answer(VANISHED_PDF).status == first[VANISHED_PDF].status == 404
    termine = site.answer("/beispielstadt/ehrenamt/termine")
    assert termine.body != first["/beispielstadt/ehrenamt/termine"].body
    assert site.answer("/musterkreis/gesundheitskarte").status == 200


def test_demo_runs_the_real_flow_over_two_nights(tmp_path: Path, prefect_harness: None) -> None:
    data_dir = tmp_path / "demo"
    said: list[str] = []
    with DemoWeb(SECOND_NIGHT) as web:
        outcome = run_demo(data_dir, SECOND_NIGHT, web=web, say=said.append)
        pdf_url = web.url(VANISHED_PDF)
    assert said[0].startswith("Night 1 of 2 (2026-11-25)")
    assert outcome.nights == (dt.date(2026, 11, 25), SECOND_NIGHT)
    assert outcome.report == data_dir / "curated" / "report" / "index.html"
    assert (data_dir / "curated" / "report" / "report-2026-11-25.html").is_file()

    verdicts = {
        row["entry_id"]: row["verdict"]
        for row in pq.read_table(data_dir / "curated" / "entries.parquet").to_pylist()
    }
    assert verdicts == {
        "musterstadt-willkommenslotsen": "stale",
        "beispielkreis-sprachkurse": "review",  # moved
        "musterland-wohnraum": "broken",  # the vanished PDF, gone on both nights
        "beispielhausen-patenschaften": "broken",  # soft 404 on both nights
        "musterstadt-ausbildung": "stale",  # the 2015 flyer
        "landesverband-mentoring": "ok",
        "beispielstadt-ehrenamt": "review",  # its text changed on night 2
        "musterkreis-gesundheitskarte": "ok",  # back on night 2
        "beispielburg-webapp": "missing_url",
    }

    soup = BeautifulSoup(outcome.report.read_text(encoding="utf-8"), "html.parser")
    defekt = soup.select_one("section[data-section=defekt]")
    pdf_row = next(
        row for row in defekt.select("tbody tr") if "Wohnraum für Flüchtlinge" in row.get_text()
    )
    assert pdf_url in [a["href"] for a in pdf_row.find_all("a")]
    assert "Merkblatt (PDF)" in pdf_row.get_text()
    assert "HTTP 404" in pdf_row.get_text() and "25.11.2026" in pdf_row.get_text()
    moved = soup.select_one("section[data-section=umgezogen]").get_text(" ")
    assert "/kreis/bildung/sprachkurse-fuer-gefluechtete" in moved
    stale = soup.select_one("section[data-section=veraltet]").get_text(" ")
    assert "03.11.2015" in stale and "10.06.2015" in stale  # news page and flyer
    assert "Der Text der Seite hat sich am 26.11.2026 geändert." in soup.get_text()
    new = soup.find(id="neu").find_next("table").get_text(" ")
    assert "Wohnraum für Flüchtlinge" in new and "Ehrenamtsbörse" in new
    fixed = soup.find(id="behoben").find_next("table").get_text(" ")
    assert "Gesundheitskarte für Flüchtlinge" in fixed
    markdown = (data_dir / "curated" / "report" / "report.md").read_text(encoding="utf-8")
    assert "merkblatt-wohnraum.pdf" in markdown

    # The data directory is the demo's own: a second demo into it is refused.
    with DemoWeb(SECOND_NIGHT) as web, pytest.raises(DemoError, match="not empty"):
        run_demo(data_dir, SECOND_NIGHT, web=web)


def test_demo_command_removes_its_temporary_data_unless_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The command line around it, with the two flow runs replaced (they are tested above)."""
    made: list[Path] = []

    def fake_run(data_dir: Path, second_night: dt.date, *, web: DemoWeb, **_: object) -> object:
        from flows.demo.run import DemoOutcome

        report = data_dir / "curated" / "report" / "index.html"
        report.parent.mkdir(parents=True)
        report.write_text("<!DOCTYPE html>", encoding="utf-8")
        made.append(data_dir)
        return DemoOutcome(data_dir, report, (second_night, second_night), (("summary",),))

    monkeypatch.setattr("flows.demo.run.run_demo", fake_run)
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    assert cli.main(["demo", "--now", "2026-11-26"]) == 0
    out = capsys.readouterr().out
    assert "Sample web: http://127.0.0.1:" in out and "Report: " in out
    assert "use --keep" in out and not made[-1].exists()

    assert cli.main(["demo", "--now", "2026-11-26", "--keep"]) == 0
    assert made[-1].exists() and str(made[-1]) in capsys.readouterr().out
    kept = tmp_path / "behalten"
    assert cli.main(["demo", "--now", "2026-11-26", "--data-dir", str(kept)]) == 0
    assert made[-1] == kept and (kept / "curated" / "report" / "index.html").is_file()
