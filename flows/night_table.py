"""The night's links as one Arrow table, and the steps after fetching applied to it.

A long catalogue's night must not exist as Python records all at once (about 2 KB a link
as `LinkRow`s, against well under 1 KB in Arrow): the night is read from the shards' parts
as a table and stays one. Each step takes out only the rows it may change — broken and
moved links for the archive and the new-location lookups, one chunk of entries at a time
for the verdicts — as records, and puts the changed rows back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from extractors.facts.title_site_names import night_titles
from extractors.records import (
    CatalogEntry,
    EntryVerdict,
    Health,
    LinkHealth,
    LinkRow,
    SuggestionRow,
)
from extractors.verdicts.entry_verdicts import judge_entries
from flows.archive.budget import ArchiveBudget
from flows.archived_copies import ArchiveNight, add_archived_copies, needs_archived_copy
from flows.dataset.store import links_table
from flows.dataset.table_records import iter_link_rows, link_rows_of, rows_of_links
from flows.dataset.table_rows import replace_rows
from flows.fetch.settings import FetchSettings
from flows.new_locations import RelocationNight, add_new_locations, may_have_moved
from flows.run_settings import Settings

ENTRIES_PER_CHUNK = 2000


def rows_where(
    table: pa.Table, wanted: Callable[[LinkRow], bool]
) -> tuple[list[int], list[LinkRow]]:
    """The positions and records of the rows `wanted` picks (read a batch at a time)."""
    positions: list[int] = []
    rows: list[LinkRow] = []
    for position, row in enumerate(iter_link_rows(table)):
        if wanted(row):
            positions.append(position)
            rows.append(row)
    return positions, rows


def with_rows_replaced(
    table: pa.Table, positions: Sequence[int], rows: Sequence[LinkRow]
) -> pa.Table:
    """The table with the row at each position replaced by the record given for it."""
    return replace_rows(table, positions, links_table(rows)) if positions else table


def with_site_names_stripped(table: pa.Table) -> pa.Table:
    """Site names only the night's titles together reveal (a segment on several pages of a
    host) stripped from the titles (`night_titles`), read from and put back as columns."""
    columns = ("final_url", "url", "http_status", "title")
    final_urls, urls, statuses, original = (table[name].to_pylist() for name in columns)
    titles = night_titles(list(zip(final_urls, urls, statuses, original, strict=True)))
    if titles == original:
        return table
    index = table.schema.get_field_index("title")
    return table.set_column(index, table.schema.field(index), pa.array(titles, pa.string()))


def health_by_url(table: pa.Table) -> list[tuple[str, LinkHealth]]:
    """Each checked URL once with its health (for judging the run as a whole)."""
    checked: dict[str, LinkHealth] = {}
    columns = table.select(["url", "health", "http_status"])
    for batch in columns.to_batches(max_chunksize=8192):
        urls, healths, statuses = (column.to_pylist() for column in batch.columns)
        for url, health, status in zip(urls, healths, statuses, strict=True):
            if url is not None and health is not None and url not in checked:
                checked[url] = LinkHealth(Health(health), status)
    return list(checked.items())


def judge_entries_in_chunks(
    catalog: Sequence[CatalogEntry],
    table: pa.Table,
    *,
    run_date: dt.date,
    stale_after_days: int,
    reviews: Mapping[str, dt.date],
    chunk: int = ENTRIES_PER_CHUNK,
) -> list[EntryVerdict]:
    """`judge_entries` a chunk of entries at a time, each with only its own links as records
    (an entry's verdict depends on its links alone); verdicts in catalogue order. The rows
    are put in chunk order once, not filtered once per chunk (500 passes over a night of a
    million links)."""
    by_entry: dict[str, list[CatalogEntry]] = {}
    for entry in catalog:
        by_entry.setdefault(entry.entry_id, []).append(entry)
    entry_ids = list(by_entry)
    place = pc.index_in(table["entry_id"], value_set=pa.array(entry_ids, pa.string()))
    chunk_of_row = pc.divide(place, pa.scalar(chunk, place.type))  # integer division
    rows_by_chunk = pc.sort_indices(chunk_of_row)  # stable: table order within a chunk
    rows_in_chunk = np.bincount(
        pc.drop_null(chunk_of_row).to_numpy(zero_copy_only=False),
        minlength=-(-len(entry_ids) // chunk),
    )
    verdicts: list[EntryVerdict] = []
    first_row = 0
    for number, start in enumerate(range(0, len(entry_ids), chunk)):
        ids = entry_ids[start : start + chunk]
        rows = rows_by_chunk[first_row : first_row + int(rows_in_chunk[number])]
        first_row += int(rows_in_chunk[number])
        verdicts += judge_entries(
            [entry for entry_id in ids for entry in by_entry[entry_id]],
            link_rows_of(table.take(rows)),
            run_date=run_date,
            stale_after_days=stale_after_days,
            reviews=reviews,
        )
    return verdicts


def health_counts(table: pa.Table) -> dict[str, int]:
    counts = pc.value_counts(pc.drop_null(table["health"])).to_pylist()
    return {item["values"]: item["counts"] for item in counts}


def with_archived_copies(
    table: pa.Table,
    settings: Settings,
    engine: FetchSettings,
    previous: pa.Table | None,
    allowance: ArchiveBudget,
) -> tuple[pa.Table, ArchiveNight]:
    """`add_archived_copies` for the rows that may get one, with last night's rows of
    those links; the other rows stay in the table as they are."""
    if not settings.archive:
        return table, ArchiveNight(enabled=False)
    positions, rows = rows_where(
        table, lambda row: needs_archived_copy(row, settings.private_hosts)
    )
    earlier = rows_of_links(previous, ((row.entry_id, row.url) for row in rows))
    updated, night = add_archived_copies(rows, settings, engine, earlier, allowance)
    return with_rows_replaced(table, positions, updated), night


def with_new_locations(
    table: pa.Table,
    entries: Sequence[CatalogEntry],
    settings: Settings,
    engine: FetchSettings,
    previous: pa.Table | None,
    allowance: ArchiveBudget,
) -> tuple[pa.Table, list[SuggestionRow], RelocationNight]:
    """`add_new_locations` for the rows that may have moved (and those without a target),
    with last night's rows of those links; the other rows stay as they are."""
    if not settings.relocation:
        return table, [], RelocationNight(enabled=False)
    positions, rows = rows_where(table, may_have_moved)
    earlier = rows_of_links(previous, ((row.entry_id, row.url) for row in rows))
    updated, found, night = add_new_locations(rows, entries, settings, engine, earlier, allowance)
    return with_rows_replaced(table, positions, updated), found, night
