"""The Prefect API server a run or the schedule starts for itself, and that dies with it.

Prefect needs a real API server to schedule (`serve`) and for Dask workers to report their
task runs to (`run --task-runner dask`): without one each worker process would start its own
temporary server on the same SQLite file. And Prefect's own temporary server is a child
process that outlived a run killed with SIGKILL — about 200 MB left behind per such night.
So when no PREFECT_API_URL is configured, we start `prefect server start` on 127.0.0.1
ourselves, through a tiny exec wrapper that asks Linux to SIGKILL it when we die
(PR_SET_PDEATHSIG survives exec; `prefect server start` serves in its own process), wait
until it answers /api/health, and stop it on exit.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

SERVER_START_TIMEOUT_S = 180.0

# Run by `python -c` before exec'ing the server: SIGKILL when the parent (pid in argv[1])
# dies, and give up at once if it already has. Linux only; elsewhere it just execs.
_DIE_WITH_PARENT = (
    "import ctypes, os, signal, sys\n"
    "if sys.platform.startswith('linux'):\n"
    "    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)\n"
    "    if os.getppid() != int(sys.argv[1]):\n"
    "        os._exit(1)\n"
    "os.execv(sys.argv[2], sys.argv[2:])\n"
)


class ApiServerError(RuntimeError):
    """The Prefect server could not be started or did not become healthy."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _prefect_command() -> list[str]:
    script = Path(sys.executable).with_name("prefect")
    return [str(script)] if script.exists() else [sys.executable, "-m", "prefect"]


def dying_with_us(command: list[str]) -> list[str]:
    """`command` wrapped so that the process is killed when this process dies."""
    return [sys.executable, "-c", _DIE_WITH_PARENT, str(os.getpid()), *command]


def configured_api_url() -> str:
    """PREFECT_API_URL from the environment or the active Prefect profile ("" if none)."""
    from prefect.settings import get_current_settings

    return str(get_current_settings().api.url or "")


@contextlib.contextmanager
def local_prefect_server(
    port: int | None = None, *, ui: bool = True, quiet: bool = False
) -> Iterator[str]:
    """Run `prefect server start` on 127.0.0.1 for the duration of the block; yields its API
    URL. The server dies with this process, also on SIGKILL."""
    port = port or free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    command = [*_prefect_command(), "server", "start", "--host", "127.0.0.1", "--port", str(port)]
    if not ui:
        command.append("--no-ui")
    env = dict(os.environ)
    env.pop("PREFECT_API_URL", None)
    env.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    if not quiet:
        print(f"linkpflege: starting a local Prefect server on {api_url}", file=sys.stderr)
    output = subprocess.DEVNULL if quiet else None
    process = subprocess.Popen(
        dying_with_us(command), env=env, stdin=subprocess.DEVNULL, stdout=output, stderr=output
    )
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
        if not quiet:
            print("linkpflege: local Prefect server stopped", file=sys.stderr)


def _wait_until_healthy(process: subprocess.Popen[bytes], api_url: str) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ApiServerError(f"prefect server exited with status {process.returncode}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{api_url}/health", timeout=2).status_code == 200:
                return
        time.sleep(0.3)
    raise ApiServerError(
        f"prefect server at {api_url} not healthy after {SERVER_START_TIMEOUT_S:.0f} s"
    )
