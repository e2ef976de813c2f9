"""Shards on a Dask cluster through Prefect (`linkpflege run --task-runner dask`).

Each shard (a set of whole hosts, so per-host politeness holds cluster-wide) becomes one
Prefect task run on a Dask worker, through prefect-dask's `DaskTaskRunner`: on the user's
cluster (`dask_address`) or on a local cluster of `workers` processes. A worker checks its
shard exactly as the run process would (`flows.shards.check.observe_shard`, with its own
analysis thread).

Before a run on a user's cluster, `check_cluster` makes sure the scheduler answers and that
every worker can write to the data directory (WARC captures are written where the shard
runs, so the directory must be on a filesystem they all share); either failure is one line
and exit status 2, before anything is fetched. A worker that dies mid-shard is Dask's to
handle: the scheduler gives the shard to another worker, which checks it once more — all
but the URLs the shard's journal already holds (`flows.shards.night_parts`).

The night streams: a shard turns its observations into link rows on the worker and writes
them as a Parquet part under the night's staging folder; the flow gets back only where the
part is and reads the night's rows from the parts.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from extractors.records import CatalogEntry, LinkRow
from extractors.verdicts.link_rows import StalenessPolicy, build_link_row
from flows.fetch.settings import Validators
from flows.run_settings import Settings
from flows.shards.analysis_pool import AnalysisPool
from flows.shards.check import Shard, ShardJob, observe_shard
from flows.shards.night_parts import (
    ObservationJournal,
    RowContext,
    not_checked,
    read_parts,
    redact_for_storage,
    row_context,
    rows_of_shard,
    shard_key,
    write_part,
)

CONNECT_TIMEOUT_S = 10


class ClusterError(RuntimeError):
    """The Dask cluster cannot be used for this run; the message is the one line to show."""


def cluster_size(settings: Settings) -> int:
    """Shards that run side by side: the local cluster's processes, or as many as the user
    says the remote cluster has (`--workers`), else this machine's cores."""
    return settings.workers or os.cpu_count() or 1


def dask_task_runner(settings: Settings) -> Any:
    from prefect_dask import DaskTaskRunner

    if settings.dask_address:
        return DaskTaskRunner(address=settings.dask_address)
    return DaskTaskRunner(
        cluster_kwargs={
            "n_workers": cluster_size(settings),
            "threads_per_worker": 1,  # one shard per process: its event loop owns the core
            "processes": True,
            "dashboard_address": "127.0.0.1:0",  # any free port, this machine only
        }
    )


def _can_write(data_dir: str) -> str:
    """Run on each worker: "" when it can create files under DATA_DIR/raw, else why not."""
    raw = Path(data_dir) / "raw"
    try:
        raw.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=raw, prefix=".probe-"):
            pass
    except OSError as exc:
        return exc.strerror or str(exc)
    return ""


def check_cluster(settings: Settings) -> int:
    """The number of workers of the user's cluster; ClusterError when the scheduler does not
    answer, has no workers, or a worker cannot write to the data directory."""
    from distributed import Client

    address = settings.dask_address
    try:
        client = Client(address, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise ClusterError(f"cannot reach the Dask scheduler at {address} ({exc})") from exc
    try:
        data_dir = str(settings.data_dir.resolve())
        answers: dict[str, str] = client.run(_can_write, data_dir)
        if not answers:
            raise ClusterError(f"the Dask scheduler at {address} has no workers")
        for worker, problem in sorted(answers.items()):
            if problem:
                raise ClusterError(
                    f"Dask worker {worker} cannot write to {data_dir}/raw ({problem}); the "
                    "data directory must be on a filesystem every worker shares"
                )
        return len(answers)
    finally:
        client.close()


def _warn(message: str) -> None:
    # No Prefect run logger for this thread on a worker; the worker's stderr is its log.
    print(f"linkpflege: {message}", file=sys.stderr, flush=True)


@dataclass(frozen=True, slots=True)
class ShardPart:
    """What a shard sends back: where its rows are, and how many URLs it checked."""

    part: Path
    urls_fetched: int  # this attempt; the rest came from the journal of an earlier one
    urls_from_journal: int


def shard_on_worker(
    urls: Shard,
    job: ShardJob,
    validators: Mapping[str, Validators],
    context: RowContext,
    staging: Path,
) -> ShardPart:
    """Check a shard on a Dask worker and write its rows as a part of the night.

    URLs a killed earlier attempt of this shard already finished are taken from its
    journal, so their hosts are not asked again."""
    key = shard_key(urls)
    journal = ObservationJournal(staging / f"journal-{key}.bin")
    observed = journal.recorded()
    remaining = tuple(url for url in urls if url not in observed)
    try:
        with AnalysisPool(job.analysis_processes) as analysis:
            fresh = observe_shard(
                remaining,
                job,
                validators,
                analysis=analysis,
                on_finished=lambda url: None,
                warn=_warn,
                on_observed=journal.add,
            )
    finally:
        journal.close()
    observed.update(fresh)
    part = write_part(staging, key, rows_of_shard(observed, context))
    return ShardPart(part, len(remaining), len(urls) - len(remaining))


check_shard_on_worker = task(
    shard_on_worker, name="check-shard", cache_policy=NO_CACHE, persist_result=False
)


def check_night_on_cluster(
    shards: Sequence[Shard],
    job: ShardJob,
    validators: Mapping[str, Validators],
    contexts: Sequence[RowContext],
    staging: Path,
    *,
    on_finished: Callable[[str], None],
) -> list[LinkRow]:
    """Submit every shard to the flow's task runner (Dask); the night's link rows, read
    from the shards' parts. The progress display counts a shard's URLs when it is back."""
    futures = [
        check_shard_on_worker.submit(
            shard,
            job,
            {url: validators[url] for url in shard if url in validators},
            context,
            staging,
        )
        for shard, context in zip(shards, contexts, strict=True)
    ]
    parts: list[Path] = []
    for shard, future in zip(shards, futures, strict=True):
        parts.append(future.result().part)
        for url in shard:
            on_finished(url)
    return read_parts(parts)


def night_rows_on_cluster(
    shards: Sequence[Shard],
    job: ShardJob,
    validators: Mapping[str, Validators],
    catalog: Sequence[CatalogEntry],
    previous: Mapping[tuple[str, str | None], LinkRow],
    policy: StalenessPolicy,
    staging: Path,
    *,
    on_finished: Callable[[str], None],
) -> list[LinkRow]:
    """Every catalogue link's row for the night, in catalogue order: the shards' rows, and
    here the links without a target and any link a shard did not return (never dropped)."""
    entries_by_url: dict[str, list[CatalogEntry]] = {}
    for entry in catalog:
        if entry.url:
            entries_by_url.setdefault(entry.url, []).append(entry)
    contexts = [
        row_context(shard, entries_by_url, previous, job.run_date, policy) for shard in shards
    ]
    checked = check_night_on_cluster(
        shards, job, validators, contexts, staging, on_finished=on_finished
    )
    by_link = {(row.entry_id, row.url): row for row in checked}
    rows: list[LinkRow] = []
    for entry, masked in zip(catalog, redact_for_storage(catalog, {})[0], strict=True):
        row = by_link.get((masked.entry_id, masked.url or None))
        if row is None:
            observed = {entry.url: not_checked(entry.url)} if entry.url else {}
            masked_observed = redact_for_storage((), observed)[1]
            row = build_link_row(
                masked,
                masked_observed.get(masked.url) if masked.url else None,
                previous.get((masked.entry_id, masked.url or None)),
                run_date=job.run_date,
                policy=policy,
            )
        rows.append(row)
    return rows
