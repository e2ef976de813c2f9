"""`linkpflege catalog recover`: lost links of a listing filled from its archived copies,
against the local archive double (real sockets, no internet)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from archive_double import ArchiveDouble, ArchivedPage

from flows.cli import main

FIXTURES = Path(__file__).parents[1] / "fixtures"
LISTING = "http://www.kgst.de/aktuelles/nachricht/fluechtlinge-gute-beispiele-aus-kommunen.dot"
CATALOG_HEADER = "entry_id,provider,provider_type,title,description,link_label,url\n"


def write_catalog(path: Path, *rows: str) -> Path:
    path.write_text(CATALOG_HEADER + "".join(row + "\n" for row in rows), encoding="utf-8")
    return path


def recover(catalog: Path, archive: ArchiveDouble, output: Path, *extra: str) -> int:
    return main(
        [
            "catalog",
            "recover",
            "--catalog",
            str(catalog),
            "--archive-url",
            archive.base_url,
            "--allow-private-addresses",
            "--timeout",
            "10",
            "-o",
            str(output),
            *extra,
        ]
    )


def rows_of(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text("utf-8"))))


def test_empty_targets_are_filled_from_the_listings_archived_copy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    listing_html = (FIXTURES / "kgst-listing.html").read_bytes()
    catalog = write_catalog(
        tmp_path / "katalog.csv",
        f"kgst-catalogue,KGSt,Verband,Flüchtlinge - gute Beispiele,,Listenseite,{LISTING}",
        "koeln,Stadt Köln,Stadt,Web-App und Twitter,,Köln hilft,",
        'koeln,Stadt Köln,Stadt,Web-App und Twitter,,Twitter "Köln hilft",',
        "koeln,Stadt Köln,Stadt,Web-App und Twitter,,Neu,https://www.stadt-koeln.de/neu",
        "ulm,Stadt Ulm,Stadt,Nicht in der Liste,,Weitere Informationen,",
    )
    output = tmp_path / "ergaenzt.csv"
    with ArchiveDouble() as archive:
        archive.add(ArchivedPage("20160301120000", LISTING, listing_html))
        assert recover(catalog, archive, output) == 0
        cdx_requests = archive.count_prefix("/cdx/")
    rows = rows_of(output)
    by_label = {row["link_label"]: row for row in rows}
    assert by_label["Köln hilft"]["url"] == "https://www.stadt-koeln.de/koeln-hilft/"
    assert by_label['Twitter "Köln hilft"']["url"] == "https://twitter.com/koelnhilft"
    assert by_label["Neu"]["url"] == "https://www.stadt-koeln.de/neu"  # known: untouched
    assert by_label["Weitere Informationen"]["url"] == ""
    source = by_label["Köln hilft"]["url_source"]
    assert source.startswith("Archivkopie der Liste vom 01.03.2016: ")
    assert f"/web/20160301120000/{LISTING}" in source
    assert cdx_requests == 1
    printed = capsys.readouterr().out
    assert "filled: 2" in printed and "not found: 1" in printed
    assert "„Weitere Informationen“ – in keiner Archivkopie der Liste" in printed


def test_a_listing_never_archived_fails_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    catalog = write_catalog(
        tmp_path / "katalog.csv", "koeln,Stadt Köln,Stadt,Web-App und Twitter,,Köln hilft,"
    )
    output = tmp_path / "ergaenzt.csv"
    with ArchiveDouble() as archive:
        assert recover(catalog, archive, output, "--listing", LISTING) == 2
    err = capsys.readouterr().err
    assert "no readable archived copy of the listing" in err
    assert not output.exists()


def test_without_a_listing_address_it_says_how_to_give_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    catalog = write_catalog(
        tmp_path / "katalog.csv", "koeln,Stadt Köln,Stadt,Web-App und Twitter,,Köln hilft,"
    )
    with ArchiveDouble() as archive:
        assert recover(catalog, archive, tmp_path / "out.csv") == 2
        assert archive.requests == []
    assert "no --listing and no kgst-catalogue entry" in capsys.readouterr().err


def test_a_throttling_archive_ends_the_search_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    catalog = write_catalog(
        tmp_path / "katalog.csv", "koeln,Stadt Köln,Stadt,Web-App und Twitter,,Köln hilft,"
    )
    with ArchiveDouble() as archive:
        archive.throttled = True
        assert recover(catalog, archive, tmp_path / "out.csv", "--listing", LISTING) == 2
        assert len(archive.requests) == 1  # no retry into a 429
    err = capsys.readouterr().err
    assert "429" in err and "Traceback" not in err
