"""The simulated web inside the client's own event loop: no sockets, no HTTP parsing.

An httpx transport that answers each request with exactly what `sim_web.py`'s hosts send
(`SimServer.answer`: same pages, redirects, 404s, robots.txt, counters), after the same
latency and by the same means (`loop.call_later`). What it leaves out is the whole cost of
the network: connecting, sending, the server's process and HTTP/1.1 parsing on either
side. A checker run over it shows what its own per-URL work costs with a transport that
costs nothing; the link-check benchmark uses it to ask whether any HTTP client could bring
the engine down to lychee's time (issue 3). It is no strict floor: the latency timers run on
the checker's own event loop, so a busy loop delays an answer as it would delay reading one
from a socket.
"""

from __future__ import annotations

import asyncio

import httpx
from sim_web import SimServer, SimWebConfig


def _parsed_head(head: bytes) -> tuple[int, list[tuple[bytes, bytes]]]:
    lines = head.rstrip(b"\r\n").split(b"\r\n")
    status = int(lines[0].split()[1])
    headers = [tuple(line.split(b": ", 1)) for line in lines[1:] if b": " in line]
    return status, headers  # type: ignore[return-value]


class InProcessWeb(httpx.AsyncBaseTransport):
    """`SimServer`'s answers as httpx responses, each after the configured latency."""

    def __init__(self, config: SimWebConfig) -> None:
        self.server = SimServer(config)
        self._latency = config.latency_ms / 1000.0
        # Heads repeat (one per status and page length): parse each only once.
        self._heads: dict[bytes, tuple[int, list[tuple[bytes, bytes]]]] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        loop = asyncio.get_running_loop()
        host = request.url.host
        counter = self.server.counters[host]
        counter.arrived(loop.time())
        headers = b"\r\n".join(name + b": " + value for name, value in request.headers.raw)
        answer = self.server.answer(host, request.url.path, headers.lower())
        done: asyncio.Future[None] = loop.create_future()
        loop.call_later(self._latency, done.set_result, None)
        try:
            await done
        finally:
            counter.in_flight -= 1
        head = answer[0]
        parsed = self._heads.get(head)
        if parsed is None:
            parsed = self._heads[head] = _parsed_head(head)
        status, response_headers = parsed
        body = b"" if request.method == "HEAD" else b"".join(answer[1:])
        return httpx.Response(status, headers=response_headers, content=body, request=request)
