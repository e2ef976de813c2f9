"""`linkpflege serve`: keep the nightly schedule.

Prefect schedules only against a real API server — in its ephemeral mode `serve(cron=…)`
logs "Cannot schedule flows on an ephemeral server" and never runs. So when no
PREFECT_API_URL is configured, we start a local `prefect server` on 127.0.0.1 ourselves,
wait until it answers /api/health, serve the deployment against it, and stop it on exit.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

DEPLOYMENT_NAME = "nightly"
SERVER_START_TIMEOUT_S = 180.0


class ServeError(RuntimeError):
    """The local Prefect server could not be started or did not become healthy."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _prefect_command() -> list[str]:
    script = Path(sys.executable).with_name("prefect")
    return [str(script)] if script.exists() else [sys.executable, "-m", "prefect"]


@contextlib.contextmanager
def local_prefect_server(port: int | None = None, *, ui: bool = True) -> Iterator[str]:
    """Run `prefect server start` on 127.0.0.1 for the duration of the block; yields its API URL."""
    port = port or _free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    command = [*_prefect_command(), "server", "start", "--host", "127.0.0.1", "--port", str(port)]
    if not ui:
        command.append("--no-ui")
    env = dict(os.environ)
    env.pop("PREFECT_API_URL", None)
    env.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    print(f"linkpflege: starting a local Prefect server on {api_url}", file=sys.stderr)
    process = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL)
    try:
        _wait_until_healthy(process, api_url)
        yield api_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        print("linkpflege: local Prefect server stopped", file=sys.stderr)


def _wait_until_healthy(process: subprocess.Popen[bytes], api_url: str) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServeError(f"prefect server exited with status {process.returncode}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{api_url}/health", timeout=2).status_code == 200:
                return
        time.sleep(0.5)
    raise ServeError(
        f"prefect server at {api_url} not healthy after {SERVER_START_TIMEOUT_S:.0f} s"
    )


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
