"""A socketserver serving from a daemon thread: started, and on stop shut down, closed, joined.

The demo's sample web and the tests' local servers run an HTTP server beside the code that
fetches from it; this is the one place that starts and stops such a server.
"""

from __future__ import annotations

import socketserver
import threading


class ServerThread:
    """`server.serve_forever()` in a daemon thread (so a hung handler never blocks exit)."""

    def __init__(self, server: socketserver.BaseServer, *, poll_interval: float = 0.1) -> None:
        self.server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": poll_interval}, daemon=True
        )

    def start(self) -> ServerThread:
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop accepting, close the listening socket, wait for the serving thread."""
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=timeout)
