"""`linkpflege serve`: keep the nightly schedule.

Prefect schedules only against a real API server — in its ephemeral mode `serve(cron=…)`
logs "Cannot schedule flows on an ephemeral server" and never runs. So when no
PREFECT_API_URL is configured, we start a local `prefect server` for as long as we serve
(`flows.api_server`), and stop it on exit.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from typing import Any

from flows.api_server import local_prefect_server

DEPLOYMENT_NAME = "nightly"


def _stop_on_sigterm() -> None:
    """systemd stops with SIGTERM: turn it into KeyboardInterrupt so `finally` blocks run."""

    def handler(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)


def serve_nightly(
    options: dict[str, Any],
    *,
    cron: str,
    timezone: str,
    interval_seconds: float | None = None,
    ui: bool = True,
    beside: contextlib.AbstractContextManager[None] | None = None,
) -> None:
    """Serve the nightly deployment until interrupted. `interval_seconds` replaces the cron
    schedule (tests and smoke checks use a schedule a few seconds apart); `beside` runs for
    as long as the schedule does (the editors' desk, when a desk port is configured)."""
    _stop_on_sigterm()
    with contextlib.ExitStack() as stack:
        if beside is not None:
            stack.enter_context(beside)
        if not os.environ.get("PREFECT_API_URL"):
            os.environ["PREFECT_API_URL"] = stack.enter_context(local_prefect_server(ui=ui))
        # Imported only now: Prefect reads PREFECT_API_URL when it builds its settings.
        from prefect.schedules import Cron, Interval

        from flows.harvest_flow import nightly_harvest

        schedule = Interval(interval_seconds) if interval_seconds else Cron(cron, timezone=timezone)
        print(
            f"linkpflege: serving deployment {nightly_harvest.name}/{DEPLOYMENT_NAME} "
            f"against {os.environ['PREFECT_API_URL']} "
            + (f"every {interval_seconds} s" if interval_seconds else f"on '{cron}' ({timezone})"),
            file=sys.stderr,
        )
        with contextlib.suppress(KeyboardInterrupt):
            nightly_harvest.serve(
                name=DEPLOYMENT_NAME,
                schedules=[schedule],
                parameters={"options": options},
                pause_on_shutdown=False,
                print_starting_message=False,
            )
