"""Command-line pieces that need no Prefect run: catalogue import, check, report, progress bar."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from local_web import LocalWeb, Reply

from extractors.catalog.reader import parse_catalog
from flows.cli import main
from flows.progress_display import ProgressDisplay

FIXTURES = Path(__file__).parent / "fixtures"


def test_catalog_import_of_the_seed_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    out = tmp_path / "katalog.csv"
    status = main(
        [
            "catalog",
            "import",
            str(FIXTURES / "kgst-fluechtlinge-gute-beispiele.txt"),
            "-o",
            str(out),
        ]
    )
    assert status == 0
    assert "25 entries, 32 links" in capsys.readouterr().err
    parsed = parse_catalog(out.read_bytes(), source=str(out))
    assert parsed.problems == ()
    assert len({e.entry_id for e in parsed.entries}) == 25
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert rows[0]["provider"] == "Stadt Mannheim" and rows[0]["title"] == "Bürgerbrief"
    assert [r["link_label"] for r in rows if r["provider"] == "Stadt Köln"] == [
        "Köln hilft",
        "Angebote für Flüchtlinge - Refugees",
        'Twitter "Köln hilft"',
    ]


def test_catalog_import_of_html_to_stdout(capsys: pytest.CaptureFixture[str]):
    assert main(["catalog", "import", str(FIXTURES / "kgst-listing.html")]) == 0
    text = capsys.readouterr().out
    assert text.startswith("entry_id,provider,provider_type,title")
    assert "https://" in text


def test_catalog_import_of_a_missing_file_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    assert main(["catalog", "import", str(tmp_path / "nope.txt")]) == 2
    assert capsys.readouterr().err.strip().count("\n") == 0


def test_check_prints_health_title_and_dates(capsys: pytest.CaptureFixture[str]):
    page = (
        "<html lang='de'><head><title>Freies WLAN - Stadt Münster</title></head>"
        "<body><main><p>Erste Hotspots wurden eingerichtet.</p>"
        "<p>Stand: 23.07.2015</p></main></body></html>"
    )
    with LocalWeb() as web:
        web.route("/wlan", Reply.html(page))
        web.route("/alt", Reply.redirect("/wlan", 301))
        status = main(
            ["check", web.url("/alt"), "--allow-private-addresses", "--now", "2026-11-26"]
        )
    out = capsys.readouterr().out
    assert status == 0
    assert "health:    moved" in out
    assert f"final URL: {web.url('/wlan')}" in out
    assert "title:     Freies WLAN" in out
    assert "2015-07-23" in out


def test_check_refuses_private_addresses_by_default(capsys: pytest.CaptureFixture[str]):
    with LocalWeb() as web:
        web.route("/", Reply.html("<p>intern</p>"))
        assert main(["check", web.url("/")]) == 0
        assert web.count("/") == 0  # never requested
    assert "health:    blocked" in capsys.readouterr().out


def test_report_without_dataset_says_what_to_do(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    assert main(["report", "--data-dir", str(tmp_path)]) == 2
    assert "linkpflege run" in capsys.readouterr().err


def test_bad_setting_is_one_line(capsys: pytest.CaptureFixture[str]):
    assert main(["check", "http://example.invalid/", "--now", "gestern"]) == 2
    assert "--now" in capsys.readouterr().err


def test_progress_bar_on_a_terminal_and_silence_in_a_log():
    urls = ["http://a.example/1", "http://a.example/2", "http://b.example/1"]
    terminal = io.StringIO()
    bar = ProgressDisplay(urls, stream=terminal, enabled=True)
    bar.finished(urls[0])
    assert "1/3 URLs" in bar.line() and "2 Hosts offen" in bar.line()
    bar.finished(urls[2])
    bar.finished(urls[1])
    bar.close()
    assert terminal.getvalue().count("3/3 URLs · 0 Hosts offen") == 1
    assert terminal.getvalue().endswith("\n")  # later log lines start on a line of their own
    assert "\r" in terminal.getvalue()

    log = io.StringIO()  # StringIO is not a TTY: the default is silence
    quiet = ProgressDisplay(urls, stream=log)
    for url in urls:
        quiet.finished(url)
    quiet.close()
    assert log.getvalue() == ""
