"""The night as parts: each shard turns its observations into link rows where it runs and
writes them as one Parquet part under the night's staging folder; the flow reads the parts
back with pyarrow. Observations (page facts, fetch records) never travel to the flow, a
shard holds only the pages in flight, and what a shard returns is a small summary.

A shard runs as a Prefect task in the run's own threads or on a Dask worker (the same
function, `check_shard_part`). It keeps a journal of the link rows of each URL it has
finished, one record per URL as it finishes. When a worker dies mid-shard and the shard is
checked once more, the URLs in the journal are taken from it and not asked for again;
only the rest are fetched.

The staging folder lives in the data directory (which Dask workers share), beside
`curated/` rather than in it, so that nobody reading `curated/**/*.parquet` meets a part.
It belongs to one run: the run removes it when it ends, and a later run removes what a
killed run left.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import os
import pickle
import shutil
import struct
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from extractors.health.link_health import classify
from extractors.records import CatalogEntry, FetchResult, Health, LinkRow, PageFacts
from extractors.urls.redaction import redact_userinfo
from extractors.verdicts.link_rows import Observation, StalenessPolicy, build_link_row
from flows.dataset.schema import LINKS_SCHEMA
from flows.dataset.staged_table import map_arrow_file, write_arrow_pieces
from flows.dataset.store import links_table
from flows.dataset.table_records import (
    catalogue_link_keys,
    iter_link_rows,
    link_keys,
    link_rows_of,
    rows_of_links,
)
from flows.dataset.table_rows import take_rows
from flows.fetch.settings import Validators
from flows.shards.analysis_pool import AnalysisPool
from flows.shards.check import Shard, ShardJob, observe_shard

STAGING_FOLDER = "staging"
_FRAME = struct.Struct(">I")  # length prefix of one journal record


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


def not_checked(url: str) -> Observation:
    """The observation of a URL a shard did not return: a bug must not drop a link silently."""
    fetch = FetchResult(url=url, error=Health.CONNECTION_ERROR, error_detail="not checked")
    return Observation(fetch, classify(fetch), PageFacts())


@dataclass(frozen=True, slots=True)
class RowContext:
    """What a shard needs to turn its observations into link rows: its catalogue rows
    (as the catalogue gives them), last night's rows of its links (a table: records are
    made where the shard runs), and the night's rules."""

    entries: tuple[CatalogEntry, ...]
    previous: pa.Table | None  # links schema, masked URLs
    run_date: dt.date
    policy: StalenessPolicy


def row_context(
    shard: Iterable[str],
    entries_by_url: Mapping[str, Sequence[CatalogEntry]],
    run_date: dt.date,
    policy: StalenessPolicy,
) -> RowContext:
    """A shard's row context without last night's rows, which are staged beside it
    (`stage_row_context`, `RowsByShard`) and read back where the shard runs."""
    mine = tuple(entry for url in shard for entry in entries_by_url.get(url, ()))
    return RowContext(mine, None, run_date, policy)


def conditional_validators(previous: Iterable[LinkRow]) -> dict[str, Validators]:
    """ETag / Last-Modified of last night's good direct answers, for conditional requests."""
    validators: dict[str, Validators] = {}
    for row in previous:
        if (
            row.url
            and row.removed_since is None
            and row.health is Health.OK
            and not row.redirect_chain
            and (row.etag or row.http_last_modified)
        ):
            validators[row.url] = (row.etag, row.http_last_modified)
    return validators


class LastNight:
    """Last night's rows of a shard's links, kept as their table: a row becomes a record only
    when its link is checked (a shard in the run's threads must not hold them all)."""

    def __init__(self, table: pa.Table | None) -> None:
        self.table = table if table is not None else LINKS_SCHEMA.empty_table()
        keys = zip(self.table["entry_id"].to_pylist(), self.table["url"].to_pylist(), strict=True)
        self._position = {key: index for index, key in enumerate(keys)}

    def get(self, key: tuple[str, str | None]) -> LinkRow | None:
        position = self._position.get(key)
        return None if position is None else link_rows_of(self.table.slice(position, 1))[0]

    def rows(self) -> Iterator[LinkRow]:
        return iter_link_rows(self.table)


def rows_of_url(
    url: str,
    observation: Observation,
    entries: Sequence[CatalogEntry],
    previous: LastNight,
    context: RowContext,
) -> list[LinkRow]:
    """The link rows of one checked URL: one per catalogue row (`entries`) that links it."""
    masked_entries, masked = redact_for_storage(entries, {url: observation})
    return [
        build_link_row(
            entry,
            masked.get(entry.url),
            previous.get((entry.entry_id, entry.url or None)),
            run_date=context.run_date,
            policy=context.policy,
        )
        for entry in masked_entries
    ]


def shard_key(shard: Iterable[str]) -> str:
    """A stable name for a shard's files: the same URLs give the same name on any worker."""
    digest = hashlib.blake2b(digest_size=12)
    for url in shard:
        digest.update(url.encode("utf-8", "surrogatepass") + b"\n")
    return digest.hexdigest()


def staging_dir(data_dir: Path, run_date: dt.date, run_id: str) -> Path:
    return data_dir / STAGING_FOLDER / f"night-{run_date.isoformat()}-{run_id}"


def remove_stale_staging(data_dir: Path) -> None:
    """What killed runs left (the caller holds the run lock, so no run is using them)."""
    for folder in (data_dir / STAGING_FOLDER).glob("night-*"):
        shutil.rmtree(folder, ignore_errors=True)


@dataclass(frozen=True, slots=True)
class ShardTask:
    """One shard of the night as a task: plain values, so Prefect and Dask can ship it. Its
    row context waits in the staging folder (`stage_row_context`): as a task parameter,
    Prefect would walk it and Dask hash and hold it, in the run's process, until the shard
    is done; thousands of catalogue rows and last night's rows per shard."""

    urls: Shard
    job: ShardJob
    context: Path
    staging: Path


def stage_row_context(
    context: RowContext,
    staging: Path,
    urls: Shard,
    previous_rows: tuple[pa.Schema, Iterable[pa.Table]] | None = None,
) -> Path:
    """Write a shard's row context beside its part, for whichever process checks it: last
    night's rows as an Arrow file (streamed out, read back memory-mapped), the rest pickled.
    `previous_rows`: their schema, then the rows in pieces (`RowsByShard`), so that a big
    shard's rows never exist as one table in the run's process; None on the first night."""
    path = staging / f"context-{shard_key(urls)}.pickle"
    staging.mkdir(parents=True, exist_ok=True)
    if previous_rows is not None:
        with _replaced_whole(path.with_suffix(".arrow")) as temporary:
            write_arrow_pieces(previous_rows[1], previous_rows[0], temporary)
    with _replaced_whole(path) as temporary, temporary.open("wb") as stream:
        rest = dataclasses.replace(context, previous=None)
        pickle.dump((rest, previous_rows is not None), stream, pickle.HIGHEST_PROTOCOL)
    return path


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
        # Stable: within a shard, rows keep the table's order (positions ascending).
        order = pc.sort_indices(shard_of_row).to_numpy().astype(np.int64)
        rows = np.bincount(
            pc.drop_null(shard_of_row).to_numpy(zero_copy_only=False), minlength=len(shards)
        )
        starts = [0, *np.cumsum(rows).tolist()]
        self._rows = [order[starts[n] : starts[n + 1]] for n in range(len(shards))]

    def rows_of(self, shard_number: int) -> tuple[pa.Schema, Iterator[pa.Table]]:
        """The schema, then the shard's rows a record batch of the table at a time."""
        positions = self._rows[shard_number]
        return self.schema, self._pieces(positions)

    def _pieces(self, positions: np.ndarray) -> Iterator[pa.Table]:
        bounds = np.searchsorted(positions, self._batch_starts)
        for number, batch in enumerate(self._batches):
            first, end = bounds[number], bounds[number + 1]
            if end > first:
                local = positions[first:end] - self._batch_starts[number]
                yield pa.Table.from_batches([batch.take(pa.array(local, pa.int64()))])


def read_row_context(path: Path) -> RowContext:
    with path.open("rb") as stream:
        context, has_previous = pickle.load(stream)  # our own file, written by the run
    if not isinstance(context, RowContext):
        raise TypeError(f"{path}: not a shard's row context")
    if not has_previous:
        return context
    return dataclasses.replace(context, previous=map_arrow_file(path.with_suffix(".arrow")))


@contextlib.contextmanager
def _replaced_whole(path: Path) -> Iterator[Path]:
    """A temporary name to write; put in place as `path` only when the writing succeeded."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        yield temporary
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


@dataclass(frozen=True, slots=True)
class ShardPart:
    """What a shard sends back: where its rows are, and how many URLs it checked."""

    part: Path
    urls_fetched: int  # this attempt; the rest came from the journal of an earlier one
    urls_from_journal: int
    progress_shown: bool = False  # each URL was counted as it finished (the run's own process)


def check_shard_part(
    task: ShardTask,
    *,
    analysis: AnalysisPool,
    on_finished: Callable[[str], None],
    warn: Callable[[str], None],
) -> ShardPart:
    """Check a shard and write its link rows as a part of the night, streaming: each URL's
    rows go into the journal and the part as the URL finishes.

    URLs a killed earlier attempt of this shard already finished are taken from its
    journal, so their hosts are not asked again."""
    key = shard_key(task.urls)
    journal = RowJournal(task.staging / f"journal-{key}.bin")
    context = read_row_context(task.context)
    previous = LastNight(context.previous)
    by_url: dict[str, list[CatalogEntry]] = {}
    for entry in context.entries:
        by_url.setdefault(entry.url, []).append(entry)
    with PartWriter(task.staging, key) as part:
        recorded = journal.replay(part.add)
        remaining = tuple(url for url in task.urls if url not in recorded)

        def observed(url: str, observation: Observation) -> None:
            rows = rows_of_url(url, observation, by_url.get(url, ()), previous, context)
            journal.add(url, rows)
            part.add(rows)
            on_finished(url)

        try:
            observe_shard(
                remaining,
                task.job,
                conditional_validators(previous.rows()),
                analysis=analysis,
                on_observed=observed,
                warn=warn,
            )
        finally:
            journal.close()
    return ShardPart(part.path, len(remaining), len(task.urls) - len(remaining))


class PartWriter:
    """One shard's rows as a Parquet part, written in row groups as they come, and put in
    place whole on a clean exit (a shard that fails leaves no part)."""

    ROW_GROUP = 1024

    def __init__(self, folder: Path, key: str) -> None:
        self.path = folder / f"part-{key}.parquet"
        self._temporary = folder / f".part-{key}.{os.getpid()}.{threading.get_ident()}.tmp"
        self._buffer: list[LinkRow] = []
        self._writer: pq.ParquetWriter | None = None

    def __enter__(self) -> PartWriter:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._writer = pq.ParquetWriter(self._temporary, LINKS_SCHEMA)
        return self

    def add(self, rows: Iterable[LinkRow]) -> None:
        self._buffer.extend(rows)
        if len(self._buffer) >= self.ROW_GROUP:
            self._flush()

    def _flush(self) -> None:
        assert self._writer is not None, "PartWriter is used as a context manager"
        if self._buffer:
            self._writer.write_table(links_table(self._buffer))
            self._buffer.clear()

    def __exit__(self, kind: type[BaseException] | None, *rest: object) -> None:
        assert self._writer is not None
        try:
            if kind is None:
                self._flush()
            self._writer.close()
            if kind is None:
                os.replace(self._temporary, self.path)
        finally:
            self._temporary.unlink(missing_ok=True)


def night_table(
    parts: Sequence[Path],
    catalog: Sequence[CatalogEntry],
    previous: pa.Table | None,
    run_date: dt.date,
    policy: StalenessPolicy,
) -> pa.Table:
    """Every catalogue link's row for the night as one table, in catalogue order: the rows
    of the shards' parts, and here the links without a target and any link a shard did not
    return (never dropped). The parts are read a column at a time (`take_rows`), and each
    link's row is looked up in Arrow, not in a dictionary of every link."""
    masked_catalog = redact_for_storage(catalog, {})[0]
    # The key columns are read once: for the lookup, then as the first columns of the night.
    read = {name: _parts_column(parts, name) for name in ("entry_id", "url")}
    checked_rows = len(read["entry_id"])
    found = _catalogue_positions(masked_catalog, read["entry_id"], read["url"])
    is_missing = pc.is_null(found)
    missing = [
        (catalog[position], masked_catalog[position])
        for position in pc.indices_nonzero(is_missing).to_pylist()
    ]
    del masked_catalog
    last_night = rows_of_links(previous, ((m.entry_id, m.url or None) for _, m in missing))
    earlier = {(row.entry_id, row.url): row for row in last_night}
    extra: list[LinkRow] = []
    for entry, masked in missing:
        observed = {entry.url: not_checked(entry.url)} if entry.url else {}
        masked_observed = redact_for_storage((), observed)[1]
        extra.append(
            build_link_row(
                masked,
                masked_observed.get(masked.url) if masked.url else None,
                earlier.get((masked.entry_id, masked.url or None)),
                run_date=run_date,
                policy=policy,
            )
        )
    extra_rows = links_table(extra).cast(LINKS_SCHEMA)
    # A link not in any part takes the next of the extra rows, which follow the parts' rows.
    extra_index = pc.add(
        pc.subtract(pc.cumulative_sum(pc.cast(is_missing, pa.int64())), 1), checked_rows
    )
    order = pc.if_else(is_missing, extra_index, found)

    def column(name: str) -> pa.ChunkedArray:
        parts_rows = read.pop(name) if name in read else _parts_column(parts, name)
        return pa.chunked_array(
            parts_rows.chunks + extra_rows.column(name).chunks, type=LINKS_SCHEMA.field(name).type
        )

    return take_rows(column, LINKS_SCHEMA, order)


def _parts_column(parts: Sequence[Path], name: str) -> pa.ChunkedArray:
    """One column of every part, the parts one after the other."""
    chunks: list[pa.Array] = []
    for part in parts:
        with pq.ParquetFile(part) as file:
            chunks += file.read(columns=[name], use_threads=False).column(name).chunks
    return pa.chunked_array(chunks, type=LINKS_SCHEMA.field(name).type)


def _catalogue_positions(
    catalog: Sequence[CatalogEntry], entry_ids: pa.ChunkedArray, urls: pa.ChunkedArray
) -> pa.Array:
    """For each catalogue link, its row among the parts' rows (`entry_ids`, `urls`), null
    when no part holds it; should a part hold a link twice, the first row counts."""
    return pc.index_in(
        catalogue_link_keys(catalog), value_set=link_keys(entry_ids, urls), skip_nulls=True
    )


class RowJournal:
    """The link rows of each URL a shard has finished, appended one record per URL (safe
    from several threads); a record cut short by a crash ends the journal, the records
    before it count."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._stream: BinaryIO | None = None

    def replay(self, into: Callable[[list[LinkRow]], None]) -> set[str]:
        """Hand each recorded URL's rows to `into` (once per URL); the URLs recorded."""
        seen: set[str] = set()
        with contextlib.suppress(FileNotFoundError), self.path.open("rb") as stream:
            while header := stream.read(_FRAME.size):
                if len(header) < _FRAME.size:
                    break
                body = stream.read(_FRAME.unpack(header)[0])
                try:
                    url, rows = pickle.loads(body)  # our own file, written below
                except Exception:  # the torn last record of a killed worker
                    break
                if url not in seen:
                    seen.add(url)
                    into(rows)
        return seen

    def add(self, url: str, rows: Sequence[LinkRow]) -> None:
        body = pickle.dumps((url, list(rows)), protocol=pickle.HIGHEST_PROTOCOL)
        with self._lock:
            if self._stream is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._stream = self.path.open("ab")
            self._stream.write(_FRAME.pack(len(body)) + body)
            self._stream.flush()

    def close(self) -> None:
        with self._lock:
            if self._stream is not None:
                self._stream.close()
                self._stream = None
