"""A simulated web for link-check benchmarks: many hosts on 127.0.0.x, one port.

Each host is its own loopback address (127.0.0.2, 127.0.0.3, …; Linux routes all of
127.0.0.0/8 to `lo` without set-up), so link checkers see plain, distinct hosts and apply
their per-host limits as they would on the web. One asyncio process serves them all; it
runs in a subprocess so its CPU never competes with the client's event loop.

Paths on every host (the path encodes the answer, so the server keeps no table):

| path            | answer                                                      |
|-----------------|-------------------------------------------------------------|
| `/p/N`          | 200, an HTML page of about `page_kb` KiB (unique title/h1)  |
| `/moved/N`      | 301 to `/p/N` on the same host                              |
| `/gone/N`       | 404                                                         |
| `/robots.txt`   | 200, allow everything                                       |
| `/`             | 200, a small home page                                      |
| anything else   | 404 (so a soft-404 probe of a random path gets an honest answer) |

Every answer waits `latency_ms` first (`loop.call_later`, no coroutine per request).
HTTP/1.1 keep-alive, GET and HEAD; `Connection: close` and HTTP/1.0 are honoured.
With `linkchecker_header` every answer carries a `LinkChecker` header, LinkChecker's
documented signal that the server allows more than 10 requests/s per host.

The control host 127.0.0.1 (same port) answers `/__stats` (JSON, see `SimStats`) and
`/__reset` (clears the counters); its requests are not counted.

Run it by hand: `python benchmarks/sim_web.py --hosts 100 --latency-ms 20 --port 8080`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import ipaddress
import json
import os
import signal
import socket
import subprocess
import sys
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

CONTROL_ADDRESS = "127.0.0.1"
FIRST_HOST_ADDRESS = "127.0.0.2"
READY_PREFIX = "SIM-WEB READY port="
ROBOTS_TXT = b"User-agent: *\nAllow: /\n"


@dataclass(frozen=True, slots=True)
class SimWebConfig:
    """What the simulated web looks like; plain values so it travels on a command line."""

    hosts: int = 100
    latency_ms: float = 20.0
    page_kb: float = 16.0
    port: int = 0  # 0: pick a port that is free on every address
    linkchecker_header: bool = True

    def __post_init__(self) -> None:
        if not 1 <= self.hosts <= 250:
            raise ValueError("hosts must be 1..250 (127.0.0.2 … 127.0.0.251)")
        if self.latency_ms < 0 or self.page_kb < 0:
            raise ValueError("latency_ms and page_kb must not be negative")

    def arguments(self) -> list[str]:
        return [
            f"--hosts={self.hosts}",
            f"--latency-ms={self.latency_ms}",
            f"--page-kb={self.page_kb}",
            f"--port={self.port}",
            "--linkchecker-header" if self.linkchecker_header else "--no-linkchecker-header",
        ]


def add_web_options(parser: argparse.ArgumentParser, *, hosts: int = 100) -> None:
    """--hosts, --latency-ms, --page-kb: the web's shape, for every script that starts one."""
    parser.add_argument("--hosts", type=int, default=hosts, help=f"simulated hosts ({hosts})")
    parser.add_argument("--latency-ms", type=float, default=20.0, help="per request (20)")
    parser.add_argument("--page-kb", type=float, default=16.0, help="page size in KiB (16)")


def config_from_options(args: argparse.Namespace, **more: object) -> SimWebConfig:
    """The `SimWebConfig` the options of `add_web_options` (and `more`) describe."""
    shape = {"hosts": args.hosts, "latency_ms": args.latency_ms, "page_kb": args.page_kb}
    return SimWebConfig(**shape, **more)  # type: ignore[arg-type]


def host_addresses(hosts: int) -> list[str]:
    """The loopback addresses of the simulated hosts, in order."""
    first = ipaddress.IPv4Address(FIRST_HOST_ADDRESS)
    return [str(first + offset) for offset in range(hosts)]


# --------------------------------------------------------------------------- the URL list


@dataclass(frozen=True, slots=True)
class SimLink:
    """One URL of a benchmark list and what a correct checker says about it."""

    url: str
    host: str
    first_status: int  # 200, 301 or 404
    final_status: int  # 200 or 404

    @property
    def expected_health(self) -> str:
        """Linkpflege's health vocabulary: ok, moved (301 to a good page) or not_found."""
        return {200: "ok", 301: "moved", 404: "not_found"}[self.first_status]

    @property
    def good(self) -> bool:
        """True when the link reaches a page (what every checker should call "valid")."""
        return self.final_status == 200


def build_link_list(
    count: int,
    hosts: int,
    port: int,
    *,
    not_found_per_mille: int = 30,
    moved_per_mille: int = 20,
) -> list[SimLink]:
    """`count` distinct URLs spread round-robin over the hosts.

    Deterministic: URL number i goes to host i mod hosts; a hash of i makes it a 404
    (`not_found_per_mille`, 3 % by default) or a 301 (`moved_per_mille`, 2 %), spread
    evenly over the hosts whatever their number.
    """
    addresses = host_addresses(hosts)
    links: list[SimLink] = []
    for number in range(count):
        host = addresses[number % hosts]
        digest = hashlib.blake2b(str(number).encode(), digest_size=4).digest()
        draw = int.from_bytes(digest, "big") % 1000
        if draw < not_found_per_mille:
            path, first, final = f"/gone/{number}", 404, 404
        elif draw < not_found_per_mille + moved_per_mille:
            path, first, final = f"/moved/{number}", 301, 200
        else:
            path, first, final = f"/p/{number}", 200, 200
        links.append(SimLink(f"http://{host}:{port}{path}", host, first, final))
    return links


# --------------------------------------------------------------------------- statistics


@dataclass(frozen=True, slots=True)
class HostStats:
    """What one simulated host saw since the last reset."""

    requests: int
    max_in_flight: int
    connections: int
    robots_requests: int
    unknown_path_requests: int  # 404s for paths outside /p/, /moved/, /gone/ (probes)
    min_gap_s: float | None  # shortest time between two request arrivals
    first_arrival_s: float | None
    last_arrival_s: float | None


@dataclass(frozen=True, slots=True)
class SimStats:
    hosts: dict[str, HostStats]

    @property
    def total_requests(self) -> int:
        return sum(h.requests for h in self.hosts.values())

    @property
    def busiest_host_requests(self) -> int:
        return max((h.requests for h in self.hosts.values()), default=0)

    @property
    def max_in_flight_per_host(self) -> int:
        return max((h.max_in_flight for h in self.hosts.values()), default=0)

    @property
    def min_gap_s(self) -> float | None:
        gaps = [h.min_gap_s for h in self.hosts.values() if h.min_gap_s is not None]
        return min(gaps) if gaps else None

    @property
    def total_connections(self) -> int:
        return sum(h.connections for h in self.hosts.values())

    def politeness_floor_s(self, interval: float) -> float:
        """The busiest host's request count × the per-host interval (issue 3's floor)."""
        return self.busiest_host_requests * interval

    @classmethod
    def from_json(cls, data: dict[str, dict[str, float | int | None]]) -> SimStats:
        return cls({host: HostStats(**values) for host, values in data.items()})  # type: ignore[arg-type]


@dataclass(slots=True)
class _HostCounter:
    requests: int = 0
    in_flight: int = 0
    max_in_flight: int = 0
    connections: int = 0
    robots_requests: int = 0
    unknown_path_requests: int = 0
    min_gap_s: float | None = None
    first_arrival_s: float | None = None
    last_arrival_s: float | None = None

    def arrived(self, now: float) -> None:
        self.requests += 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        if self.last_arrival_s is not None:
            gap = now - self.last_arrival_s
            self.min_gap_s = gap if self.min_gap_s is None else min(self.min_gap_s, gap)
        else:
            self.first_arrival_s = now
        self.last_arrival_s = now

    def public(self) -> dict[str, float | int | None]:
        return {
            "requests": self.requests,
            "max_in_flight": self.max_in_flight,
            "connections": self.connections,
            "robots_requests": self.robots_requests,
            "unknown_path_requests": self.unknown_path_requests,
            "min_gap_s": self.min_gap_s,
            "first_arrival_s": self.first_arrival_s,
            "last_arrival_s": self.last_arrival_s,
        }


# --------------------------------------------------------------------------- pages

_FILLER_PARAGRAPH = (
    "<p>Die Kommune unterstützt geflüchtete Menschen mit Beratung, Sprachkursen und "
    "Begleitung zu Ämtern. Ehrenamtliche Patinnen und Paten helfen bei der Wohnungssuche, "
    "beim Kontakt mit Schulen und Kitas und bei der Anerkennung von Abschlüssen. Das "
    "Integrationsbüro koordiniert die Angebote der Wohlfahrtsverbände und der Verwaltung.</p>\n"
)


class _Pages:
    """Pre-built answers; a page is a unique head + shared filler (cheap to serve)."""

    def __init__(self, config: SimWebConfig) -> None:
        extra = "LinkChecker: sim-web\r\n" if config.linkchecker_header else ""
        self._extra = extra
        target = int(config.page_kb * 1024)
        paragraph = _FILLER_PARAGRAPH.encode()
        self.filler = paragraph * max(0, target // len(paragraph))
        self.tail = b"</main>\n</body>\n</html>\n"
        self.not_found = self._answer(
            404,
            "Not Found",
            "text/html; charset=utf-8",
            b"<!doctype html><title>404 Not Found</title><h1>Not Found</h1>",
        )
        self.robots = self._answer(200, "OK", "text/plain; charset=utf-8", ROBOTS_TXT)
        self.home = self._answer(
            200,
            "OK",
            "text/html; charset=utf-8",
            b"<!doctype html><html lang=de><title>Startseite</title><h1>Willkommen</h1></html>",
        )

    def _head(
        self, status: int, reason: str, content_type: str, length: int, etag: str = ""
    ) -> bytes:
        validator = f"ETag: {etag}\r\n" if etag else ""
        return (
            f"HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {length}\r\n{validator}{self._extra}\r\n"
        ).encode()

    def not_modified(self, number: str) -> list[bytes]:
        """The answer to a conditional request for an unchanged page: headers only."""
        return [f'HTTP/1.1 304 Not Modified\r\nETag: "p{number}"\r\n{self._extra}\r\n'.encode()]

    def _answer(self, status: int, reason: str, content_type: str, body: bytes) -> list[bytes]:
        return [self._head(status, reason, content_type, len(body)), body]

    def page(self, number: str) -> list[bytes]:
        head = (
            "<!doctype html>\n<html lang=de>\n<head><meta charset=utf-8>"
            f"<title>Projekt {number} – Integration vor Ort</title>"
            f'<meta name="description" content="Gutes Beispiel Nr. {number}">'
            '<meta property="article:modified_time" content="2025-03-12">'
            f"</head>\n<body>\n<main>\n<h1>Projekt {number}: Ankommen in der Kommune</h1>\n"
            f"<p>Stand: 12.03.2025. Beispiel {number} zeigt, wie eine Stadt Zugewanderte "
            "begleitet.</p>\n"
        ).encode()
        length = len(head) + len(self.filler) + len(self.tail)
        return [
            self._head(200, "OK", "text/html; charset=utf-8", length, etag=f'"p{number}"'),
            head,
            self.filler,
            self.tail,
        ]

    def moved(self, number: str) -> list[bytes]:
        return [
            (
                f"HTTP/1.1 301 Moved Permanently\r\nLocation: /p/{number}\r\n"
                f"Content-Length: 0\r\n{self._extra}\r\n"
            ).encode()
        ]


# --------------------------------------------------------------------------- server


class SimServer:
    """What the simulated hosts answer, and what they counted: shared by the socket server
    below and the in-process transport (`sim_web_in_process.py`)."""

    def __init__(self, config: SimWebConfig) -> None:
        self.config = config
        self.pages = _Pages(config)
        self.latency = config.latency_ms / 1000.0
        self.counters: dict[str, _HostCounter] = {
            address: _HostCounter() for address in host_addresses(config.hosts)
        }

    def reset(self) -> None:
        for address in self.counters:
            self.counters[address] = _HostCounter()

    def stats_body(self) -> bytes:
        return json.dumps({a: c.public() for a, c in self.counters.items()}).encode()

    def answer(self, host: str, path: str, headers: bytes = b"") -> list[bytes]:
        """The answer for a path on a simulated host; also counts robots and probes.

        Pages never change: a request carrying their ETag gets 304 (incremental nights).
        """
        path = path.split("?", 1)[0]
        counter = self.counters[host]
        kind, _, number = path[1:].partition("/")
        if number.isdigit():
            if kind == "p":
                if f'if-none-match: "p{number}"'.encode() in headers:
                    return self.pages.not_modified(number)
                return self.pages.page(number)
            if kind == "moved":
                return self.pages.moved(number)
            if kind == "gone":
                return self.pages.not_found
        if path == "/robots.txt":
            counter.robots_requests += 1
            return self.pages.robots
        if path == "/":
            return self.pages.home
        counter.unknown_path_requests += 1
        return self.pages.not_found

    def control_answer(self, path: str) -> list[bytes]:
        if path == "/__reset":
            self.reset()
            body = b'{"reset": true}'
        elif path == "/__stats":
            body = self.stats_body()
        else:
            return self.pages.not_found
        head = (
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        return [head, body]


class _Connection(asyncio.Protocol):
    """Minimal HTTP/1.1: request head up to the blank line, no request bodies."""

    def __init__(self, server: SimServer) -> None:
        self.server = server
        self.buffer = b""
        self.transport: asyncio.Transport | None = None
        self.host = ""
        self.closing = False
        self.loop = asyncio.get_running_loop()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.host = transport.get_extra_info("sockname")[0]
        counter = self.server.counters.get(self.host)
        if counter is not None:
            counter.connections += 1

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while not self.closing:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(self.buffer) > 65536:
                    self._close()
                return
            head, self.buffer = self.buffer[:end], self.buffer[end + 4 :]
            self._handle(head)

    def _handle(self, head: bytes) -> None:
        lines = head.split(b"\r\n")
        parts = lines[0].split()
        if len(parts) != 3:
            self._close()
            return
        method, target, version = parts
        headers = b"\r\n".join(lines[1:]).lower()
        keep_alive = (
            b"connection: close" not in headers
            if version == b"HTTP/1.1"
            else b"connection: keep-alive" in headers
        )
        path = target.decode("latin-1")
        if path.startswith("http://") or path.startswith("https://"):  # absolute form
            path = "/" + path.split("/", 3)[-1] if path.count("/") >= 3 else "/"
        counter = self.server.counters.get(self.host)
        if counter is None:  # the control host
            self._send(self.server.control_answer(path), keep_alive, None, method)
            return
        counter.arrived(self.loop.time())
        answer = self.server.answer(self.host, path, headers)
        self.loop.call_later(self.server.latency, self._send, answer, keep_alive, counter, method)
        if not keep_alive:
            self.closing = True  # ignore anything after this request

    def _send(
        self, answer: list[bytes], keep_alive: bool, counter: _HostCounter | None, method: bytes
    ) -> None:
        if counter is not None:
            counter.in_flight -= 1
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        transport.writelines(answer if method != b"HEAD" else answer[:1])
        if not keep_alive:
            transport.close()

    def _close(self) -> None:
        self.closing = True
        if self.transport is not None:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None


def _bind_all(addresses: list[str], port: int) -> tuple[int, list[socket.socket]]:
    """Listening sockets on every address with one port; retry when a port is taken."""
    for _ in range(50):
        sockets: list[socket.socket] = []
        chosen = port
        try:
            for address in addresses:
                sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                sockets.append(sock)
                sock.bind((address, chosen))
                chosen = sock.getsockname()[1]
                sock.listen(4096)
                sock.setblocking(False)
            return chosen, sockets
        except OSError:
            for sock in sockets:
                sock.close()
            if port:
                raise
    raise OSError("no port free on every simulated address")


async def serve(config: SimWebConfig, announce: bool = True) -> None:
    """Serve until cancelled. Prints the READY line (with the port) when listening."""
    server = SimServer(config)
    addresses = [CONTROL_ADDRESS, *host_addresses(config.hosts)]
    port, sockets = _bind_all(addresses, config.port)
    loop = asyncio.get_running_loop()
    servers = [
        await loop.create_server(lambda: _Connection(server), sock=sock, backlog=4096)
        for sock in sockets
    ]
    if announce:
        print(f"{READY_PREFIX}{port}", flush=True)
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        for listener in servers:
            listener.close()


# --------------------------------------------------------------------------- client side


class SimWeb:
    """Start the simulated web in a subprocess; a context manager.

    with SimWeb(SimWebConfig(hosts=100)) as web:
        links = build_link_list(10_000, web.config.hosts, web.port)
        ...
        stats = web.stats()
    """

    def __init__(self, config: SimWebConfig, *, python: str = sys.executable) -> None:
        self.config = config
        self._python = python
        self._process: subprocess.Popen[str] | None = None
        self.port = 0

    def _server_command(self) -> list[str]:
        """The server process's command line before its options (subclasses serve more)."""
        return [self._python, str(Path(__file__).resolve())]

    def __enter__(self) -> SimWeb:
        self._process = subprocess.Popen(
            [*self._server_command(), *self.config.arguments()],
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,  # a Ctrl-C in the benchmark reaches us, not the server
        )
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line.startswith(READY_PREFIX):
            self._stop()
            raise RuntimeError(f"simulated web did not start: {line!r}")
        self.port = int(line[len(READY_PREFIX) :])
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop()

    def _stop(self) -> None:
        if self._process is None:
            return
        if self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()
        self._process = None

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    def _control(self, path: str) -> bytes:
        # No proxy: the control host is loopback, and the benchmark must not leak a request.
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(f"http://{CONTROL_ADDRESS}:{self.port}{path}", timeout=30) as answer:
            return answer.read()

    def stats(self) -> SimStats:
        return SimStats.from_json(json.loads(self._control("/__stats")))

    def reset(self) -> None:
        self._control("/__reset")

    def links(self, count: int) -> list[SimLink]:
        return build_link_list(count, self.config.hosts, self.port)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve the simulated web until SIGTERM/Ctrl-C.")
    add_web_options(parser)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--linkchecker-header", action=argparse.BooleanOptionalAction, default=True)
    args = parser.parse_args(argv)
    config = config_from_options(args, port=args.port, linkchecker_header=args.linkchecker_header)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(config))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
