"""What a shard is given to turn its observations into link rows: its catalogue rows and
last night's rows of its links, staged by the run beside the night's parts and read where
the shard runs (`ShardLinks`).

Both are kept as Arrow, from the run's sorting (`EntriesByShard`, `RowsByShard`) to the
shard's lookups: a row becomes a record only when its URL is checked. A shard in the run's
own process holds them for every URL it has; as records and dictionaries they cost it
about 1 KB a URL.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import os
import pickle
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from extractors.records import CatalogEntry, Health, LinkRow
from extractors.urls.redaction import redact_userinfo
from extractors.verdicts.link_rows import Observation, StalenessPolicy, build_link_row
from flows.dataset.schema import LINKS_SCHEMA
from flows.dataset.staged_table import map_arrow_file, write_arrow_pieces
from flows.dataset.table_records import link_keys, link_rows_of
from flows.dataset.table_rows import GroupedRows, grouped_rows
from flows.fetch.settings import Validators
from flows.shards.check import Shard

# Of a catalogue row, a shard needs only what its link row is made of.
SHARD_ENTRIES_SCHEMA = pa.schema(
    [
        pa.field("line", pa.int64(), nullable=False),
        pa.field("entry_id", pa.string(), nullable=False),
        pa.field("link_label", pa.string(), nullable=False),
        pa.field("url", pa.string(), nullable=False),
        pa.field("max_age_days", pa.int64()),
    ]
)


def redact_for_storage(
    entries: Sequence[CatalogEntry], observed: Mapping[str, Observation]
) -> tuple[list[CatalogEntry], dict[str, Observation]]:
    """Entries and observations with credentials in URLs masked (`http://***@host/…`).

    URLs are fetched as the catalogue gives them (userinfo becomes Basic auth), but
    from here on – rows, verdicts, removals, the dataset and the report – a link is
    known by its masked URL, so `user:secret@` is never stored or printed. Masking
    is stable, so last night's rows still match tonight's.
    """
    masked_entries = [_masked_entry(entry) for entry in entries]
    masked_observed = {
        redact_userinfo(url): dataclasses.replace(
            obs, fetch=dataclasses.replace(obs.fetch, url=redact_userinfo(obs.fetch.url))
        )
        for url, obs in observed.items()
    }
    return masked_entries, masked_observed


def _masked_entry(entry: CatalogEntry) -> CatalogEntry:
    # The same record when there is nothing to mask (nearly always): no copy per link.
    masked = redact_userinfo(entry.url) if entry.url else entry.url
    return entry if masked == entry.url else dataclasses.replace(entry, url=masked)


def shard_entries_table(entries: Iterable[CatalogEntry]) -> pa.Table:
    """Catalogue rows with a target, as a shard is given them."""
    rows = [entry for entry in entries if entry.url]
    return pa.table(
        [
            pa.array([entry.line for entry in rows], pa.int64()),
            pa.array([entry.entry_id for entry in rows], pa.string()),
            pa.array([entry.link_label for entry in rows], pa.string()),
            pa.array([entry.url for entry in rows], pa.string()),
            pa.array([entry.max_age_days for entry in rows], pa.int64()),
        ],
        schema=SHARD_ENTRIES_SCHEMA,
    )


@dataclass(frozen=True, slots=True)
class RowContext:
    """What a shard needs to turn its observations into link rows: its catalogue rows
    (`SHARD_ENTRIES_SCHEMA`, URLs as the catalogue gives them), last night's rows of its
    links (links schema, masked URLs), and the night's rules."""

    entries: pa.Table
    previous: pa.Table | None
    run_date: dt.date
    policy: StalenessPolicy


def row_context(
    entries: Iterable[CatalogEntry] | pa.Table, run_date: dt.date, policy: StalenessPolicy
) -> RowContext:
    """A shard's row context without last night's rows, which are staged beside it
    (`stage_row_context`, `RowsByShard`) and read back where the shard runs."""
    table = entries if isinstance(entries, pa.Table) else shard_entries_table(entries)
    return RowContext(table, None, run_date, policy)


def shard_key(shard: Iterable[str]) -> str:
    """A stable name for a shard's files: the same URLs give the same name on any worker."""
    digest = hashlib.blake2b(digest_size=12)
    for url in shard:
        digest.update(url.encode("utf-8", "surrogatepass") + b"\n")
    return digest.hexdigest()


def stage_row_context(
    context: RowContext,
    staging: Path,
    urls: Shard,
    previous_rows: tuple[pa.Schema, Iterable[pa.Table]] | None = None,
) -> Path:
    """Write a shard's URLs and row context beside its part, for whichever process checks
    it: last night's rows as an Arrow file (streamed out, read back memory-mapped), the rest
    pickled. `previous_rows`: their schema, then the rows in pieces (`RowsByShard`), so that
    a big shard's rows never exist as one table in the run's process; None on the first
    night."""
    path = staging / f"context-{shard_key(urls)}.pickle"
    staging.mkdir(parents=True, exist_ok=True)
    if previous_rows is not None:
        with _replaced_whole(path.with_suffix(".arrow")) as temporary:
            write_arrow_pieces(previous_rows[1], previous_rows[0], temporary)
    with _replaced_whole(path) as temporary, temporary.open("wb") as stream:
        rest = dataclasses.replace(context, previous=None)
        pickle.dump(tuple(urls), stream, pickle.HIGHEST_PROTOCOL)  # first: read alone
        pickle.dump((rest, previous_rows is not None), stream, pickle.HIGHEST_PROTOCOL)
    return path


def staged_urls(path: Path) -> Shard:
    """The URLs of the shard whose row context `stage_row_context` wrote to `path`."""
    with path.open("rb") as stream:
        return _staged_urls_from(stream, path)


def _staged_urls_from(stream: BinaryIO, path: Path) -> Shard:
    urls = pickle.load(stream)  # our own file, written by the run
    if not isinstance(urls, tuple):
        raise TypeError(f"{path}: not a shard's row context")
    return urls


def read_staged_shard(path: Path) -> tuple[Shard, RowContext]:
    """The shard's URLs and row context that `stage_row_context` wrote to `path`."""
    with path.open("rb") as stream:
        urls = _staged_urls_from(stream, path)
        context, has_previous = pickle.load(stream)
    if not isinstance(context, RowContext):
        raise TypeError(f"{path}: not a shard's row context")
    if not has_previous:
        return urls, context
    previous = map_arrow_file(path.with_suffix(".arrow"))
    return urls, dataclasses.replace(context, previous=previous)


@contextlib.contextmanager
def _replaced_whole(path: Path) -> Iterator[Path]:
    """A temporary name to write; put in place as `path` only when the writing succeeded."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        yield temporary
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def _positions(values: pa.ChunkedArray | pa.Array, value_set: pa.Array) -> np.ndarray:
    """Each value's position in `value_set` (-1: not there), as numpy."""
    found = pc.index_in(values, value_set=value_set, skip_nulls=True)
    return pc.fill_null(found, -1).to_numpy(zero_copy_only=False).astype(np.int64)


def _shard_urls(shards: Sequence[Shard]) -> tuple[pa.Array, np.ndarray]:
    """Every shard's URLs one after the other, and where each shard's begin (and the end)."""
    urls = pa.array([url for shard in shards for url in shard], pa.string())
    return urls, np.cumsum([0, *(len(shard) for shard in shards)])


class EntriesByShard:
    """The catalogue's rows with a target sorted by shard once (not a dictionary of every
    URL's rows, nor a filter of the catalogue per shard), in each shard's URL order and
    catalogue order within a URL."""

    def __init__(self, catalog: Iterable[CatalogEntry], shards: Sequence[Shard]) -> None:
        self._table = shard_entries_table(catalog)
        urls, bounds = _shard_urls(shards)
        by_url = grouped_rows(_positions(self._table["url"], urls), len(urls))
        # A shard's URLs are consecutive: its rows run from its first URL's to its last's.
        self._by_shard = GroupedRows(by_url.order, by_url.starts[bounds])

    def entries_of(self, shard_number: int) -> pa.Table:
        rows = self._by_shard.rows_of(shard_number)
        return self._table.take(pa.array(rows, pa.int64()))


class RowsByShard:
    """Last night's rows sorted by shard once (one pass over the table, not a filter of the
    whole table per shard), handed out a shard at a time, a record batch of the table at a
    time: no shard's rows exist all at once in the run's process. (`Table.take` would
    first join each column's chunks: a copy of the whole column per call.)"""

    def __init__(self, previous: pa.Table, shards: Sequence[Shard]) -> None:
        # A link's row goes with its (masked) URL, as the shard's rows are stored.
        urls = pa.array([redact_userinfo(url) for shard in shards for url in shard], pa.string())
        shard_of_url = pa.array([n for n, shard in enumerate(shards) for _ in shard], pa.int32())
        shard_of_row = pc.take(shard_of_url, pc.index_in(previous["url"], value_set=urls))
        self.schema = previous.schema
        self._batches = previous.to_batches()
        self._batch_starts = np.cumsum([0, *(batch.num_rows for batch in self._batches)])
        # Within a shard, rows keep the table's order (positions ascending).
        self._rows = grouped_rows(
            pc.fill_null(shard_of_row, -1).to_numpy(zero_copy_only=False), len(shards)
        )

    def rows_of(self, shard_number: int) -> tuple[pa.Schema, Iterator[pa.Table]]:
        """The schema, then the shard's rows a record batch of the table at a time."""
        return self.schema, self._pieces(self._rows.rows_of(shard_number))

    def _pieces(self, positions: np.ndarray) -> Iterator[pa.Table]:
        bounds = np.searchsorted(positions, self._batch_starts)
        for number, batch in enumerate(self._batches):
            first, end = bounds[number], bounds[number + 1]
            if end > first:
                local = positions[first:end] - self._batch_starts[number]
                yield pa.Table.from_batches([batch.take(pa.array(local, pa.int64()))])


class ShardLinks:
    """A shard's catalogue rows and last night's rows of them while the shard runs, as Arrow
    and positions: one dictionary of the shard's URLs (the shard's own strings) and arrays
    of row numbers, instead of records and dictionaries keyed by entry and URL."""

    def __init__(self, urls: Shard, entries: pa.Table, previous: pa.Table | None) -> None:
        self._url_number = {url: number for number, url in enumerate(urls)}
        shard_urls = pa.array(urls, pa.string())
        # The rows of each URL together, in the shard's URL order (catalogue order within).
        by_url = grouped_rows(_positions(entries["url"], shard_urls), len(urls))
        self._entries = entries.take(pa.array(by_url.order, pa.int64()))
        self._starts = by_url.starts
        self._previous = previous if previous is not None else LINKS_SCHEMA.empty_table()
        # Last night's row of each catalogue row, by entry id and masked URL (as stored).
        masked = pa.array(
            [redact_userinfo(url) for url in self._entries["url"].to_pylist()], pa.string()
        )
        self._previous_row = _positions(
            link_keys(self._entries["entry_id"], masked),
            link_keys(self._previous["entry_id"], self._previous["url"]),
        )
        self._validator_row = self._validator_rows(shard_urls)

    def _validator_rows(self, shard_urls: pa.Array) -> np.ndarray:
        """For each URL, last night's good direct answer with an ETag or Last-Modified (-1:
        none); of several rows of one URL the last, as a dictionary by URL would keep."""
        last = self._previous

        def given(name: str) -> pa.ChunkedArray:
            return pc.fill_null(pc.not_equal(last[name], ""), False)

        still_listed = pc.is_null(last["removed_since"])
        ok = pc.fill_null(pc.equal(last["health"], Health.OK.value), False)
        direct = pc.equal(pc.list_value_length(last["redirect_chain"]), 0)
        good = pc.and_(
            pc.and_(still_listed, ok),
            pc.and_(direct, pc.or_(given("etag"), given("http_last_modified"))),
        )
        candidates = pc.indices_nonzero(pc.fill_null(good, False)).to_numpy().astype(np.int64)
        number = _positions(pc.take(last["url"], pa.array(candidates, pa.int64())), shard_urls)
        rows = np.full(len(shard_urls), -1, np.int64)
        np.maximum.at(rows, number[number >= 0], candidates[number >= 0])
        return rows

    def entries_of(self, url: str) -> list[CatalogEntry]:
        """The catalogue rows that link `url` (only the fields a link row is made of)."""
        number = self._url_number.get(url)
        return [] if number is None else self._entries_of_number(number)

    def _entries_of_number(self, number: int) -> list[CatalogEntry]:
        first, end = int(self._starts[number]), int(self._starts[number + 1])
        return [
            CatalogEntry(
                line=row["line"],
                entry_id=row["entry_id"],
                provider="",
                title="",
                link_label=row["link_label"],
                url=row["url"],
                max_age_days=row["max_age_days"],
            )
            for row in self._entries.slice(first, end - first).to_pylist()
        ]

    def rows_of_url(
        self, url: str, observation: Observation, run_date: dt.date, policy: StalenessPolicy
    ) -> list[LinkRow]:
        """The link rows of one checked URL: one per catalogue row that links it."""
        number = self._url_number.get(url)
        if number is None:
            return []
        first = int(self._starts[number])
        masked_entries, masked = redact_for_storage(
            self._entries_of_number(number), {url: observation}
        )
        return [
            build_link_row(
                entry,
                masked.get(entry.url),
                self._previous_of(first + offset),
                run_date=run_date,
                policy=policy,
            )
            for offset, entry in enumerate(masked_entries)
        ]

    def _previous_of(self, entry_row: int) -> LinkRow | None:
        row = int(self._previous_row[entry_row])
        return None if row < 0 else link_rows_of(self._previous.slice(row, 1))[0]

    @property
    def validators(self) -> Mapping[str, Validators]:
        """URL → (ETag, Last-Modified) of last night's good direct answer, for conditional
        requests; read from last night's rows when asked."""
        return ConditionalValidators(self._url_number, self._validator_row, self._previous)


class ConditionalValidators(Mapping[str, Validators]):
    """`ShardLinks.validators`: a mapping over row numbers, not a dictionary of strings."""

    def __init__(
        self, url_number: Mapping[str, int], validator_row: np.ndarray, previous: pa.Table
    ) -> None:
        self._url_number = url_number
        self._row = validator_row
        self._previous = previous

    def __getitem__(self, url: str) -> Validators:
        number = self._url_number[url]
        row = int(self._row[number])
        if row < 0:
            raise KeyError(url)
        etag, last_modified = self._previous["etag"], self._previous["http_last_modified"]
        return etag[row].as_py(), last_modified[row].as_py()

    def __iter__(self) -> Iterator[str]:
        return (url for url, number in self._url_number.items() if self._row[number] >= 0)

    def __len__(self) -> int:
        return int(np.count_nonzero(self._row >= 0))
