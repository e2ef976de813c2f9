"""`linkpflege run`: one harvest now, as a Prefect flow run — with the Prefect API server it
needs (our own when none is configured, dying with the run), on Dask when asked
(`--task-runner dask`), and Ctrl-C ending it at once with one line.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from flows.run_settings import Settings, deprecation_notices

EXIT_OK = 0
EXIT_FAILED = 2
EXIT_INCONCLUSIVE = 3
EXIT_INTERRUPTED = 130  # as a shell reports a program ended by Ctrl-C
INTERRUPTED_MESSAGE = (
    "linkpflege: run interrupted; the dataset is as it was before the run "
    "(a publish cut short is completed by the next run)\n"
)


def fail(message: str, status: int = EXIT_FAILED) -> int:
    """Print one line naming what failed; the exit status to return."""
    print(f"linkpflege: {message}", file=sys.stderr)
    return status


def command_run(settings: Settings, flags: dict[str, Any]) -> int:
    from flows.api_server import ApiServerError, configured_api_url
    from flows.harvest_flow import RunFailed, load_catalog, nightly_harvest, prepare_data_dir

    # The run-level checks happen here too, so the user gets one line and no traceback
    # before Prefect even starts.
    try:
        prepare_data_dir(settings)
        load_catalog(settings.catalog)
    except RunFailed as exc:
        return fail(str(exc))
    for notice in deprecation_notices(settings):
        print(f"linkpflege: {notice}", file=sys.stderr)
    if settings.task_runner == "dask":
        from flows.cluster import ClusterError, check_cluster, require_dask

        if settings.dask_address and not configured_api_url():
            return fail(
                "--dask-address needs PREFECT_API_URL: a Prefect server that this machine "
                "and every Dask worker can reach (set it here and in the workers' environment)"
            )
        try:  # before Prefect starts: one line at once (the flow checks again, for serve)
            require_dask()
            if settings.dask_address:
                check_cluster(settings)
        except ClusterError as exc:
            return fail(str(exc))

    options = {k: str(v) if isinstance(v, Path) else v for k, v in flags.items()}
    if settings.now is not None:
        options["now"] = settings.now.isoformat()
    try:
        with _api_server_for_the_run() as own_server, _interrupt_ends_run(own_server):
            state = nightly_harvest(options=options, return_state=True)
    except ApiServerError as exc:
        return fail(str(exc))
    if state.is_completed():
        for line in state.result().lines():
            print(line)
        return EXIT_OK
    if state.name == "Inconclusive":
        return fail(state.message or "run inconclusive", EXIT_INCONCLUSIVE)
    return fail(state.message or f"run ended in state {state.name}")


@contextlib.contextmanager
def _api_server_for_the_run() -> Iterator[bool]:
    """Without a configured PREFECT_API_URL, a Prefect server of our own for the run (it dies
    with us, also on SIGKILL; Dask workers inherit its address); yields whether we started
    one. Prefect's own temporary server outlived a killed run."""
    from flows.api_server import configured_api_url, local_prefect_server

    if configured_api_url():
        yield False
        return
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with local_prefect_server(ui=False, quiet=True) as api_url:
        os.environ["PREFECT_API_URL"] = api_url  # for worker processes we start
        try:
            with temporary_settings({PREFECT_API_URL: api_url}):
                yield True
                _flush_prefect_logs()
        finally:
            os.environ.pop("PREFECT_API_URL", None)


def _flush_prefect_logs() -> None:
    """Send the run's buffered logs and events while our server still listens (later they
    would be retried against a closed port for a minute, then dropped)."""
    with contextlib.suppress(Exception):
        from prefect._internal.concurrency.services import QueueService

        QueueService.drain_all(timeout=10)


@contextlib.contextmanager
def _interrupt_ends_run(own_server: bool) -> Iterator[None]:
    """Ctrl-C ends a run at once, with one line, when the Prefect server is our own.

    That server is a child in our process group, so Ctrl-C stops it too; left alone, the
    flow then kept reporting its crash to the vanished server for minutes, with pages of
    tracebacks. Leaving at once is safe: whatever a run writes is replaced atomically or
    journalled and completed by the next run (tests kill runs with SIGKILL at every stage),
    and worker processes and our server die with the run. With a real Prefect server
    (PREFECT_API_URL), Prefect's own handling stays, so the server learns that the run
    crashed.
    """
    if not own_server or threading.current_thread() is not threading.main_thread():
        yield
        return

    def leave(signum: int, frame: object) -> None:
        os.write(sys.stderr.fileno(), INTERRUPTED_MESSAGE.encode())
        os._exit(EXIT_INTERRUPTED)

    previous = signal.signal(signal.SIGINT, leave)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
