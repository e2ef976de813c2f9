"""An entry or link that leaves the catalogue is kept and marked, never silently dropped."""

from __future__ import annotations

import dataclasses
import datetime as dt

from extractors.catalog_removals import removed_entries, removed_links
from extractors.records import CatalogEntry, EntryVerdict, LinkRow, Verdict

NIGHT = dt.date(2026, 11, 26)
BEFORE = dt.date(2026, 11, 25)


def entry(entry_id: str, url: str = "", label: str = "Weitere Informationen") -> CatalogEntry:
    return CatalogEntry(
        line=2, entry_id=entry_id, provider="Stadt", title="T", link_label=label, url=url
    )


def link(entry_id: str, url: str | None, label: str = "Weitere Informationen") -> LinkRow:
    return LinkRow(
        entry_id=entry_id,
        link_label=label,
        url=url,
        run_date=BEFORE,
        checked_at=None,
        health=None,
        http_status=None,
        final_url=None,
        redirect_chain=(),
        error_detail=None,
        content_type=None,
        title=None,
        summary=None,
        language=None,
        published=None,
        modified=None,
        date_source=None,
        content_date=None,
        age_days=None,
        stale=None,
        content_hash=None,
        first_seen=BEFORE,
        last_ok=None,
        last_changed=None,
        failing_since=None,
        consecutive_failures=0,
        confirmed_broken=False,
    )


def verdict(entry_id: str) -> EntryVerdict:
    return EntryVerdict(
        entry_id=entry_id,
        provider="Stadt",
        provider_type="",
        title="T",
        description="",
        run_date=BEFORE,
        verdict=Verdict.OK,
        reasons=(),
        links_total=1,
        links_ok=1,
        links_failing=0,
        links_missing_url=0,
        newest_content_date=None,
    )


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
