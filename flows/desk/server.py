"""Serving the desk with uvicorn: on its own (`linkpflege desk`) or in a thread beside the
nightly schedule (`linkpflege serve` with `desk_port` set).

uvicorn runs without proxy-header rewriting: the desk decides itself which peers are
trusted proxies (`desk_trusted_proxies`), so a forged X-Forwarded-For never changes who a
request is from. TLS belongs to the reverse proxy in front (docs/operations.md).
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from collections.abc import Iterator

import uvicorn

from flows.desk.app import desk_app
from flows.run_settings import Settings

DEFAULT_PORT = 8080


class DeskError(RuntimeError):
    """The desk could not start (its address is taken or not allowed)."""


def desk_server(settings: Settings, host: str, port: int) -> uvicorn.Server:
    config = uvicorn.Config(
        desk_app(settings),
        host=host,
        port=port,
        proxy_headers=False,
        server_header=False,
        log_level="warning",
        access_log=False,
    )
    return uvicorn.Server(config)


def run_desk(settings: Settings, host: str, port: int) -> None:
    """Serve until Ctrl-C or SIGTERM, then return (exit status 0).

    uvicorn shuts down gracefully on either signal and then raises it again for the
    handler that was there before; ours make that second delivery a quiet return.
    """
    print(f"linkpflege: desk on http://{host}:{port}/ (Ctrl-C ends it)", file=sys.stderr)
    signal.signal(signal.SIGTERM, lambda signum, frame: None)
    try:
        with contextlib.suppress(KeyboardInterrupt):
            desk_server(settings, host, port).run()
    except SystemExit as exc:  # uvicorn's way of saying that startup failed
        raise DeskError(
            f"desk: cannot listen on {host}:{port} (address in use or not allowed)"
        ) from exc
    print("linkpflege: desk stopped", file=sys.stderr)


@contextlib.contextmanager
def desk_beside(settings: Settings) -> Iterator[None]:
    """The desk in a thread for the duration of the block (no-op without `desk_port`)."""
    if settings.desk_port is None:
        yield
        return
    server = desk_server(settings, settings.desk_host, settings.desk_port)
    # uvicorn leaves signals alone outside the main thread: they stay with the schedule.
    thread = threading.Thread(target=server.run, name="linkpflege-desk", daemon=True)
    thread.start()
    print(
        f"linkpflege: desk on http://{settings.desk_host}:{settings.desk_port}/",
        file=sys.stderr,
    )
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=10)
