"""Entries and links that left the catalogue are kept, marked, not silently dropped.

Downstream programs join on entry_id; a row that vanishes without a trace looks like data
loss. A removed row keeps its last observation and gets `removed_since`; it is no longer
checked, counted in tonight's history, or shown in the editors' report.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Sequence

from extractors.records import CatalogEntry, EntryVerdict, LinkRow


def _link_key(entry_id: str, url: str | None, label: str) -> tuple[str, str, str]:
    """A link is its URL within its entry; links without a target are told apart by label."""
    return (entry_id, url, "") if url else (entry_id, "", label)


def removed_links(
    previous: Iterable[LinkRow], catalog: Sequence[CatalogEntry], run_date: dt.date
) -> list[LinkRow]:
    """Previous link rows whose catalogue row is gone, carried to tonight and marked."""
    current = {_link_key(e.entry_id, e.url, e.link_label) for e in catalog}
    return [
        dataclasses.replace(row, run_date=run_date, removed_since=row.removed_since or run_date)
        for row in previous
        if _link_key(row.entry_id, row.url, row.link_label) not in current
    ]


def removed_entries(
    previous: Iterable[EntryVerdict], catalog: Sequence[CatalogEntry], run_date: dt.date
) -> list[EntryVerdict]:
    """Previous entries whose entry_id is gone from the catalogue, carried and marked."""
    current = {e.entry_id for e in catalog}
    return [
        dataclasses.replace(row, run_date=run_date, removed_since=row.removed_since or run_date)
        for row in previous
        if row.entry_id not in current
    ]
