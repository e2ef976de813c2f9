"""Fetch worker processes: each checks whole shards of hosts, on its own core.

One event loop runs Python on one core at a time, and checking a page costs CPU in the
HTTP stack (about 0.7 ms per URL in httpx, httpcore and anyio) and in its analysis. On a
long list at lifted politeness that, not the network, bounds the run. With
`--fetch-processes N` the run splits its hosts into at least N shards of about equal size
and checks them in N worker processes side by side, each with its own event loop, client
and part of the global concurrency. A host still lives in exactly one shard, so its
politeness limits, robots.txt and soft-404 probe stay in one place.

Workers are started with "spawn" and die with the run, also on kill -9; all of them are
started by one keeper thread that lives as long as the pool (`flows.shards.worker_processes`).
Each worker reports every finished URL through a queue, so the progress display in the
run process keeps moving. If a worker dies (the OOM killer, a crash in a C parser), its
shard is checked once more by a fresh worker; a shard that kills its worker twice fails
the run, with the previous dataset left as it was.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.queues import SimpleQueue
from types import TracebackType
from typing import TYPE_CHECKING, Any

from extractors.urls.redaction import redact_userinfo
from flows.shards.analysis_pool import AnalysisPool
from flows.shards.worker_processes import SPAWN, WorkerKeeper, die_with_parent

if TYPE_CHECKING:
    # Types only: a worker process imports this module first (its initializer lives
    # here) and should pay for the HTTP engine and the extractors only when its work
    # needs them.
    from flows.fetch.settings import Validators
    from flows.shards.check import Shard, ShardJob

ShardResult = list[tuple[str, Any]]  # (url, Observation) from `check_shard_in_worker`
ShardWorker = Callable[["Shard", "ShardJob", "Mapping[str, Validators]"], ShardResult]


class ShardWorkerDied(RuntimeError):
    """A shard's worker process died twice; the run cannot vouch for those URLs."""


# --- inside a worker process ------------------------------------------------------------

_finished: SimpleQueue[str | None] | None = None


def _start_worker(parent: int, finished: SimpleQueue[str | None]) -> None:
    global _finished
    die_with_parent(parent)
    _finished = finished


def report_finished(url: str) -> None:
    """Tell the run process that a URL is done (its progress display counts it)."""
    assert _finished is not None
    _finished.put(url)


def _warn(message: str) -> None:
    # No Prefect run logger in a worker; the run's stderr is the nightly log.
    print(f"linkpflege: {message}", file=sys.stderr, flush=True)


def check_shard_in_worker(
    urls: Shard, job: ShardJob, validators: Mapping[str, Validators]
) -> ShardResult:
    from flows.shards.check import observe_shard

    with AnalysisPool(job.analysis_processes) as analysis:
        return observe_shard(
            urls, job, validators, analysis=analysis, on_finished=report_finished, warn=_warn
        )


# --- in the run process -----------------------------------------------------------------


class ShardProcesses:
    """A context manager; `check(shard, job, validators)` from any thread of the run.

    Each worker process is a pool of its own: when one dies, only the shard it held is
    checked again, not the shards the other workers are in the middle of (their hosts
    would be asked twice in one night).
    """

    def __init__(
        self,
        processes: int,
        on_finished: Callable[[str], None],
        *,
        worker: ShardWorker = check_shard_in_worker,
    ) -> None:
        """`worker` runs in the processes: a module-level function (tests inject crashes)."""
        if processes < 1:
            raise ValueError("ShardProcesses needs at least one process")
        self.processes = processes
        self._worker = worker
        self._on_finished = on_finished
        self._finished: SimpleQueue[str | None] = SPAWN.SimpleQueue()
        self._lock = threading.Lock()
        self._slots: list[ProcessPoolExecutor] = []
        self._busy: list[int] = []  # shards running or queued, per slot
        self._open = False
        self._keeper = WorkerKeeper("shard-keeper")
        self._drain = threading.Thread(target=self._drain_finished, name="shard-progress")

    def __enter__(self) -> ShardProcesses:
        self._slots = [self._start() for _ in range(self.processes)]
        self._busy = [0] * self.processes
        self._open = True
        self._drain.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        with self._lock:
            self._open = False
            slots = list(self._slots)
        for slot in slots:
            slot.shutdown(wait=True, cancel_futures=exc_type is not None)
        self._keeper.close()
        self._finished.put(None)
        self._drain.join()
        self._finished.close()

    def _start(self) -> ProcessPoolExecutor:
        return self._keeper.start_pool(1, _start_worker, (os.getpid(), self._finished))

    def _drain_finished(self) -> None:
        reported: set[str] = set()  # a shard checked again after a crash reports again
        while (url := self._finished.get()) is not None:
            if url not in reported:
                reported.add(url)
                self._on_finished(url)

    def submit(
        self, urls: Shard, job: ShardJob, validators: Mapping[str, Validators]
    ) -> Future[ShardResult]:
        """Start checking a shard; the future's result is what `check` returns."""
        outcome: Future[ShardResult] = Future()
        self._submit(outcome, urls, job, dict(validators), attempt=1)
        return outcome

    def check(
        self, urls: Shard, job: ShardJob, validators: Mapping[str, Validators]
    ) -> ShardResult:
        return self.submit(urls, job, validators).result()

    def _submit(
        self,
        outcome: Future[ShardResult],
        urls: Shard,
        job: ShardJob,
        validators: dict[str, Validators],
        *,
        attempt: int,
    ) -> None:
        with self._lock:
            if not self._open:
                outcome.set_exception(RuntimeError("use ShardProcesses as a context manager"))
                return
            index = min(range(len(self._slots)), key=lambda i: self._busy[i])
            slot = self._slots[index]
            self._busy[index] += 1
            try:
                running = slot.submit(self._worker, urls, job, validators)
            except BrokenProcessPool:
                running = Future()
                running.set_exception(BrokenProcessPool("worker process died"))

        def settle(done: Future[ShardResult]) -> None:
            with self._lock:
                self._busy[index] -= 1
            error = done.exception()
            if error is None:
                outcome.set_result(done.result())
            elif isinstance(error, BrokenProcessPool) and attempt == 1:
                self._restart(index, slot)
                self._submit(outcome, urls, job, validators, attempt=2)
            elif isinstance(error, BrokenProcessPool):
                outcome.set_exception(
                    ShardWorkerDied(
                        f"a fetch worker process died twice while checking a shard of "
                        f"{len(urls)} URLs (first: {redact_userinfo(urls[0]) if urls else '-'})"
                    )
                )
            else:
                outcome.set_exception(error)

        running.add_done_callback(settle)

    def _restart(self, index: int, broken: ProcessPoolExecutor) -> None:
        """Replace a dead worker once, however many of its shards noticed."""
        with self._lock:
            if not self._open or self._slots[index] is not broken:
                return
            broken.shutdown(wait=False, cancel_futures=True)
            self._slots[index] = self._start()
