"""Reordering, grouping and replacing rows of a long table, a column at a time.

`Table.take` builds every column of the result before the caller can let go of the input,
so for a moment a night's table exists twice, and reading the whole input first costs
Arrow's decoding overhead on top. Done one column at a time, each column of the input is
read, reordered and released before the next: the extra memory is one column's worth.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa


def take_rows(
    column: Callable[[str], pa.ChunkedArray], schema: pa.Schema, order: pa.Array
) -> pa.Table:
    """The rows in `order` (indices into the source) of a table whose columns `column`
    gives one at a time: each is reordered and let go before the next is asked for, so the
    extra memory is one column's worth, never a second table."""
    columns: dict[str, pa.ChunkedArray] = {}
    for field in schema:
        columns[field.name] = column(field.name).cast(field.type).take(order)
    return pa.table(columns, schema=schema)


@dataclass(frozen=True, slots=True)
class GroupedRows:
    """Row numbers of a table, group by group: `order[starts[g]:starts[g + 1]]` are the
    rows of group g, in table order."""

    order: np.ndarray
    starts: np.ndarray  # one more than there are groups: the last is the end

    def rows_of(self, group: int) -> np.ndarray:
        return self.order[self.starts[group] : self.starts[group + 1]]


def grouped_rows(group_of_row: np.ndarray, groups: int) -> GroupedRows:
    """The rows sorted by their group number once (one sort, not a filter of the table per
    group); rows whose group is negative belong to none and are left out."""
    order = np.argsort(group_of_row, kind="stable")
    order = order[group_of_row[order] >= 0]
    starts = np.searchsorted(group_of_row[order], np.arange(groups + 1))
    return GroupedRows(order, starts)


def replace_rows(table: pa.Table, positions: Sequence[int], replacement: pa.Table) -> pa.Table:
    """`table` with row `positions[i]` replaced by row i of `replacement` (same schema);
    only the columns where a value changes are rebuilt."""
    if not positions:
        return table
    replacement = replacement.cast(table.schema)
    where = pa.array(positions, pa.int64())
    order = list(range(table.num_rows))
    for offset, position in enumerate(positions):
        order[position] = table.num_rows + offset
    indices = pa.array(order, pa.int64())
    for index, name in enumerate(table.schema.names):
        old, new = table.column(name), replacement.column(name)
        if old.take(where).equals(new):
            continue
        both = pa.chunked_array(old.chunks + new.chunks, type=old.type)
        table = table.set_column(index, table.schema.field(index), both.take(indices))
    return table


def give_back_freed_memory() -> None:
    """Return what Arrow's allocator keeps of freed tables to the system. It keeps freed
    memory for its next tables; Python's own objects cannot use it, so after a long night's
    table is rebuilt the process would carry both."""
    pa.default_memory_pool().release_unused()
