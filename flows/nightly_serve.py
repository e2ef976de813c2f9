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

from flows.api_server import configured_api_url, local_prefect_server

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
        if not configured_api_url():
            api_url = stack.enter_context(local_prefect_server(ui=ui))
            # The environment for the flow-run processes the runner starts; the settings
            # context for this process, whose Prefect settings may be built already (the
            # desk imports the flow module before we get here).
            os.environ["PREFECT_API_URL"] = api_url
            from prefect.settings import PREFECT_API_URL, temporary_settings

            stack.enter_context(temporary_settings({PREFECT_API_URL: api_url}))
        from prefect.schedules import Cron, Interval

        from flows.harvest_flow import nightly_harvest

        schedule = Interval(interval_seconds) if interval_seconds else Cron(cron, timezone=timezone)
        print(
            f"linkpflege: serving deployment {nightly_harvest.name}/{DEPLOYMENT_NAME} "
            f"against {configured_api_url()} "
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
