"""The night as parts: each shard turns its observations into link rows where it runs and
writes them as one Parquet part under the night's staging folder; the flow reads the parts
back with pyarrow. Observations (page facts, fetch records) never travel to the flow, and
what a shard returns is a small summary.

A shard also keeps a journal of the URLs it has finished, one record per URL as it
finishes. When a worker dies mid-shard and the shard is checked once more, the URLs in the
journal are taken from it and not asked for again; only the rest are fetched.

The staging folder lives in the data directory (which Dask workers share) and belongs to
one run: the run removes it after publishing, and a later run removes what a crashed run
left.
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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from extractors.health.link_health import classify
from extractors.records import CatalogEntry, FetchResult, Health, LinkRow, PageFacts
from extractors.urls.redaction import redact_userinfo
from extractors.verdicts.link_rows import Observation, StalenessPolicy, build_link_row
from flows.dataset.store import link_rows_of, links_table

STAGING_PREFIX = ".night-"
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
    masked_entries = [
        dataclasses.replace(entry, url=redact_userinfo(entry.url)) if entry.url else entry
        for entry in entries
    ]
    masked_observed = {
        redact_userinfo(url): dataclasses.replace(
            obs, fetch=dataclasses.replace(obs.fetch, url=redact_userinfo(obs.fetch.url))
        )
        for url, obs in observed.items()
    }
    return masked_entries, masked_observed


def not_checked(url: str) -> Observation:
    """The observation of a URL a shard did not return: a bug must not drop a link silently."""
    fetch = FetchResult(url=url, error=Health.CONNECTION_ERROR, error_detail="not checked")
    return Observation(fetch, classify(fetch), PageFacts())


@dataclass(frozen=True, slots=True)
class RowContext:
    """What a shard needs to turn its observations into link rows: its catalogue rows
    (as the catalogue gives them), last night's rows of those links, and the night's rules."""

    entries: tuple[CatalogEntry, ...]
    previous: Mapping[tuple[str, str | None], LinkRow]  # (entry_id, masked url)
    run_date: dt.date
    policy: StalenessPolicy


def row_context(
    shard: Iterable[str],
    entries_by_url: Mapping[str, Sequence[CatalogEntry]],
    previous: Mapping[tuple[str, str | None], LinkRow],
    run_date: dt.date,
    policy: StalenessPolicy,
) -> RowContext:
    mine = tuple(entry for url in shard for entry in entries_by_url.get(url, ()))
    keys = {(entry.entry_id, redact_userinfo(entry.url)) for entry in mine}
    return RowContext(
        mine, {key: previous[key] for key in keys if key in previous}, run_date, policy
    )


def rows_of_shard(observed: Mapping[str, Observation], context: RowContext) -> list[LinkRow]:
    entries, masked = redact_for_storage(context.entries, observed)
    return [
        build_link_row(
            entry,
            masked.get(entry.url),
            context.previous.get((entry.entry_id, entry.url or None)),
            run_date=context.run_date,
            policy=context.policy,
        )
        for entry in entries
        if entry.url in masked
    ]


def shard_key(shard: Iterable[str]) -> str:
    """A stable name for a shard's files: the same URLs give the same name on any worker."""
    digest = hashlib.blake2b(digest_size=12)
    for url in shard:
        digest.update(url.encode("utf-8", "surrogatepass") + b"\n")
    return digest.hexdigest()


def staging_dir(curated_dir: Path, run_date: dt.date, run_id: str) -> Path:
    return curated_dir / f"{STAGING_PREFIX}{run_date.isoformat()}-{run_id}"


def remove_stale_staging(curated_dir: Path) -> None:
    """What crashed runs left (the caller holds the run lock, so no run is using them)."""
    for folder in curated_dir.glob(STAGING_PREFIX + "*"):
        shutil.rmtree(folder, ignore_errors=True)


def write_part(folder: Path, key: str, rows: Sequence[LinkRow]) -> Path:
    """One shard's rows as a Parquet part, written whole or not at all."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"part-{key}.parquet"
    temporary = folder / f".part-{key}.{os.getpid()}.tmp"
    pq.write_table(links_table(rows), temporary)
    os.replace(temporary, target)
    return target


def read_parts(parts: Sequence[Path]) -> list[LinkRow]:
    """The night's link rows from the shards' parts (the final table, nothing more)."""
    if not parts:
        return []
    table = pa.concat_tables(pq.read_table(part) for part in parts)
    return link_rows_of(table)


class ObservationJournal:
    """Finished URLs of one shard, appended one record at a time (safe from several threads);
    a record cut short by a crash ends the journal, the records before it count."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._stream = None

    def recorded(self) -> dict[str, Observation]:
        found: dict[str, Observation] = {}
        with contextlib.suppress(FileNotFoundError), self.path.open("rb") as stream:
            while header := stream.read(_FRAME.size):
                if len(header) < _FRAME.size:
                    break
                body = stream.read(_FRAME.unpack(header)[0])
                try:
                    url, observation = pickle.loads(body)  # our own file, written below
                except Exception:  # the torn last record of a killed worker
                    break
                found[url] = observation
        return found

    def add(self, url: str, observation: Observation) -> None:
        body = pickle.dumps((url, observation), protocol=pickle.HIGHEST_PROTOCOL)
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
