"""Where pages are analysed: worker processes beside the fetching event loop.

Classifying a page and extracting its facts costs milliseconds of CPU (parsing,
trafilatura, date search); fetching costs well under one. In the run's own
process that work shares one core with the event loop (Python threads do not run
Python code in parallel), so the whole run was bound by analysis while the other
cores idled. `AnalysisPool(processes=n)` runs it in `n` worker processes; with 0 (the
default setting) it runs in one thread of this process. Workers pay for themselves
only on long lists: each one starts a Python and imports the extractors (about half a
second of CPU), which a catalogue of a few dozen links never earns back.

Workers die with the run, also on kill -9, and are started by a keeper thread that
lives as long as the pool (`flows.shards.worker_processes` says why).

What is submitted must be a module-level function of a module importable without
side effects (`extractors.*`), with picklable arguments and result.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from types import TracebackType
from typing import ParamSpec, TypeVar

from flows.shards.worker_processes import WorkerKeeper

P = ParamSpec("P")
R = TypeVar("R")


class AnalysisPool:
    """A context manager around the executor; `submit` as with any executor."""

    def __init__(self, processes: int) -> None:
        self.processes = processes
        self._executor: Executor | None = None
        self._keeper: WorkerKeeper | None = None

    def __enter__(self) -> AnalysisPool:
        self._executor = self._start()
        return self

    def _start(self) -> Executor:
        if self.processes > 0:
            if self._keeper is None:
                self._keeper = WorkerKeeper("analysis-keeper")
            return self._keeper.start_pool(self.processes)
        return ThreadPoolExecutor(max_workers=1, thread_name_prefix="analyse")

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        assert self._executor is not None
        # After a failure, queued pages are not worth analysing: the run is lost anyway.
        self._executor.shutdown(wait=True, cancel_futures=exc_type is not None)
        self._executor = None
        if self._keeper is not None:
            self._keeper.close()
            self._keeper = None

    def submit(self, function: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> Future[R]:
        if self._executor is None:
            raise RuntimeError("use AnalysisPool as a context manager")
        try:
            return self._executor.submit(function, *args, **kwargs)
        except BrokenProcessPool:
            # A worker died (killed for memory, a crash in a C parser on a hostile page):
            # the pages it held fail, the rest of the run gets fresh workers.
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = self._start()
            return self._executor.submit(function, *args, **kwargs)
