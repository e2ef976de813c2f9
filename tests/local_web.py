"""A small programmable web server on 127.0.0.1 for tests that need real sockets.

Import it as `from local_web import LocalWeb, Reply` (pyproject sets
`pythonpath = ["tests"]` for pytest). Usage:

    with LocalWeb() as web:
        web.route("/page", Reply.html("<title>Hallo</title>"))
        web.route("/flaky", Reply(status=503), Reply.html("ok"))  # 503 once, then 200 forever
        url = web.url("/page")
        ...
        assert web.count("/flaky") == 2
        assert web.requests_to("/page")[0].headers["user-agent"].startswith("Linkpflege")

Each `route` takes one or more `Reply`s, served in order; the last one repeats.
Unknown paths answer 404, unless `fallback(...)` programs replies for them (a
host that answers 200 for any address, a parked domain). A reply can wait
before answering (`delay`), send its body one byte at a time (`drip`, forever
with `drip_forever`), close the connection without any answer
(`close_without_reply`, with `reset=True` as a TCP RST), or stream a large
body lazily (`Reply.big`).

HTTPS: `LocalWeb(tls="valid" | "expired" | "wrong_host" | "untrusted")` serves
TLS with a trustme certificate. `web.ca_pem_path` is a PEM file of the test CA
to pass as a CA bundle; only "valid" passes verification with it: "expired"
is out of date, "wrong_host" names another host, and "untrusted" is signed
by a CA the client was not told about.

The server records every request (`requests`, `requests_to(path)`,
`count(path)`, `count_prefix(prefix)`) with its monotonic arrival time and
lower-cased headers, the body bytes it managed to send (`bytes_sent(path)`),
and for answered requests when the answer was complete (`spans()`: arrival and
end, to measure how many requests overlapped).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import functools
import os
import socket
import ssl
import struct
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

import trustme

from flows.server_thread import ServerThread

TLS_KINDS = ("valid", "expired", "wrong_host", "untrusted")


@dataclass(frozen=True)
class Reply:
    """One programmed answer."""

    status: int = 200
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()
    delay: float = 0.0  # seconds to wait before the status line
    drip: float | None = None  # seconds between single body bytes
    drip_forever: bool = False  # keep dripping b"x" after the body, until the client leaves
    close_without_reply: bool = False  # read the request, then close without a byte
    reset: bool = False  # with close_without_reply: abort with a TCP RST instead of a FIN
    stream: Callable[[], Iterable[bytes]] | None = None  # body produced lazily (big bodies)
    content_length: int | None = None  # declared length when it must differ from the body
    etag: str | None = None  # sent as ETag; a matching If-None-Match gets 304 and no body

    @classmethod
    def html(cls, text: str, status: int = 200, **kwargs: object) -> Reply:
        headers = (("Content-Type", "text/html; charset=utf-8"),)
        return cls(status=status, body=text.encode("utf-8"), headers=headers, **kwargs)  # type: ignore[arg-type]

    @classmethod
    def redirect(cls, location: str, status: int = 302) -> Reply:
        return cls(status=status, headers=(("Location", location),))

    @classmethod
    def big(cls, size: int, chunk: int = 64 * 1024) -> Reply:
        """A body of `size` bytes sent in chunks from one reused buffer (no big allocation)."""
        block = b"a" * chunk

        def chunks() -> Iterator[bytes]:
            left = size
            while left > 0:
                piece = block if left >= chunk else block[:left]
                left -= len(piece)
                yield piece

        headers = (("Content-Type", "application/octet-stream"),)
        return cls(headers=headers, stream=chunks, content_length=size)


@dataclass(frozen=True)
class SeenRequest:
    """One request as the server saw it."""

    method: str
    path: str
    at: float  # time.monotonic() when the request line had been read
    headers: dict[str, str] = field(default_factory=dict)
    client_port: int = 0


@functools.cache
def _authorities() -> tuple[trustme.CA, trustme.CA]:
    """The trusted test CA and a second, untrusted one (made once per process)."""
    return trustme.CA(), trustme.CA()


def _server_context(kind: str) -> ssl.SSLContext:
    trusted, stranger = _authorities()
    now = dt.datetime.now(dt.UTC)
    identities = ("127.0.0.1", "127.0.0.2", "localhost")
    if kind == "valid":
        leaf = trusted.issue_cert(*identities)
    elif kind == "expired":
        leaf = trusted.issue_cert(
            *identities,
            not_before=now - dt.timedelta(days=30),
            not_after=now - dt.timedelta(days=1),
        )
    elif kind == "wrong_host":
        leaf = trusted.issue_cert("wrong-host.example")
    elif kind == "untrusted":
        leaf = stranger.issue_cert(*identities)
    else:
        raise ValueError(f"tls must be one of {TLS_KINDS}, not {kind!r}")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    leaf.configure_cert(context)
    return context


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # LocalWeb closes live connections itself
    web: LocalWeb
    tls: ssl.SSLContext | None = None

    def get_request(self) -> tuple[socket.socket, object]:
        sock, address = super().get_request()
        if self.tls is not None:
            # The handshake runs in the handler thread, so a failing one never stalls accept().
            sock = self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, address

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # failed handshakes and vanished clients are what these tests provoke


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 10  # a stuck client must not keep a thread forever
    server: _Server

    def setup(self) -> None:
        if isinstance(self.request, ssl.SSLSocket):
            self.request.settimeout(5)
            self.request.do_handshake()
        super().setup()
        self.server.web._opened(self.request)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.web._closed(self.request)

    def do_GET(self) -> None:
        self.server.web._serve(self, send_body=True)

    def do_HEAD(self) -> None:
        self.server.web._serve(self, send_body=False)

    def log_message(self, format: str, *args: object) -> None:
        pass


class LocalWeb:
    """A threaded HTTP/1.1 (or HTTPS) server on an ephemeral port, as a context manager."""

    def __init__(self, host: str = "127.0.0.1", *, tls: str | None = None) -> None:
        self.host = host
        self.tls = tls
        self._routes: dict[str, list[Reply]] = {}
        self._served: dict[str, int] = {}
        self._fallback: list[Reply] = []
        self._fallback_served = 0
        self._spans: list[tuple[str, float, float]] = []
        self._sent: dict[str, int] = {}
        self._requests: list[SeenRequest] = []
        self._connections: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._serving: ServerThread | None = None
        self.ca_pem_path: str | None = None

    # ------------------------------------------------------------------ lifecycle

    def __enter__(self) -> LocalWeb:
        server = _Server((self.host, 0), _Handler)
        server.web = self
        if self.tls is not None:
            server.tls = _server_context(self.tls)
            with tempfile.NamedTemporaryFile("wb", suffix=".pem", delete=False) as pem:
                pem.write(_authorities()[0].cert_pem.bytes())
            self.ca_pem_path = pem.name
        self._server = server
        self._serving = ServerThread(server, poll_interval=0.05).start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stopping.set()
        assert self._serving is not None
        self._serving.stop()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        if self.ca_pem_path:
            os.unlink(self.ca_pem_path)

    # ------------------------------------------------------------------ programming

    def route(self, path: str, *replies: Reply) -> None:
        """Serve `path` (query included, if given) these replies in order; the last repeats."""
        if not replies:
            raise ValueError("route needs at least one Reply")
        with self._lock:
            self._routes[path] = list(replies)
            self._served[path] = 0

    def fallback(self, *replies: Reply) -> None:
        """Answer every unrouted path with these replies in order (the last repeats)."""
        if not replies:
            raise ValueError("fallback needs at least one Reply")
        with self._lock:
            self._fallback = list(replies)
            self._fallback_served = 0

    @property
    def port(self) -> int:
        assert self._server is not None, "use LocalWeb as a context manager"
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{self.host}:{self.port}"

    def url(self, path: str = "/") -> str:
        return self.base_url + path

    # ------------------------------------------------------------------ what happened

    @property
    def requests(self) -> list[SeenRequest]:
        with self._lock:
            return list(self._requests)

    def requests_to(self, path: str) -> list[SeenRequest]:
        return [seen for seen in self.requests if seen.path == path]

    def count(self, path: str) -> int:
        return len(self.requests_to(path))

    def count_prefix(self, prefix: str) -> int:
        return sum(1 for seen in self.requests if seen.path.startswith(prefix))

    def spans(self) -> list[tuple[str, float, float]]:
        """(path, arrival, answer complete) of every answered request, monotonic seconds."""
        with self._lock:
            return list(self._spans)

    def bytes_sent(self, path: str) -> int:
        with self._lock:
            return self._sent.get(path, 0)

    # ------------------------------------------------------------------ serving

    def _opened(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections.add(connection)

    def _closed(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections.discard(connection)

    def _next_reply(self, path: str) -> Reply:
        bare = path.split("?", 1)[0]
        with self._lock:
            key = path if path in self._routes else bare
            replies = self._routes.get(key)
            if replies is None:
                if self._fallback:
                    index = min(self._fallback_served, len(self._fallback) - 1)
                    self._fallback_served += 1
                    return self._fallback[index]
                return Reply(404, b"not found", (("Content-Type", "text/plain"),))
            index = min(self._served[key], len(replies) - 1)
            self._served[key] += 1
            return replies[index]

    def _serve(self, handler: _Handler, *, send_body: bool) -> None:
        seen = SeenRequest(
            method=handler.command,
            path=handler.path,
            at=time.monotonic(),
            headers={key.lower(): value for key, value in handler.headers.items()},
            client_port=int(handler.client_address[1]),
        )
        with self._lock:
            self._requests.append(seen)
        reply = self._next_reply(handler.path)
        if reply.delay and self._stopping.wait(reply.delay):
            handler.close_connection = True
            return
        if reply.close_without_reply:
            handler.close_connection = True
            if reply.reset:
                # Linger 0 + close turns the close into an RST. The server's own
                # shutdown(SHUT_WR) would send a FIN first, so close everything here.
                handler.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
                handler.rfile.close()
                handler.wfile.close()
                handler.connection.close()
            return
        if reply.etag is not None:
            if handler.headers.get("If-None-Match") == reply.etag:
                reply = Reply(status=304, headers=(("ETag", reply.etag),))
            else:
                reply = dataclasses.replace(reply, headers=(*reply.headers, ("ETag", reply.etag)))
        try:
            self._answer(handler, reply, send_body=send_body)
        except OSError:  # the client left (or cut us off on purpose): that is its right
            handler.close_connection = True
            return
        with self._lock:
            self._spans.append((seen.path, seen.at, time.monotonic()))

    def _answer(self, handler: _Handler, reply: Reply, *, send_body: bool) -> None:
        handler.send_response(reply.status)
        names = {name.lower() for name, _ in reply.headers}
        for name, value in reply.headers:
            handler.send_header(name, value)
        if "content-length" not in names:
            if reply.drip_forever:
                length = 10**12
            elif reply.content_length is not None:
                length = reply.content_length
            else:
                length = len(reply.body)
            handler.send_header("Content-Length", str(length))
        handler.end_headers()
        handler.wfile.flush()
        if not send_body:
            return
        path = handler.path
        if reply.stream is not None:
            for chunk in reply.stream():
                if self._stopping.is_set():
                    raise ConnectionAbortedError("server stopping")
                handler.wfile.write(chunk)
                self._count_sent(path, len(chunk))
        elif reply.drip is not None:
            self._drip(handler, reply)
        else:
            handler.wfile.write(reply.body)
            self._count_sent(path, len(reply.body))
        handler.wfile.flush()
        if reply.drip_forever or reply.stream is not None:
            handler.close_connection = True

    def _drip(self, handler: _Handler, reply: Reply) -> None:
        assert reply.drip is not None
        body = iter(reply.body)
        while True:
            byte = next(body, None)
            if byte is None:
                if not reply.drip_forever:
                    return
                byte = ord("x")
            handler.wfile.write(bytes([byte]))
            handler.wfile.flush()
            self._count_sent(handler.path, 1)
            if self._stopping.wait(reply.drip):
                raise ConnectionAbortedError("server stopping")

    def _count_sent(self, path: str, size: int) -> None:
        with self._lock:
            self._sent[path] = self._sent.get(path, 0) + size


def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
