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
import datetime as dt
import os
import pickle
import shutil
import struct
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from extractors.health.link_health import classify
from extractors.records import CatalogEntry, FetchResult, Health, LinkRow, PageFacts
from extractors.verdicts.link_rows import Observation, StalenessPolicy, build_link_row
from flows.dataset.schema import LINKS_SCHEMA
from flows.dataset.store import links_table
from flows.dataset.table_records import (
    catalogue_link_keys,
    link_keys,
    rows_of_links,
)
from flows.dataset.table_rows import take_rows
from flows.shards.analysis_pool import AnalysisPool
from flows.shards.check import ShardJob, observe_shard
from flows.shards.shard_inputs import (
    ShardLinks,
    read_staged_shard,
    redact_for_storage,
)

STAGING_FOLDER = "staging"
_FRAME = struct.Struct(">I")  # length prefix of one journal record


def not_checked(url: str) -> Observation:
    """The observation of a URL a shard did not return: a bug must not drop a link silently."""
    fetch = FetchResult(url=url, error=Health.CONNECTION_ERROR, error_detail="not checked")
    return Observation(fetch, classify(fetch), PageFacts())


def staging_dir(data_dir: Path, run_date: dt.date, run_id: str) -> Path:
    return data_dir / STAGING_FOLDER / f"night-{run_date.isoformat()}-{run_id}"


def remove_stale_staging(data_dir: Path) -> None:
    """What killed runs left (the caller holds the run lock, so no run is using them)."""
    for folder in (data_dir / STAGING_FOLDER).glob("night-*"):
        shutil.rmtree(folder, ignore_errors=True)


@dataclass(frozen=True, slots=True)
class ShardTask:
    """One shard of the night as a task: plain values, so Prefect and Dask can ship it. Its
    URLs and row context wait in the staging folder (`stage_row_context`): as a task
    parameter, Prefect would walk them and Dask hash and hold them, in the run's process,
    until the shard is done; thousands of URLs, catalogue rows and last night's rows per
    shard."""

    key: str  # `shard_key` of its URLs: names its files
    job: ShardJob
    context: Path
    staging: Path


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
    urls, context = read_staged_shard(task.context)
    journal = RowJournal(task.staging / f"journal-{task.key}.bin")
    links = ShardLinks(urls, context.entries, context.previous)
    with PartWriter(task.staging, task.key) as part:
        recorded = journal.replay(part.add)
        remaining = tuple(url for url in urls if url not in recorded)

        def observed(url: str, observation: Observation) -> None:
            rows = links.rows_of_url(url, observation, context.run_date, context.policy)
            journal.add(url, rows)
            part.add(rows)
            on_finished(url)

        try:
            observe_shard(
                remaining,
                task.job,
                links.validators,
                analysis=analysis,
                on_observed=observed,
                warn=warn,
            )
        finally:
            journal.close()
    return ShardPart(part.path, len(remaining), len(urls) - len(remaining))


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
