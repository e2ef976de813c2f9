"""strip_repeated_segments / night_titles: a title segment on several pages of one
host in a night is that site's name."""

from __future__ import annotations

import dataclasses
import datetime as dt

from extractors.facts.title_site_names import NightPage, night_titles, strip_repeated_segments
from extractors.records import LinkRow

SOEST = "https://www.kreis-soest.de"
KOELN = "https://www.stadt-koeln.de"


def test_segment_repeated_on_two_pages_of_a_host_is_stripped_from_both() -> None:
    pages = [
        (f"{KOELN}/en/refugees", "Information for Refugees | City of Cologne"),
        (f"{KOELN}/en/housing", "City of Cologne | Housing for Refugees"),
        # another host: the same segment is not its site name
        ("https://www.bonn.de/en", "Visit | City of Cologne"),
    ]
    assert strip_repeated_segments(pages) == [
        "Information for Refugees",
        "Housing for Refugees",
        "Visit | City of Cologne",
    ]


def test_www_and_bare_host_are_one_site() -> None:
    pages = [
        (f"{SOEST}/a", "Sprachkurse – Übersicht | Bürgerportal"),
        ("https://kreis-soest.de/b", "Wohnen | Bürgerportal"),
    ]
    assert strip_repeated_segments(pages) == ["Sprachkurse – Übersicht", "Wohnen"]


def test_segment_on_one_page_only_stays() -> None:
    pages = [
        (f"{SOEST}/a", "Sprachkurse für Geflüchtete – Übersicht"),
        (f"{SOEST}/b", "Wohnen für Geflüchtete"),
        # the same page linked from a second catalogue entry is still one page
        (f"{SOEST}/a", "Sprachkurse für Geflüchtete – Übersicht"),
    ]
    assert strip_repeated_segments(pages) == [title for _, title in pages]


def test_identical_titles_of_two_pages_are_no_evidence() -> None:
    # a page and its print version: every segment "repeats", none is a site name
    pages = [
        (f"{SOEST}/a", "Sprachkurse – Übersicht"),
        (f"{SOEST}/a?druck=1", "Sprachkurse – Übersicht"),
    ]
    assert strip_repeated_segments(pages) == ["Sprachkurse – Übersicht"] * 2


def test_never_empty_and_the_only_segment_stays() -> None:
    pages = [
        (f"{SOEST}/a", "Bürgerportal"),
        (f"{SOEST}/b", "Bürgerportal | Bürgerportal"),
        (f"{SOEST}/c", "Sprachkurse | Bürgerportal"),
        (f"{SOEST}/d", None),
        ("", "Kein Host | Bürgerportal"),
    ]
    assert strip_repeated_segments(pages) == [
        "Bürgerportal",
        "Bürgerportal",
        "Sprachkurse",
        None,
        "Kein Host | Bürgerportal",
    ]


def test_only_the_outermost_repeated_segment_goes() -> None:
    # The site's name is stripped; a section or content segment inside it stays, even when it
    # repeats ("Formulare", "Übersicht"): it is not the site's name.
    pages = [
        (f"{SOEST}/a", "Antrag A | Formulare | Bürgerportal"),
        (f"{SOEST}/b", "Antrag B | Formulare | Bürgerportal"),
        (f"{SOEST}/c", "Sprachkurse – Übersicht | Bürgerportal"),
        (f"{SOEST}/d", "Integrationskurse – Übersicht | Bürgerportal"),
        (f"{KOELN}/x", "Information for Refugees | City of Cologne"),
    ]
    assert strip_repeated_segments(pages) == [
        "Antrag A | Formulare",
        "Antrag B | Formulare",
        "Sprachkurse – Übersicht",
        "Integrationskurse – Übersicht",
        pages[4][1],
    ]


def test_carried_cleaned_titles_beside_fresh_ones() -> None:
    # last night's cleaned title (a 304 carries it) next to tonight's fresh ones
    pages = [
        (f"{SOEST}/a", "Sprachkurse – Übersicht"),
        (f"{SOEST}/b", "Wohnen | Bürgerportal"),
        (f"{SOEST}/c", "Arbeit | Bürgerportal"),
    ]
    assert strip_repeated_segments(pages) == ["Sprachkurse – Übersicht", "Wohnen", "Arbeit"]


def test_a_rows_page_is_its_final_url_and_titles_carried_by_a_304_stay() -> None:
    night = dt.date(2026, 11, 26)
    base = LinkRow(
        entry_id="e1",
        link_label="",
        url=f"{SOEST}/alt",
        run_date=night,
        checked_at=None,
        health=None,
        http_status=200,
        final_url=f"{KOELN}/en/refugees",
        redirect_chain=(),
        error_detail=None,
        content_type="text/html",
        title="Information for Refugees | City of Cologne",
        summary="Summary",
        language="en",
        published=None,
        modified=None,
        date_source=None,
        content_date=None,
        age_days=None,
        stale=None,
        content_hash=None,
        first_seen=night,
        last_ok=night,
        last_changed=None,
        failing_since=None,
        consecutive_failures=0,
        confirmed_broken=False,
    )
    other = dataclasses.replace(
        base,
        entry_id="e2",
        url=f"{KOELN}/en/housing",
        final_url=None,
        title="Housing | City of Cologne",
    )
    untitled = dataclasses.replace(base, entry_id="e3", url=None, final_url=None, title=None)
    assert night_titles(pages_of([base, other, untitled])) == [
        "Information for Refugees",
        "Housing",
        None,
    ]

    # A row carried by a 304 holds last night's cleaned title: it neither counts nor changes.
    carried_a = dataclasses.replace(
        base, entry_id="e4", http_status=304, final_url=None, url=f"{KOELN}/a", title="A – Liste"
    )
    carried_b = dataclasses.replace(carried_a, entry_id="e5", url=f"{KOELN}/b", title="B – Liste")
    # "City of Cologne" on one fresh page only: no evidence.
    assert night_titles(pages_of([carried_a, carried_b, other])) == [
        "A – Liste",
        "B – Liste",
        "Housing | City of Cologne",
    ]


def pages_of(rows: list[LinkRow]) -> list[NightPage]:
    return [(row.final_url, row.url, row.http_status, row.title) for row in rows]
