"""Records from tables of the dataset's schemas, made as they are read: link rows and entry
verdicts, the links of given keys, the links and entries the catalogue no longer has, and a
table seen as a sequence of link rows. A long table never exists as Python records all at
once unless the caller keeps them (about 2 KB a link).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Sequence
from typing import overload

import pyarrow as pa
import pyarrow.compute as pc

from extractors.records import CatalogEntry, EntryVerdict, Health, Hop, LinkRow, Verdict


def link_rows_of(table: pa.Table) -> list[LinkRow]:
    """Link rows from a table of the links schema (a part of the night, or a stored night)."""
    return list(iter_link_rows(table))


def iter_link_rows(table: pa.Table, batch_rows: int = 2048) -> Iterator[LinkRow]:
    """Link rows from a table of the links schema, a batch at a time: a long table never
    exists as Python records all at once unless the caller keeps them."""
    for batch in table.to_batches(max_chunksize=batch_rows):
        for record in batch.to_pylist():
            record["redirect_chain"] = tuple(
                Hop(url=hop["url"], status=hop["status"], location=hop["location"])
                for hop in record["redirect_chain"]
            )
            record["health"] = Health(record["health"]) if record["health"] else None
            yield LinkRow(**record)


def rows_of_links(table: pa.Table | None, keys: Iterable[tuple[str, str | None]]) -> list[LinkRow]:
    """The records of the given (entry_id, url) links, where the table has them."""
    wanted = set(keys)
    if table is None or not wanted:
        return []
    urls = pa.array(sorted({url for _, url in wanted if url is not None}), pa.string())
    near = table.filter(pc.fill_null(pc.is_in(table["url"], urls), False))
    return [row for row in iter_link_rows(near) if (row.entry_id, row.url) in wanted]


def link_keys(entry_ids: pa.ChunkedArray | pa.Array, urls: pa.ChunkedArray | pa.Array) -> pa.Array:
    """One string per link, unambiguous: the entry id's length, `:`, the entry id, the URL.
    Null for a link without a target (only its label tells it apart, so it never matches)."""
    length = pc.cast(pc.utf8_length(entry_ids), pa.string())
    return pc.binary_join_element_wise(length, ":", entry_ids, urls, "")


def catalogue_link_keys(catalog: Sequence[CatalogEntry]) -> pa.Array:
    """`link_keys` of the catalogue's links."""
    return link_keys(
        pa.array([entry.entry_id for entry in catalog], pa.string()),
        pa.array([entry.url or None for entry in catalog], pa.string()),
    )


def rows_not_in(table: pa.Table | None, catalog: Sequence[CatalogEntry]) -> Iterator[LinkRow]:
    """The rows of links no catalogue row has by entry id and URL, and every row of a link
    without a target: the links that may have left the catalogue, found in Arrow so that
    only their rows become records (the caller decides by the full key)."""
    if table is None:
        return iter(())
    known = pc.is_in(
        link_keys(table["entry_id"], table["url"]),
        value_set=catalogue_link_keys(catalog),
        skip_nulls=True,
    )
    return iter_link_rows(table.filter(pc.invert(known)))


def entries_not_in(
    table: pa.Table | None, catalog: Sequence[CatalogEntry]
) -> Iterator[EntryVerdict]:
    """The entries whose id no catalogue row has: the entries that left the catalogue,
    found in Arrow so that only their rows become records."""
    if table is None:
        return iter(())
    current = pa.array([entry.entry_id for entry in catalog], pa.string())
    return iter_entry_rows(table.filter(pc.invert(pc.is_in(table["entry_id"], current))))


class TableLinkRows(Sequence[LinkRow]):
    """A links table seen as a sequence of link rows, made as they are read (the report
    walks tonight's links once; holding them all as records would cost ~2 KB a link)."""

    def __init__(self, table: pa.Table) -> None:
        self.table = table

    def __len__(self) -> int:
        return self.table.num_rows

    def __iter__(self) -> Iterator[LinkRow]:
        return iter_link_rows(self.table)

    @overload
    def __getitem__(self, index: int) -> LinkRow: ...
    @overload
    def __getitem__(self, index: slice) -> list[LinkRow]: ...
    def __getitem__(self, index: int | slice) -> LinkRow | list[LinkRow]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if not -len(self) <= index < len(self):
            raise IndexError(index)
        return link_rows_of(self.table.slice(index % len(self), 1))[0]


def iter_entry_rows(table: pa.Table, batch_rows: int = 2048) -> Iterator[EntryVerdict]:
    """Entry verdicts from a table of the entries schema, made as they are read."""
    names = {f.name for f in dataclasses.fields(EntryVerdict)}
    # A batch at a time: the whole table as dictionaries would be several times its records.
    for batch in table.to_batches(max_chunksize=batch_rows):
        for record in batch.to_pylist():
            record["verdict"] = Verdict(record["verdict"])
            record["reasons"] = tuple(record["reasons"])
            record["extra"] = tuple(record.pop("catalog_extra"))
            yield EntryVerdict(**{k: v for k, v in record.items() if k in names})


def verdicts_by_entry(table: pa.Table | None) -> dict[str, Verdict]:
    """Each entry's verdict in a table of the entries schema (read from two columns)."""
    if table is None:
        return {}
    ids, verdicts = table["entry_id"].to_pylist(), table["verdict"].to_pylist()
    return {entry_id: Verdict(verdict) for entry_id, verdict in zip(ids, verdicts, strict=True)}
