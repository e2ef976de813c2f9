"""A raw-socket HTTP server on 127.0.0.1 that misbehaves on purpose.

http.server cannot send broken chunked encoding, lying Content-Length headers,
megabyte header blocks or a reset in the middle of a body; this server writes
bytes straight to the socket. Each path maps to a behaviour: a function that
gets the connected socket after the request head was read. Behaviours stop
quietly when the client goes away (that is what we test: the client leaving).
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from types import TracebackType

Behaviour = Callable[[socket.socket], None]


def head(status: str = "200 OK", *headers: str) -> bytes:
    """A response head; headers as "Name: value" strings."""
    lines = [f"HTTP/1.1 {status}", *headers, "", ""]
    return "\r\n".join(lines).encode("latin-1")


def send_all(*parts: bytes) -> Behaviour:
    """Send these bytes and close."""

    def behaviour(conn: socket.socket) -> None:
        for part in parts:
            conn.sendall(part)

    return behaviour


def stream(first: bytes, chunks: Iterator[bytes]) -> Behaviour:
    """Send a head, then pieces from a (lazy) iterator until it ends or the client leaves."""

    def behaviour(conn: socket.socket) -> None:
        conn.sendall(first)
        for chunk in chunks:
            conn.sendall(chunk)

    return behaviour


def drip(data: bytes, interval: float) -> Behaviour:
    """One byte every `interval` seconds."""

    def behaviour(conn: socket.socket) -> None:
        for byte in data:
            conn.sendall(bytes([byte]))
            time.sleep(interval)

    return behaviour


def hold(conn: socket.socket) -> None:
    """Accept, read the request, answer nothing, never close (until the client does)."""
    conn.settimeout(None)
    while conn.recv(1024):
        pass


def reset_after(first: bytes) -> Behaviour:
    """Send part of an answer, then a TCP RST (SO_LINGER 0) instead of a clean close."""

    def behaviour(conn: socket.socket) -> None:
        conn.sendall(first)
        time.sleep(0.05)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    return behaviour


class HostileServer:
    """Threaded raw-socket server; `route(path, behaviour)`, `url(path)`, `hits(path)`."""

    def __init__(self) -> None:
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self._routes: dict[str, Behaviour] = {}
        self._hits: dict[str, int] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._open: set[socket.socket] = set()
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)

    @property
    def port(self) -> int:
        return int(self._listener.getsockname()[1])

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def route(self, path: str, behaviour: Behaviour) -> None:
        self._routes[path] = behaviour

    def hits(self, path: str) -> int:
        with self._lock:
            return self._hits.get(path, 0)

    def total_hits(self) -> int:
        with self._lock:
            return sum(self._hits.values())

    def __enter__(self) -> HostileServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stopping.set()
        self._listener.close()
        with self._lock:
            for conn in list(self._open):
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
        self._thread.join(timeout=2)

    def _accept_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with self._lock:
            self._open.add(conn)
        try:
            conn.settimeout(10)
            request = b""
            while b"\r\n\r\n" not in request and len(request) < 65536:
                data = conn.recv(4096)
                if not data:
                    return
                request += data
            path = request.split(b" ", 2)[1].decode("latin-1") if b" " in request else "/"
            with self._lock:
                self._hits[path] = self._hits.get(path, 0) + 1
            behaviour = self._routes.get(path, send_all(head("404 Not Found", "Content-Length: 0")))
            behaviour(conn)
        except OSError:
            pass  # the client left: exactly what a bounded client does
        finally:
            with self._lock:
                self._open.discard(conn)
            with contextlib.suppress(OSError):
                conn.close()
