"""The night's links as one Arrow table, and the steps after fetching applied to it.

A long catalogue's night must not exist as Python records all at once (about 2 KB a link
as `LinkRow`s, against well under 1 KB in Arrow): the night is read from the shards' parts
as a table and stays one. Each step takes out only the rows it may change — broken and
moved links for the archive and the new-location lookups, one chunk of entries at a time
for the verdicts — as records, and puts the changed rows back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from extractors.facts.title_site_names import NightPage, night_titles, page_site
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
from flows.dataset.table_rows import grouped_rows, replace_rows
from flows.fetch.settings import FetchSettings
from flows.new_locations import RelocationNight, add_new_locations, may_have_moved
from flows.run_settings import Settings

ENTRIES_PER_CHUNK = 2000
ROWS_AT_ONCE = 8192  # rows taken out of the night's table as Python values at a time


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


def with_site_names_stripped(table: pa.Table, rows_at_once: int = ROWS_AT_ONCE) -> pa.Table:
    """Site names only the night's titles together reveal (a segment on several pages of a
    host) stripped from the titles (`night_titles`). The rows are grouped by site in Arrow
    and taken out as Python values a few whole sites at a time (not the night's four
    columns as lists at once); the titles are put back as a column."""
    pages_table = table.select(["final_url", "url", "http_status", "title"])
    sites = pc.dictionary_encode(
        pa.chunked_array(
            [
                pa.array([page_site(page) for page in _pages(batch)], pa.string())
                for batch in pages_table.to_batches(max_chunksize=rows_at_once)
            ],
            pa.string(),
        ).combine_chunks()
    )
    by_site = grouped_rows(sites.indices.to_numpy(), len(sites.dictionary))
    changed = False
    titles: list[pa.Array] = []
    for first, end in _site_groups(by_site.starts, rows_at_once):
        rows = pages_table.take(pa.array(by_site.order[first:end], pa.int64()))
        pages = [page for batch in rows.to_batches() for page in _pages(batch)]
        stripped = night_titles(pages)
        changed = changed or any(new != page[3] for new, page in zip(stripped, pages, strict=True))
        titles.append(pa.array(stripped, pa.string()))
    if not changed:
        return table
    # The titles came in site order: put each back in its row.
    back = np.empty_like(by_site.order)
    back[by_site.order] = np.arange(len(by_site.order))
    title = pa.chunked_array(titles, pa.string()).take(pa.array(back, pa.int64()))
    index = table.schema.get_field_index("title")
    return table.set_column(index, table.schema.field(index), title)


def _pages(batch: pa.RecordBatch) -> Iterator[NightPage]:
    final_urls, urls, statuses, titles = (column.to_pylist() for column in batch.columns)
    return zip(final_urls, urls, statuses, titles, strict=True)


def _site_groups(starts: np.ndarray, rows_at_once: int) -> Iterator[tuple[int, int]]:
    """(first, end) of runs of whole sites of about `rows_at_once` rows (a bigger site
    alone)."""
    first = 0
    for end in starts[1:].tolist():
        if end - first >= rows_at_once:
            yield first, end
            first = end
    if first < int(starts[-1]):
        yield first, int(starts[-1])


def health_by_url(table: pa.Table) -> Iterator[tuple[str, LinkHealth]]:
    """Each checked URL once with its health (for judging the run as a whole): a URL's
    first row, found in Arrow (a row is first when the URL's first match is the row
    itself) rather than through a dictionary of the night's URLs."""
    checked = table.select(["url", "health", "http_status"]).filter(
        pc.and_(pc.is_valid(table["url"]), pc.is_valid(table["health"]))
    )
    first_match = pc.index_in(checked["url"], value_set=checked["url"].combine_chunks())
    is_first = pc.equal(first_match, pa.array(np.arange(checked.num_rows, dtype=np.int32)))
    for batch in checked.filter(is_first).to_batches(max_chunksize=8192):
        urls, healths, statuses = (column.to_pylist() for column in batch.columns)
        for url, health, status in zip(urls, healths, statuses, strict=True):
            yield url, LinkHealth(Health(health), status)


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
    chunk_of_row = pc.divide(pc.fill_null(place, -chunk), pa.scalar(chunk, place.type))
    by_chunk = grouped_rows(
        chunk_of_row.to_numpy(zero_copy_only=False), -(-len(entry_ids) // chunk)
    )
    verdicts: list[EntryVerdict] = []
    for number, start in enumerate(range(0, len(entry_ids), chunk)):
        ids = entry_ids[start : start + chunk]
        rows = pa.array(by_chunk.rows_of(number), pa.int64())
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
