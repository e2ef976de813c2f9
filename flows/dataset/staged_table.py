"""Tables a run keeps on disk rather than in memory: uncompressed Arrow IPC files in the run's
staging folder, memory-mapped only while a step reads them.

Last night's links and entries are read by several steps of a run (the shards' conditional
requests, the night's table, archived copies, new locations, removed links and entries,
the report's "before" column), hours apart on a large night. Held as tables they cost
about 0.9 KB a link for the whole run; mapped per step, the pages a step touched go when
its mapping ends. An uncompressed IPC file needs no decoding to be read: the table's
buffers are the file's pages.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pyarrow as pa

Result = TypeVar("Result")

_CHUNK_ROWS = 8192  # rows per record batch: later slices and filters touch only their pages


def write_arrow_pieces(pieces: Iterable[pa.Table], schema: pa.Schema, path: Path) -> None:
    """The rows of `pieces` (tables of `schema`) as one Arrow IPC file, each piece written
    and let go before the next is made."""
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, schema) as writer:
        for piece in pieces:
            writer.write_table(piece, max_chunksize=_CHUNK_ROWS)


def map_arrow_file(path: Path) -> pa.Table:
    """The table of an Arrow IPC file, its buffers memory-mapped from the file. The mapping
    lasts as long as any of them is referenced, so results that copy (filter, take,
    records) let it go; zero-copy slices keep it."""
    with pa.memory_map(str(path)) as source:
        return pa.ipc.open_file(source).read_all()


@dataclass(frozen=True, slots=True)
class StagedTable:
    """A table waiting in a file of the staging folder; `path` None: there is no table
    (the first night has no last night)."""

    path: Path | None

    def apply(self, step: Callable[[pa.Table | None], Result]) -> Result:
        """`step` of the mapped table (None when there is none). The mapping is made for the
        step and ends with it, unless its result keeps a zero-copy slice of the table."""
        return step(None if self.path is None else map_arrow_file(self.path))


def stage_pieces(pieces: Iterable[pa.Table] | None, path: Path) -> StagedTable:
    """Write the rows of `pieces` (tables of one schema, as a stored table's row groups come)
    to `path` for later steps, a piece at a time: the table never exists whole. None: there
    is no table."""
    if pieces is None:
        return StagedTable(None)
    path.parent.mkdir(parents=True, exist_ok=True)
    pieces = iter(pieces)
    first = next(pieces)
    write_arrow_pieces(itertools.chain([first], pieces), first.schema, path)
    return StagedTable(path)
