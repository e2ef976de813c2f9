"""An entry or link that leaves the catalogue is kept and marked, never silently dropped."""

from __future__ import annotations

import dataclasses
import datetime as dt

from record_factories import make_entry_verdict, make_link_row

from extractors.catalog.removals import removed_entries, removed_links
from extractors.records import CatalogEntry, EntryVerdict, LinkRow

NIGHT = dt.date(2026, 11, 26)
BEFORE = dt.date(2026, 11, 25)


def entry(entry_id: str, url: str = "", label: str = "Weitere Informationen") -> CatalogEntry:
    return CatalogEntry(
        line=2, entry_id=entry_id, provider="Stadt", title="T", link_label=label, url=url
    )


def link(entry_id: str, url: str | None, label: str = "Weitere Informationen") -> LinkRow:
    return make_link_row(entry_id=entry_id, url=url, link_label=label, run_date=BEFORE)


def verdict(entry_id: str) -> EntryVerdict:
    return make_entry_verdict(entry_id=entry_id, run_date=BEFORE)


def test_removed_link_and_entry_are_carried_and_marked():
    catalog = [entry("bleibt", "https://a.example/")]
    previous = [link("bleibt", "https://a.example/"), link("weg", "https://b.example/")]
    gone = removed_links(previous, catalog, NIGHT)
    assert [(r.entry_id, r.run_date, r.removed_since) for r in gone] == [("weg", NIGHT, NIGHT)]
    gone_entries = removed_entries([verdict("bleibt"), verdict("weg")], catalog, NIGHT)
    assert [(e.entry_id, e.removed_since) for e in gone_entries] == [("weg", NIGHT)]


def test_removal_date_is_kept_across_nights():
    earlier = dataclasses.replace(link("weg", "https://b.example/"), removed_since=BEFORE)
    (again,) = removed_links([earlier], [], NIGHT)
    assert again.removed_since == BEFORE and again.run_date == NIGHT


def test_links_without_target_are_matched_by_label_and_a_changed_label_is_not_a_removal():
    catalog = [entry("koeln", "", "Twitter"), entry("koeln", "https://a.example/", "Neu")]
    previous = [
        link("koeln", None, "Twitter"),
        link("koeln", None, "Web-App"),
        link("koeln", "https://a.example/", "Alt"),
    ]
    gone = removed_links(previous, catalog, NIGHT)
    assert [(r.url, r.link_label) for r in gone] == [(None, "Web-App")]
