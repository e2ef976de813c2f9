"""The night's shards as Prefect tasks: in threads of the run process, or on Dask workers.

One task per shard of hosts, never one per URL: a Prefect task run costs milliseconds and
kilobytes, and per-host politeness must live in one place. Wherever a shard runs it does
the same thing (`flows.shards.night_parts.check_shard_part`): it checks its URLs and writes
their link rows as a part of the night. In the run's own threads it shares the run's
analysis workers and moves the progress display URL by URL; on a Dask worker it has an
analysis thread of its own and the display moves when the shard is back.

The Dask task runner is entered here, inside the flow run, rather than given to the flow:
so `linkpflege run`, `serve`'s scheduled runs and any deployment of the flow all put the
shards where the settings say.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import multiprocessing
import sys
from collections.abc import Callable, Iterator, Sequence

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture

from flows.cluster import ClusterError, check_cluster, dask_task_runner, require_dask
from flows.progress_display import ProgressDisplay
from flows.run_settings import Settings
from flows.shards.analysis_pool import AnalysisPool
from flows.shards.night_parts import ShardPart, ShardTask, check_shard_part
from flows.shards.shard_inputs import staged_urls

ShardRunner = Callable[[Sequence[ShardTask]], list[ShardPart]]

# Not task parameters: Prefect records task inputs, and neither a terminal nor a process
# pool is meaningful there. Both are None on a Dask worker.
_progress: ProgressDisplay | None = None
_analysis: AnalysisPool | None = None


@contextlib.contextmanager
def shards_of_this_run(progress: ProgressDisplay, analysis: AnalysisPool | None) -> Iterator[None]:
    """The run's progress display and (for shards in its own threads) analysis workers."""
    global _progress, _analysis
    _progress, _analysis = progress, analysis
    try:
        yield
    finally:
        _progress, _analysis = None, None


def warn(message: str) -> None:
    try:
        get_run_logger().warning(message)
    except Exception:  # outside a flow or task run (or in a worker thread) there is no logger
        print(f"linkpflege: {message}", file=sys.stderr, flush=True)


def _finished(url: str) -> None:
    if _progress is not None:
        _progress.finished(url)


def check_shard_urls(shard: ShardTask) -> ShardPart:
    """Check one shard into a part of the night: in the run's own process with its analysis
    workers and progress display, or on a Dask worker with an analysis thread of its own."""
    if _analysis is not None:
        part = check_shard_part(shard, analysis=_analysis, on_finished=_finished, warn=warn)
        return dataclasses.replace(part, progress_shown=_progress is not None)
    processes = shard.job.analysis_processes
    if processes and multiprocessing.current_process().daemon:
        warn(
            "--analysis-processes needs Dask workers started with "
            "DASK_DISTRIBUTED__WORKER__DAEMON=False (a daemonic process may not start "
            "processes); this worker analyses pages in a thread"
        )
        processes = 0
    with AnalysisPool(processes) as analysis:
        return check_shard_part(shard, analysis=analysis, on_finished=lambda url: None, warn=warn)


check_shard = task(
    check_shard_urls, name="check-shard", cache_policy=NO_CACHE, persist_result=False
)


def run_shards_directly(shards: Sequence[ShardTask]) -> list[ShardPart]:
    """One after the other, without Prefect (tests, and `harvest()` called as a function)."""
    return [check_shard_urls(shard) for shard in shards]


def run_shards_as_tasks(shards: Sequence[ShardTask]) -> list[ShardPart]:
    """Every shard to the flow's own task runner (threads of the run process)."""
    return _collect(shards, [check_shard.submit(shard) for shard in shards])


def run_shards_on_cluster(settings: Settings, shards: Sequence[ShardTask]) -> list[ShardPart]:
    """Every shard as a task on Dask: the user's cluster (checked first: it answers, and every
    worker can write to the data directory) or a local cluster that ends with this call."""
    try:
        require_dask()
        if settings.dask_address:
            check_cluster(settings)
    except ClusterError as exc:
        raise ShardsCannotRun(str(exc)) from exc
    import dask  # the `dask` extra: only a run on Dask needs it

    # Worker processes of the local cluster that may start processes of their own: the
    # analysis workers of `--analysis-processes` (Dask makes them daemonic by default).
    with (
        dask.config.set({"distributed.worker.daemon": False}),
        dask_task_runner(settings) as runner,
    ):
        return _collect(shards, [runner.submit(check_shard, {"shard": s}) for s in shards])


class ShardsCannotRun(RuntimeError):
    """The shards have nowhere to run (the Dask cluster is unusable); one line to show."""


def _collect(
    shards: Sequence[ShardTask], futures: Sequence[PrefectFuture[ShardPart]]
) -> list[ShardPart]:
    """The shards' parts in order; a shard checked elsewhere moves the display when back."""
    parts: list[ShardPart] = []
    for shard, future in zip(shards, futures, strict=True):
        parts.append(future.result())
        if not parts[-1].progress_shown and _progress is not None:
            for url in staged_urls(shard.context):
                _finished(url)
    return parts


def shard_runner(settings: Settings) -> ShardRunner:
    """How the nightly flow runs its shards, by `task_runner`."""
    if settings.task_runner == "dask":
        return functools.partial(run_shards_on_cluster, settings)
    return run_shards_as_tasks
