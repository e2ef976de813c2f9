"""Archived copies in the nightly run, end to end on real sockets: a local web whose page
breaks, the local Wayback Machine (`archive_double`), the real flow writing the dataset and
the report. No internet; the run's day comes from `--now`.

Night 1 (25.11.) the page is fine, nights 2 and 3 it answers 404; on night 3 it is confirmed
broken and gets the capture closest before its last good night, 25.11., never the error page
the archive captured after it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from archive_double import ArchiveDouble, ArchivedPage
from bs4 import BeautifulSoup
from local_run import local_run_settings
from local_web import LocalWeb, Reply, closed_port

from flows.archive.cache import cache_path
from flows.harvest_flow import RunSummary, harvest

NIGHTS = ("2026-11-25", "2026-11-26", "2026-11-27", "2026-11-28")
TITLE = "Integrationslotsen im Quartier"
PAGE = (
    f"<!doctype html><html lang='de'><head><title>{TITLE}</title></head><body><main>"
    f"<h1>{TITLE}</h1><p>Ehrenamtliche Lotsen begleiten neu zugezogene Familien zu Ämtern, "
    "Schulen und Beratungsstellen im Quartier.</p></main></body></html>"
)
GOOD_CAPTURE = "20261120120000"  # before the last good night
ERROR_CAPTURE = "20261126080000"  # the archive caught the error page after it
HEADER = "entry_id,provider,title,link_label,url\n"


@pytest.fixture
def web() -> Iterator[LocalWeb]:
    with LocalWeb() as site:
        for path in ("/lotsen", "/weg", "/auch-weg"):
            site.route(path, Reply.html(PAGE))
        yield site


@pytest.fixture
def archive() -> Iterator[ArchiveDouble]:
    with ArchiveDouble() as double:
        yield double


def archive_lotsen(archive: ArchiveDouble, web: LocalWeb) -> None:
    archive.add(
        ArchivedPage.page(GOOD_CAPTURE, web.url("/lotsen"), TITLE),
        ArchivedPage.error_page(ERROR_CAPTURE, web.url("/lotsen")),
    )


def write_catalog(path: Path, web: LocalWeb, *paths: str) -> Path:
    rows = "".join(
        f"e{i},Stadt {i},Eintrag {i},Weitere Informationen,{web.url(p)}\n"
        for i, p in enumerate(paths)
    )
    path.write_text(HEADER + rows, encoding="utf-8")
    return path


def night(catalog: Path, data_dir: Path, index: int, **overrides: Any) -> RunSummary:
    """One night of the real flow (shards run in the run's process, as the tests do). The
    archive is switched on explicitly: a test-wide LINKPFLEGE_ARCHIVE=0 must not hide it."""
    options: dict[str, Any] = {"timeout": 5, "archive": True, **overrides}
    return harvest(local_run_settings(catalog, data_dir, NIGHTS[index], **options))


def latest_rows(data_dir: Path) -> dict[str, dict[str, Any]]:
    table = pq.read_table(data_dir / "curated" / "links.parquet")
    return {row["entry_id"]: row for row in table.to_pylist()}


def break_pages(web: LocalWeb) -> None:
    for path in ("/lotsen", "/weg", "/auch-weg"):
        web.route(path, Reply.html("<h1>Nicht gefunden</h1>", status=404))


def test_a_confirmed_broken_link_gets_the_copy_before_its_last_good_night(
    web: LocalWeb,
    archive: ArchiveDouble,
    tmp_path: Path,
    prefect_harness: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from flows.cli import main

    archive_lotsen(archive, web)
    catalog = write_catalog(tmp_path / "catalog.csv", web, "/lotsen")
    data_dir = tmp_path / "data"

    def run(index: int) -> str:
        common = ["--catalog", str(catalog), "--data-dir", str(data_dir), "--now", NIGHTS[index]]
        local = ["--allow-private-addresses", "--per-host-interval", "0", "--no-progress"]
        status = main(["run", *common, *local, "--archive", "--archive-url", archive.base_url])
        output = capsys.readouterr().out
        assert status == 0, output
        return output

    run(0)
    break_pages(web)
    run(1)
    assert archive.requests == []  # good, then failing once: nothing to look up yet
    third = run(2)

    row = latest_rows(data_dir)["e0"]
    assert (row["health"], row["confirmed_broken"]) == ("not_found", True)
    copy_url = f"{archive.base_url}/web/{GOOD_CAPTURE}/{web.url('/lotsen')}"
    assert row["archived_url"] == copy_url
    assert row["archived_at"] == dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)
    assert row["archive_note"] == "Archivkopie vom 20.11.2026, Titel stimmt überein"
    assert row["suggested_url"] is None  # a broken link has no redirect to suggest
    cdx = [seen.path for seen in archive.requests if seen.path.startswith("/cdx/")]
    assert len(cdx) == 1 and "to=20261125" in cdx[0]
    assert archive.count_prefix(f"/web/{ERROR_CAPTURE}") == 0
    assert all(s.headers["user-agent"].startswith("Linkpflege") for s in archive.requests)
    line = "  archive:  1 copies found for 1 links; 2 requests, 0 answered 429, 0 cache hits"
    assert line in third.splitlines()

    report = (data_dir / "curated" / "report" / "index.html").read_text(encoding="utf-8")
    soup = BeautifulSoup(report, "html.parser")
    to_copy = [a.get_text() for a in soup.find_all("a") if a["href"] == copy_url]
    assert to_copy == [
        "Archivkopie vom 20.11.2026, Titel stimmt überein",
        "Archivkopie ansehen und als Ersatz-Link prüfen",
    ]
    assert cache_path(data_dir).is_file()

    # Night 4: still broken; the cache answers, the archive hears nothing, the copy stays.
    sent = len(archive.requests)
    fourth = run(3)
    assert len(archive.requests) == sent
    assert latest_rows(data_dir)["e0"]["archived_url"] == copy_url
    line = "  archive:  1 copies found for 1 links; 0 requests, 0 answered 429, 1 cache hits"
    assert line in fourth.splitlines()


def test_no_archive_sends_no_request_and_leaves_the_columns_null(
    web: LocalWeb, archive: ArchiveDouble, tmp_path: Path
) -> None:
    archive_lotsen(archive, web)
    catalog = write_catalog(tmp_path / "catalog.csv", web, "/lotsen")
    data_dir = tmp_path / "data"
    options = {"archive": False, "archive_url": archive.base_url}
    night(catalog, data_dir, 0, **options)
    break_pages(web)
    night(catalog, data_dir, 1, **options)
    summary = night(catalog, data_dir, 2, **options)
    assert archive.requests == []
    row = latest_rows(data_dir)["e0"]
    assert row["confirmed_broken"] is True
    assert [row[name] for name in ("archived_url", "archived_at", "archive_note")] == [None] * 3
    assert "  archive:  off" in summary.lines()
    assert not cache_path(data_dir).exists()


def test_an_archive_answering_429_changes_no_health_and_the_note_says_why(
    web: LocalWeb, archive: ArchiveDouble, tmp_path: Path
) -> None:
    archive_lotsen(archive, web)
    archive.throttled = True
    catalog = write_catalog(tmp_path / "catalog.csv", web, "/lotsen", "/weg", "/auch-weg")
    data_dir = tmp_path / "data"
    night(catalog, data_dir, 0, archive_url=archive.base_url)
    break_pages(web)
    night(catalog, data_dir, 1, archive_url=archive.base_url)
    summary = night(catalog, data_dir, 2, archive_url=archive.base_url)

    rows = latest_rows(data_dir)
    assert {r["health"] for r in rows.values()} == {"not_found"}
    assert all(r["confirmed_broken"] for r in rows.values())
    assert summary.verdict_counts == {"broken": 3}
    assert rows["e0"]["archived_url"] is None
    assert rows["e0"]["archive_note"] == (
        "Archivabfrage gescheitert: Archiv drosselt die Anfragen (429), Pause für alle Abfragen"
    )
    # After a 429 the run asks no more: one request, none while the archive would block us.
    assert len(archive.requests) == 1 and archive.requests_while_blocked == 0
    for other in ("e1", "e2"):
        assert rows[other]["archive_note"].startswith("Archiv in dieser Nacht nicht mehr befragt")
        assert "429" in rows[other]["archive_note"]
    assert summary.archive is not None
    assert (summary.archive.rate_limited, summary.archive.lookups) == (1, 1)
    assert summary.archive.not_asked == 2


def test_an_unreachable_archive_leaves_the_run_green_and_stops_after_two_tries(
    web: LocalWeb, tmp_path: Path
) -> None:
    nowhere = f"http://127.0.0.1:{closed_port()}"
    catalog = write_catalog(tmp_path / "catalog.csv", web, "/lotsen", "/weg", "/auch-weg")
    data_dir = tmp_path / "data"
    night(catalog, data_dir, 0, archive_url=nowhere)
    break_pages(web)
    night(catalog, data_dir, 1, archive_url=nowhere)
    summary = night(catalog, data_dir, 2, archive_url=nowhere)

    rows = latest_rows(data_dir)
    assert {r["health"] for r in rows.values()} == {"not_found"}
    assert summary.verdict_counts == {"broken": 3}
    assert rows["e0"]["archive_note"].startswith(
        "Archivabfrage gescheitert: Archiv nicht erreichbar"
    )
    assert rows["e2"]["archive_note"].startswith("Archiv in dieser Nacht nicht mehr befragt")
    assert summary.archive is not None
    assert (summary.archive.lookups, summary.archive.not_asked) == (2, 1)
    assert summary.archive.copies_found == 0


def test_a_copy_found_earlier_survives_a_night_of_archive_trouble(
    web: LocalWeb, archive: ArchiveDouble, tmp_path: Path
) -> None:
    archive_lotsen(archive, web)
    catalog = write_catalog(tmp_path / "catalog.csv", web, "/lotsen")
    data_dir = tmp_path / "data"
    night(catalog, data_dir, 0, archive_url=archive.base_url)
    break_pages(web)
    night(catalog, data_dir, 1, archive_url=archive.base_url)
    night(catalog, data_dir, 2, archive_url=archive.base_url)
    found = latest_rows(data_dir)["e0"]
    assert found["archived_url"] is not None

    cache_path(data_dir).unlink()  # the cache lost: tonight the archive must be asked ...
    archive.throttled = True  # ... and it refuses
    summary = night(catalog, data_dir, 3, archive_url=archive.base_url)
    kept = latest_rows(data_dir)["e0"]
    assert summary.archive is not None and summary.archive.rate_limited == 1
    for name in ("archived_url", "archived_at", "archive_note"):
        assert kept[name] == found[name], name


def test_moved_and_soft_404_links_get_a_copy_and_moved_ones_a_suggestion(
    web: LocalWeb, archive: ArchiveDouble, tmp_path: Path
) -> None:
    web.route("/alt", Reply.redirect("/neu", 301))
    web.route("/neu", Reply.html(PAGE))
    missing = (
        "<!doctype html><html lang='de'><head><title>Seite nicht gefunden</title></head>"
        "<body><main><h1>Seite nicht gefunden</h1><p>Die angeforderte Seite existiert "
        "leider nicht mehr.</p></main></body></html>"
    )
    web.route("/weich", Reply.html(missing))
    archive.add(
        ArchivedPage.page("20250101120000", web.url("/alt"), TITLE),
        ArchivedPage.page("20240601090000", web.url("/weich"), "Sprachkurse für Geflüchtete"),
    )
    catalog = write_catalog(tmp_path / "catalog.csv", web, "/alt", "/weich", "/lotsen")
    data_dir = tmp_path / "data"
    summary = night(catalog, data_dir, 0, archive_url=archive.base_url)

    rows = latest_rows(data_dir)
    moved, soft = rows["e0"], rows["e1"]
    assert (moved["health"], soft["health"]) == ("moved", "soft_404")
    assert moved["suggested_url"] == web.url("/neu")
    assert (moved["suggestion_source"], moved["suggestion_score"]) == ("redirect", 1.0)
    assert moved["archived_url"] == f"{archive.base_url}/web/20250101120000/{web.url('/alt')}"
    assert moved["archive_note"] == "Archivkopie vom 01.01.2025, Titel stimmt überein"
    # Never good: the newest capture, whose title there is nothing to compare with.
    assert soft["archived_url"] == f"{archive.base_url}/web/20240601090000/{web.url('/weich')}"
    assert soft["archive_note"] == "Archivkopie vom 01.06.2024, Titel „Sprachkurse für Geflüchtete“"
    assert soft["suggested_url"] is None
    ok = rows["e2"]
    assert (ok["health"], ok["archived_url"], ok["archive_note"]) == ("ok", None, None)
    assert summary.archive is not None and summary.archive.copies_found == 2
    assert all("/lotsen" not in seen.path for seen in archive.requests)  # a good link: no lookup
