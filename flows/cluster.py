"""Shards on a Dask cluster through Prefect (`linkpflege run --task-runner dask`).

Each shard (a set of whole hosts, so per-host politeness holds cluster-wide) becomes one
Prefect task run on a Dask worker, through prefect-dask's `DaskTaskRunner`: on the user's
cluster (`dask_address`) or on a local cluster of `workers` processes. A worker checks its
shard exactly as the run's own threads would (`flows.shards.night_parts.check_shard_part`,
with its own analysis thread) and writes the shard's rows as a part of the night.

Before a run on a user's cluster, `check_cluster` makes sure the scheduler answers and that
every worker can write to the data directory (WARC captures are written where the shard
runs, so the directory must be on a filesystem they all share); either failure is one line
and exit status 2, before anything is fetched. A worker that dies mid-shard is Dask's to
handle: the scheduler gives the shard to another worker, which checks it once more — all
but the URLs the shard's journal already holds (`flows.shards.night_parts`).
"""

from __future__ import annotations

import importlib.util
import os
import tempfile
from pathlib import Path
from typing import Any

from flows.run_settings import Settings

CONNECT_TIMEOUT_S = 10


class ClusterError(RuntimeError):
    """The Dask cluster cannot be used for this run; the message is the one line to show."""


def require_dask() -> None:
    """ClusterError unless the `dask` extra (prefect-dask, distributed) is installed."""
    if importlib.util.find_spec("prefect_dask") is None:
        raise ClusterError(
            "--task-runner dask needs the dask extra: pip install 'linkpflege[dask]' "
            "(here and on every Dask worker)"
        )


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
