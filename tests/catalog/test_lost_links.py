"""Lost links recovered from archived copies of the listing: empty targets filled by entry and
link label, known targets never touched, ambiguity and misses reported, the source recorded."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

from extractors.catalog.listing_html import parse_listing_html
from extractors.catalog.lost_links import (
    URL_SOURCE_COLUMN,
    ListingCapture,
    recover_lost_links,
)
from extractors.catalog.reader import parse_catalog
from extractors.catalog.writer import catalog_csv
from extractors.records import CatalogEntry

FIXTURES = Path(__file__).parents[1] / "fixtures"
LISTING = "http://www.kgst.de/aktuelles/nachricht/fluechtlinge-gute-beispiele-aus-kommunen.dot"
MARCH = dt.datetime(2016, 3, 1, 12, tzinfo=dt.UTC)


def capture(rows: list[CatalogEntry], when: dt.datetime = MARCH) -> ListingCapture:
    stamp = when.strftime("%Y%m%d%H%M%S")
    return ListingCapture(f"https://web.archive.org/web/{stamp}/{LISTING}", when, tuple(rows))


def row(line: int, title: str, label: str, url: str = "", provider: str = "Stadt Köln"):
    return CatalogEntry(line, "e" + str(line), provider, title, link_label=label, url=url)


def test_the_fixture_listing_fills_the_empty_targets_of_the_bundled_catalogue() -> None:
    listed = parse_listing_html((FIXTURES / "kgst-listing.html").read_text("utf-8"), LISTING)
    catalog = parse_catalog(
        Path("data/catalog/kgst-fluechtlinge.csv").read_bytes(), "kgst-fluechtlinge.csv"
    ).entries
    recovery = recover_lost_links(catalog, [capture(listed)])
    filled = {(item.entry_id, item.link_label): item.url for item in recovery.filled}
    assert (
        filled[("koeln-webapp-twitter", "Köln hilft")] == "https://www.stadt-koeln.de/koeln-hilft/"
    )
    assert filled[("koeln-webapp-twitter", 'Twitter "Köln hilft"')] == (
        "https://twitter.com/koelnhilft"
    )
    # Every row is still there, in order; known targets are the catalogue's own.
    assert [r.line for r in recovery.rows] == [r.line for r in catalog]
    for before, after in zip(catalog, recovery.rows, strict=True):
        if before.url:
            assert after == before
    assert len(recovery.filled) + len(recovery.unmatched) + len(recovery.ambiguous) == sum(
        1 for r in catalog if not r.url
    )


def test_a_known_target_is_never_overwritten() -> None:
    known = row(2, "Web-App und Twitter", "Köln hilft", url="https://neu.example.org/hilfe")
    listed = [row(9, "Web-App und Twitter", "Köln hilft", url="https://alt.example.org/")]
    recovery = recover_lost_links([known], [capture(listed)])
    assert recovery.rows == (known,) and not recovery.filled


def test_a_filled_row_records_its_source_and_survives_the_catalogue_format() -> None:
    lost = row(2, "Web-App und Twitter", "Köln hilft")
    listed = [row(9, "Web – App und  Twitter", "köln hilft", url="https://www.stadt-koeln.de/")]
    recovery = recover_lost_links([lost], [capture(listed)])
    (filled,) = recovery.rows
    assert filled.url == "https://www.stadt-koeln.de/"
    source = dict(filled.extra)[URL_SOURCE_COLUMN]
    assert source == (
        "Archivkopie der Liste vom 01.03.2016: "
        f"https://web.archive.org/web/20160301120000/{LISTING}"
    )
    again = parse_catalog(catalog_csv(recovery.rows).encode("utf-8"), "katalog.csv").entries
    assert again[0].url == filled.url and dict(again[0].extra)[URL_SOURCE_COLUMN] == source


def test_the_newest_capture_wins_and_older_ones_fill_what_it_lacks() -> None:
    lost = [row(2, "Bürgerbrief", "Weitere Informationen"), row(3, "Flyer", "PDF")]
    old = capture(
        [
            row(9, "Bürgerbrief", "Weitere Informationen", url="https://alt.example.org/brief"),
            row(10, "Flyer", "PDF", url="https://alt.example.org/flyer.pdf"),
        ],
        dt.datetime(2015, 12, 1, tzinfo=dt.UTC),
    )
    new = capture([row(9, "Bürgerbrief", "Weitere Informationen", url="https://neu.example.org/")])
    recovery = recover_lost_links(lost, [old, new])
    assert [r.url for r in recovery.rows] == [
        "https://neu.example.org/",
        "https://alt.example.org/flyer.pdf",
    ]
    assert "01.12.2015" in recovery.filled[1].source


def test_two_targets_under_one_label_are_ambiguous_and_left_empty() -> None:
    lost = row(2, "Bürgerbrief", "Weitere Informationen")
    listed = [
        row(9, "Bürgerbrief", "Weitere Informationen", url="https://a.example.org/"),
        row(10, "Bürgerbrief", "Weitere Informationen", url="https://b.example.org/"),
    ]
    recovery = recover_lost_links([lost], [capture(listed)])
    assert recovery.rows == (lost,)
    (ambiguous,) = recovery.ambiguous
    assert ambiguous.reason.startswith("mehrdeutig: 2 Ziele")


def test_entries_sharing_a_title_are_told_apart_by_provider() -> None:
    lost = row(2, "Willkommenslotsen", "Weitere Informationen", provider="Stadt Ulm")
    listed = [
        row(9, "Willkommenslotsen", "Weitere Informationen", "https://ulm.example/", "Stadt Ulm"),
        row(
            10, "Willkommenslotsen", "Weitere Informationen", "https://bonn.example/", "Stadt Bonn"
        ),
    ]
    recovery = recover_lost_links([lost], [capture(listed)])
    assert recovery.rows[0].url == "https://ulm.example/"


def test_misses_say_why() -> None:
    lost = [row(2, "Bürgerbrief", "Flyer"), row(3, "Unbekannt", "Weitere Informationen")]
    listed = [row(9, "Bürgerbrief", "Weitere Informationen", url="https://a.example.org/")]
    recovery = recover_lost_links(lost, [capture(listed)])
    reasons = {item.entry_id: item.reason for item in recovery.unmatched}
    assert reasons == {
        "e2": "Eintrag gefunden, aber kein Link „Flyer“ darunter",
        "e3": "in keiner Archivkopie der Liste",
    }
    assert recovery.rows == tuple(lost)
    assert not recovery.filled and not recovery.ambiguous
    assert dataclasses.asdict(recovery.unmatched[0])["line"] == 2
