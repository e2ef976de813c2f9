"""A one-line progress bar on a terminal; silence in the nightly log.

Thread-safe because shard tasks report from Prefect's worker threads.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO

from extractors.urls.host import host_of

BAR_WIDTH = 30
REDRAW_EVERY_S = 0.1


class ProgressDisplay:
    def __init__(
        self, urls: list[str], *, stream: TextIO | None = None, enabled: bool | None = None
    ):
        self._stream = stream or sys.stderr
        self._enabled = self._stream.isatty() if enabled is None else enabled
        self._total = len(urls)
        self._done = 0
        # Hosts with URLs still to check: the number that shrinks as slow hosts are the last.
        self._pending_hosts: dict[str, int] = {}
        for url in urls:
            host = _host(url)
            self._pending_hosts[host] = self._pending_hosts.get(host, 0) + 1
        self._lock = threading.Lock()
        self._last_draw = 0.0
        self._ended = False

    @property
    def enabled(self) -> bool:
        return self._enabled

    def finished(self, url: str) -> None:
        host = _host(url)
        with self._lock:
            self._done += 1
            left = self._pending_hosts.get(host, 1) - 1
            if left > 0:
                self._pending_hosts[host] = left
            else:
                self._pending_hosts.pop(host, None)
            if self._done >= self._total:
                self._end_line()
            else:
                self._draw()

    def close(self) -> None:
        with self._lock:
            self._end_line()

    def _end_line(self) -> None:
        """Draw the last state once and leave the line, so later log lines start clean."""
        if self._enabled and not self._ended:
            self._ended = True
            self._draw(force=True)
            self._stream.write("\n")
            self._stream.flush()

    def line(self) -> str:
        filled = BAR_WIDTH * self._done // self._total if self._total else BAR_WIDTH
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        return f"[{bar}] {self._done}/{self._total} URLs · {len(self._pending_hosts)} Hosts offen"

    def _draw(self, *, force: bool = False) -> None:
        if not self._enabled or (self._ended and not force):
            return  # after the last line a late page (analysed in a worker) draws nothing
        now = time.monotonic()
        if not force and now - self._last_draw < REDRAW_EVERY_S:
            return
        self._last_draw = now
        self._stream.write("\r\x1b[2K" + self.line())
        self._stream.flush()


def _host(url: str) -> str:
    return host_of(url) or url
