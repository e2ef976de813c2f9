"""Worker processes that die with the run, and are started where that holds.

A worker must not outlive its run: if the run process is killed (kill -9, the OOM
killer), Linux sends the workers SIGKILL too (PR_SET_PDEATHSIG), instead of leaving
them idle for ever. But Linux ties that signal to the *thread* that started the
worker, not to the process: when that thread ends, the worker is killed although
the run goes on. A `ProcessPoolExecutor` starts workers lazily, from whichever
thread happens to submit (a shard's event loop, a Prefect task thread, the pool's
own manager thread after a crash), so `start_worker_pool` starts all workers at
once from a thread that lives as long as the pool: the keeper.

Workers are started with "spawn", not "fork": the run process has threads
(Prefect's, the progress display's) whose locks a forked child would inherit held.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from multiprocessing.context import SpawnContext

_PR_SET_PDEATHSIG = 1

SPAWN: SpawnContext = multiprocessing.get_context("spawn")


def die_with_parent(parent: int) -> None:
    """Worker initializer: SIGKILL this worker when the run process dies (Linux only)."""
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


class WorkerKeeper:
    """The long-lived thread that starts (and restarts) a pool's worker processes."""

    def __init__(self, name: str) -> None:
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)

    def start_pool(
        self,
        processes: int,
        initializer: Callable[..., None] = die_with_parent,
        initargs: Sequence[object] | None = None,
    ) -> ProcessPoolExecutor:
        """A pool with all `processes` workers started, from the keeper thread.

        `initializer` must call `die_with_parent(initargs[0])` first; by default it is
        that, with this process's pid.
        """
        arguments = tuple(initargs) if initargs is not None else (os.getpid(),)
        return self._thread.submit(_start_all, processes, initializer, arguments).result()

    def close(self) -> None:
        self._thread.shutdown(wait=True)


def _start_all(
    processes: int, initializer: Callable[..., None], initargs: tuple[object, ...]
) -> ProcessPoolExecutor:
    pool = ProcessPoolExecutor(
        max_workers=processes, mp_context=SPAWN, initializer=initializer, initargs=initargs
    )
    # As many tasks as workers, submitted before any can finish (a worker takes a second
    # to start): each submit finds no idle worker and starts one, here in the keeper. No
    # need to wait for them; starting is what had to happen in this thread.
    for _ in range(processes):
        pool.submit(os.getpid)
    return pool
